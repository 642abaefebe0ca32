"""Decode at one row in figures: the bytes a step reads, the memory bandwidth torch gets
here, and the tokens/s floor they set, for our int8 model and for the Q4_K_M GGUF.

    BRIEFBOT_MODEL_CACHE=... .venv/bin/python bench/bandwidth.py              # figures only
    BRIEFBOT_MODEL_CACHE=... .venv/bin/python bench/bandwidth.py --llama-cpp  # and both decodes
    BRIEFBOT_MODEL_CACHE=... .venv/bin/python bench/bandwidth.py --profile    # a step's time, split
    BRIEFBOT_MODEL_CACHE=... .venv/bin/python bench/bandwidth.py --int4       # 4-bit kernels too

A step at one row reads every weight once (each int8 linear, the output head included), one
row of the token table and the keys and values so far; on a CPU that is bound by memory
reads, so bandwidth / bytes is the most tokens/s a step can reach (the floor in time). The
bandwidth is a large f32 tensor's sum, best of several, on 1 and 2 threads; each int8
linear shape is also timed alone at one row, to see whether fbgemm reads its weights at
that bandwidth. With `--llama-cpp` both decode the same prompt at one row (bench/model.py's
llama.cpp subprocess) and each decode's fraction of its own floor is printed. The host is
shared: run it when `uptime` is near 0 and read single runs as noisy.

With `--profile`, one row's decode steps run under torch's profiler, and a step's time is
split: the int8 linears (activation quantisation and fbgemm call included), attention, every
other op, and the time between ops (Python: module calls, transformers' masks, our decode
loop): the rest is what a step spends outside its weights. The profiler adds its own cost to
every op, which lands between ops, so that part is also given as the unprofiled step's time
less the ops' profiled time.

With `--int4`, the 4-bit weights lever (issue 19): torch's own CPU kernels for 4-bit weights
(and its weight-only int8 one) run each linear shape at one row beside fbgemm's int8, on 1
and 2 threads, in the same run, since the host's bandwidth varies from run to run; then each
one's error against the fp32 product on real rows of one layer and the head, and our decode
step with each kernel's linears in place of the int8 ones: its bytes, floor and estimated
tokens/s. int8 cannot reach 0.9x of llama.cpp's Q4_K_M at any bandwidth (1.57 GB a step
against 0.99), so the question is whether a 4-bit kernel reads its half the bytes in less
time than fbgemm reads int8.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, NamedTuple

import torch
from model import REPO, LlamaCpp, load_average

from bot.settings import load_settings
from summarizer.model.base import ChatMessage
from summarizer.model.loader import load_generator
from summarizer.model.packaged import assembled_gguf
from summarizer.model.transformers_backend import TransformersGenerator

GB = 1e9


def best_of(run, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return best


def read_bandwidth(threads: int, gib: float = 1.0, repeats: int = 5) -> float:
    """Bytes/s of summing a `gib` f32 tensor: far larger than any cache, read once a pass."""
    torch.set_num_threads(threads)
    data = torch.ones(int(gib * 2**30) // 4)
    return data.nbytes / best_of(data.sum, repeats)


def step_bytes(model: Any, context: int) -> dict[str, int]:
    """What one decode step at one row reads from our int8 model, by part."""
    from torch.ao.nn.quantized.dynamic import Linear as DynamicInt8Linear

    config = model.config
    linears = [m for m in model.modules() if isinstance(m, DynamicInt8Linear)]
    weights = sum(m.weight().numel() for m in linears)  # int8: a byte each
    per_output = sum(m.weight().shape[0] for m in linears) * (4 + 4)  # f32 bias and scale
    table = model.get_input_embeddings()
    row = sum(t[0].nbytes for t in [*table.parameters(), *table.buffers()])
    head_dim = config.hidden_size // config.num_attention_heads
    kv = 2 * config.num_hidden_layers * config.num_key_value_heads * head_dim * context * 4
    return {"int8 linears": weights + per_output, "token table row": row, "kv cache f32": kv}


def gguf_step_bytes(gguf: Path, config, context: int) -> dict[str, int]:
    """The same for the GGUF as llama.cpp reads it: every tensor but the token table, one row
    of that, and its f16 keys and values."""
    from gguf import GGUFReader

    tensors = GGUFReader(gguf).tensors
    table = next(t for t in tensors if t.name == "token_embd.weight")
    rest = sum(t.n_bytes for t in tensors if t is not table)
    head_dim = config.hidden_size // config.num_attention_heads
    kv = 2 * config.num_hidden_layers * config.num_key_value_heads * head_dim * context * 2
    return {
        "weights (Q4_K/Q6_K, f32 norms)": rest,
        "token table row": table.n_bytes // int(table.shape[-1]),
        "kv cache f16": kv,
    }


def int8_by_shape(model: torch.nn.Module) -> dict[tuple[int, int], list[Any]]:
    """The model's int8 linears grouped by weight shape (out, in), smallest first."""
    from torch.ao.nn.quantized.dynamic import Linear as DynamicInt8Linear

    by_shape: dict[tuple[int, int], list[Any]] = {}
    for m in model.modules():
        if isinstance(m, DynamicInt8Linear):
            out, inp = m.weight().shape
            by_shape.setdefault((out, inp), []).append(m)
    return dict(sorted(by_shape.items()))


def linear_read_rates(model: torch.nn.Module, threads: int, repeats: int = 3) -> list[str]:
    """Each int8 linear shape at one row: all the model's linears of that shape run in turn
    (one of each would sit in the cache and read faster than memory gives), their weight
    bytes over the best time."""
    torch.set_num_threads(threads)
    lines = []
    with torch.inference_mode():
        for (out, inp), linears in int8_by_shape(model).items():
            x = torch.randn(1, inp)
            seconds = best_of(lambda linears=linears, x=x: [m(x) for m in linears], repeats)
            rate = len(linears) * out * inp / GB / seconds
            lines.append(f"  {len(linears):>2} x ({out:>6} x {inp:<5}) {rate:6.1f} GB/s")
    return lines


def prompt_of(backend: TransformersGenerator, seeds: Path, tokens: int) -> list[ChatMessage]:
    """A summary request for the first seed article, cut to about `tokens` tokens."""
    text = sorted(seeds.glob("*.txt"))[0].read_text(encoding="utf-8")
    ids = backend.tokenizer(text, add_special_tokens=False)["input_ids"][:tokens]
    article = backend.tokenizer.decode(ids)
    request = f"Summarise this article in detail:\n\n{article}"
    return [ChatMessage(role="user", content=request)]


# a profiled op's category in the step's split: each op's self time counts once
ATTENTION_OPS = ("scaled_dot_product", "softmax", "bmm", "matmul")


def op_category(name: str) -> str:
    if name == "quantized::linear_dynamic":
        return "int8 linears"
    if any(part in name for part in ATTENTION_OPS):
        return "attention"
    return name


def profile_decode(
    backend: TransformersGenerator, conversation: list[ChatMessage], new_tokens: int
) -> None:
    """Decode `new_tokens` at one row twice, plainly and under torch's profiler (from the
    first step on: the prompt's pass is left out), and print a step's time by category."""
    from torch.profiler import ProfilerActivity, profile

    backend.reuse_prompts = False  # the whole prompt read each time: the same context
    backend.generate([conversation], max_new_tokens=new_tokens)
    plain = backend.last_stats
    steps = plain.new_tokens - 1  # the first token comes with the prompt's pass
    print(
        f"\ndecode at one row, {plain.prompt_tokens} prompt tokens: "
        f"{plain.decode_s / steps * 1000:.1f} ms a step unprofiled ({load_average()})"
    )
    profiler = profile(activities=[ProfilerActivity.CPU])
    started: list[float] = []

    def after_forward(*_: object) -> None:
        if not started:  # the prompt's pass is done: profile the steps
            profiler.start()
            started.append(time.perf_counter())

    hook = backend.model.register_forward_hook(after_forward)
    try:
        backend.generate([conversation], max_new_tokens=new_tokens)
    finally:
        hook.remove()
    wall = time.perf_counter() - started[0]
    profiler.stop()
    steps = backend.last_stats.new_tokens - 1
    by_category: dict[str, list[float]] = {}  # self microseconds, calls
    for event in profiler.key_averages():
        totals = by_category.setdefault(op_category(event.key), [0.0, 0])
        totals[0] += event.self_cpu_time_total
        totals[1] += event.count
    ops_s = sum(us for us, _ in by_category.values()) / 1e6
    named = ["int8 linears", "attention"]
    others = sorted((k for k in by_category if k not in named), key=lambda k: -by_category[k][0])
    print(f"a step under the profiler, {steps} steps: {wall / steps * 1000:.1f} ms")
    for key in [*named, *others[:8]]:
        us, calls = by_category.get(key, [0.0, 0])
        print(f"  {key:<38} {us / 1000 / steps:6.2f} ms {calls / steps:5.0f} calls")
    rest = others[8:]
    us = sum(by_category[k][0] for k in rest)
    calls = sum(by_category[k][1] for k in rest)
    print(
        f"  {f'{len(rest)} other ops':<38} {us / 1000 / steps:6.2f} ms {calls / steps:5.0f} calls"
    )
    # the profiler's own cost per op lands between ops: the unprofiled step gives the other
    between = (wall - ops_s) / steps * 1000
    unprofiled = plain.decode_s / (plain.new_tokens - 1) * 1000 - ops_s / steps * 1000
    print(f"  {'between ops (Python, dispatch, loop)':<38} {between:6.2f} ms")
    print(f"  {'  the same, from the unprofiled step':<38} {unprofiled:6.2f} ms")
    print(load_average())


# 4-bit weights (`--int4`): torch's own CPU kernels for them, against the int8 path


class Kernel(NamedTuple):
    """One linear's weights as a kernel holds them. `call` takes the f32 row and gives the
    f32 outputs, conversions included, as a model would pay them; `nbytes` is what the kernel
    reads for its weights: values, scales and zeros (the bias left out, for every kernel);
    `biased`: whether `call` adds the linear's bias itself."""

    call: Callable[[torch.Tensor], torch.Tensor]
    nbytes: int
    biased: bool = False


def fbgemm_int8(linear: Any) -> Kernel:
    """The int8 path as it runs: fbgemm's dynamic int8 linear, the row quantised per call."""
    out, inp = linear.weight().shape
    return Kernel(linear, out * inp + 4 * out, biased=True)  # int8, an f32 scale per output


def weight_only_int8(linear: Any) -> Kernel:
    """The same int8 values through torch's weight-only int8 kernel, which takes a bf16 row
    and quantises nothing: whether another int8 kernel reads them faster than fbgemm."""
    weight = linear.weight()
    values = weight.int_repr().contiguous()
    scales = weight.q_per_channel_scales().to(torch.bfloat16)

    def call(x: torch.Tensor) -> torch.Tensor:
        return torch.ops.aten._weight_int8pack_mm(x.to(torch.bfloat16), values, scales).float()

    return Kernel(call, values.nbytes + scales.nbytes)


def int4(weight: torch.Tensor, group: int) -> Kernel:
    """torch's CPU int4 kernel (`_weight_int4pack_mm_for_cpu`; an f32 row takes a slow
    reference path there, a bf16 one the vectorised path). Its layout: each run of `group`
    inputs of a row spans its min to its max in 15 steps, w = (q - 8) * scale + zero, the
    values two a byte, scales and zeros bf16 as [in / group, out, 2]."""
    out, inp = weight.shape
    groups = weight.float().reshape(out, inp // group, group)
    low, high = groups.amin(-1), groups.amax(-1)
    scale = ((high - low) / 15).clamp(min=1e-8)
    steps = ((groups - low.unsqueeze(-1)) / scale.unsqueeze(-1)).round().clamp(0, 15)
    values = steps.to(torch.int32).reshape(out, inp)
    packed = torch.ops.aten._convert_weight_to_int4pack_for_cpu(values, 1)  # 1: unused on CPU
    zero = low + 8 * scale
    scales_zeros = torch.stack([scale.t(), zero.t()], -1).to(torch.bfloat16).contiguous()

    def call(x: torch.Tensor) -> torch.Tensor:
        row = x.to(torch.bfloat16)
        return torch.ops.aten._weight_int4pack_mm_for_cpu(row, packed, group, scales_zeros).float()

    return Kernel(call, packed.nbytes + scales_zeros.nbytes)


def dynamic_int4(weight: torch.Tensor, group: int = 32) -> Kernel:
    """torch's 4-bit kernel that quantises the row to int8 per call (`_dyn_quant_matmul_4bit`):
    KleidiAI's on ARM, a reference loop on x86. Symmetric groups, each value stored as q + 8."""
    out, inp = weight.shape
    groups = weight.float().reshape(out, inp // group, group)
    scale = (groups.abs().amax(-1) / 7).clamp(min=1e-8)
    steps = (groups / scale.unsqueeze(-1)).round().clamp(-8, 7) + 8
    values = steps.to(torch.uint8).reshape(out, inp)
    nibbles = (values[:, 1::2] << 4 | values[:, ::2]).contiguous()
    packed = torch.ops.aten._dyn_quant_pack_4bit_weight(nibbles, scale, None, group, inp, out)

    def call(x: torch.Tensor) -> torch.Tensor:
        return torch.ops.aten._dyn_quant_matmul_4bit(x, packed, group, inp, out)

    return Kernel(call, packed.nbytes)


# built from the int8 linear (its int8 values), and from float weights
INT8_KERNELS: dict[str, Callable[[Any], Kernel]] = {
    "int8 fbgemm": fbgemm_int8,
    "int8 weight-only": weight_only_int8,
}
INT4_KERNELS: dict[str, Callable[[torch.Tensor], Kernel]] = {
    "int4 g32": partial(int4, group=32),
    "int4 g128": partial(int4, group=128),
    "int4 dyn g32": dynamic_int4,
}
# a reference loop here, tens of times slower than memory: timed once on a few linears
REFERENCE_ONLY = {"int4 dyn g32": 4}
Shape = tuple[int, int]


def kernel_times(
    model: torch.nn.Module, threads: list[int], repeats: int = 5
) -> tuple[dict[str, dict[int, dict[Shape, float]]], dict[str, dict[Shape, int]]]:
    """Each kernel on each int8 linear shape at one row, on each thread count: seconds a call
    (all the model's linears of that shape in turn, as for the int8 rates; the 4-bit weights
    are the int8 ones requantised: a kernel's time does not depend on the values), and the
    bytes it reads for one linear of the shape. The kernels take turns, pass by pass, and
    each keeps its best: on a shared host the load moves, and a kernel timed alone in a busy
    minute would lose to one timed in a quiet one."""
    seconds: dict[str, dict[int, dict[Shape, float]]] = {}
    nbytes: dict[str, dict[Shape, int]] = {}
    with torch.inference_mode():
        for shape, linears in int8_by_shape(model).items():
            x = torch.randn(1, shape[1])
            torch.set_num_threads(max(threads))  # building is not timed
            built = {name: [build(m) for m in linears] for name, build in INT8_KERNELS.items()}
            for name, build4 in INT4_KERNELS.items():
                some = linears[: REFERENCE_ONLY.get(name, len(linears))]
                built[name] = [build4(m.weight().dequantize()) for m in some]
            for name, kernels in built.items():
                nbytes.setdefault(name, {})[shape] = kernels[0].nbytes
            for t in threads:
                torch.set_num_threads(t)
                best = dict.fromkeys(built, float("inf"))
                for attempt in range(repeats):
                    for name, kernels in built.items():
                        if attempt and name in REFERENCE_ONLY:
                            continue
                        took = best_of(lambda ks=kernels, x=x: [k.call(x) for k in ks], 1)
                        best[name] = min(best[name], took / len(kernels))
                for name, took in best.items():
                    seconds.setdefault(name, {}).setdefault(t, {})[shape] = took
            del built
    return seconds, nbytes


def print_kernel_table(
    seconds: dict[str, dict[int, dict[Shape, float]]],
    nbytes: dict[str, dict[Shape, int]],
    counts: dict[Shape, int],
) -> dict[int, dict[str, float]]:
    """The per-call table, and a step's linears (each shape's time times its count) by
    kernel and thread count, which it returns."""
    step: dict[int, dict[str, float]] = {}
    for t in next(iter(seconds.values())):
        print(f"\none row through each kernel, {t} thread(s): ms a call (GB/s of its bytes)")
        print(f"  {'count x (out x in)':<22}" + "".join(f"{name:>19}" for name in seconds))
        for shape, n in counts.items():
            cells = [
                f"{s[t][shape] * 1000:9.3f} ({nbytes[k][shape] / s[t][shape] / GB:5.1f})"
                for k, s in seconds.items()
            ]
            print(
                f"  {n:>2} x ({shape[0]:>6} x {shape[1]:<5})" + "".join(f"{c:>19}" for c in cells)
            )
        step[t] = {
            k: sum(n * s[t][shape] for shape, n in counts.items()) for k, s in seconds.items()
        }
        int8 = step[t]["int8 fbgemm"]
        cells = [f"{v * 1000:7.1f} ms {int8 / v:4.2f}x" for v in step[t].values()]
        print(f"  {'a step, vs int8 fbgemm':<22}" + "".join(f"{c:>19}" for c in cells))
    gbs = [sum(n * nbytes[k][shape] for shape, n in counts.items()) / GB for k in nbytes]
    print(f"  {'bytes a step':<22}" + "".join(f"{f'{g:.3f} GB':>19}" for g in gbs))
    return step


ERROR_ROWS = 64  # rows of the prompt, one at a time as at decode (fbgemm's row scale is per call)


def print_errors(
    backend: TransformersGenerator, gguf: Path, conversation: list[ChatMessage]
) -> None:
    """Each linear of the middle decoder layer and the output head, on real rows (their
    inputs while the model reads the prompt): the relative error of the product against fp32's
    (the weights as the model is given them: the GGUF's, rounded to bf16, widened), through
    each kernel, and how often the head's top token stays fp32's. The int8 kernels use the
    model's own int8 values; the 4-bit ones quantise the GGUF's weights."""
    from gguf import MODEL_ARCH_NAMES, GGUFReader, get_tensor_name_map
    from torch.ao.nn.quantized.dynamic import Linear as DynamicInt8Linear

    from summarizer.model.packaged import _dequantized_bf16

    model = backend.model
    layer = model.config.num_hidden_layers // 2
    linears = {
        name: m
        for name, m in model.named_modules()
        if isinstance(m, DynamicInt8Linear) and f"layers.{layer}." in name
    }
    head = next(n for n, m in model.named_modules() if m is model.get_output_embeddings())
    linears[head] = model.get_output_embeddings()
    rows: dict[str, torch.Tensor] = {}
    hooks = [
        m.register_forward_pre_hook(
            lambda _m, args, name=name: rows.__setitem__(name, args[0].flatten(0, -2).clone())
        )
        for name, m in linears.items()
    ]
    ids = backend.tokenizer(backend.render(conversation), return_tensors="pt")["input_ids"]
    try:
        with torch.inference_mode():
            model(ids)
    finally:
        for hook in hooks:
            hook.remove()
    reader = GGUFReader(gguf)
    arch = next(a for a, n in MODEL_ARCH_NAMES.items() if n == model.config.model_type)
    names = get_tensor_name_map(arch, model.config.num_hidden_layers)
    tensors = {t.name: t for t in reader.tensors}
    kernels = [*INT8_KERNELS, *(k for k in INT4_KERNELS if k not in REFERENCE_ONLY)]
    print(
        f"\nrelative error against fp32, layer {layer} and the head, {ERROR_ROWS} of the "
        f"prompt's {ids.shape[1]} rows, one at a time:"
    )
    print(f"  {'linear':<22}{'gguf':>6}" + "".join(f"{k:>18}" for k in kernels))
    with torch.inference_mode():
        for name, m in linears.items():
            tensor = tensors[str(names.get_name(f"{name}.weight", try_suffixes=(".weight",)))]
            weight = _dequantized_bf16(tensor.data, tensor.tensor_type).float()
            bias = m.bias()
            x = rows[name][:: max(1, len(rows[name]) // ERROR_ROWS)][:ERROR_ROWS]
            exact = torch.nn.functional.linear(x, weight, bias)
            built = {k: INT8_KERNELS[k](m) for k in INT8_KERNELS}
            built |= {k: INT4_KERNELS[k](weight) for k in kernels if k in INT4_KERNELS}
            del weight
            errors, same = [], []
            for k in kernels:
                got = torch.cat([built[k].call(row) for row in x.split(1)])
                if not built[k].biased and bias is not None:
                    got += bias
                errors.append(float((got - exact).norm() / exact.norm()))
                same.append(int((got.argmax(-1) == exact.argmax(-1)).sum()))
            del built
            short = name.removeprefix(f"model.layers.{layer}.")
            kind = tensor.tensor_type.name
            print(f"  {short:<22}{kind:>6}" + "".join(f"{e:>18.4f}" for e in errors))
    print(
        f"  the head's top token as fp32's, of {len(x)} rows:"
        + "".join(f" {k} {n}" for k, n in zip(kernels, same, strict=True))
    )


def print_int4_step(
    ours: dict[str, int],
    bandwidth: float,
    decoded: float,
    linears: dict[str, float],
    nbytes: dict[str, int],
) -> None:
    """Our decode step with each kernel's linears in fbgemm's place: the bytes it reads and
    the floor they set at the bandwidth measured; and its time, estimated as the step decoded
    less the int8 linears' time plus the kernel's (the rest of the step, attention, norms and
    Python, as it was). The int8 row gives back the step decoded."""
    rest = sum(ours.values()) - ours["int8 linears"]
    for name, seconds in linears.items():
        total = rest + nbytes[name]
        step = 1 / decoded - linears["int8 fbgemm"] + seconds
        print(
            f"  {name:<18} {total / GB:.3f} GB, floor {bandwidth / total:5.1f} tok/s; "
            f"step {step * 1000:6.1f} ms = {1 / step:5.1f} tok/s"
        )


def main() -> None:
    settings = load_settings()
    default_seeds = REPO.parent / "shared" / "seeds"
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--model", default=settings.model)
    p.add_argument("--threads", type=int, default=settings.model_threads or os.cpu_count() or 1)
    p.add_argument("--prompt-tokens", type=int, default=300)
    p.add_argument("--new-tokens", type=int, default=48)
    p.add_argument("--llama-cpp", action="store_true", help="decode at one row by both, too")
    p.add_argument("--profile", action="store_true", help="only split a step's time, by op")
    p.add_argument("--int4", action="store_true", help="and torch's 4-bit kernels beside int8")
    p.add_argument(
        "--llama-python",
        type=Path,
        default=Path(os.environ.get("BRIEFBOT_LLAMA_PYTHON", REPO / ".venv-llama/bin/python")),
    )
    p.add_argument(
        "--seeds", type=Path, default=Path(os.environ.get("BRIEFBOT_SHARED_SEEDS", default_seeds))
    )
    args = p.parse_args()
    print(load_average())
    llama = LlamaCpp.start(args, settings.model_cache) if args.llama_cpp else None
    backend = load_generator(args.model, cache_dir=settings.model_cache, threads=args.threads)
    assert isinstance(backend, TransformersGenerator), "this reads the transformers backend"
    gguf = assembled_gguf(args.model.removeprefix("packaged:"), settings.model_cache)
    if args.profile:
        profile_decode(backend, prompt_of(backend, args.seeds, args.prompt_tokens), args.new_tokens)
        return

    bandwidth = {t: read_bandwidth(t) for t in sorted({1, args.threads})}
    for threads, rate in bandwidth.items():
        print(f"read bandwidth, f32 sum, {threads} thread(s): {rate / GB:.1f} GB/s")
    linear_steps: dict[int, dict[str, float]] = {}
    step_nbytes: dict[str, int] = {}
    if args.int4:
        print(f"timing each kernel ({load_average()})")
        seconds, nbytes = kernel_times(backend.model, list(bandwidth))
        counts = {shape: len(ms) for shape, ms in int8_by_shape(backend.model).items()}
        linear_steps = print_kernel_table(seconds, nbytes, counts)
        step_nbytes = {
            k: sum(n * b[shape] for shape, n in counts.items()) for k, b in nbytes.items()
        }
        print(load_average())
    else:
        for threads in bandwidth:
            print(f"int8 linear at one row, {threads} thread(s), weight bytes / best time:")
            print("\n".join(linear_read_rates(backend.model, threads)))
    torch.set_num_threads(args.threads)

    conversation = prompt_of(backend, args.seeds, args.prompt_tokens)
    if args.int4:
        print_errors(backend, gguf, conversation)
    decoded: dict[str, float] = {}
    context = args.prompt_tokens + args.new_tokens
    if llama is not None or args.int4:
        backend.reuse_prompts = False  # the whole prompt read, as llama.cpp's fresh one
        backend.generate([conversation], max_new_tokens=args.new_tokens)
        s = backend.last_stats
        context = s.prompt_tokens + s.new_tokens
        decoded["ours"] = (s.new_tokens - 1) / s.decode_s  # the first comes with the prefill
        line = f"\ndecoded at one row: ours {s.new_tokens} new tokens {decoded['ours']:.1f} tok/s"
        if llama is not None:
            t = llama.once({"text": backend.render(conversation), "max_tokens": args.new_tokens})
            decoded["llama.cpp"] = (t["new_tokens"] - 1) / t["decode_s"]
            line += f", llama.cpp {t['new_tokens']} {decoded['llama.cpp']:.1f} tok/s"
            llama.close()
        print(f"{line} ({load_average()})")

    parts = {
        "ours": step_bytes(backend.model, context),
        "llama.cpp": gguf_step_bytes(gguf, backend.model.config, context),
    }
    print(f"\nbytes per step at one row, {context} tokens of context:")
    for who, by_part in parts.items():
        total = sum(by_part.values())
        shown = ", ".join(f"{k} {v / GB:.3f}" for k, v in by_part.items())
        print(f"  {who:<9} {total / GB:.3f} GB ({shown})")
        for threads, rate in bandwidth.items():
            floor = rate / total
            line = f"    {threads} thread(s): floor {floor:5.1f} tok/s"
            if who in decoded and threads == args.threads:
                got = decoded[who]
                line += f"; decoded {got:5.1f} tok/s = {got / floor:.0%} of it"
            print(line)
    if args.int4:
        rate = bandwidth[args.threads]
        print(f"\nour step with each kernel's linears, {args.threads} thread(s):")
        print_int4_step(
            parts["ours"], rate, decoded["ours"], linear_steps[args.threads], step_nbytes
        )
    print(load_average())


if __name__ == "__main__":
    main()

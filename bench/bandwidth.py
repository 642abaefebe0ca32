"""Decode at one row in figures: the bytes a step reads, the memory bandwidth torch gets
here, and the tokens/s floor they set, for our int8 model and for the Q4_K_M GGUF.

    BRIEFBOT_MODEL_CACHE=... .venv/bin/python bench/bandwidth.py              # figures only
    BRIEFBOT_MODEL_CACHE=... .venv/bin/python bench/bandwidth.py --llama-cpp  # and both decodes
    BRIEFBOT_MODEL_CACHE=... .venv/bin/python bench/bandwidth.py --profile    # a step's time, split

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
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Any

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


def linear_read_rates(model: torch.nn.Module, threads: int, repeats: int = 3) -> list[str]:
    """Each int8 linear shape at one row: all the model's linears of that shape run in turn
    (one of each would sit in the cache and read faster than memory gives), their weight
    bytes over the best time."""
    from torch.ao.nn.quantized.dynamic import Linear as DynamicInt8Linear

    torch.set_num_threads(threads)
    by_shape: dict[tuple[int, ...], list[DynamicInt8Linear]] = {}
    for m in model.modules():
        if isinstance(m, DynamicInt8Linear):
            by_shape.setdefault(tuple(m.weight().shape), []).append(m)
    lines = []
    with torch.inference_mode():
        for (out, inp), linears in sorted(by_shape.items()):
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
    for threads in bandwidth:
        print(f"int8 linear at one row, {threads} thread(s), weight bytes / best time:")
        print("\n".join(linear_read_rates(backend.model, threads)))
    torch.set_num_threads(args.threads)

    conversation = prompt_of(backend, args.seeds, args.prompt_tokens)
    decoded: dict[str, float] = {}
    context = args.prompt_tokens + args.new_tokens
    if llama is not None:
        backend.reuse_prompts = False  # the whole prompt read, as llama.cpp's fresh one
        backend.generate([conversation], max_new_tokens=args.new_tokens)
        s = backend.last_stats
        context = s.prompt_tokens + s.new_tokens
        decoded["ours"] = (s.new_tokens - 1) / s.decode_s  # the first comes with the prefill
        t = llama.once({"text": backend.render(conversation), "max_tokens": args.new_tokens})
        decoded["llama.cpp"] = (t["new_tokens"] - 1) / t["decode_s"]
        print(
            f"decoded at one row: ours {s.new_tokens} new tokens {decoded['ours']:.1f} tok/s, "
            f"llama.cpp {t['new_tokens']} {decoded['llama.cpp']:.1f} tok/s ({load_average()})"
        )
        llama.close()

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
    print(load_average())


if __name__ == "__main__":
    main()

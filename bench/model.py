"""Speed and memory of the local model on the shared seed articles.

    .venv/bin/python bench/model.py                      # the loader's default configuration
    .venv/bin/python bench/model.py --precision bf16     # compare: no int8 quantisation
    .venv/bin/python bench/model.py --no-batch           # compare: prompts one by one
    .venv/bin/python bench/model.py --full-article       # compare: whole article as event source
    .venv/bin/python bench/model.py --no-prompt-cache    # compare: every row reads its whole prompt
    .venv/bin/python bench/model.py --verdict            # compare: with the model's yes/no verdicts
    .venv/bin/python bench/model.py --show               # also print each summary and stance line

Prints load time, RSS, prefill and decode figures, and per-article brief times (summary and
all stance lines: one batched decode run, retries joining it) with medians. The machine is
shared: run it when `uptime` shows a load near 0 and read single runs as noisy.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import time
from pathlib import Path

from bot.service import views
from bot.settings import load_settings
from summarizer import summary as summary_module
from summarizer.loaded import find_loaded_phrases
from summarizer.model.drafting import RETRY_PROBLEMS
from summarizer.model.loader import load_generator
from summarizer.model.transformers_backend import TransformersGenerator
from summarizer.positions import extract_positions
from summarizer.writing import write_summary_and_stances

GIB = 2**30


def rss_now() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / GIB


def rss_peak() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / GIB


class Recorder:
    """Sums the backend's per-call stats over every call (retries included), and keeps each
    answer that was retried with the problems its retry names."""

    def __init__(self, gen) -> None:
        self.gen, self.name = gen, gen.name
        self.reset()

    def reset(self) -> None:
        self.retries = self.prompt_tokens = self.new_tokens = self.steps = 0
        self.prefill_s = self.decode_s = 0.0
        self.retried: list[str] = []
        self.verdicts = self.verdict_tokens = 0  # yes/no questions, and the tokens they read
        self.verdict_s = 0.0

    def _watched(self, follow_up):
        def watched(answer):
            retry = follow_up(answer)
            if retry is not None:
                task = next(m["content"] for m in retry[::-1] if RETRY_PROBLEMS in m["content"])
                problems = task.rpartition(RETRY_PROBLEMS)[2].strip()
                self.retried.append(f"{answer!r} -> {' '.join(problems.split())}")
            return retry

        return watched

    def interrupt(self) -> None:
        self.gen.interrupt()

    def judge(self, conversations, options=("Yes", "No")):
        t = time.perf_counter()
        out = self.gen.judge(conversations, options)
        self.verdict_s += time.perf_counter() - t
        self.verdicts += len(conversations)
        self.verdict_tokens += self.gen.last_stats.prompt_tokens
        return out

    def generate(self, conversations, *, follow_up=None, **options):
        if follow_up is not None:
            follow_up = [f and self._watched(f) for f in follow_up]
        out = self.gen.generate(conversations, follow_up=follow_up, **options)
        s = self.gen.last_stats
        self.retries += s.follow_ups
        self.prompt_tokens += s.prompt_tokens
        self.new_tokens += s.new_tokens
        self.steps += s.steps
        self.prefill_s += s.prefill_s
        self.decode_s += s.decode_s
        return out


def main() -> None:
    settings = load_settings()
    default_seeds = Path(__file__).resolve().parents[2] / "shared" / "seeds"
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--model", default=settings.model)
    p.add_argument("--precision", default="auto", choices=["auto", "int8", "bf16", "fp32"])
    p.add_argument("--threads", type=int, default=settings.model_threads)
    p.add_argument("--no-batch", action="store_true", help="one prompt per forward pass")
    p.add_argument("--full-article", action="store_true", help="event prompt = whole article")
    p.add_argument(
        "--no-prompt-cache", action="store_true", help="no prompt keys/values kept for reuse"
    )
    p.add_argument(
        "--verdict", action="store_true", help="compare: with yes/no verdicts from the model"
    )
    p.add_argument("--articles", type=int, default=0, help="only the first N seeds")
    p.add_argument("--show", action="store_true", help="print each summary and stance line")
    p.add_argument(
        "--seeds", type=Path, default=Path(os.environ.get("BRIEFBOT_SHARED_SEEDS", default_seeds))
    )
    args = p.parse_args()

    paths = sorted(args.seeds.glob("*.txt"))[: args.articles or None]
    print(f"load average {os.getloadavg()[0]:.2f} (shared machine: figures are noisy)")
    t0 = time.perf_counter()
    backend = load_generator(
        args.model, cache_dir=settings.model_cache, threads=args.threads, precision=args.precision
    )
    load_s = time.perf_counter() - t0
    assert isinstance(backend, TransformersGenerator), "the bench drives the transformers backend"
    print(
        f"model {backend.name}  load {load_s:.1f} s  RSS {rss_now():.2f} GiB  "
        f"peak RSS {rss_peak():.2f} GiB"
    )
    if args.no_batch:
        backend.max_batch = 1
    if args.no_prompt_cache:
        backend.reuse_prompts = False
    if args.full_article:
        summary_module.event_source = lambda text: text
    gen = Recorder(backend)

    rows = []
    for path in paths:
        text = path.read_text(encoding="utf-8")
        positions = extract_positions(text)
        loaded = find_loaded_phrases(text, [q for pos in positions for q in pos.quotes])
        article_tokens = len(backend.tokenizer(text)["input_ids"])

        gen.reset()
        t = time.perf_counter()
        summary, stanced = write_summary_and_stances(
            gen, text, positions, loaded, verdict=args.verdict
        )
        brief_s = time.perf_counter() - t
        model_lines = sum(1 for x in stanced if x.stance)
        row = {
            "brief_s": brief_s,
            "prefill_tps": gen.prompt_tokens / max(gen.prefill_s, 1e-9),
            "decode_tps": gen.new_tokens / max(gen.decode_s, 1e-9),
            "verdict_ms": 1000 * gen.verdict_s / max(gen.verdicts, 1),
        }
        rows.append(row)
        print(
            f"{path.name[:12]} {article_tokens:5d} tok | {len(positions)} speakers | prefill "
            f"{gen.prompt_tokens} tok {gen.prefill_s:.1f} s | {gen.new_tokens} new tok in "
            f"{gen.steps} steps {gen.decode_s:.1f} s | {gen.retries} retries | {gen.verdicts} "
            f"verdicts {gen.verdict_tokens} tok {gen.verdict_s:.1f} s | summary "
            f"fallback={summary.fallback} | {model_lines}/{len(positions)} model stance lines "
            f"| brief {brief_s:5.1f} s",
            flush=True,
        )
        if args.show:
            print(f"    summary: {summary.text}")
            for position in stanced:
                print(f"    {position.speaker}: {views.stance_line(position)}")
            for retried in gen.retried:
                print(f"    retried: {retried}")
    if rows:
        med = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
        print(
            f"MEDIAN over {len(rows)}: brief {med['brief_s']:.1f} s  prefill "
            f"{med['prefill_tps']:.0f} tok/s  decode {med['decode_tps']:.1f} tok/s (batched rows "
            f"counted)  verdict {med['verdict_ms']:.0f} ms each  peak RSS {rss_peak():.2f} GiB"
        )


if __name__ == "__main__":
    main()

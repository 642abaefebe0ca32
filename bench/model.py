"""Speed and memory of the local model on the shared seed articles.

    .venv/bin/python bench/model.py                      # the loader's default configuration
    .venv/bin/python bench/model.py --precision bf16     # compare: no int8 quantisation
    .venv/bin/python bench/model.py --no-batch           # compare: prompts one by one
    .venv/bin/python bench/model.py --full-article       # compare: whole article as event source
    .venv/bin/python bench/model.py --no-prompt-cache    # compare: every row reads its whole prompt
    .venv/bin/python bench/model.py --lookup             # compare: drafts from the prompt
    .venv/bin/python bench/model.py --no-verdict         # compare: without the model's verdicts
    .venv/bin/python bench/model.py --show               # also print each summary and stance line
    .venv/bin/python bench/model.py --llama-cpp          # and the same prompts through llama.cpp
    .venv/bin/python bench/model.py --files A.txt B.txt  # these articles instead of the seeds
    .venv/bin/python bench/model.py --deadline 60        # each brief stopped after 60 s

Prints load time, RSS, prefill and decode figures, and per-article brief times (summary and
all stance lines: one batched decode run, retries joining it) with medians, and the brief's
wall time cut into disjoint parts that add up to it (`brief_split`): "prefill" and
"decode", the model's own passes (the backend keeps out of them the caller's code its
decode loop runs); "verdicts", the yes/no questions, wherever asked (most from inside a
draft's checks, in that loop); "checks", the caller's code in the loop but the verdicts
(the support checks, completion tests) and all the brief's work outside the model's calls
(prompts, the summary's composition); "other", the model calls' own bookkeeping outside
their passes (rendering and tokenising prompts). Before, the verdicts were counted in
decode and subtracted again, and "checks" read negative seconds. `--deadline`
stops each brief as the analysis limit does (`writing.write_brief`) and counts the
sentences the model had not finished. The machine is
shared: run it when `uptime` shows a load near 0 and read single runs as noisy.

`--llama-cpp` is the comparison the speed target is set against: a user wanting a local
summariser would run the same GGUF through llama.cpp. After each of our briefs, the prompts
it decoded (the chat-template text of each, retries and verdict questions included, each
with its own token limit) go greedily through llama.cpp on the packaged GGUF, in a
subprocess from its own venv (bench/llama_brief.py; `make .venv-llama/.briefbot-installed`
builds it) with the same thread count. Ours and llama.cpp alternate article by article, so
a change in the load of this shared host falls on both. The first article's summary prompt
is also decoded alone, read whole, by both: prefill and decode at one row. A side-by-side
table ends the output. llama.cpp has no completion test, so where our stance line stops at
its first sentence llama.cpp writes on to its end token or limit: the new-token counts are
printed beside the times.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from rss import rss_now, rss_peak

from bot.service import views
from bot.settings import load_settings
from summarizer import summary as summary_module
from summarizer.loaded import find_loaded_phrases
from summarizer.model.chat_template import fit
from summarizer.model.drafting import RETRY_PROBLEMS
from summarizer.model.loader import load_generator
from summarizer.model.packaged import assembled_gguf
from summarizer.model.transformers_backend import TransformersGenerator
from summarizer.model.transformers_loading import LocalOptions
from summarizer.positions import extract_positions
from summarizer.stance import prominence
from summarizer.writing import write_brief

REPO = Path(__file__).resolve().parents[1]


class Recorder:
    """Sums the backend's per-call stats over every call (retries included), keeps each
    answer that was retried with the problems its retry names, and each prompt decoded (its
    chat-template text and token limit; a verdict question's limit is its one token), for
    llama.cpp to decode the same."""

    def __init__(self, gen, clock=time.perf_counter) -> None:
        self.gen, self.name, self.clock = gen, gen.name, clock
        self.reset()

    def reset(self) -> None:
        self.retries = self.prompt_tokens = self.new_tokens = self.steps = 0
        self.drafted = self.accepted = 0  # prompt-lookup draft tokens fed, and taken
        self.prefill_s = self.decode_s = 0.0
        self.generate_s = 0.0  # the wall time of `generate` calls, all they ran included
        self.callers_s = 0.0  # of that, in the caller's code its decode loop ran
        self.nested_verdict_s = 0.0  # verdicts asked from inside that code
        self._generating = False
        self.retried: list[str] = []
        self.verdicts = self.verdict_tokens = 0  # yes/no questions, and the tokens they read
        self.verdict_s = 0.0
        self.prompts: list[dict] = []  # as llama.cpp is sent them
        self.conversations: list = []

    def _keep(self, conversation, max_tokens: int) -> None:
        text = self.gen.render(fit(self.gen.tokenizer, conversation))
        self.prompts.append({"text": text, "max_tokens": max_tokens})
        self.conversations.append(conversation)

    def _watched(self, follow_up, limit: int):
        def watched(answer):
            retry = follow_up(answer)
            if retry is not None:
                self._keep(retry, limit)
                task = next(m["content"] for m in retry[::-1] if RETRY_PROBLEMS in m["content"])
                problems = task.rpartition(RETRY_PROBLEMS)[2].strip()
                self.retried.append(f"{answer!r} -> {' '.join(problems.split())}")
            return retry

        return watched

    def interrupt(self) -> None:
        self.gen.interrupt()

    def judge(self, conversations, options=("Yes", "No")):
        for conversation in conversations:
            self._keep(conversation, 1)
        t = self.clock()
        out = self.gen.judge(conversations, options)
        spent = self.clock() - t
        self.verdict_s += spent
        if self._generating:
            self.nested_verdict_s += spent
        self.verdicts += len(conversations)
        self.verdict_tokens += self.gen.last_stats.prompt_tokens
        return out

    def generate(self, conversations, *, max_new_tokens, follow_up=None, **options):
        limits = (
            [max_new_tokens] * len(conversations)
            if isinstance(max_new_tokens, int)
            else list(max_new_tokens)
        )
        for conversation, limit in zip(conversations, limits, strict=True):
            self._keep(conversation, limit)
        if follow_up is not None:
            follow_up = [f and self._watched(f, n) for f, n in zip(follow_up, limits, strict=True)]
        t, self._generating = self.clock(), True
        try:
            out = self.gen.generate(
                conversations, max_new_tokens=max_new_tokens, follow_up=follow_up, **options
            )
        finally:
            self.generate_s += self.clock() - t
            self._generating = False
        s = self.gen.last_stats
        self.callers_s += s.callers_s
        self.retries += s.follow_ups
        self.prompt_tokens += s.prompt_tokens
        self.new_tokens += s.new_tokens
        self.steps += s.steps
        self.drafted += s.drafted
        self.accepted += s.accepted
        self.prefill_s += s.prefill_s
        self.decode_s += s.decode_s
        return out


def brief_split(brief_s: float, gen: Recorder) -> dict[str, float]:
    """The brief's wall time in disjoint parts (the module's docstring names them); they sum
    to `brief_s`, and none is negative unless two of the spans they come from overlap."""
    outside = brief_s - gen.generate_s - (gen.verdict_s - gen.nested_verdict_s)
    return {
        "prefill": gen.prefill_s,
        "decode": gen.decode_s,
        "verdicts": gen.verdict_s,
        "checks": gen.callers_s - gen.nested_verdict_s + outside,
        "other": gen.generate_s - gen.prefill_s - gen.decode_s - gen.callers_s,
    }


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
        "--verdict",
        action=argparse.BooleanOptionalAction,
        default=settings.model_verdict,
        help="the model's yes/no verdicts where the support check is unsure (default: the"
        " setting, BRIEFBOT_MODEL_VERDICT)",
    )
    p.add_argument("--lookup", action="store_true", help="compare: prompt-lookup drafts")
    p.add_argument(
        "--pass-cost",
        action="store_true",
        help="only: seconds of one decode pass at one row by tokens fed (what a draft costs)",
    )
    p.add_argument(
        "--llama-cpp",
        action="store_true",
        help="compare: the same prompts through llama.cpp on the same GGUF, article by article",
    )
    p.add_argument(
        "--llama-python",
        type=Path,
        default=Path(os.environ.get("BRIEFBOT_LLAMA_PYTHON", REPO / ".venv-llama/bin/python")),
        help="the python of a venv with llama-cpp-python (env BRIEFBOT_LLAMA_PYTHON)",
    )
    p.add_argument("--articles", type=int, default=0, help="only the first N seeds")
    p.add_argument("--show", action="store_true", help="print each summary and stance line")
    p.add_argument(
        "--seeds", type=Path, default=Path(os.environ.get("BRIEFBOT_SHARED_SEEDS", default_seeds))
    )
    p.add_argument("--files", type=Path, nargs="+", help="brief these articles, not the seeds")
    p.add_argument(
        "--deadline", type=float, help="stop each brief after this many seconds, as the limit does"
    )
    p.add_argument(
        "--most-speakers",
        type=int,
        help="compare: stance lines for the N most quoted speakers only (the rest not written)",
    )
    args = p.parse_args()

    paths = (args.files or sorted(args.seeds.glob("*.txt")))[: args.articles or None]
    print(f"{load_average()} (shared machine: figures are noisy)")
    llama = LlamaCpp.start(args, settings.model_cache) if args.llama_cpp else None
    t0 = time.perf_counter()
    backend = load_generator(
        args.model,
        cache_dir=settings.model_cache,
        threads=args.threads,
        local=LocalOptions(precision=args.precision),
    )
    load_s = time.perf_counter() - t0
    assert isinstance(backend, TransformersGenerator), "the bench drives the transformers backend"
    ours_loaded = {"load_s": load_s, "rss_gib": rss_now(), "peak_rss_gib": rss_peak()}
    print(
        f"model {backend.name}  load {load_s:.1f} s  RSS {rss_now():.2f} GiB  "
        f"peak RSS {rss_peak():.2f} GiB"
    )
    if args.pass_cost:
        print_pass_cost(backend, paths[0].read_text(encoding="utf-8"))
        return
    if args.no_batch:
        backend.max_batch = 1
    if args.no_prompt_cache:
        backend.reuse_prompts = False
    if args.lookup:
        backend.lookup = True
    if args.full_article:
        summary_module.event_source = lambda text: text
    gen = Recorder(backend)

    rows = []
    side: list[dict] = []  # per article: ours and llama.cpp's brief, back to back
    one_row: dict[str, dict] = {}
    for path in paths:
        text = path.read_text(encoding="utf-8")
        positions = extract_positions(text)
        loaded = find_loaded_phrases(text, [q for pos in positions for q in pos.quotes])
        article_tokens = len(backend.tokenizer(text)["input_ids"])

        gen.reset()
        t = time.perf_counter()
        if args.most_speakers is not None:
            positions = sorted(positions, key=prominence)[: args.most_speakers]
        written = write_brief(
            gen,
            text,
            positions,
            loaded,
            verdict=args.verdict,
            deadline=None if args.deadline is None else time.monotonic() + args.deadline,
        )
        summary, stanced = written.brief(text, positions, model=gen.name)
        brief_s = time.perf_counter() - t
        # an interrupted run reports no stats of the model's: its split is unknown
        split = brief_split(brief_s, gen)
        parts = (
            "split unknown (interrupted)"
            if written.unfinished
            else " + ".join(f"{k} {v:.1f}" for k, v in split.items())
            + f" = {sum(split.values()):.1f} s"
        )
        model_lines = sum(1 for x in stanced if x.stance)
        row = {
            "brief_s": brief_s,
            "prefill_tps": gen.prompt_tokens / max(gen.prefill_s, 1e-9),
            "decode_tps": gen.new_tokens / max(gen.decode_s, 1e-9),
            "verdict_ms": 1000 * gen.verdict_s / max(gen.verdicts, 1),
            "taken": gen.accepted / max(gen.drafted, 1),
            "per_step": gen.new_tokens / max(gen.steps, 1),
        }
        rows.append(row)
        print(
            f"{path.name[:12]} {article_tokens:5d} tok | {len(positions)} speakers | prefill "
            f"{gen.prompt_tokens} tok {gen.prefill_s:.1f} s | {gen.new_tokens} new tok in "
            f"{gen.steps} steps {gen.decode_s:.1f} s | drafts {gen.accepted}/{gen.drafted} taken "
            f"| {gen.retries} retries | {gen.verdicts} "
            f"verdicts {gen.verdict_tokens} tok {gen.verdict_s:.1f} s | summary "
            f"fallback={summary.fallback} | {model_lines}/{len(positions)} model stance lines "
            f"of {len(written.asked)} asked | {parts} | "
            f"{written.unfinished} unfinished | brief {brief_s:5.1f} s | {load_average()}",
            flush=True,
        )
        if args.show:
            print(f"    summary: {summary.text}")
            for position in stanced:
                print(f"    {position.speaker}: {views.stance_line(position)}")
            for retried in gen.retried:
                print(f"    retried: {retried}")
        if llama is not None:
            theirs = llama.brief(gen.prompts)
            side.append(
                {"name": path.name[:12], "ours_s": brief_s, "ours_new": gen.new_tokens, **theirs}
            )
            print(
                f"    llama.cpp: prefill {theirs['prompt_tokens']} tok "
                f"{theirs['prefill_s']:.1f} s | {theirs['new_tokens']} new tok "
                f"{theirs['decode_s']:.1f} s | brief {theirs['wall_s']:5.1f} s | {load_average()}",
                flush=True,
            )
            if not one_row:
                one_row = at_one_row(backend, llama, gen)
    if rows:
        med = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
        print(
            f"MEDIAN over {len(rows)}: brief {med['brief_s']:.1f} s  prefill "
            f"{med['prefill_tps']:.0f} tok/s  decode {med['decode_tps']:.1f} tok/s (batched rows "
            f"counted)  verdict {med['verdict_ms']:.0f} ms each  drafts taken "
            f"{100 * med['taken']:.0f}%  new tokens per step {med['per_step']:.2f}  "
            f"peak RSS {rss_peak():.2f} GiB"
        )
    if llama is not None:
        ours_loaded["peak_rss_gib"] = rss_peak()
        print_side_by_side(ours_loaded, llama, one_row, side)
        llama.close()
    print(load_average())


def print_pass_cost(backend: TransformersGenerator, text: str, repeats: int = 3) -> None:
    """One row after a prompt of the article, a pass feeding 1, 2, 4 ... 16 tokens (a last
    token and its draft), each timed `repeats` times in turn; the median. A draft pays only
    while a pass costs less than the tokens it is expected to save."""
    import torch

    ids = backend.tokenizer(text, add_special_tokens=False)["input_ids"][:512]
    widths = [1, 2, 4, 8, 12, 16]
    times: dict[int, list[float]] = {w: [] for w in widths}
    with torch.inference_mode():
        feed, mask, cache = backend._assemble([ids], [(0, None)])
        backend._forward(feed, mask, cache)
        for _ in range(repeats):
            for width in widths:  # in turn, so a change of host load falls on all widths
                grown = torch.cat([mask, mask.new_ones((1, width))], dim=1)
                started = time.perf_counter()
                backend._forward(feed.new_tensor([ids[-width:]]), grown, cache, keep=width)
                times[width].append(time.perf_counter() - started)
                for layer in cache.layers:
                    layer.crop(-width)
    for width in widths:
        cost = statistics.median(times[width])
        print(f"pass at one row, {width:2d} tokens fed: {1000 * cost:6.0f} ms  ({load_average()})")


def load_average() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min) {five:.2f} (5 min)"


class LlamaCpp:
    """bench/llama_brief.py in .venv-llama, loaded once: one JSON line of prompts in, one of
    timings out."""

    def __init__(self, process: subprocess.Popen, loaded: dict) -> None:
        self.process, self.loaded = process, loaded

    @classmethod
    def start(cls, args, cache_dir: Path) -> LlamaCpp:
        if not args.llama_python.is_file():
            sys.exit(
                f"--llama-cpp needs llama-cpp-python in a venv of its own: no {args.llama_python}."
                " Build it with `make .venv-llama/.briefbot-installed`, or name another"
                " with --llama-python or BRIEFBOT_LLAMA_PYTHON."
            )
        if not args.model.startswith("packaged:"):
            sys.exit("--llama-cpp compares on the packaged model's GGUF: use a packaged: model")
        gguf = assembled_gguf(args.model.removeprefix("packaged:"), cache_dir)
        threads = args.threads or os.cpu_count() or 1
        process = subprocess.Popen(
            [
                *(str(args.llama_python), str(REPO / "bench" / "llama_brief.py")),
                *("--model", str(gguf), "--threads", str(threads)),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        loaded = json.loads(process.stdout.readline() or "{}")  # type: ignore[union-attr]
        if not loaded:
            sys.exit(f"llama.cpp did not load {gguf} (its error is above)")
        print(
            f"llama.cpp {loaded['version']} on {gguf.name}, {threads} threads: load "
            f"{loaded['load_s']:.1f} s  RSS {loaded['rss_gib']:.2f} GiB"
        )
        return cls(process, loaded)

    def _ask(self, prompts: list[dict], fresh: bool) -> dict:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps({"prompts": prompts, "fresh": fresh}) + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def brief(self, prompts: list[dict]) -> dict:
        started = time.perf_counter()
        reply = self._ask(prompts, fresh=False)
        return {**reply, "wall_s": time.perf_counter() - started}

    def once(self, prompt: dict) -> dict:
        return self._ask([prompt], fresh=True)

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait()


def at_one_row(backend: TransformersGenerator, llama: LlamaCpp, gen: Recorder) -> dict[str, dict]:
    """The brief's first prompt decoded alone by both, read whole (nothing kept), up to its
    own limit or end token: prefill and decode speed at one row."""
    backend.reuse_prompts, kept = False, backend.reuse_prompts
    backend.generate([gen.conversations[0]], max_new_tokens=gen.prompts[0]["max_tokens"])
    backend.reuse_prompts = kept
    s = backend.last_stats
    ours = {
        "prompt_tokens": s.prompt_tokens,
        "prefill_s": s.prefill_s,
        "new_tokens": s.new_tokens,
        "decode_s": s.decode_s,
    }
    return {"ours": ours, "llama": llama.once(gen.prompts[0])}


def print_side_by_side(ours_loaded: dict, llama: LlamaCpp, one_row: dict, side: list[dict]):
    """The table the speed target is read from: ours and llama.cpp, measured in this run."""

    def tps(run: dict, tokens: str, seconds: str, less: int = 0) -> float:
        return (run[tokens] - less) / max(run[seconds], 1e-9)

    def line(label: str, ours: float, theirs: float, fmt: str = ".1f") -> None:
        print(f"{label:<44} {ours:>10{fmt}} {theirs:>10{fmt}} {ours / max(theirs, 1e-9):>7.2f}x")

    print(f"\n{'side by side, this run':<44} {'ours':>10} {'llama.cpp':>10} {'ours/llama':>8}")
    if one_row:
        o, t = one_row["ours"], one_row["llama"]
        line(
            f"prefill tok/s, one row ({o['prompt_tokens']} tok)",
            tps(o, "prompt_tokens", "prefill_s"),
            tps(t, "prompt_tokens", "prefill_s"),
        )
        # the first new token comes with the prefill; decode is the rest
        line(
            f"decode tok/s, one row ({o['new_tokens']} / {t['new_tokens']} new tok)",
            tps(o, "new_tokens", "decode_s", less=1),
            tps(t, "new_tokens", "decode_s", less=1),
        )
    for row in side:
        line(
            f"brief s {row['name']} ({row['ours_new']} / {row['new_tokens']} new tok)",
            row["ours_s"],
            row["wall_s"],
        )
    if side:
        line(
            f"brief s, median of {len(side)}",
            statistics.median(r["ours_s"] for r in side),
            statistics.median(r["wall_s"] for r in side),
        )
    line("load s", ours_loaded["load_s"], llama.loaded["load_s"])
    line("RSS after load GiB", ours_loaded["rss_gib"], llama.loaded["rss_gib"], ".2f")
    peak = side[-1]["peak_rss_gib"] if side else llama.loaded["peak_rss_gib"]
    line("peak RSS GiB", ours_loaded["peak_rss_gib"], peak, ".2f")


if __name__ == "__main__":
    main()

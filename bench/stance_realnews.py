"""Stance lines of the real packaged model on real news: how many a brief shows, how many
fall back to the labelled extract, and which check failed each fallback.

    .venv/bin/python bench/stance_realnews.py                  # 12 articles, seed 25
    .venv/bin/python bench/stance_realnews.py --n 15 --seed 7  # another draw
    .venv/bin/python bench/stance_realnews.py --first 6        # the first 6 of the 12
    .venv/bin/python bench/stance_realnews.py --show           # and every answer the checks saw

Our own articles rarely fall back; on one real newspaper article 2 to 4 of 6 speakers got the
extract. The articles are drawn with `random.Random(seed)` from the realnews corpus's tuning
months (up to 2016-06; ../shared/realnews/README.md), among texts of 2,000 to 7,000
characters, and each goes through the brief's own model pass: the summary's prompt and every
speaker's in one batch, each failure retried once (`summarizer.writing`). Only stance lines
are counted. A fallback's reason is the first problem its retry was failed for, with names,
numbers and quoted words blanked so that like problems count together.

`--show` prints the model's answers and the problems found in each, beside the article's
name: they restate third-party text, so its output stays on this machine (the model is slow:
about 30 s an article on a loaded 2-core host; use `nice`).
"""

from __future__ import annotations

import argparse
import random
import re
import time
from collections import Counter
from pathlib import Path

from faithful import recording

from bot.settings import load_settings
from summarizer.loaded import find_loaded_phrases
from summarizer.model.drafting import draft_checked
from summarizer.model.loader import load_generator
from summarizer.positions import extract_positions
from summarizer.stance import stance_jobs
from summarizer.summary import event_job

TEXTS = Path(__file__).resolve().parents[2] / "shared" / "realnews" / "polnear-train" / "texts"
TUNE = re.compile(r"_(?:2015-\d\d|2016-0[1-6])-\d\d_")  # the README's tuning months
MIN_CHARS, MAX_CHARS = 2000, 7000  # a news report, not a brief item or a long feature


def draw(n: int, seed: int) -> list[Path]:
    """`n` tuning-month articles of a news report's length, the same ones for a seed."""
    pool = [
        p
        for p in sorted(TEXTS.glob("*.txt"))
        if TUNE.search(p.name) and MIN_CHARS <= len(p.read_text(encoding="utf-8")) <= MAX_CHARS
    ]
    return sorted(random.Random(seed).sample(pool, n))


def reason(problem: str) -> str:
    """A problem as its kind: the part before the specifics (a colon, a semicolon or a
    parenthesis), with numbers, quoted words and capitalised words (names) blanked."""
    head = re.split(r"[:;(]", problem, maxsplit=1)[0]
    head = re.sub(r"“[^”]*”|\"[^\"]*\"", "“…”", head)
    head = re.sub(r"(?<!^)\b[A-Z][\w’'.-]*", "X", head)
    head = re.sub(r"X(?:\s+X)+", "X", head)
    return re.sub(r"\d+", "N", head).strip(" .")  # after the names, or N would read as one


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--n", type=int, default=12, help="how many articles")
    p.add_argument("--seed", type=int, default=25)
    p.add_argument("--first", type=int, help="only the first FIRST of the draw (a shorter run)")
    p.add_argument("--show", action="store_true", help="print every answer and its problems")
    args = p.parse_args()

    settings = load_settings()
    gen = load_generator(settings.model, cache_dir=settings.model_cache)
    totals: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    print(f"{'article':52s} speakers asked first retry fallback  seconds")
    for path in draw(args.n, args.seed)[: args.first]:
        text = path.read_text(encoding="utf-8")
        positions = extract_positions(text)
        loaded = find_loaded_phrases(text, [q for p in positions for q in p.quotes])
        stances = stance_jobs(text, positions)
        tried: list[list[tuple[str, list[str]]]] = [[] for _ in stances]
        jobs = [
            event_job(text, loaded),
            *(recording(t, j) for t, (_, j) in zip(tried, stances, strict=True)),
        ]
        started = time.perf_counter()
        drafts = draft_checked(gen, jobs)[1:]
        took = time.perf_counter() - started
        row = Counter(
            speakers=len(positions),
            asked=len(stances),
            first=sum(d.text is not None and d.attempts == 1 for d in drafts),
            retry=sum(d.text is not None and d.attempts == 2 for d in drafts),
            fallback=sum(d.text is None for d in drafts),
        )
        totals.update(row)
        for draft in drafts:
            if draft.text is None:
                reasons[reason(draft.problems[0]) if draft.problems else "no answer"] += 1
        print(
            f"{path.name[:52]:52s} {row['speakers']:8d} {row['asked']:5d} {row['first']:5d} "
            f"{row['retry']:5d} {row['fallback']:8d} {took:8.1f}",
            flush=True,
        )
        if args.show:
            for (i, _), answers, draft in zip(stances, tried, drafts, strict=True):
                print(f"  {positions[i].speaker}: {'shown' if draft.text else 'FALLBACK'}")
                for answer, problems in answers:
                    print(f"    {answer!r}\n      {problems}")
                if draft.text is None:
                    print(f"    last problems: {draft.problems}")
    shown = totals["first"] + totals["retry"]
    asked = totals["asked"] or 1
    print(
        f"total: {totals['speakers']} speakers, {totals['asked']} asked, {shown} model lines "
        f"shown ({totals['first']} first try, {totals['retry']} retry), {totals['fallback']} "
        f"fallbacks ({totals['fallback'] / asked:.0%})"
    )
    print("fallbacks by the first problem of the retry:")
    for kind, count in reasons.most_common():
        print(f"  {count:3d}  {kind}")


if __name__ == "__main__":
    main()

"""Named-positions quality and speed on the seed articles with gold annotations.

Run: .venv/bin/python bench/positions.py
Cold = first call in a fresh process, spaCy load included; warm = median over the seeds
after the pipeline is loaded. The held-out sets (tests/heldout, tests/heldout2) are scored
and timed after the seeds, each on its own line, never mixed into the ALL line.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from positions_scoring import (  # noqa: E402
    Score,
    gold_sets,
    heldout_sets,
    load_gold,
    score_article,
)

from summarizer.positions import extract_positions  # noqa: E402


def _score_set(label: str, gold_file: Path, seeds: Path, total: Score) -> float | None:
    """Print per-article and overall figures for one set; return the first call's time."""
    first = None
    sub = Score()
    for name, text, gold in load_gold(gold_file, seeds):
        t0 = time.perf_counter()
        positions = extract_positions(text)
        dt = time.perf_counter() - t0
        if first is None:
            first = dt
        s = score_article(text, gold, positions)
        sub.add(s)
        print(
            f"{label}/{name[:24]:24s} P={s.precision:.3f} R={s.recall:.3f} "
            f"fid={s.fidelity:.3f} attr={s.attribution:.3f} ({s.attr_ok}/{s.attr_scored}) "
            f"qrec={s.quote_recall:.3f} t={dt:.3f}s"
        )
        for e in s.errors:
            print(f"    - {e}")
    total.add(sub)
    print(
        f"{label} overall: P={sub.precision:.3f} R={sub.recall:.3f} fid={sub.fidelity:.3f} "
        f"attr={sub.attribution:.3f} qrec={sub.quote_recall:.3f}"
    )
    return first


def _print_overall(label: str, s: Score) -> None:
    print(
        f"{label}: speaker P={s.precision:.3f} R={s.recall:.3f} "
        f"quote fidelity={s.fidelity:.3f} attribution={s.attribution:.3f} "
        f"quote recall={s.quote_recall:.3f}"
    )


def _warm(sets: list[tuple[str, Path, Path]]) -> dict[str, list[float]]:
    per_set: dict[str, list[float]] = {}
    for label, gold_file, seeds in sets:
        for _name, text, _gold in load_gold(gold_file, seeds):
            t0 = time.perf_counter()
            extract_positions(text)
            per_set.setdefault(label, []).append(time.perf_counter() - t0)
    return per_set


def main() -> int:
    sets = gold_sets()
    if not sets:
        print("no gold sets with seeds present")
        return 1
    cold = None
    total = Score()
    for label, gold_file, seeds in sets:
        first = _score_set(label, gold_file, seeds, total)
        cold = first if cold is None else cold
    held = heldout_sets()
    held_totals = {}
    for label, gold_file, seeds in held:
        held_totals[label] = Score()
        _score_set(label, gold_file, seeds, held_totals[label])
    per_set = _warm(sets)
    warm = [t for ts in per_set.values() for t in ts]
    _print_overall("ALL", total)
    for label, score in held_totals.items():
        _print_overall(label.upper(), score)
    print(
        f"time per article: cold (incl. spaCy load) {cold:.2f}s, "
        f"warm median {statistics.median(warm):.3f}s over {len(warm)} articles"
    )
    for label, ts in {**per_set, **_warm(held)}.items():
        print(f"  warm median {label}: {statistics.median(ts):.3f}s over {len(ts)} articles")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

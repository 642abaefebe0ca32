"""Named-positions quality and speed on the seed articles with gold annotations.

Run: .venv/bin/python bench/positions.py
Cold = first call in a fresh process, spaCy load included; warm = median over the seeds
after the pipeline is loaded.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from positions_scoring import Score, gold_sets, load_gold, score_article  # noqa: E402

from summarizer.positions import extract_positions  # noqa: E402


def main() -> int:
    sets = gold_sets()
    if not sets:
        print("no gold sets with seeds present")
        return 1
    cold = None
    warm: list[float] = []
    total = Score()
    for label, gold_file, seeds in sets:
        sub = Score()
        for name, text, gold in load_gold(gold_file, seeds):
            t0 = time.perf_counter()
            positions = extract_positions(text)
            dt = time.perf_counter() - t0
            if cold is None:
                cold = dt
            s = score_article(text, gold, positions)
            sub.add(s)
            print(f"{label}/{name[:24]:24s} P={s.precision:.3f} R={s.recall:.3f} "
                  f"fid={s.fidelity:.3f} attr={s.attribution:.3f} ({s.attr_ok}/{s.attr_scored}) "
                  f"qrec={s.quote_recall:.3f} t={dt:.3f}s")
            for e in s.errors:
                print(f"    - {e}")
        total.add(sub)
        print(f"{label} overall: P={sub.precision:.3f} R={sub.recall:.3f} fid={sub.fidelity:.3f} "
              f"attr={sub.attribution:.3f} qrec={sub.quote_recall:.3f}")
    per_set: dict[str, list[float]] = {}
    for label, gold_file, seeds in sets:
        for _name, text, _gold in load_gold(gold_file, seeds):
            t0 = time.perf_counter()
            extract_positions(text)
            dt = time.perf_counter() - t0
            warm.append(dt)
            per_set.setdefault(label, []).append(dt)
    print(f"ALL: speaker P={total.precision:.3f} R={total.recall:.3f} "
          f"quote fidelity={total.fidelity:.3f} attribution={total.attribution:.3f} "
          f"quote recall={total.quote_recall:.3f}")
    print(f"time per article: cold (incl. spaCy load) {cold:.2f}s, "
          f"warm median {statistics.median(warm):.3f}s over {len(warm)} articles")
    for label, ts in per_set.items():
        print(f"  warm median {label}: {statistics.median(ts):.3f}s over {len(ts)} articles")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

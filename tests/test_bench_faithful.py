"""The collector behind the labelled set (`bench/faithful.py --collect`) records every answer
a brief's model pass finishes, so a fallback is never left out of the counts."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from test_summary import ARTICLE, POSITIONS, ScriptedGenerator

from summarizer.model.drafting import draft_checked
from summarizer.stance import MAX_WORDS, stance_jobs
from summarizer.verify import PROBLEM

BENCH = Path(__file__).resolve().parents[1] / "bench" / "faithful.py"


def _bench():
    spec = importlib.util.spec_from_file_location("faithful_bench", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_an_answer_stopped_as_hopeless_is_recorded_as_a_failed_try():
    """A stopped answer skips the checks; recorded by its checks alone, it left no row."""
    bench = _bench()
    [(_, job)] = stance_jobs(ARTICLE, POSITIONS[:1])
    rambling = "Anna Virtanen " + "said more and more " * MAX_WORDS + "about it."
    fine = "Anna Virtanen said the boats would carry no weapons."
    tried: list[tuple[str, list[str]]] = []
    [draft] = draft_checked(ScriptedGenerator(rambling, fine), [bench.recording(tried, job)])
    assert [bool(problems) for _, problems in tried] == [True, False]
    assert tried[0][1] == [bench.STOPPED] and tried[1][0] == fine == draft.text


@pytest.mark.parametrize(
    ("second", "settled"), [(0.1, [[PROBLEM], [PROBLEM]]), (0.9, [[PROBLEM], []])]
)
def test_an_answer_the_models_verdict_failed_is_recorded_as_a_failed_try(second, settled):
    """The verdict is asked after the checks, which alone `recording` sees."""
    bench = _bench()
    [(_, job)] = stance_jobs(ARTICLE, POSITIONS[:1], verdict=True)
    unsure = "Anna Virtanen said joint patrols will start in May without weapons."
    tried: list[tuple[str, list[str]]] = []
    gen = ScriptedGenerator(unsure, unsure, verdicts=(0.1, second))
    [draft] = draft_checked(gen, [bench.recording(tried, job)])
    assert [problems for _, problems in tried] == [[], []]  # the checks passed both
    bench.settle(tried, draft)
    assert [problems for _, problems in tried] == settled
    assert (draft.text is None) is (second < 0.5)

"""bench/model.py's cut of a brief's wall time: disjoint parts that add up to it, on a clock
the test moves, so the accounting is checked without timing anything real."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from summarizer.model.transformers_backend import GenerationStats

BENCH = Path(__file__).resolve().parents[1] / "bench"


@pytest.fixture
def bench(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(BENCH))  # the bench imports its neighbours by name
    spec = importlib.util.spec_from_file_location("model_bench", BENCH / "model.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "model_bench", module)
    spec.loader.exec_module(module)
    return module


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Backend:
    """Reads for 1 s, decodes for 2 s, then runs the row's follow-up (the draft's checks),
    which asks the model a verdict through the recorder, as drafting does: 4 s of checks
    and 5 s of verdict. The stats say what the real backend's would."""

    name = "stand-in"
    tokenizer = None

    def render(self, conversation) -> str:
        return str(conversation)

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.recorder: Any = None  # the bench's Recorder around this backend
        self.last_stats = GenerationStats()

    def generate(self, conversations, *, max_new_tokens, follow_up=None, **options):
        self.clock.now += 1.0 + 2.0
        started = self.clock.now
        self.clock.now += 4.0
        self.recorder.judge([[{"role": "user", "content": "Is it borne out?"}]])
        self.last_stats = GenerationStats(
            prefill_s=1.0, decode_s=2.0, callers_s=self.clock.now - started
        )
        self.clock.now += 0.5  # rendering prompts, outside every pass
        return ["answer"]

    def judge(self, conversations, options=("Yes", "No")):
        self.clock.now += 5.0
        self.last_stats = GenerationStats(prompt_tokens=7, prefill_s=5.0)
        return [{"Yes": 1.0, "No": 0.0}]


def test_a_verdict_asked_from_the_checks_is_counted_once(
    bench: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(bench, "fit", lambda tokenizer, conversation: conversation)
    clock = Clock()
    backend = Backend(clock)
    recorder = bench.Recorder(backend, clock=clock)
    backend.recorder = recorder
    started = clock.now
    clock.now += 0.25  # composing prompts before the model is asked
    recorder.generate([[{"role": "user", "content": "Write."}]], max_new_tokens=8)
    recorder.judge([[{"role": "user", "content": "And this?"}]])  # one asked afterwards
    clock.now += 0.75  # composing the brief
    split = bench.brief_split(clock.now - started, recorder)
    assert split == {"prefill": 1.0, "decode": 2.0, "verdicts": 10.0, "checks": 5.0, "other": 0.5}
    assert sum(split.values()) == clock.now - started

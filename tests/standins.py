"""A language model that does what a test scripts, inside the real analyzer.

Used by the fault tests and by the child processes they start (which import this module by
path), so a model that raises, hangs or announces itself is written once.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

from rounds import in_rounds
from support import demo

from bot.service import BriefService
from bot.service.analysis import LocalAnalyzer
from summarizer.model.base import ChatMessage, FollowUp
from summarizer.types import Analysis

STARTED = "model started"
# Whether the summary checks accept it does not matter here: an answer completes the analysis.
SUMMARY = "Officials from both sides met and disagreed about the plan."


class StandInModel:
    """The `TextGenerator` the analysis thread calls, doing what the test scripts per call:
    'answer', 'raise', 'hang' (blocks its thread until `release`) or 'announce' (prints
    STARTED, then hangs: the signal a parent process waits for before it kills us)."""

    name = "stand-in"

    def __init__(self, *script: str) -> None:
        self.release = threading.Event()
        self.then(*script)

    interrupted = False

    def interrupt(self) -> None:
        """Recorded, not obeyed: these tests stand for a model stuck where it cannot listen
        (the real one stops between decode steps, see test_model_loader)."""
        self.interrupted = True

    def then(self, *script: str) -> None:
        """From the next call on, follow this script (its last step repeats)."""
        self._script = list(script) or ["answer"]
        self.calls = 0

    def generate(
        self,
        conversations: Sequence[Sequence[ChatMessage]],
        *,
        max_new_tokens: int | Sequence[int],
        complete: object = None,
        follow_up: Sequence[FollowUp | None] | None = None,
        avoid: object = None,
        avoid_first: object = None,
    ) -> list[str]:
        return in_rounds(self._answer, conversations, follow_up)

    def judge(
        self, conversations: Sequence[Sequence[ChatMessage]], options: Sequence[str] = ("Yes", "No")
    ) -> list[dict[str, float]]:
        """Every sentence is borne out: these tests are about the model's faults, not its text."""
        return [{o: float(o == options[0]) for o in options} for _ in conversations]

    def _answer(self, conversations: list[Sequence[ChatMessage]]) -> list[str]:
        step = self._script[min(self.calls, len(self._script) - 1)]
        self.calls += 1
        if step == "raise":
            raise RuntimeError("CUDA error: device-side assert triggered")
        if step in ("hang", "announce"):
            if step == "announce":
                print(STARTED, flush=True)
            self.release.wait()
        return [SUMMARY for _ in conversations]


class StandInAnalyzer(LocalAnalyzer):
    """The real LocalAnalyzer (its one thread, its abandon_work) around the stand-in model."""

    def __init__(self, model: StandInModel, *, digest_timeout_s: float = 20.0) -> None:
        super().__init__(
            model.name, cache_dir=Path("unused"), threads=1, digest_timeout_s=digest_timeout_s
        )
        self._generator = model
        self.written = 0

    async def write(self, text: str, found: Analysis) -> Analysis:
        self.written += 1
        return await super().write(text, found)


async def warm(service: BriefService) -> None:
    """Load spaCy first, so the short time limits below measure the model, not the load."""
    await service.analyzer.read(demo("01_alliance"), None)

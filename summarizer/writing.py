"""The model's pass over one article: the summary's event sentences and every stance line.

All prompts go to the model as one batch, and each failure's retry joins that batch as soon
as the failure is known: decoding on a CPU is bound by reading the weights, so rows decoded
together cost little more than one, and the pass takes one decode run however many people
the article quotes.

A pass that runs into its deadline keeps what it finished: an article quoting a dozen
people on a busy host ran past the analysis limit, and every checked sentence was thrown
away with the rest. Each sentence is reported as soon as it is checked, so a reader sees
the brief grow, and the ones not finished in time are the labelled extracts and quotes a
failed sentence gets.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from summarizer.model.base import TextGenerator
from summarizer.model.drafting import Draft, draft_checked
from summarizer.stance import stance_jobs, with_stances
from summarizer.summary import FALLBACK_LABEL, LATE_LABEL, compose_summary, event_job
from summarizer.types import Position, Summary


@dataclass(frozen=True)
class Written:
    """The pass as far as it got: the event sentences once checked (`event_done`; `event`
    None where they failed), and each stance line checked so far (position index -> the
    line, or None where every try failed) of those asked for (`asked`)."""

    asked: tuple[int, ...]
    event: str | None = None
    event_done: bool = False
    lines: Mapping[int, str | None] = field(default_factory=dict)

    @property
    def unfinished(self) -> int:
        """Sentences the model has not finished: at the deadline, those it ran out of time for."""
        return int(not self.event_done) + sum(i not in self.lines for i in self.asked)

    def shown(
        self, positions: Sequence[Position], *, model: str | None
    ) -> tuple[Summary | None, list[Position]]:
        """What a reader may see while the rest is written: the checked sentences only, with
        no summary until the event sentences pass, and no stand-ins yet. Cheap: no check
        or embedding runs, so it may be made on the event loop."""
        summary = Summary(text=self.event, fallback=False, model=model) if self.event else None
        return summary, with_stances(positions, self.lines)

    def brief(
        self, text: str, positions: Sequence[Position], *, model: str | None
    ) -> tuple[Summary, list[Position]]:
        """The brief from what is finished, each sentence not finished given the stand-in of
        one that failed its checks, said to be for want of time."""
        late = {i for i in self.asked if i not in self.lines}
        stanced = [
            p.model_copy(update={"stance_unfinished": True}) if i in late else p
            for i, p in enumerate(
                with_stances(positions, {i: self.lines.get(i) for i in self.asked})
            )
        ]
        label = FALLBACK_LABEL if self.event_done else LATE_LABEL
        summary = compose_summary(self.event, stanced, text, model=model, label=label)
        return summary.model_copy(update={"unfinished": self.unfinished}), stanced


def write_brief(
    gen: TextGenerator,
    text: str,
    positions: Sequence[Position],
    loaded: Sequence[str],
    *,
    verdict: bool = False,
    deadline: float | None = None,
    progress: Callable[[Written], None] | None = None,
) -> Written:
    """The pass, stopped at `deadline` (`time.monotonic()`) if it runs that long; each
    sentence, once checked, is reported to `progress` (from the thread that checked it)
    with everything finished before it. `verdict`: the model's yes/no verdict is one more
    check (`summarizer.verify`)."""
    stances = stance_jobs(text, positions, verdict=verdict)
    jobs = [event_job(text, loaded, verdict=verdict), *(job for _, job in stances)]
    lock = threading.Lock()  # a server backend checks answers in several threads at once
    state = Written(asked=tuple(i for i, _ in stances))

    def finished(k: int, draft: Draft) -> None:
        nonlocal state
        with lock:
            if k == 0:
                state = replace(state, event=draft.text, event_done=True)
            else:
                state = replace(state, lines={**state.lines, stances[k - 1][0]: draft.text})
            if progress is not None:
                progress(state)

    draft_checked(gen, jobs, deadline=deadline, on_final=finished)
    return state


def write_summary_and_stances(
    gen: TextGenerator,
    text: str,
    positions: Sequence[Position],
    loaded: Sequence[str],
    *,
    verdict: bool = False,
) -> tuple[Summary, list[Position]]:
    """(summary, copies of `positions` with stance lines); nothing unchecked gets through.
    `verdict`: the model's yes/no verdict is one more check (`summarizer.verify`)."""
    written = write_brief(gen, text, positions, loaded, verdict=verdict)
    return written.brief(text, positions, model=gen.name)

"""The model's pass over one article: the summary's event sentences and every stance line.

All prompts go to the model as one batch, and each failure's retry joins that batch as soon
as the failure is known: decoding on a CPU is bound by reading the weights, so rows decoded
together cost little more than one, and the pass takes one decode run however many people
the article quotes.
"""

from __future__ import annotations

from collections.abc import Sequence

from summarizer.model.base import TextGenerator
from summarizer.model.drafting import draft_checked
from summarizer.stance import stance_jobs, with_stances
from summarizer.summary import compose_summary, event_job
from summarizer.types import Position, Summary


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
    stances = stance_jobs(text, positions, verdict=verdict)
    jobs = [event_job(text, loaded, verdict=verdict), *(job for _, job in stances)]
    checked = draft_checked(gen, jobs)
    stanced = with_stances(
        positions, {i: c.text for (i, _), c in zip(stances, checked[1:], strict=True)}
    )
    return compose_summary(checked[0].text, stanced, text, model=gen.name), stanced

"""The two analysis stages over one article, as plain synchronous functions.

`read` needs no language model and takes well under a second or two, so the bot can show
who said what at once; `write` asks the model for the summary and stance lines. ("Draft"
is kept for a model's answer before its checks, `summarizer.model.drafting`.)
Both are called from a worker thread, never on the event loop.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from summarizer.loaded import find_loaded_phrases
from summarizer.model.base import TextGenerator
from summarizer.positions import extract_positions
from summarizer.rules import positions_rules
from summarizer.stance import stance_failures
from summarizer.summary import guess_title
from summarizer.types import Analysis, Position
from summarizer.writing import Written, write_brief


def read(text: str, *, title: str | None = None) -> Analysis:
    """What the text says without a model: its title, who said what, loaded phrases."""
    started = time.perf_counter()
    positions = extract_positions(text)
    quoted = [span for p in positions for span in p.quotes]
    analysis = Analysis(
        title=title or guess_title(text),
        positions=positions,
        loaded_phrases=find_loaded_phrases(text, quoted),
        rules=positions_rules(),
    )
    analysis.timings.positions_s = round(time.perf_counter() - started, 3)
    return analysis


def _said(
    position: Position,
) -> tuple[str, tuple[tuple[int, int], ...], tuple[tuple[int, int], ...]]:
    """A speaker and the words given them: what a stance line was written and checked from."""
    return (
        position.speaker,
        tuple((s.start, s.end) for s in position.quotes),
        tuple((s.start, s.end) for s in position.paraphrases),
    )


def reread(text: str, stored: Analysis) -> Analysis:
    """`stored` read again under the current positions rules (`summarizer.rules`): who said
    what and the loaded phrases found afresh, the model's summary kept. A speaker's stance
    line is kept only where the same speaker is given the same words and the line passes
    today's checks: a line written from words the rules now give someone else, or under a
    name they no longer give, could be false. The others' quotes stand in, as for a line
    that failed its checks, where the model wrote this brief, and a line dropped leaves the
    summary too (its event sentences stand alone if need be); the model is not asked
    again, for a read costs a fraction of a second and a line many."""
    found = read(text, title=stored.title)
    before = {_said(p): p for p in stored.positions}
    asked = stored.summary is not None
    # A kept line is held to today's checks too (the model's verdict aside): one stored
    # before a check existed was otherwise shown at every read, and the checks take
    # milliseconds. They do not catch every false line: a stored "Officer X came in by
    # himself", made from his quote's "he", passes them still.
    positions = []
    for position in found.positions:
        old = before.get(_said(position))
        update: dict[str, str | bool | None]
        if (
            old is not None
            and old.stance
            and stance_failures(text, position, found.positions, old.stance)
        ):
            update = {"stance": None, "stance_fallback": True, "stance_unfinished": False}
        elif old is not None:
            update = {
                "stance": old.stance,
                "stance_fallback": old.stance_fallback,
                "stance_unfinished": old.stance_unfinished,
            }
        else:  # an unnamed source never gets a line (`stance.stance_jobs`)
            update = {"stance_fallback": asked and position.kind != "unnamed"}
        positions.append(position.model_copy(update=update))
    summary = stored.summary
    if summary is not None and not summary.fallback:
        kept = {p.stance for p in positions}
        kept_text = summary.text
        for line in {p.stance for p in stored.positions if p.stance} - kept:
            kept_text = kept_text.replace(f" {line}", "")
        summary = summary.model_copy(update={"text": kept_text})
    timings = stored.timings.model_copy(update={"positions_s": found.timings.positions_s})
    return found.model_copy(update={"summary": summary, "positions": positions, "timings": timings})


def write(
    text: str,
    found: Analysis,
    generator: TextGenerator,
    *,
    verdict: bool = False,
    deadline: float | None = None,
    progress: Callable[[Written], None] | None = None,
) -> Analysis:
    """`found` (from `read`) with the model's summary and stance lines, each checked
    (`verdict`: by the model's yes/no verdict too). At `deadline` (`time.monotonic()`) the
    model stops, and what it had not finished gets the labelled stand-ins; `progress`
    hears each sentence as it is checked (`writing.write_brief`)."""
    started = time.perf_counter()
    written = write_brief(
        generator,
        text,
        found.positions,
        found.loaded_phrases,
        verdict=verdict,
        deadline=deadline,
        progress=progress,
    )
    return brief(text, found, written, model=generator.name, started=started)


def brief(
    text: str, found: Analysis, written: Written, *, model: str | None, started: float
) -> Analysis:
    """`found` with the brief of what the model finished (`Written.brief`); the model's
    pass began at `started` (`time.perf_counter()`)."""
    summary, positions = written.brief(text, found.positions, model=model)
    done = found.model_copy(update={"summary": summary, "positions": positions})
    done.timings = found.timings.model_copy(
        update={"summary_s": round(time.perf_counter() - started, 3)}
    )
    return done


def shown(found: Analysis, written: Written, *, model: str | None) -> Analysis:
    """`found` with the sentences checked so far, for a reply that still waits for the
    rest (`Written.shown`)."""
    summary, positions = written.shown(found.positions, model=model)
    return found.model_copy(update={"summary": summary, "positions": positions})

"""The two analysis stages over one article, as plain synchronous functions.

`read` needs no language model and takes well under a second or two, so the bot can show
who said what at once; `write` asks the model for the summary and stance lines. ("Draft"
is kept for a model's answer before its checks, `summarizer.model.drafting`.)
Both are called from a worker thread, never on the event loop.
"""

from __future__ import annotations

import time

from summarizer.loaded import find_loaded_phrases
from summarizer.model.base import TextGenerator
from summarizer.positions import extract_positions
from summarizer.summary import guess_title
from summarizer.types import Analysis
from summarizer.writing import write_summary_and_stances


def read(text: str, *, title: str | None = None) -> Analysis:
    """What the text says without a model: its title, who said what, loaded phrases."""
    started = time.perf_counter()
    positions = extract_positions(text)
    quoted = [span for p in positions for span in p.quotes]
    analysis = Analysis(
        title=title or guess_title(text),
        positions=positions,
        loaded_phrases=find_loaded_phrases(text, quoted),
    )
    analysis.timings.positions_s = round(time.perf_counter() - started, 3)
    return analysis


def write(
    text: str, found: Analysis, generator: TextGenerator, *, verdict: bool = False
) -> Analysis:
    """`found` (from `read`) with the model's summary and stance lines, each checked
    (`verdict`: by the model's yes/no verdict too)."""
    started = time.perf_counter()
    summary, positions = write_summary_and_stances(
        generator, text, found.positions, found.loaded_phrases, verdict=verdict
    )
    done = found.model_copy(update={"summary": summary, "positions": positions})
    done.timings = found.timings.model_copy(
        update={"summary_s": round(time.perf_counter() - started, 3)}
    )
    return done

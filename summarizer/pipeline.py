"""The two analysis stages over one article, as plain synchronous functions.

`draft` needs no language model and takes well under a second or two, so the bot can show
who said what at once; `complete` asks the model for the summary and stance lines.
Both are called from a worker thread, never on the event loop.
"""

from __future__ import annotations

import time

from summarizer.brief import write_brief
from summarizer.loaded import find_loaded_phrases
from summarizer.model.base import TextGenerator
from summarizer.positions import extract_positions
from summarizer.summary import guess_title
from summarizer.types import Analysis


def draft(text: str, *, title: str | None = None) -> Analysis:
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


def complete(text: str, drafted: Analysis, generator: TextGenerator) -> Analysis:
    started = time.perf_counter()
    summary, positions = write_brief(generator, text, drafted.positions, drafted.loaded_phrases)
    done = drafted.model_copy(update={"summary": summary, "positions": positions})
    done.timings = drafted.timings.model_copy(
        update={"summary_s": round(time.perf_counter() - started, 3)}
    )
    return done

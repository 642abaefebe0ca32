"""The real packaged model on one short article: whatever it writes must pass the checks.

Runs in CI (`make test`); ~1-3 minutes on 2 cores, most of it loading. The first run on a
fresh machine also assembles and converts the model (another ~2 minutes).
"""

from __future__ import annotations

import pytest
from support import PATROLS

from bot.settings import DEFAULT_MODEL, Settings
from summarizer.checks import check_grounded, check_loaded
from summarizer.loaded import find_loaded_phrases
from summarizer.model.loader import load_generator
from summarizer.stance import check_stance, speaker_sentences
from summarizer.summary import FALLBACK_LABEL, check_summary
from summarizer.types import Position, Span
from summarizer.writing import write_summary_and_stances

pytestmark = pytest.mark.model


def _span(text: str) -> Span:
    start = PATROLS.index(text)
    return Span(text=text, start=start, end=start + len(text))


POSITIONS = [
    Position(
        speaker="Anna Virtanen",
        role="Finnish Interior Minister",
        aliases=["Virtanen"],
        quotes=[_span("We will patrol together from May, and the boats will carry no weapons")],
        paraphrases=[_span("She said the patrols were meant to deter smuggling, not any state.")],
    ),
    Position(
        speaker="Karl Tamm",
        role="Estonian Defence Minister",
        aliases=["Tamm"],
        quotes=[_span("welcomes any help at sea"), _span("We have not budgeted for a second year")],
    ),
]


def test_packaged_model_writes_a_brief_that_passes_the_checks():
    gen = load_generator(DEFAULT_MODEL, cache_dir=Settings().model_cache)
    loaded = find_loaded_phrases(PATROLS)
    assert "reckless" in loaded

    summary, stances = write_summary_and_stances(gen, PATROLS, POSITIONS, loaded)
    if summary.fallback:
        assert summary.text.startswith(FALLBACK_LABEL)
        assert "reckless" not in summary.text
    else:
        assert check_summary(summary.text) == []
        assert check_loaded(summary.text, loaded) == []
        assert check_grounded(summary.text, PATROLS) == []

    for position in stances:
        assert bool(position.stance) != position.stance_fallback
        if position.stance:
            source = " ".join(speaker_sentences(PATROLS, position))
            assert check_stance(position.stance, position=position, source=source) == []
    # On an article this plain the model must write at least part of the brief itself (it
    # wrote all of it when this test was written); all labelled extracts would mean the
    # model, the prompts or the checks have stopped working together.
    assert not summary.fallback or any(p.stance for p in stances)

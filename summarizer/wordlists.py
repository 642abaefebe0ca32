"""Word lists kept as data in `summarizer/data/`: one list per concept, one word or phrase a
line, `#` starts a comment. Rules read them here, so changing a list never means editing code.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from importlib.resources import files
from types import MappingProxyType


@cache
def data_lines(name: str) -> tuple[str, ...]:
    text = (files("summarizer") / "data" / name).read_text(encoding="utf-8")
    lines = (line.strip() for line in text.splitlines())
    return tuple(line for line in lines if line and not line.startswith("#"))


@cache
def word_set(name: str) -> frozenset[str]:
    """A list's words case folded, as the rules compare them (folded lemmas)."""
    return frozenset(line.casefold() for line in data_lines(name))


@cache
def word_kinds(name: str, *kinds: str) -> Mapping[str, frozenset[str]]:
    """A list whose lines are `KIND WORD` (several short lists kept in one file, as in
    `polarity_words.txt`): {kind: its words, case folded}, for each of `kinds`. A line of
    another kind raises KeyError, so a typo in a list fails loudly instead of a word going
    missing. Read-only, since it is cached."""
    found: dict[str, set[str]] = {kind: set() for kind in kinds}
    for line in data_lines(name):
        kind, word = line.split()
        found[kind].add(word.casefold())
    return MappingProxyType({k: frozenset(v) for k, v in found.items()})


@cache
def word_groups(name: str) -> Mapping[str, frozenset[str]]:
    """A list whose lines are groups of words that stand for one another (`seats.txt`,
    `deed_verbs.txt`): {each word, case folded: every word of its groups}. Read-only,
    since it is cached."""
    found: dict[str, frozenset[str]] = {}
    for line in data_lines(name):
        group = frozenset(line.casefold().split())
        for word in group:
            found[word] = found.get(word, frozenset()) | group
    return MappingProxyType(found)

"""The one rule for who is the same speaker across articles, without a database."""

from __future__ import annotations

from summarizer.names import name_key
from summarizer.speaker_links import (
    KnownSpeaker,
    link_speaker,
    linking_aliases,
    lookup_keys,
)
from summarizer.types import Position


def person(name: str, *aliases: str) -> Position:
    return Position(speaker=name, aliases=list(aliases))


def unnamed(label: str) -> Position:
    return Position(speaker=f"unnamed: {label}", kind="unnamed", aliases=[label])


def test_an_unnamed_source_links_to_no_one_not_even_the_same_label() -> None:
    source = unnamed("senior official")
    same_label = KnownSpeaker(id=1, name_key=name_key(source.speaker), kind="unnamed")
    link = link_speaker(source, [same_label], name_key)
    assert link.speaker_id is None and link.name_key is None
    assert lookup_keys(source, name_key) == set() and linking_aliases(source) == []


def test_a_named_person_never_joins_an_unnamed_row() -> None:
    row = KnownSpeaker(id=1, name_key=name_key("Keller"), kind="unnamed")
    assert link_speaker(person("Keller"), [row], name_key).speaker_id is None
    assert link_speaker(person("Anna Keller", "Keller"), [row], name_key).speaker_id is None


def test_surname_joins_its_one_full_name_and_a_full_name_upgrades_a_surname_row() -> None:
    anna = KnownSpeaker(
        id=1,
        name_key=name_key("Anna Keller"),
        kind="person",
        alias_keys=frozenset({name_key("Keller")}),
    )
    assert link_speaker(person("Keller"), [anna], name_key).speaker_id == 1
    karl = KnownSpeaker(
        id=2,
        name_key=name_key("Karl Keller"),
        kind="person",
        alias_keys=frozenset({name_key("Keller")}),
    )
    assert link_speaker(person("Keller"), [anna, karl], name_key).speaker_id is None
    bare = KnownSpeaker(id=3, name_key=name_key("Keller"), kind="person")
    link = link_speaker(person("Anna Keller", "Keller"), [bare], name_key)
    assert (link.speaker_id, link.rename, link.name_key) == (3, True, name_key("Anna Keller"))
    assert linking_aliases(person("Anna Keller", "Keller", "the minister")) == [
        "Anna Keller",
        "Keller",
    ]

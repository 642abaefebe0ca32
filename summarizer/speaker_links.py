"""Who is the same speaker across articles: the one rule every store applies.

A store only stores: it looks up the speakers this rule asks about (`lookup_keys`), hands
them back as `KnownSpeaker`s, and writes what `link_speaker` decides. Kept here, SQLite and
PostgreSQL cannot drift apart on who is whom.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from summarizer.types import Position

NameKey = Callable[[str], str]


@dataclass(frozen=True)
class KnownSpeaker:
    """A stored speaker, as much of it as the rule reads.

    `alias_keys` need only hold the speaker's alias keys among the `lookup_keys` asked for.
    """

    id: int
    name_key: str | None
    kind: str
    alias_keys: frozenset[str] = frozenset()


@dataclass(frozen=True)
class SpeakerLink:
    """`speaker_id` None means a new speaker row keyed `name_key`; a None key is a row that
    nothing can ever link to. `rename` upgrades the existing row to this position's name."""

    speaker_id: int | None
    name_key: str | None
    rename: bool = False


def known_speakers(
    rows: Iterable[tuple[int, str | None, str, str | None]],
) -> list[KnownSpeaker]:
    """Speakers from joined rows of (id, name_key, kind, one alias key or None), as a store's
    speakers LEFT JOIN speaker_aliases gives them: one KnownSpeaker per id, in order."""
    found: dict[int, tuple[str | None, str, set[str]]] = {}
    for speaker_id, key, kind, alias_key in rows:
        aliases = found.setdefault(speaker_id, (key, kind, set()))[2]
        if alias_key is not None:
            aliases.add(alias_key)
    return [
        KnownSpeaker(id=i, name_key=key, kind=kind, alias_keys=frozenset(aliases))
        for i, (key, kind, aliases) in found.items()
    ]


def is_name(alias: str) -> bool:
    """Titles ("the minister") would tie unrelated people together, across articles or in a
    lookup: only a name links or finds a speaker."""
    return alias[:1].isupper() and not alias.lower().startswith("the ")


def links_across_articles(position: Position) -> bool:
    """An unnamed source ('unnamed: senior official') is never anyone else: two articles'
    'senior official' are as likely two people as one, and a wrong link puts one person's
    words in another's mouth."""
    return position.kind != "unnamed"


def lookup_keys(position: Position, key_of: NameKey) -> set[str]:
    """The name keys whose speakers (by their own key or an alias key) the rule must see."""
    if not links_across_articles(position):
        return set()
    key = key_of(position.speaker)
    return {key} | {k for k in map(key_of, position.aliases) if len(k.split()) == 1}


def link_speaker(position: Position, known: Iterable[KnownSpeaker], key_of: NameKey) -> SpeakerLink:
    """The speaker row a position belongs to.

    An article that names someone by surname alone joins the one full-named speaker known
    by that surname; a full name arriving later upgrades a surname-only row. Two full names
    that share a surname stay two people. Unnamed sources stay apart from everyone.
    """
    if not links_across_articles(position):
        return SpeakerLink(speaker_id=None, name_key=None)
    key = key_of(position.speaker)
    candidates = [k for k in known if k.kind != "unnamed"]
    for speaker in candidates:
        if speaker.name_key == key:
            return SpeakerLink(speaker_id=speaker.id, name_key=key)
    if len(key.split()) == 1:
        owners = sorted({s.id for s in candidates if key in s.alias_keys})
        if len(owners) == 1:
            return SpeakerLink(speaker_id=owners[0], name_key=key)
    else:
        alias_keys = {key_of(a) for a in position.aliases} - {key}
        for alias_key in sorted(k for k in alias_keys if len(k.split()) == 1):
            for speaker in candidates:
                if speaker.name_key == alias_key:
                    return SpeakerLink(speaker_id=speaker.id, name_key=key, rename=True)
    return SpeakerLink(speaker_id=None, name_key=key)


def linking_aliases(position: Position) -> list[str]:
    """The forms stored as the speaker's aliases (each once): names only, and none at all
    for a speaker that links to no one."""
    if not links_across_articles(position):
        return []
    return sorted(a for a in {position.speaker, *position.aliases} if is_name(a))

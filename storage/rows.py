"""Rows into records, shared by every store: what a row means is decided once.

Both drivers' rows (sqlite3.Row, asyncpg.Record) read by column name; JSON columns arrive as
text from both.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from importlib import resources
from typing import Any, Protocol

from storage.models import SpeakerMatch
from summarizer.speaker_links import is_name
from summarizer.types import Analysis, Position, Span, Summary, Timings


class Row(Protocol):
    """What both drivers' rows offer: a value by column name (sqlite3.Row is no Mapping)."""

    def __getitem__(self, _column: str, /) -> Any: ...


# The articles columns every store selects into an ArticleRecord, in one place.
ARTICLE_COLUMNS = (
    "a.id, a.url, a.canonical_url, a.title, a.outlet, a.published, a.text, a.state, "
    "a.attempts, a.error"
)


def numbered_sql(folder: str) -> list[tuple[int, str]]:
    """The numbered SQL files shipped in storage/FOLDER ('001_initial.sql'), in order."""
    files = resources.files("storage") / folder
    found = []
    for entry in files.iterdir():
        if entry.name.endswith(".sql"):
            found.append((int(entry.name.split("_", 1)[0]), entry.read_text(encoding="utf-8")))
    return sorted(found)


def _json(value: str | list[str]) -> list[str]:
    return json.loads(value) if isinstance(value, str) else list(value)


def analysis(head: Row, positions: Sequence[Row], spans: Sequence[Row]) -> Analysis:
    """An Analysis from its head row (analyses + the article's title), its positions in order
    (id, role, aliases, stance, stance_fallback, stance_unfinished, name, kind) and their
    spans (position_id, kind, text, start_offset, end_offset) in order."""
    found = []
    for r in positions:
        own = [s for s in spans if s["position_id"] == r["id"]]

        def pick(kind: str, own: list[Row] = own) -> list[Span]:
            return [
                Span(text=s["text"], start=s["start_offset"], end=s["end_offset"])
                for s in own
                if s["kind"] == kind
            ]

        found.append(
            Position(
                speaker=r["name"],
                kind=r["kind"],
                role=r["role"],
                aliases=_json(r["aliases"]),
                stance=r["stance"],
                stance_fallback=bool(r["stance_fallback"]),
                stance_unfinished=bool(r["stance_unfinished"]),
                quotes=pick("quote"),
                paraphrases=pick("paraphrase"),
            )
        )
    summary = (
        Summary(
            text=head["summary"],
            fallback=bool(head["summary_fallback"]),
            model=head["model"],
            unfinished=head["unfinished"],
        )
        if head["summary"] is not None
        else None
    )
    return Analysis(
        title=head["title"],
        summary=summary,
        positions=found,
        loaded_phrases=_json(head["loaded_phrases"]),
        timings=Timings(positions_s=head["positions_s"], summary_s=head["summary_s"]),
        rules=head["positions_rules"],
    )


def speaker_matches(rows: Sequence[Row]) -> list[SpeakerMatch]:
    """A chat's speakers from its positions (id, kind, article_id, name, aliases), named and
    aliased only as the chat's own articles name them.

    A speaker row is shared by every chat (it links 'Keller' to 'Anna Keller' across
    articles), so its own name may come from another chat's article; shown here, it told
    chat A a name only chat B's article gives.
    """
    forms: dict[int, list[str]] = {}
    aliases: dict[int, set[str]] = {}
    articles: dict[int, set[int]] = {}
    kinds: dict[int, str] = {}
    for r in rows:
        forms.setdefault(r["id"], []).append(r["name"])
        named = [a for a in _json(r["aliases"]) if is_name(a)]
        aliases.setdefault(r["id"], set()).update([r["name"], *named])
        articles.setdefault(r["id"], set()).add(r["article_id"])
        kinds[r["id"]] = r["kind"]
    found = [
        SpeakerMatch(
            id=speaker_id,
            # the fullest form this chat has seen; the commonest among equals
            name=max(names, key=lambda n: (len(n.split()), names.count(n), n)),
            kind=kinds[speaker_id],
            aliases=sorted(aliases[speaker_id]),
            article_count=len(articles[speaker_id]),
        )
        for speaker_id, names in forms.items()
    ]
    return sorted(found, key=lambda m: (-m.article_count, m.name))


def named(
    matches: list[SpeakerMatch], name: str, key_of: Callable[[str], str]
) -> list[SpeakerMatch]:
    """The speakers one of whose forms has the name's key."""
    key = key_of(name)
    return [m for m in matches if key in {key_of(form) for form in m.aliases}]

"""Records crossing the storage boundary, validated so a bad row fails loudly and early."""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime, time
from typing import Literal

from pydantic import BaseModel, Field

ArticleState = Literal["queued", "running", "done", "failed"]
# Waiting for or under analysis: its positions and speakers are not stored yet.
UNFINISHED: frozenset[ArticleState] = frozenset({"queued", "running"})


def content_hash(text: str) -> str:
    """Whitespace- and case-insensitive, so a re-paste with other line breaks is a duplicate."""
    normal = re.sub(r"\s+", " ", text).strip().casefold()
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()


class NewArticle(BaseModel):
    text: str = Field(min_length=1)
    url: str | None = None
    canonical_url: str | None = None
    title: str | None = None
    outlet: str | None = None
    published: date | None = None


TITLE_CHARS = 80


# What a title may not end on: a headline split over two lines ends its first on a ';'
# or ',', which read as "momentum;:" before a speaker's line in /stance.
TITLE_TRAIL = ",;:—- "


def title_from_text(text: str) -> str:
    """An untitled article goes by its first line, cut at a word and marked as cut: cut
    mid-word ("…ceased to b…") it read as a typo in every list."""
    first = text.strip().split("\n", 1)[0].strip()
    if len(first) <= TITLE_CHARS:
        return first
    cut = first[: TITLE_CHARS - 1].rsplit(" ", 1)[0].rstrip(TITLE_TRAIL)
    return f"{cut}…"


def shown_title(title: str | None, text: str) -> str:
    """The title lists show: the stored one (a page's, or a pasted headline line), else
    the first line, without a trailing separator either way."""
    return (title or title_from_text(text)).rstrip(TITLE_TRAIL)


class ArticleRecord(BaseModel):
    """A stored article as a chat sees it. When it was first stored is not part of it: that
    may have been another chat's paste (the text is stored once), and a chat's own dates
    are the ones its queries order by (`chat_articles.created_at`)."""

    id: int
    url: str | None
    canonical_url: str | None
    title: str | None
    outlet: str | None
    published: date | None
    text: str
    state: ArticleState
    attempts: int
    error: str | None

    @property
    def display_title(self) -> str:
        return shown_title(self.title, self.text)


class SearchHit(BaseModel):
    article_id: int
    title: str
    snippet: str


class SpeakerMatch(BaseModel):
    id: int
    name: str
    kind: str
    aliases: list[str]
    article_count: int


class Subscription(BaseModel):
    chat_id: int
    local_time: time
    tz: str
    last_sent_at: datetime | None
    # When the subscription took its current time (made, or changed by a new /subscribe): a
    # briefing that fell due before then was never missed, and a restart must not send one
    # the subscriber was told would come tomorrow (see missed_briefing).
    created_at: datetime

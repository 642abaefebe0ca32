"""The storage interface the service core depends on.

SQLite implements it today; a PostgreSQL implementation only has to honour these methods
(and their transactional promises) for the service core to run unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time
from typing import Protocol

from storage.models import (
    ArticleRecord,
    NewArticle,
    SearchHit,
    SpeakerMatch,
    Subscription,
)
from summarizer.types import Analysis, StanceRecord

# What `Store.search` reads of a query: its first distinct words, each cut to a length. FTS5's
# snippet() costs the square of the terms (2,000 words held the database for minutes).
MAX_SEARCH_TERMS = 8
MAX_SEARCH_TERM_CHARS = 64


def search_terms(words: str) -> list[str]:
    """The words a search looks for: distinct (case-folded), at most MAX_SEARCH_TERMS of them,
    each cut to MAX_SEARCH_TERM_CHARS.

    A NUL would end the query string inside SQLite ("unterminated string"), so it splits
    words like a space does.
    """
    found: dict[str, str] = {}
    for word in words.replace("\x00", " ").split():
        word = word[:MAX_SEARCH_TERM_CHARS]
        if word.strip('"') and word.casefold() not in found:
            found[word.casefold()] = word
    return list(found.values())[:MAX_SEARCH_TERMS]


class StorageError(RuntimeError):
    """The database refused (locked, disk full, corrupt): nothing was half-written."""


class QueryTooCostly(StorageError):
    """A read whose cost the user controls (a search, a name) ran past its time budget and
    was interrupted: the question, not the database, is the problem."""


class Store(Protocol):
    async def close(self) -> None: ...

    # articles
    async def add_article(
        self,
        chat_id: int,
        user_id: int | None,
        article: NewArticle,
        *,
        holder: str | None = None,
        hold_s: float = 0.0,
    ) -> tuple[ArticleRecord, bool]:
        """Stores and links the article to the chat; returns (record, True if new to this chat).

        `holder`: the process that will show the chat how the article ends (its reply waits
        in place); the link is held for it `hold_s` and counts as not yet delivered, even if
        the chat had the article before. Without one, a new link waits for any bot process
        to claim it once the article ends (`claim_deliveries`).
        """
        ...

    async def find_by_url(self, url: str) -> ArticleRecord | None: ...
    async def get_article(self, chat_id: int, article_id: int) -> ArticleRecord | None: ...
    async def get_article_any(self, article_id: int) -> ArticleRecord | None:
        """Not scoped to a chat: for the analysis worker only."""
        ...

    async def list_articles(
        self, chat_id: int, *, limit: int = 20, since: datetime | None = None
    ) -> list[ArticleRecord]: ...
    async def latest_article_id(self, chat_id: int) -> int | None: ...
    async def delete_article(self, chat_id: int, article_id: int) -> bool: ...
    async def search(self, chat_id: int, query: str, *, limit: int = 10) -> list[SearchHit]:
        """Articles of the chat matching every word of the query, up to MAX_SEARCH_TERMS
        distinct words; QueryTooCostly if even that ran past its time budget."""
        ...

    # analysis lifecycle
    async def claim(
        self, article_id: int | None, owner: str, lease_s: float
    ) -> ArticleRecord | None:
        """Takes the article (given None: the oldest one waiting) for `owner` to analyse.

        It must be queued, or running under a lease that ran out (its worker died); one named
        by id may also have failed (sent again, it is tried again). It is
        marked running, the attempt counted, and leased to `owner` for `lease_s`; None when
        it is not to be had (done, failed, gone, or leased to a live worker). Atomic across
        processes: of two workers claiming one article, one gets it.
        """
        ...

    async def renew_lease(self, article_id: int, owner: str, lease_s: float) -> bool:
        """Extends a lease `owner` still holds; False when it was lost."""
        ...

    async def save_analysis(
        self, article_id: int, analysis: Analysis, *, finished: bool = True
    ) -> None:
        """Stores an article's analysis, replacing any stored before, and marks it done.

        `finished=False` stores what is known so far and leaves the article running: the
        positions, saved before the model writes, so that /positions and /stance find the
        speakers a reply already shows while the summary is still being written.
        """
        ...

    async def mark_failed(self, article_id: int, error: str) -> None: ...
    async def requeue_unfinished(self, *, expired_only: bool = False) -> list[int]:
        """Puts 'running' articles back in the queue and returns every queued id.

        A process that is the only worker knows whatever is 'running' died with it; where
        several work (`expired_only`), only articles whose lease ran out go back.
        """
        ...

    async def get_analysis(self, article_id: int) -> Analysis | None: ...
    async def stale_analyses(self, chat_id: int, rules: str) -> list[int]:
        """The chat's ended articles whose analysis was read under other positions rules
        than `rules` (`summarizer.rules`), or before editions were kept."""
        ...

    async def refresh_positions(
        self, article_id: int, analysis: Analysis, *, read_under: str | None
    ) -> bool:
        """Replaces an ended article's positions, loaded phrases, rules edition and summary
        text with `analysis`'s (the rest of the summary is the model's and stays), if it is
        still stored as read under `read_under`: False, and nothing changes, where another
        process refreshed or analysed it again meanwhile. The reading is done before,
        outside the transaction."""
        ...

    # deliveries: each chat told how its article ended, once, by one process of many
    async def hold_deliveries(
        self, owner: str, links: Sequence[tuple[int, int]], hold_s: float
    ) -> None:
        """Extends `owner`'s hold on these (chat, article) links that are still undelivered:
        it still shows their ends in place."""
        ...

    async def claim_deliveries(
        self, owner: str, hold_s: float, *, limit: int
    ) -> list[tuple[int, int]]:
        """Takes up to `limit` (chat, article) links, oldest article first, whose article
        ended (done or failed) and that are undelivered and held by nobody (or by a hold that
        ran out: its process died, or gave it back), and holds them for `owner` for `hold_s`.
        Atomic across processes: two claimers at once get disjoint links."""
        ...

    async def mark_delivered(self, chat_id: int, article_id: int, owner: str) -> bool:
        """The chat was told: the link is delivered, for good. False when `owner` did not hold
        it (another process took it over), and nothing changes."""
        ...

    async def release_delivery(
        self, chat_id: int, article_id: int, owner: str, *, retry_s: float
    ) -> None:
        """`owner` could not tell the chat (Telegram down, the process stopping): the link
        stays undelivered and any process may claim it after `retry_s`."""
        ...

    # speakers
    async def find_speakers(self, chat_id: int, name: str) -> list[SpeakerMatch]: ...
    async def list_speakers(self, chat_id: int) -> list[SpeakerMatch]: ...
    async def stance_history(self, chat_id: int, speaker_id: int) -> list[StanceRecord]: ...

    # subscriptions
    async def subscribe(self, chat_id: int, local_time: time, tz: str) -> Subscription: ...
    async def unsubscribe(self, chat_id: int) -> bool: ...
    async def get_subscription(self, chat_id: int) -> Subscription | None: ...
    async def list_subscriptions(self) -> list[Subscription]: ...
    async def mark_briefed(self, chat_id: int, at: datetime) -> None: ...
    async def claim_briefing(self, chat_id: int, day: date, owner: str, *, stale_s: float) -> bool:
        """The right to send the chat's briefing for its local `day`, to one caller of all the
        processes that ask. A claim never marked sent is taken over after `stale_s` (its
        process died before sending), so a crash does not lose the day's briefing."""
        ...

    async def briefing_sent(self, chat_id: int, day: date, covered_until: datetime) -> None:
        """The claimed briefing went out: the day is done, and the next one covers articles
        from `covered_until`."""
        ...

    async def release_briefing(self, chat_id: int, day: date, owner: str) -> None:
        """The send failed: the claim goes, so a later attempt may send it."""
        ...

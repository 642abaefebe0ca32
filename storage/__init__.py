"""Persistence. This package alone writes SQL; the rest of briefbot sees `Store`."""

from __future__ import annotations

from pathlib import Path

from storage.base import (
    MAX_SEARCH_TERM_CHARS,
    MAX_SEARCH_TERMS,
    QueryTooCostly,
    StorageError,
    Store,
    search_terms,
)
from storage.models import (
    UNFINISHED,
    ArticleRecord,
    NewArticle,
    SearchHit,
    SpeakerMatch,
    Subscription,
)
from storage.sqlite import NameKey, SqliteStore


def is_database_url(target: str | Path) -> bool:
    """A postgresql:// URL names a server; anything else is a SQLite file's path."""
    return isinstance(target, str) and target.startswith(("postgresql://", "postgres://"))


async def open_store(target: str | Path, *, name_key: NameKey) -> Store:
    """The store `BRIEFBOT_DATABASE` names: PostgreSQL for a URL, else a SQLite file."""
    if is_database_url(target):
        # imported here: the embedded default never loads the server driver
        from storage.postgres import PostgresStore

        return await PostgresStore.open(str(target), name_key=name_key)
    return await SqliteStore.open(target, name_key=name_key)


__all__ = [
    "MAX_SEARCH_TERMS",
    "MAX_SEARCH_TERM_CHARS",
    "UNFINISHED",
    "ArticleRecord",
    "NewArticle",
    "QueryTooCostly",
    "SearchHit",
    "SpeakerMatch",
    "SqliteStore",
    "StorageError",
    "Store",
    "Subscription",
    "is_database_url",
    "open_store",
    "search_terms",
]

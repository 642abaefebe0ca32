"""Persistence. This package alone writes SQL; the rest of briefbot sees `Store`."""

from storage.base import (
    MAX_SEARCH_TERM_CHARS,
    MAX_SEARCH_TERMS,
    QueryTooCostly,
    StorageError,
    Store,
    search_terms,
)
from storage.models import (
    ArticleRecord,
    NewArticle,
    SearchHit,
    SpeakerMatch,
    StanceRecord,
    Subscription,
)
from storage.sqlite import SqliteStore

__all__ = [
    "MAX_SEARCH_TERMS",
    "MAX_SEARCH_TERM_CHARS",
    "ArticleRecord",
    "NewArticle",
    "QueryTooCostly",
    "SearchHit",
    "SpeakerMatch",
    "SqliteStore",
    "StanceRecord",
    "StorageError",
    "Store",
    "Subscription",
    "search_terms",
]

"""Persistence. This package alone writes SQL; the rest of briefbot sees `Store`."""

from storage.base import StorageError, Store
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
    "ArticleRecord",
    "NewArticle",
    "SearchHit",
    "SpeakerMatch",
    "SqliteStore",
    "StanceRecord",
    "StorageError",
    "Store",
    "Subscription",
]

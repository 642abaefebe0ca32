"""Wiring: builds the service core and its parts from `Settings`, and tears them down.

Both skins enter through `open_service`, so the console and the bot share one assembly.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.service import BriefService
from bot.service.analysis import AnalysisQueue, Analyzer, LocalAnalyzer
from bot.service.ports import Fetcher, Scheduler
from bot.settings import Settings
from storage import SqliteStore
from summarizer.names import name_key


@asynccontextmanager
async def open_service(
    settings: Settings,
    *,
    fetcher: Fetcher | None = None,
    scheduler: Scheduler | None = None,
    use_model: bool = True,
    analyzer: Analyzer | None = None,
) -> AsyncIterator[BriefService]:
    """`analyzer` replaces the local model thread: a remote model server, or a test's model
    that fails or hangs on demand (a real model cannot be made to hang when asked)."""
    store = await SqliteStore.open(settings.database, name_key=name_key)
    analyzer = analyzer or LocalAnalyzer(
        settings.model if use_model else None,
        cache_dir=settings.model_cache,
        threads=settings.model_threads,
        digest_timeout_s=settings.digest_timeout_s,
    )
    queue = AnalysisQueue(
        store, analyzer, maxsize=settings.analysis_queue_size, timeout_s=settings.analysis_timeout_s
    )
    service = BriefService(
        store,
        analyzer,
        queue,
        fetcher=fetcher,
        scheduler=scheduler,
        allowed_user_ids=set(settings.allowed_user_ids),
        submissions_per_hour=settings.submissions_per_hour,
    )
    await queue.start()
    try:
        yield service
    finally:
        await queue.stop()
        await analyzer.close()
        await store.close()

"""Wiring: builds the service core and its parts from `Settings`, and tears them down.

Both skins enter through `open_service`, so the console and the bot share one assembly.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.service import ChatService
from bot.service.analysis import AnalysisQueue, LocalAnalyzer, worker_name
from bot.service.deliveries import Deliveries
from bot.service.ports import Analyzer, Fetcher, Notifier, Scheduler
from bot.settings import Settings
from storage import is_database_url, open_store
from summarizer.names import name_key


@asynccontextmanager
async def open_service(
    settings: Settings,
    *,
    fetcher: Fetcher | None = None,
    scheduler: Scheduler | None = None,
    notifier: Notifier | None = None,
    use_model: bool = True,
    analyzer: Analyzer | None = None,
    worker: bool = False,
) -> AsyncIterator[ChatService]:
    """`analyzer` replaces the local model thread: a remote model server, or a test's model
    that fails or hangs on demand (a real model cannot be made to hang when asked).
    `worker`: `briefbot worker`, which analyses whatever any process queued and talks to no
    chat."""
    store = await open_store(settings.database, name_key=name_key)
    # A bot whose workers analyse loads no model; the embedded default is one process that
    # does everything, alone on its SQLite file.
    analyses = worker or settings.analysis == "local"
    analyzer = analyzer or LocalAnalyzer(
        settings.model if use_model and analyses else None,
        cache_dir=settings.model_cache,
        threads=settings.model_threads,
        digest_timeout_s=settings.digest_timeout_s,
        server=settings.model_server(),
        local=settings.model_local(),
        verdict=settings.model_verdict,
    )
    queue = AnalysisQueue(
        store,
        analyzer,
        maxsize=settings.analysis_queue_size,
        timeout_s=settings.analysis_timeout_s,
        shared=worker or settings.analysis == "workers" or is_database_url(settings.database),
        analyse=analyses,
        lease_s=settings.analysis_lease_s,
    )
    service = ChatService(
        store,
        analyzer,
        queue,
        Deliveries(store, worker_name(), hold_s=settings.analysis_lease_s),
        fetcher=fetcher,
        scheduler=scheduler,
        notifier=notifier,
        allowed_user_ids=set(settings.allowed_user_ids),
        submissions_per_hour=settings.submissions_per_hour,
    )
    await service.start()
    try:
        yield service
    finally:
        await service.stop()
        await analyzer.close()
        await store.close()

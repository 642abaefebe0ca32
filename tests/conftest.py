"""Fixtures more than one test module uses; the plain helpers behind them are in `support`.

- `postgres_server`, `postgres_url`: a real PostgreSQL server, started once per session
  (skipped, with the reason, where none can run: see `pg_server.py`);
- `service`: the service core over a real SQLite file, model off, scheduler recorded;
- `stub`, `site`, `settings`, `bot`: the real PTB Application polling a Bot API stand-in on
  127.0.0.1, with links served by a local news site.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from botapi_stub import BotApiStub, PageServer, article_html, page
from pg_server import PostgresServer, why_not
from support import make_app, running, settings_for
from telegram.ext import Application

from bot.runtime import open_service
from bot.service import ChatService
from bot.settings import Settings
from storage import Subscription


class RecordingScheduler:
    """The scheduler port, recorded: what the service asked to schedule and cancel."""

    def __init__(self) -> None:
        self.scheduled: list[Subscription] = []
        self.cancelled: list[int] = []

    def schedule(self, subscription: Subscription) -> None:
        self.scheduled.append(subscription)

    def cancel(self, chat_id: int) -> None:
        self.cancelled.append(chat_id)


@pytest.fixture
async def service(tmp_path: Path) -> AsyncIterator[ChatService]:
    scheduler = RecordingScheduler()
    async with open_service(settings_for(tmp_path), scheduler=scheduler, use_model=False) as svc:
        svc.test_scheduler = scheduler  # type: ignore[attr-defined]
        yield svc


@pytest.fixture
def stub() -> Iterator[BotApiStub]:
    server = BotApiStub()
    yield server
    server.close()


@pytest.fixture
def site() -> Iterator[PageServer]:
    server = PageServer(
        {
            "/news/buses": page(article_html()),
            "/news/escape": page(article_html(title="<script>alert(1)</script> & <b>friends</b>")),
        }
    )
    yield server
    server.close()


@pytest.fixture
def settings(stub: BotApiStub, tmp_path: Path) -> Settings:
    return Settings(
        telegram_token=stub.token,
        telegram_api_url=stub.base_url,
        database=tmp_path / "briefbot.db",
        model_cache=tmp_path / "cache",
        submissions_per_hour=30,
    )


@pytest.fixture
async def bot(settings: Settings, site: PageServer) -> AsyncIterator[Application]:
    async with running(make_app(settings, site)) as app:
        yield app


_databases = itertools.count(1)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """Skipped, with the reason, only where no server can run (see tests/pg_server.py)."""
    reason = why_not()
    if reason is not None:
        pytest.skip(f"PostgreSQL tests need a server: {reason}")
    server = PostgresServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A fresh, empty database of its own for one test, dropped after it."""
    name = f"briefbot_test_{next(_databases)}"
    postgres_server.sql(f"CREATE DATABASE {name}")
    yield postgres_server.url(name)
    postgres_server.sql(f"DROP DATABASE {name} WITH (FORCE)")

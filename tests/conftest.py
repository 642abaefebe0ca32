"""Fixtures more than one test module uses; the plain helpers behind them are in `support`.

- `service`: the service core over a real SQLite file, model off, scheduler recorded;
- `stub`, `site`, `settings`, `bot`: the real PTB Application polling a Bot API stand-in on
  127.0.0.1, with links served by a local news site.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from botapi_stub import BotApiStub, PageServer, article_html, page
from support import make_app, running, settings_for
from telegram.ext import Application

from bot.runtime import open_service
from bot.service import BriefService
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
async def service(tmp_path: Path) -> AsyncIterator[BriefService]:
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

"""Helpers the test modules share: the service's chat, settings and transcript, the Telegram
Application run in-process, and a peek at the database from outside.

Fixtures built on these live in `conftest.py`; test modules import only from here, from
`botapi_stub`, `hostile_pages` and `standins`, never from each other.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, closing
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
from botapi_stub import ARTICLE_PARAGRAPHS, BotApiStub, PageServer
from telegram.ext import Application

from bot.fetch import SafeFetcher
from bot.service import ChatRef, ChatService, Reply, Response
from bot.settings import Settings
from bot.telegram import build_application
from seeds import demo_articles
from storage import SqliteStore

CHAT = ChatRef(chat_id=42, user_id=7)
ARTICLE = "Council expands night buses\n\n" + "\n\n".join(ARTICLE_PARAGRAPHS)
# The article the real-model and model-server tests brief: two named speakers and one
# loaded sentence in the author's voice that no model sentence may carry.
PATROLS = """Baltic states agree joint patrols as costs row grows

Finland and Estonia agreed on Tuesday to share six patrol boats in the Gulf of Finland, \
in a deal the two governments said would start in May and cost 40 million euros a year. \
The reckless scheme is a gift to the arms lobby.

“We will patrol together from May, and the boats will carry no weapons,” said Finnish \
Interior Minister Anna Virtanen at a press conference in Helsinki. She said the patrols were \
meant to deter smuggling, not any state.

Estonian Defence Minister Karl Tamm said Estonia “welcomes any help at sea” but warned that \
the cost could rise if fuel prices kept climbing. “We have not budgeted for a second year,” \
Tamm told reporters.
"""


def run_bench(
    script: str, *args: str, cwd: Path, timeout: float
) -> subprocess.CompletedProcess[str]:
    """Run `bench/<script>` as a person would, in its own process with this checkout first
    on the path (the installed package may be another checkout), from `cwd` so that no
    stray .env of the repository is read; its output is kept for the test to read."""
    root = Path(__file__).resolve().parent.parent
    return subprocess.run(
        [sys.executable, str(root / "bench" / script), *args],
        env={**os.environ, "PYTHONPATH": str(root)},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def settings_for(tmp_path: Path, **extra: object) -> Settings:
    return Settings(database=tmp_path / "svc.db", model_cache=tmp_path / "models", **extra)  # type: ignore[arg-type]


async def text_of(responses: list[Response]) -> str:
    """Everything the user would end up seeing, updates followed to the end."""
    out = []
    for response in responses:
        final: Reply = response.reply
        if response.updates is not None:
            async for update in response.updates:
                final = update
        out.append(final.plain())
    return "\n".join(out)


def demo(name_part: str) -> str:
    return next(text for name, text in demo_articles() if name_part in name)


def rows(db: Path | str, sql: str) -> list[tuple[Any, ...]]:
    """The database as an operator sees it, through a connection of its own."""
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def sqlite_of(service: ChatService) -> SqliteStore:
    """The service's store as the SQLite file it is in these tests, for a PRAGMA or a lock."""
    assert isinstance(service.store, SqliteStore)
    return service.store


def make_app(settings: Settings, site: PageServer) -> Application:
    # only the test site may be private; every other loopback address stays refused
    fetcher = SafeFetcher(allow_private_for_tests={site.host_port})
    return build_application(settings, fetcher=fetcher, use_model=False)


@asynccontextmanager
async def running(app: Application) -> AsyncIterator[Application]:
    """What `run_polling` does, minus owning the event loop and the signal handlers."""
    await app.initialize()
    await app.post_init(app)  # type: ignore[misc]
    await app.updater.start_polling(poll_interval=0.0, timeout=1)  # type: ignore[union-attr]
    await app.start()
    try:
        yield app
    finally:
        await app.updater.stop()  # type: ignore[union-attr]
        await app.stop()
        await app.shutdown()
        await app.post_shutdown(app)  # type: ignore[misc]


def showing(stub: BotApiStub, *needles: str) -> Callable[[], str | None]:
    """A predicate: some bot message in the chat now contains every needle."""
    return lambda: next((t for t in stub.texts() if all(n in t for n in needles)), None)


def awake_zone(now: datetime) -> str:
    """A zone where it is now between 02:00 and 21:59, so that "half an hour ago" and "in
    half an hour" are both today there, whenever the tests run."""
    zones = ["Europe/Rome", "America/New_York", "Asia/Tokyo", "America/Los_Angeles"]
    return next(z for z in zones if 2 <= now.astimezone(ZoneInfo(z)).hour < 22)


async def set_subscription_row(
    database: Path | str, chat_id: int = 42, **columns: datetime
) -> None:
    """What the store's API cannot do: pretend the subscription (and its last briefing) are
    older than this test. Written by the database's own client, as an operator would."""
    assignments = ", ".join(f"{name} = '{at.isoformat()}'" for name, at in columns.items())
    statement = f"UPDATE subscriptions SET {assignments} WHERE chat_id = {chat_id}"
    if isinstance(database, str):
        connection = await asyncpg.connect(database)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()
    else:
        with closing(sqlite3.connect(database)) as db, db:
            db.execute(statement)

"""The scaled shape for real: `briefbot worker` processes on one PostgreSQL, one SIGKILLed
midway, and an article whose worker died before the test began (claimed, never finished).

Every article must be analysed exactly once (one analysis, one set of positions), the dead
workers' articles taken over once their leases ran out, and nothing left behind. Analysis
runs without the language model (`--no-model`): what is under test is the queue.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

from bot.runtime import open_service
from bot.service import ChatRef, Reply
from bot.settings import Settings
from storage import ArticleRecord, NewArticle
from storage.postgres import PostgresStore
from summarizer.names import name_key

ROOT = Path(__file__).resolve().parent.parent
ARTICLES = 30
PEOPLE = ["Anna Keller", "Tomas Brandt", "Lena Ortiz", "Omar Haddad", "Ruth Abara"]


def article(n: int) -> str:
    who = PEOPLE[n % len(PEOPLE)]
    surname = who.split()[1]
    return (
        f"The council met on day {n} to discuss bridge number {n}.\n"
        f'"We will repair bridge {n} before winter," said {who}, the transport minister. '
        f"{surname} added that the cost of bridge {n} would be published.\n"
        "Residents of the river district have waited three years for the crossing to reopen, "
        "and shop owners on both banks say their trade has fallen by a third since it closed. "
        "The opposition asked for an independent review of the contracts, which the council "
        "agreed to publish next month along with the engineers' report on the old supports.\n"
    )


def start_worker(url: str, tmp: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "BRIEFBOT_DATABASE": url,
        "BRIEFBOT_ANALYSIS_LEASE_S": "3",
        "BRIEFBOT_MODEL_CACHE": str(tmp / "cache"),
        "BRIEFBOT_LOG_LEVEL": "INFO",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "worker", "--no-model"],
        env=env,
        cwd=tmp,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def until(store: PostgresStore, done: int, seconds: float = 120.0) -> None:
    async def count() -> int:
        rows = await store._fetch("SELECT count(*) FROM articles WHERE state = 'done'")
        return int(rows[0][0])

    for _ in range(int(seconds * 10)):
        if await count() >= done:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"only {await count()} of {done} articles done")


async def test_two_workers_one_killed_analyse_each_article_once(postgres_url, tmp_path):
    store = await PostgresStore.open(postgres_url, name_key=name_key)
    workers: list[subprocess.Popen[bytes]] = []
    try:
        ids = [
            (await store.add_article(1 + n % 20, None, NewArticle(text=article(n))))[0].id
            for n in range(ARTICLES)
        ]
        # a worker died holding this one before anyone else started: its lease runs out
        orphan = await store.claim(ids[-1], "died-earlier", lease_s=1)
        assert orphan is not None
        workers = [start_worker(postgres_url, tmp_path) for _ in range(2)]
        await until(store, 5)
        workers[0].send_signal(signal.SIGKILL)
        await asyncio.to_thread(workers[0].wait)
        await until(store, ARTICLES)
        rows = await store._fetch(
            "SELECT a.id, a.state, a.attempts, a.lease_owner,"
            " (SELECT count(*) FROM analyses an WHERE an.article_id = a.id) AS analyses,"
            " (SELECT count(*) FROM positions p WHERE p.article_id = a.id) AS positions"
            " FROM articles a ORDER BY a.id"
        )
        assert [r["id"] for r in rows] == ids
        assert all(r["state"] == "done" and r["lease_owner"] is None for r in rows)
        assert all(r["analyses"] == 1 and r["positions"] == 1 for r in rows)
        attempts = {r["id"]: r["attempts"] for r in rows}
        assert attempts[orphan.id] == 2
        # at most the one article the killed worker held was started twice
        assert sum(attempts.values()) - ARTICLES - 1 in (0, 1)
        # two workers linking speakers at once still make one speaker per person
        (speakers,) = await store._fetch("SELECT count(*) FROM speakers")
        assert speakers[0] == len(PEOPLE)
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.terminate()
        for worker in workers:
            await asyncio.to_thread(worker.wait, 30)
        await store.close()


async def test_a_bot_without_a_model_hears_its_articles_end_from_a_worker(postgres_url, tmp_path):
    """BRIEFBOT_ANALYSIS=workers: the bot loads no model and analyses nothing; the brief its
    chat waits for comes from a worker (here in the same process, on its own pool)."""
    settings = Settings(database=postgres_url, model_cache=tmp_path / "m", analysis="workers")
    async with open_service(settings) as bot:
        assert bot.analyzer.model_name is None
        (response,) = await bot.handle(ChatRef(5), article(1))
        assert response.updates is not None
        assert [a.state for a in await bot.store.list_articles(5)] == ["queued"]

        async def brief() -> str:
            final = response.reply
            assert response.updates is not None
            async for update in response.updates:
                final = update
            return final.plain()

        async with open_service(settings, worker=True, use_model=False):
            text = await asyncio.wait_for(brief(), timeout=60)
    assert "Tomas Brandt" in text and "bridge 1" in text


async def test_a_brief_its_watcher_heard_is_not_sent_again_as_a_new_message(
    postgres_url: str, tmp_path: Path
) -> None:
    """A bot without a model learns an article's end by looking at the table every second.
    The reply that heard the end leaves while the next look is still reading the database;
    that look then found no one watching and sent the brief to the chat again, as if the
    article had ended unwatched (two bot processes showed 1 brief of 100 twice that way).
    Here the reply leaves at exactly that moment, every time."""
    told: list[int] = []

    class Chats:
        async def notify(self, chat_id: int, reply: Reply) -> None:
            told.append(chat_id)

    settings = Settings(database=postgres_url, model_cache=tmp_path / "m", analysis="workers")
    async with open_service(settings, notifier=Chats()) as bot:
        (response,) = await bot.handle(ChatRef(5), article(1))
        assert response.updates is not None
        heard, looking, left = asyncio.Event(), asyncio.Event(), asyncio.Event()
        read = bot.store.get_article_any

        async def slow_read(article_id: int) -> ArticleRecord | None:
            found = await read(article_id)
            if heard.is_set():  # the look after the reply heard the end
                looking.set()
                await left.wait()
            return found

        bot.store.get_article_any = slow_read  # type: ignore[method-assign]
        async with open_service(settings, worker=True, use_model=False):
            async with asyncio.timeout(60):
                async for update in response.updates:
                    final = update.plain()
                    heard.set()
                    await looking.wait()
            assert "bridge 1" in final
            left.set()
            await asyncio.sleep(0.5)  # a second brief, were one sent, is on its way now
    assert told == []

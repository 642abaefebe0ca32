"""The scaled shape for real: `briefbot worker` processes on one PostgreSQL, one SIGKILLed
midway, and an article whose worker died before the test began (claimed, never finished);
then the whole shape, two `briefbot run` processes in webhook mode behind the Bot API
stand-in (Telegram and the load balancer in one) with two workers.

Every article must be analysed exactly once (one analysis, one set of positions), the dead
workers' articles taken over once their leases ran out, and nothing left behind. Analysis
runs without the language model (`--no-model`): what is under test is the queue.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from botapi_stub import BotApiStub
from support import awake_zone, set_subscription_row

from bot.runtime import open_service
from bot.service import ChatRef, Reply
from bot.settings import Settings
from bot.telegram.app import webhook_secret
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


def start(command: list[str], tmp: Path, **env: str) -> subprocess.Popen[bytes]:
    """`briefbot COMMAND` as an operator starts it, with its stderr kept beside the test
    (shown when the test fails) rather than mixed into pytest's output."""
    settings = {
        "PYTHONPATH": str(ROOT),
        "BRIEFBOT_ANALYSIS_LEASE_S": "3",
        "BRIEFBOT_MODEL_CACHE": str(tmp / "cache"),
        "BRIEFBOT_LOG_LEVEL": "WARNING",
        **{f"BRIEFBOT_{name.upper()}": value for name, value in env.items()},
    }
    log = tmp / f"{command[0]}-{len(list(tmp.glob(command[0] + '-*')))}.log"
    with log.open("wb") as stderr:
        return subprocess.Popen(
            [sys.executable, "-m", "bot.cli", *command],
            env={**os.environ, **settings},
            cwd=tmp,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )


def start_worker(url: str, tmp: Path) -> subprocess.Popen[bytes]:
    return start(["worker", "--no-model"], tmp, database=url)


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


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
        await asyncio.to_thread(stop, workers)
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


SHAPE_ARTICLES = 100
SHAPE_CHATS = [200 + n for n in range(20)]
SUBSCRIBERS = [101, 102, 103]


def show_logs(tmp: Path) -> None:
    """The processes' own words, for a failing test's report."""
    for log in sorted(tmp.glob("*.log")):
        print(f"== {log.name}\n{log.read_text(errors='replace')[-3000:]}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def briefs_in(stub: BotApiStub, n: int) -> list[str]:
    """The chat's messages, as its user sees them now, that hold article n's brief."""
    marker = f"repair bridge {n} before winter"
    return [t for t in stub.texts(SHAPE_CHATS[n % 20]) if marker in t and "Reading it" not in t]


async def test_two_bots_and_two_workers_one_killed_lose_nothing_and_do_nothing_twice(
    postgres_url: str, tmp_path: Path
) -> None:
    """Issue 17's shape: 100 articles from 20 chats reach two bot processes through their
    webhooks, two workers analyse them and one is SIGKILLed midway, and three subscriptions
    are due as the bots start (they fell due while no process ran). Every article is
    analysed once, every brief shown once, every briefing sent once, none lost; and the two
    bots together stay under Telegram's flood limit, which the stand-in enforces."""
    store = await PostgresStore.open(postgres_url, name_key=name_key)
    now = datetime.now(UTC)
    zone = awake_zone(now)
    due = (now - timedelta(minutes=30)).astimezone(ZoneInfo(zone)).time().replace(second=0)
    for chat in SUBSCRIBERS:
        await store.subscribe(chat, due, zone)
        await set_subscription_row(postgres_url, chat, created_at=now - timedelta(days=1))
    stub = BotApiStub(global_limit=30)
    ports = [free_port(), free_port()]
    hooks = [f"http://127.0.0.1:{port}/hook" for port in ports]
    bot_env = {
        "database": postgres_url,
        "analysis": "workers",
        "telegram_token": stub.token,
        "telegram_api_url": stub.base_url,
        "telegram_senders": "2",
        "webhook_listen": "127.0.0.1",
    }
    processes = [
        *(
            start(["run"], tmp_path, webhook_url=hook, webhook_port=str(port), **bot_env)
            for hook, port in zip(hooks, ports, strict=True)
        ),
        start_worker(postgres_url, tmp_path),
        start_worker(postgres_url, tmp_path),
    ]
    victim = processes[2]
    try:
        stub.deliver_to(hooks, webhook_secret(stub.token))
        for n in range(SHAPE_ARTICLES):
            chat = SHAPE_CHATS[n % 20]
            stub.message(article(n), chat_id=chat, user_id=chat)
        await until(store, 30, seconds=90)
        victim.send_signal(signal.SIGKILL)
        await asyncio.to_thread(victim.wait)
        await until(store, SHAPE_ARTICLES, seconds=90)
        await stub.wait_for(
            lambda: all(briefs_in(stub, n) for n in range(SHAPE_ARTICLES)), seconds=30
        )
        await stub.wait_for(
            lambda: all(
                any("Your briefing" in t for t in stub.texts(chat)) for chat in SUBSCRIBERS
            ),
            seconds=30,
        )
        await asyncio.sleep(1.5)  # a duplicate, were there one, has time to arrive

        # every update went to one bot, and both bots took their share
        delivered = [update_id for update_id, _ in stub.delivered]
        assert len(delivered) == len(set(delivered)) == SHAPE_ARTICLES
        assert {hook for _, hook in stub.delivered} == set(hooks)
        # every article analysed once, whatever the kill
        rows = await store._fetch(
            "SELECT a.state, a.lease_owner,"
            " (SELECT count(*) FROM analyses an WHERE an.article_id = a.id) AS analyses,"
            " (SELECT count(*) FROM chat_articles ca WHERE ca.article_id = a.id) AS chats"
            " FROM articles a"
        )
        assert len(rows) == SHAPE_ARTICLES
        assert all(r["state"] == "done" and r["lease_owner"] is None for r in rows)
        assert all(r["analyses"] == 1 and r["chats"] == 1 for r in rows)
        # every brief shown once: one placeholder per article, edited into its brief
        assert all(len(briefs_in(stub, n)) == 1 for n in range(SHAPE_ARTICLES))
        for chat in SHAPE_CHATS:
            sent = [c for c in stub.sent("sendMessage") if int(c.params["chat_id"]) == chat]
            assert len(sent) == SHAPE_ARTICLES // len(SHAPE_CHATS)
        # every briefing sent once
        briefings = [
            int(c.params["chat_id"])
            for c in stub.sent("sendMessage")
            if "Your briefing" in c.params["text"]
        ]
        assert sorted(briefings) == SUBSCRIBERS
        assert stub.throttled == 0
        assert [p.poll() for p in processes if p is not victim] == [None, None, None]
    except BaseException:
        show_logs(tmp_path)
        raise
    finally:
        await asyncio.to_thread(stop, processes)
        stub.close()
        await store.close()


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


RESTART_ARTICLES = 20
RESTART_CHATS = [300 + n for n in range(10)]


def brief_calls(stub: BotApiStub, n: int) -> list[str]:
    """Every message sent or edited into article n's brief, in any chat (answered calls)."""
    marker = f"repair bridge {n} before winter"
    return [
        f"{c.method} {c.params['chat_id']}"
        for c in stub.sent("sendMessage", "editMessageText")
        if c.status == 200 and marker in c.params["text"]
    ]


async def test_a_bot_killed_while_its_chats_articles_wait_is_restarted_and_each_brief_told_once(
    postgres_url: str, tmp_path: Path
) -> None:
    """Two bot processes take 20 articles from 10 chats; one is SIGKILLed after its chats
    were told "Reading it now…" and before any article was analysed, then restarted while
    the worker analyses. The killed bot's replies are gone with it, but every chat is told
    each brief once: in place by the bot that still shows the reply, as a new message for
    the killed bot's chats (by whichever bot process claims it), and never both."""
    store = await PostgresStore.open(postgres_url, name_key=name_key)
    stub = BotApiStub()
    ports = [free_port(), free_port()]
    hooks = [f"http://127.0.0.1:{port}/hook" for port in ports]

    def start_bot(i: int) -> subprocess.Popen[bytes]:
        return start(
            ["run"],
            tmp_path,
            database=postgres_url,
            analysis="workers",
            telegram_token=stub.token,
            telegram_api_url=stub.base_url,
            telegram_senders="2",
            webhook_listen="127.0.0.1",
            webhook_url=hooks[i],
            webhook_port=str(ports[i]),
        )

    processes = [start_bot(0), start_bot(1)]
    try:
        # both listening (a bot sets its webhook once its server is up), so both take articles
        await stub.wait_for(lambda: len(stub.sent("setWebhook")) == 2, seconds=120)
        stub.deliver_to(hooks, webhook_secret(stub.token))
        for n in range(RESTART_ARTICLES):
            chat = RESTART_CHATS[n % len(RESTART_CHATS)]
            stub.message(article(n), chat_id=chat, user_id=chat)
        await stub.wait_for(
            lambda: (
                len([c for c in stub.sent("sendMessage") if "Stored as #" in c.params["text"]])
                == RESTART_ARTICLES
            ),
            seconds=120,
        )
        killed = {update_id for update_id, hook in stub.delivered if hook == hooks[0]}
        assert 0 < len(killed) < RESTART_ARTICLES  # both bots took their chats' articles
        processes[0].send_signal(signal.SIGKILL)
        await asyncio.to_thread(processes[0].wait)
        rows = await store._fetch("SELECT count(*) FROM articles WHERE state = 'queued'")
        assert rows[0][0] == RESTART_ARTICLES  # nothing analysed yet: no worker ran
        processes += [start_worker(postgres_url, tmp_path), start_bot(0)]

        await until(store, RESTART_ARTICLES, seconds=120)
        await stub.wait_for(
            lambda: all(brief_calls(stub, n) for n in range(RESTART_ARTICLES)), seconds=60
        )
        await asyncio.sleep(2.0)  # a second telling, were there one, has time to arrive

        told = {n: brief_calls(stub, n) for n in range(RESTART_ARTICLES)}
        assert all(len(calls) == 1 for calls in told.values()), told
        for n, calls in told.items():
            chat = RESTART_CHATS[n % len(RESTART_CHATS)]
            how = "sendMessage" if n + 1 in killed else "editMessageText"  # update ids from 1
            assert calls == [f"{how} {chat}"], (n, calls)
        rows = await store._fetch(
            "SELECT count(*) FROM chat_articles WHERE delivered_at IS NULL"
            " OR delivery_owner IS NOT NULL"
        )
        assert rows[0][0] == 0
        assert [p.poll() for p in processes[1:]] == [None, None, None]
    except BaseException:
        show_logs(tmp_path)
        raise
    finally:
        await asyncio.to_thread(stop, processes)
        stub.close()
        await store.close()


async def test_a_slow_send_keeps_its_hold_and_no_other_bot_process_sends_it_too(
    postgres_url: str, tmp_path: Path
) -> None:
    """An article whose bot process is gone ends; two bot processes look for chats to tell,
    and Telegram takes longer to answer the send than a hold lasts. The process sending it
    keeps holding the link while it waits, so the other does not send it as well."""
    told: list[tuple[str, int]] = []
    first = asyncio.Event()

    class SlowTelegram:
        def __init__(self, name: str) -> None:
            self.name = name

        async def notify(self, chat_id: int, reply: Reply) -> None:
            await asyncio.sleep(2.0)  # more than three holds of 0.6 s
            told.append((self.name, chat_id))
            first.set()

    settings = Settings(
        database=postgres_url,
        model_cache=tmp_path / "m",
        analysis="workers",
        analysis_lease_s=0.6,
    )
    store = await PostgresStore.open(postgres_url, name_key=name_key)
    try:  # stored by a bot process that died before it could follow the article
        await store.add_article(5, None, NewArticle(text=article(1)))
    finally:
        await store.close()
    async with (
        open_service(settings, notifier=SlowTelegram("a")),
        open_service(settings, notifier=SlowTelegram("b")),
        open_service(settings, worker=True, use_model=False),
    ):
        await asyncio.wait_for(first.wait(), timeout=60)
        await asyncio.sleep(3.0)  # a second send would be under way, and done, by now
    assert [chat for _, chat in told] == [5]

"""Load: the real PTB Application against the Bot API stand-in on 127.0.0.1, model off.

The stand-in (tests/botapi_stub.py's BotApiStub) runs in its own process, as Telegram is on
another machine: in the bot's process its HTTP threads would compete with the bot's event loop
for the GIL, and the bench would count the stand-in's work as the bot's. The bench drives it
over a pipe (BotApiStubProcess); the calls it records are stamped with time.monotonic(), one
clock system-wide on Linux, so they compare with the bench's own stamps.

Three measures, printed one per line:
  commands   100 chats send a non-model command at the same instant, for a few rounds:
             p50/p99 from the stand-in queuing the update to it receiving the reply
  analyses   N articles pasted at once by N chats: time to the "Stored as" placeholder and
             to the finished brief (the queue wait is the difference between articles)
  briefings  1,000 subscriptions made due at the same instant by the job queue: delivered,
             lost, 429s the stand-in answered, elapsed time
and the bot process's peak RSS (the bot alone: the stand-in's process is not counted).

The stand-in enforces Telegram's bulk limit (30 requests with a chat per rolling second, as
429s), so "flood-limit errors" counts what a real Telegram would have refused.

    .venv/bin/python bench/load.py [--chats 100] [--rounds 3] [--subscribers 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import resource
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from botapi_stub import BotApiStubProcess, Call  # noqa: E402
from support import running  # noqa: E402

from bot.runtime import open_service  # noqa: E402
from bot.service import ChatRef  # noqa: E402
from bot.service.limits import refusal  # noqa: E402
from bot.settings import Settings  # noqa: E402
from bot.telegram import build_application  # noqa: E402
from bot.telegram.limits import PER_SECOND  # noqa: E402
from seeds import demo_articles  # noqa: E402

COMMANDS = ["/help", "/articles", "/stance Ingrid Halvorsen", "/search gas", "/speakers"]
TELEGRAM_BULK_LIMIT = 30
SUBSCRIBER_BASE = 100_000
PASTER_BASE = 50_000


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def replies_after(calls: list[Call], chat_id: int, since: float, needle: str = "") -> list[float]:
    """When the bot sent `chat_id` a message (containing `needle`) from `since` on; `calls`
    is one `stub.sent("sendMessage")`, fetched once for all chats."""
    return [
        c.at
        for c in calls
        if int(c.params["chat_id"]) == chat_id and c.at >= since and needle in c.params["text"]
    ]


def all_answered(stub: BotApiStubProcess, started: dict[int, float]) -> bool:
    return len(first_replies(stub, started)) == len(started)


def first_replies(stub: BotApiStubProcess, started: dict[int, float]) -> dict[int, float]:
    """Each chat's first reply at or after its start, for the chats that have one yet."""
    first: dict[int, float] = {}
    for c in stub.sent("sendMessage"):
        chat_id = int(c.params["chat_id"])
        if chat_id in started and c.at >= started[chat_id]:
            first[chat_id] = min(c.at, first.get(chat_id, c.at))
    return first


async def seed(settings: Settings, chats: range, subscribers: range) -> None:
    """Every chat gets the demo articles, every subscriber one article and a 07:00 briefing;
    done through the service, before the bot starts, so the bot rebuilds the jobs itself."""
    articles = [text for _, text in demo_articles()]
    async with open_service(settings, use_model=False) as service:
        for chat_id in chats:
            for text in articles:
                for response in await service.handle(ChatRef(chat_id), text):
                    if response.updates is not None:
                        async for _ in response.updates:
                            pass
        for index, chat_id in enumerate(subscribers):
            await service.handle(ChatRef(chat_id), articles[index % len(articles)])
            await service.handle(ChatRef(chat_id), "/subscribe 07:00 UTC")


def timed_service(app) -> list[float]:
    """Records how long the service core takes per message: the bot's own share of a
    reply's latency, apart from the wait for a send slot under the flood limit."""
    service = app.bot_data["service"]
    handle, spent = service.handle, []

    async def timed(chat, text):
        started = time.monotonic()
        try:
            return await handle(chat, text)
        finally:
            spent.append(time.monotonic() - started)

    service.handle = timed
    return spent


async def commands(app, stub: BotApiStubProcess, chats: range, rounds: int) -> None:
    latencies: list[float] = []
    spent = timed_service(app)
    for round_no in range(rounds):
        started: dict[int, float] = {}
        for chat_id in chats:
            started[chat_id] = time.monotonic()
            stub.message(COMMANDS[(chat_id + round_no) % len(COMMANDS)], chat_id=chat_id)
        await stub.wait_for(partial(all_answered, stub, started), seconds=300)
        first = first_replies(stub, started)
        latencies += [first[c] - t for c, t in started.items()]
    ms = [1000 * x for x in latencies]
    core = [1000 * x for x in spent]
    print(
        f"commands: {len(chats)} chats x {rounds} rounds = {len(ms)} replies;"
        f" service core p50 {percentile(core, 50):.1f} ms, p99 {percentile(core, 99):.1f} ms;"
        f" delivered (update queued to reply received, paced at {PER_SECOND}/s)"
        f" p50 {percentile(ms, 50):.0f} ms, p99 {percentile(ms, 99):.0f} ms,"
        f" max {max(ms):.0f} ms; 429s so far {stub.throttled}"
    )


async def analyses(stub: BotApiStubProcess, database: Path | str, texts: list[str]) -> None:
    chats = range(PASTER_BASE, PASTER_BASE + len(texts))
    sent_at = {}
    for chat_id, text in zip(chats, texts, strict=True):
        sent_at[chat_id] = time.monotonic()
        stub.message(text, chat_id=chat_id)

    def all_analysed() -> bool:
        with sqlite3.connect(database) as db:
            (pending,) = db.execute(
                "SELECT COUNT(*) FROM articles a JOIN chat_articles ca ON ca.article_id = a.id"
                " WHERE ca.chat_id BETWEEN ? AND ? AND a.state IN ('queued', 'running')",
                (chats.start, chats.stop - 1),
            ).fetchone()
            (linked,) = db.execute(
                "SELECT COUNT(*) FROM chat_articles WHERE chat_id BETWEEN ? AND ?",
                (chats.start, chats.stop - 1),
            ).fetchone()
        return linked == len(texts) and pending == 0

    await stub.wait_for(all_analysed, seconds=600)
    await asyncio.sleep(1.0)  # the last brief is edited in just after its analysis is saved
    replies, edited = stub.sent("sendMessage"), stub.sent("editMessageText")
    placeholder = [min(replies_after(replies, c, t, "Stored as")) - t for c, t in sent_at.items()]
    finished = []
    for chat_id, at in sent_at.items():
        edits = [c.at for c in edited if int(c.params["chat_id"]) == chat_id]
        finished.append((max(edits) if edits else at) - at)
    print(
        f"analyses: {len(texts)} articles pasted at once (model off: positions only);"
        f" placeholder p50 {1000 * statistics.median(placeholder):.0f} ms,"
        f" max {1000 * max(placeholder):.0f} ms;"
        f" brief done p50 {statistics.median(finished):.1f} s,"
        f" last {max(finished):.1f} s (queue wait of the last = last - its own analysis)"
    )


async def briefings(app, stub: BotApiStubProcess, subscribers: range) -> None:
    jobs = [job for job in app.job_queue.jobs() if job.name.startswith("briefing:")]
    throttled_before = stub.throttled
    due = datetime.now(UTC) + timedelta(seconds=1)
    for job in jobs:
        job.job.modify(next_run_time=due)
    fired = time.monotonic() + 1.0

    def briefs() -> list[Call]:
        return [c for c in stub.sent("sendMessage") if "Your briefing" in c.params["text"]]

    def delivered() -> set[int]:
        return {int(c.params["chat_id"]) for c in briefs()}

    with contextlib.suppress(AssertionError):  # a timeout: the missing ones count as lost
        await stub.wait_for(lambda: len(delivered()) >= len(subscribers), seconds=300)
    got = delivered() & set(subscribers)
    last = max((c.at for c in briefs()), default=fired)
    print(
        f"briefings: {len(jobs)} jobs due at one instant; delivered {len(got)},"
        f" lost {len(subscribers) - len(got)},"
        f" flood-limit errors (429) {stub.throttled - throttled_before},"
        f" elapsed {last - fired:.1f} s ({len(got) / max(last - fired, 1e-9):.1f}/s;"
        f" Telegram's bulk limit {TELEGRAM_BULK_LIMIT}/s)"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--chats", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--subscribers", type=int, default=1000)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    with (
        # Telegram is another machine: the stand-in is another process (see the docstring)
        contextlib.closing(BotApiStubProcess(global_limit=TELEGRAM_BULK_LIMIT)) as stub,
        tempfile.TemporaryDirectory() as tmp,
    ):
        settings = Settings(
            telegram_token=stub.token,
            telegram_api_url=stub.base_url,
            database=Path(tmp) / "load.db",
            model_cache=Path(tmp) / "models",
            submissions_per_hour=1000,
        )
        chats = range(1, args.chats + 1)
        subscribers = range(SUBSCRIBER_BASE, SUBSCRIBER_BASE + args.subscribers)
        started = time.monotonic()
        await seed(settings, chats, subscribers)
        print(
            f"seeded: {len(chats)} chats x {len(demo_articles())} articles,"
            f" {len(subscribers)} subscribers, in {time.monotonic() - started:.1f} s"
        )
        # the held-out articles are new to the database, so each is really analysed
        heldout = [
            text
            for path in sorted((ROOT / "tests" / "heldout").glob("*.txt"))
            if refusal(text := path.read_text(encoding="utf-8")) is None
        ]
        async with running(build_application(settings, use_model=False)) as app:
            await analyses(stub, settings.database, heldout)
            await commands(app, stub, chats, args.rounds)
            await briefings(app, stub, subscribers)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"rss: peak {peak_mb:.0f} MB (the bot process alone: bot, SQLite, spaCy)")


if __name__ == "__main__":
    asyncio.run(main())

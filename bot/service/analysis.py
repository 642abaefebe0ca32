"""Running analyses off the event loop: one model instance, one worker, a bounded queue.

The database is the queue of record (an article is committed as 'queued' before any work
starts); the in-memory queue only wakes the worker and holds ids, so a full queue or a crash
never loses an article: the worker sweeps the table for queued articles when it runs dry,
and start-up re-queues whatever was 'running' when the process died. A database that
refuses the save (full, locked) leaves the article to the sweep as well, after a pause.

Every analysis begins with a claim (`Store.claim`): the article is leased to this process,
which renews the lease while it works. On a database shared with other processes
(`shared`: PostgreSQL, bot processes and `briefbot worker`s), that claim is what makes each
article analysed once: a worker takes the oldest waiting article itself, an article whose
worker died is taken over once its lease runs out, and a bot process that does no analysis
(`analyse=False`) learns how its chats' articles ended by looking at the table.

Every watcher of an article hears how it ends, whatever the end: done, failed, deleted while
it waited, or the bot stopping; a chat that waits on an event that never comes shows
"typing…" forever and holds up the bot's shutdown.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from pathlib import Path
from queue import SimpleQueue
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from bot.service.ports import Analyzer
from storage import ArticleRecord, StorageError, Store
from summarizer import pipeline
from summarizer.digest import stance_digest
from summarizer.model.base import GenerationInterrupted, TextGenerator
from summarizer.nlp import get_nlp
from summarizer.similarity import get_embedder
from summarizer.types import Analysis, StanceRecord

if TYPE_CHECKING:
    from summarizer.model.openai_backend import ServerOptions
    from summarizer.model.transformers_loading import LocalOptions

log = logging.getLogger(__name__)

SWEEP_RETRY_S = 1.0
DIGEST_GRACE_S = 5.0  # for the model to notice the interrupt at the digest's deadline
# A claimed article is leased this long and the lease renewed every third of it: a worker
# that dies (SIGKILL, a lost machine) holds its article at most this long.
LEASE_S = 60.0
# How often, on a shared database, a process looks for work other processes queued and for
# the ends of articles other processes analysed.
POLL_S = 1.0
# After the database refused to save an analysis (a full disk, a lock held elsewhere): the
# article waits for the sweep, and the worker this long, so a full disk is not hammered.
STORAGE_RETRY_S = 30.0
# Attempts at one article (each start of its analysis counts) before it is failed for good.
MAX_ATTEMPTS = 5
# A model that cannot hear the interrupt gets this long to finish at shutdown; then the
# process goes without it (its thread does not hold the exit).
CLOSE_GRACE_S = 5.0
T = TypeVar("T")


class AnalysisStopped(Exception):
    """The bot is stopping: the work was dropped, and the article stays queued."""


class DaemonExecutor(Executor):
    """One worker thread that does not hold the process at exit.

    ThreadPoolExecutor's threads are joined when the interpreter exits, so spaCy or a model
    that cannot be interrupted kept a stopped bot alive for minutes. What such a thread was
    doing is lost with the process, which costs nothing: its article is still queued in the
    database for the next start.
    """

    def __init__(self, name: str) -> None:
        self._jobs: SimpleQueue[tuple[Future[Any], Callable[[], Any]] | None] = SimpleQueue()
        self._closed = False
        self.thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self.thread.start()

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        if self._closed:
            raise RuntimeError("cannot schedule new futures after shutdown")
        future: Future[T] = Future()
        self._jobs.put((future, lambda: fn(*args, **kwargs)))
        return future

    def _serve(self) -> None:
        while (job := self._jobs.get()) is not None:
            future, call = job
            if not future.set_running_or_notify_cancel():
                continue
            try:
                result = call()
            except BaseException as exc:
                future.set_exception(exc)
            else:
                future.set_result(result)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._closed = True
        if cancel_futures:
            while not self._jobs.empty():
                job = self._jobs.get_nowait()
                if job is not None:
                    job[0].cancel()
        self._jobs.put(None)
        if wait:
            self.thread.join()


class LocalAnalyzer:
    """spaCy and the transformers model, in one dedicated thread.

    One thread means one model instance and no two generations competing for two cores;
    loading happens lazily in that thread on first use, so start-up stays fast.
    """

    def __init__(
        self,
        model_spec: str | None,
        *,
        cache_dir: Path,
        threads: int = 0,
        digest_timeout_s: float = 120.0,
        server: ServerOptions | None = None,
        local: LocalOptions | None = None,
        verdict: bool = False,
    ) -> None:
        self._spec = model_spec
        self._verdict = verdict
        self._server = server
        self._local = local
        self._digest_timeout_s = digest_timeout_s
        self._cache_dir = cache_dir
        self._threads = threads
        self._generator: TextGenerator | None = None
        self._executor = DaemonExecutor("analysis")
        self._closed = False
        self.model_name = model_spec
        # Articles come first: while one is queued or under analysis, a digest under way
        # stops (`_give_way`, read in the analysis thread) and waits (`_idle`) to start over.
        self._give_way = threading.Event()
        self._idle = asyncio.Event()
        self._idle.set()

    def _model(self) -> TextGenerator | None:
        if self._closed:  # shutting down: no new generation may start (nor clear the interrupt)
            raise GenerationInterrupted("the analyzer is closed")
        if self._spec is None:
            return None
        if self._generator is None:
            from summarizer.model.loader import load_generator

            self._generator = load_generator(
                self._spec,
                cache_dir=self._cache_dir,
                threads=self._threads,
                local=self._local,
                server=self._server,
            )
            self.model_name = self._generator.name
        return self._generator

    async def _run(self, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    def warm_up(self) -> None:
        """Queue the slow loads (spaCy ~2 s, the model ~30 s) ahead of the first article.

        Not awaited: start-up stays instant, and the first article simply waits behind the
        loads in the one analysis thread instead of paying for them itself.
        """

        def load() -> None:
            get_nlp()  # positions and the support check's parse of every model sentence
            if self._model() is not None:
                get_embedder()  # the summary's restatement rule (`summary.restates`)
            # spaCy's and the model's hundreds of thousands of objects live as long as the
            # process; left to the collector, every full collection scanned them all (about
            # 200 ms, a stall of the event loop that bench/load.py saw in its p99). Frozen,
            # they are never scanned again.
            gc.collect()
            gc.freeze()

        def report(done: Future[None]) -> None:
            if done.cancelled() or done.exception() is None:
                return
            if self._closed:  # quitting mid-load: the interpreter refuses the loader's threads
                log.debug("warm-up abandoned at shutdown", exc_info=done.exception())
            else:
                log.error("warm-up failed; articles will retry the load", exc_info=done.exception())

        self._executor.submit(load).add_done_callback(report)

    async def read(self, text: str, title: str | None) -> Analysis:
        return await self._run(lambda: pipeline.read(text, title=title))

    async def write(self, text: str, found: Analysis) -> Analysis:
        def work() -> Analysis:
            generator = self._model()
            if generator is None:
                return found
            return pipeline.write(text, found, generator, verdict=self._verdict)

        return await self._run(work)

    def articles_waiting(self, waiting: bool) -> None:
        """The queue's word, on the event loop, when it gains its first article or loses
        its last. A digest is an extra beside a list already on screen, so it may take
        minutes, but not anyone else's: an article never waits for one."""
        if waiting:
            self._idle.clear()
            self._give_way.set()
        else:
            self._give_way.clear()
            self._idle.set()

    async def digest(self, speaker: str, entries: Sequence[StanceRecord]) -> str | None:
        """The digest's time limit counts from the request. It is written only while no
        article waits: one that arrives stops it within a decode step, and it starts over
        when the articles are done, if time is left. Past the limit plus a grace, a digest
        still running is stuck where the model cannot hear the interrupt: its thread is
        abandoned like a timed-out analysis. One still waiting is only cancelled, so an
        article analysis in the thread is never interrupted for a digest."""
        deadline = time.monotonic() + self._digest_timeout_s

        def work(started: threading.Event) -> str | None:
            started.set()
            generator = self._model() if time.monotonic() < deadline else None
            if generator is None:
                return None
            return stance_digest(
                generator, speaker, entries, deadline=deadline, give_way=self._give_way
            )

        while True:
            try:
                await asyncio.wait_for(self._idle.wait(), timeout=deadline - time.monotonic())
            except TimeoutError:
                log.warning("no time was left for the stance digest of %s after articles", speaker)
                return None
            started = threading.Event()
            try:
                return await asyncio.wait_for(
                    self._run(work, started), timeout=deadline - time.monotonic() + DIGEST_GRACE_S
                )
            except GenerationInterrupted:
                if self._closed:
                    return None
                log.info("stance digest for %s gave way to an article; it starts over", speaker)
            except TimeoutError:
                if started.is_set():
                    self.abandon_work()
                log.warning("stance digest for %s took too long; the list stands alone", speaker)
                return None
            except Exception as exc:  # the model failed: the list stands alone, no traceback
                log.warning("stance digest for %s failed: %r", speaker, exc)
                return None

    def abandon_work(self) -> None:
        # A Python thread cannot be killed: tell the model to stop (it checks between decode
        # steps), and give the queue a fresh thread in case the stuck work is not the model's.
        # The model instance stays the one already in memory.
        if self._generator is not None:
            self._generator.interrupt()
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._executor = DaemonExecutor("analysis")

    async def close(self) -> None:
        """Stops within CLOSE_GRACE_S whatever runs: the model is told to stop between two
        decode steps; anything deaf to that is left behind (see DaemonExecutor)."""
        self._closed = True
        if self._generator is not None:
            self._generator.interrupt()
        self._executor.shutdown(wait=False, cancel_futures=True)
        await asyncio.to_thread(self._executor.thread.join, CLOSE_GRACE_S)


@dataclass
class Progress:
    """'positions' comes first and more may follow; every other stage is the last one.

    `ended`: False for a failure that is not the article's end (the database refused the
    save; the article is tried again, and its end told to the chat as a new message)."""

    stage: Literal["positions", "done", "failed", "deleted", "stopped"]
    analysis: Analysis | None = None
    error: str | None = None
    ended: bool = True


def worker_name() -> str:
    """Who holds a lease: unique per process, and readable in the table (host:pid:nonce)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class AnalysisQueue:
    def __init__(
        self,
        store: Store,
        analyzer: Analyzer,
        *,
        maxsize: int,
        timeout_s: float,
        shared: bool = False,
        analyse: bool = True,
        lease_s: float = LEASE_S,
        poll_s: float = POLL_S,
    ) -> None:
        """`shared`: other processes analyse from the same database; `analyse=False`: this
        process only queues and watches (workers elsewhere do the analysis)."""
        self._store = store
        self._analyzer = analyzer
        self._shared = shared
        self._analyses = analyse
        self._owner = worker_name()
        self._lease_s = lease_s
        self._poll_s = poll_s
        self._claimed: dict[int, ArticleRecord] = {}
        self._queue: asyncio.Queue[int] = asyncio.Queue(maxsize=maxsize)
        self._pending: set[int] = set()
        self._watchers: dict[int, list[asyncio.Queue[Progress]]] = {}
        self._timeout_s = timeout_s
        self._worker: asyncio.Task[None] | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    @property
    def waiting(self) -> int:
        return self._queue.qsize()

    async def start(self) -> None:
        if self._shared:
            # ends of articles analysed by other processes reach this one's watchers
            self._watcher = asyncio.create_task(self._watch(), name="analysis-watcher")
        if not self._analyses:
            return
        self._analyzer.warm_up()
        if not self._shared:  # the only worker: whatever was running died with it
            for article_id in await self._store.requeue_unfinished():
                self._offer(article_id)
        self._worker = asyncio.create_task(self._work(), name="analysis-worker")

    async def stop(self) -> None:
        """Ends the worker and tells every watcher; safe to call more than once.

        The article under way stays 'running' in the database, which the next start re-queues.
        """
        self._stopping.set()
        tasks = [t for t in (self._worker, self._watcher) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for article_id in list(self._watchers):
            self._publish(article_id, Progress(stage="stopped"))

    def _offer(self, article_id: int) -> bool:
        """False when the queue is full: the article stays 'queued' and the sweep finds it."""
        if article_id in self._pending:
            return True
        try:
            self._queue.put_nowait(article_id)
        except asyncio.QueueFull:
            return False
        self._hold(article_id)
        return True

    def _hold(self, article_id: int) -> None:
        """The article is this process's to analyse: model work that is not an article's
        (a stance digest) makes way for it until none is left."""
        if not self._pending:
            self._analyzer.articles_waiting(True)
        self._pending.add(article_id)

    def submit(self, article_id: int) -> tuple[bool, AsyncIterator[Progress]]:
        """Queue the article (once, however often it is submitted) and watch its progress."""
        watcher: asyncio.Queue[Progress] = asyncio.Queue()
        self._watchers.setdefault(article_id, []).append(watcher)
        if self._stopping.is_set():
            watcher.put_nowait(Progress(stage="stopped"))
            return True, self._follow(article_id, watcher)
        if not self._analyses:  # a worker elsewhere claims it from the table
            return True, self._follow(article_id, watcher)
        return self._offer(article_id), self._follow(article_id, watcher)

    def _follow(self, article_id: int, watcher: asyncio.Queue[Progress]) -> AsyncIterator[Progress]:

        async def follow() -> AsyncIterator[Progress]:
            try:
                while True:
                    event = await watcher.get()
                    yield event
                    if event.stage != "positions":
                        return
            finally:
                watchers = self._watchers.get(article_id, [])
                if watcher in watchers:
                    watchers.remove(watcher)
                if not watchers:
                    self._watchers.pop(article_id, None)

        return follow()

    def _publish(self, article_id: int, event: Progress) -> None:
        """Only to this process's watchers: the chats of an article no one here watches are
        told by `bot.service.deliveries`, from the database."""
        for watcher in self._watchers.get(article_id, []):
            watcher.put_nowait(event)

    async def _next(self) -> int:
        while True:
            if self._queue.empty():
                if not self._shared:
                    for article_id in await self._store.requeue_unfinished():
                        self._offer(article_id)
                    return await self._queue.get()
                # the oldest article waiting, whichever process queued it, or whose worker died
                claimed = await self._store.claim(None, self._owner, self._lease_s)
                if claimed is not None:
                    self._claimed[claimed.id] = claimed
                    self._hold(claimed.id)
                    return claimed.id
            try:
                return await asyncio.wait_for(self._queue.get(), self._poll_s)
            except TimeoutError:
                continue

    async def _watch(self) -> None:
        """Tells this process's watchers how articles analysed elsewhere ended."""
        while True:
            await asyncio.sleep(self._poll_s)
            for article_id in list(self._watchers):
                if article_id in self._pending:  # analysed here: it tells them itself
                    continue
                try:
                    await self._settled_elsewhere(article_id)
                except StorageError:
                    log.warning("could not look at article %s; looking again", article_id)

    async def _settled_elsewhere(self, article_id: int) -> None:
        """The watchers hear the end of an article this process could not claim."""
        article = await self._store.get_article_any(article_id)
        if article is None:
            self._publish(article_id, Progress(stage="deleted"))
        elif article.state == "done":
            analysis = await self._store.get_analysis(article_id)
            self._publish(article_id, Progress(stage="done", analysis=analysis))
        elif article.state == "failed":
            analysis = await self._store.get_analysis(article_id)
            self._publish(
                article_id,
                Progress(stage="failed", analysis=analysis, error="the analysis failed"),
            )
        # still queued or leased to a live worker: its end comes later

    async def _keep_lease(self, article_id: int) -> None:
        while True:
            await asyncio.sleep(self._lease_s / 3)
            try:
                if not await self._store.renew_lease(article_id, self._owner, self._lease_s):
                    log.warning("lost the lease on article %s", article_id)
                    return
            except StorageError:
                log.warning("could not renew the lease on article %s", article_id)

    async def bounded(self, work: Awaitable[T]) -> T:
        """Model work off the queue (a stance digest) under the same time limit as an analysis:
        a stuck digest would otherwise hold the one analysis thread, and every article after it.
        Raises AnalysisStopped as soon as the bot stops.
        """
        job = asyncio.ensure_future(work)
        stopping = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait(
                {job, stopping}, timeout=self._timeout_s, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            stopping.cancel()
        if job.done():
            return job.result()
        job.cancel()
        if self._stopping.is_set():
            raise AnalysisStopped
        self._analyzer.abandon_work()
        raise TimeoutError

    async def _work(self) -> None:
        while True:
            try:
                article_id = await self._next()
            except Exception:
                # The sweep reads the database; a lock held elsewhere must not end the worker
                # for good (every later article would wait for a restart).
                log.exception("could not look for queued articles; retrying")
                await asyncio.sleep(SWEEP_RETRY_S)
                continue
            try:
                await self._analyse(article_id)
            except asyncio.CancelledError:
                raise
            except StorageError:
                log.exception("could not save article %s; it stays queued", article_id)
                await self._retry_later(article_id)
            except Exception as exc:  # the worker must outlive any one article
                log.exception("analysis of article %s failed", article_id)
                await self._fail(article_id, "the analysis failed unexpectedly", exc)
            finally:
                self._pending.discard(article_id)
                if not self._pending:
                    self._analyzer.articles_waiting(False)

    async def _retry_later(self, article_id: int) -> None:
        """The database refused (full disk, lock): the article is not failed but left 'running',
        which the sweep re-queues; a later attempt finds room and tells its chats."""
        try:
            gone = await self._store.get_article_any(article_id) is None
        except StorageError:
            gone = False
        if gone:  # deleted under the analysis: its save had nowhere to go
            self._publish(article_id, Progress(stage="deleted"))
            return
        self._publish(
            article_id,
            Progress(
                stage="failed",
                error="the database could not store the analysis; I'll try again and tell you",
                ended=False,
            ),
        )
        await asyncio.sleep(STORAGE_RETRY_S)

    async def _fail(self, article_id: int, message: str, exc: BaseException | None = None) -> None:
        try:
            await self._store.mark_failed(article_id, f"{message}: {exc!r}" if exc else message)
        except Exception:
            log.exception("could not record the failure of article %s", article_id)
        self._publish(article_id, Progress(stage="failed", error=message))

    async def _analyse(self, article_id: int) -> None:
        article = self._claimed.pop(article_id, None) or await self._store.claim(
            article_id, self._owner, self._lease_s
        )
        if article is None:  # deleted while it waited, or another process has it
            await self._settled_elsewhere(article_id)
            return
        if article.attempts > MAX_ATTEMPTS:
            await self._fail(article_id, f"I gave up on it after {article.attempts - 1} attempts")
            return
        lease = asyncio.create_task(self._keep_lease(article_id))
        try:
            await self._analyse_claimed(article_id, article)
        finally:
            lease.cancel()

    async def _analyse_claimed(self, article_id: int, article: ArticleRecord) -> None:
        try:
            # Reading needs no model, but a pathological text can still keep spaCy busy for
            # minutes; the queue must not wait on it any longer than on the model.
            found = await asyncio.wait_for(
                self._analyzer.read(article.text, article.title), timeout=self._timeout_s
            )
        except TimeoutError:
            log.warning("reading article %s timed out", article_id)
            self._analyzer.abandon_work()
            await self._fail(article_id, "reading the article took too long")
            return
        # The reply shows the positions now: stored now, /positions and /stance find them
        # while the model writes, and a model that fails or times out leaves them kept.
        await self._store.save_analysis(article_id, found, finished=False)
        self._publish(article_id, Progress(stage="positions", analysis=found))
        try:
            finished = await asyncio.wait_for(
                self._analyzer.write(article.text, found), timeout=self._timeout_s
            )
        except TimeoutError:
            log.warning("model timed out on article %s; keeping positions only", article_id)
            self._analyzer.abandon_work()
            await self._fail(article_id, "the model took too long; positions are kept")
            return
        except Exception as exc:
            # The positions are real work that needs no model: kept, the rest reported.
            log.exception("model failed on article %s; keeping positions only", article_id)
            await self._fail(
                article_id, "the summary could not be written; positions are kept", exc
            )
            return
        await self._store.save_analysis(article_id, finished)
        self._publish(article_id, Progress(stage="done", analysis=finished))

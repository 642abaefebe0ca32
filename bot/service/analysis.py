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
from concurrent import futures
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
from summarizer.writing import Written

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
# The model's pass stops itself this long before the analysis limit (or a tenth of the
# limit, if less) and gives what it finished: the time for the interrupt to reach the model
# (a decode step), the checks of the answers under way and the stand-ins' composition. A
# pass still running at the limit is deaf to the interrupt and abandoned.
WRITE_GRACE_S = 15.0
# A reply is shown again with the sentences checked so far at most this often: each is an
# edit of a Telegram message, and a brief's sentences may all be checked within a second.
SHOW_EVERY_S = 2.0
MODEL_UNAVAILABLE = "the model could not be loaded, so there is no summary; positions are kept"
# How often the analysis thread, waiting for the model's load, looks whether the bot stops.
LOAD_POLL_S = 0.1
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


class ModelUnavailable(Exception):
    """The model could not be loaded. Its reason (a setting, a path) is the operator's and
    goes to the log, once per try; a chat reads only that the summary is missing."""


def _settle() -> None:
    """spaCy's and the model's hundreds of thousands of objects live as long as the process;
    left to the collector, every full collection scanned them all (about 200 ms, a stall of
    the event loop that bench/load.py saw in its p99). Frozen, they are never scanned again."""
    gc.collect()
    gc.freeze()


class LocalAnalyzer:
    """spaCy and the transformers model, generating in one dedicated thread.

    One thread means one model instance and no two generations competing for two cores.
    The model is loaded in a thread of its own, begun when the service starts (`warm_up`):
    the load takes 14-45 s on 2 shared cores, and in the analysis thread it held up the
    first article's positions, which need only spaCy, and counted against the first
    digest's limit.
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
        self._loading: Future[TextGenerator] | None = None
        self._load_lock = threading.Lock()
        self._executor = DaemonExecutor("analysis")
        self._closed = False
        self.model_name = model_spec
        # Articles come first: while one is queued or under analysis, a digest under way
        # stops (`_give_way`, read in the analysis thread) and waits (`_idle`) to start over.
        self._give_way = threading.Event()
        self._idle = asyncio.Event()
        self._idle.set()

    def _load(self) -> Future[TextGenerator]:
        """The model's load under way, or a new one: after a failure the next article tries
        again (the operator may have fixed the setting meanwhile)."""
        with self._load_lock:
            if self._loading is None:
                loading: Future[TextGenerator] = Future()
                loading.set_running_or_notify_cancel()  # a waiter that gives up cannot cancel it
                self._loading = loading
                threading.Thread(
                    target=self._load_into, args=(loading,), name="model-load", daemon=True
                ).start()
            return self._loading

    def _load_into(self, loading: Future[TextGenerator]) -> None:
        from transformers.utils import logging as transformers_logging

        from summarizer.model.loader import load_generator

        # a bar drawn by a load nobody waits at would cut through the console's prompt
        transformers_logging.disable_progress_bar()
        assert self._spec is not None
        started = time.monotonic()
        try:
            generator = load_generator(
                self._spec,
                cache_dir=self._cache_dir,
                threads=self._threads,
                local=self._local,
                server=self._server,
            )
            get_embedder()  # the summary's restatement rule (`summary.restates`)
        except BaseException as exc:
            if self._closed:  # quitting mid-load: the interpreter refuses the loader's threads
                log.debug("model load abandoned at shutdown", exc_info=exc)
            else:
                log.error("the model could not be loaded: %s", str(exc) or type(exc).__name__)
                log.debug("model load failed", exc_info=exc)
            loading.set_exception(exc)
            return
        self.model_name = generator.name
        self._generator = generator
        loading.set_result(generator)
        log.info("model %s loaded in %.1f s", generator.name, time.monotonic() - started)
        _settle()

    def _unavailable(self, loading: Future[TextGenerator]) -> ModelUnavailable:
        """The failed load is forgotten, so that the next caller starts another."""
        with self._load_lock:
            if self._loading is loading:
                self._loading = None
        return ModelUnavailable(str(loading.exception()))

    def _model(self) -> TextGenerator | None:
        """In the analysis thread: the model, once loaded. The wait for the load is polled,
        so that a close() is not held up by a load it cannot stop, and a thread abandoned
        meanwhile (`abandon_work`) does not go on to write for an article given up on."""
        if self._closed:  # shutting down: no new generation may start (nor clear the interrupt)
            raise GenerationInterrupted("the analyzer is closed")
        if self._spec is None or self._generator is not None:
            return self._generator
        loading = self._load()
        while not futures.wait([loading], timeout=LOAD_POLL_S).done:
            if self._closed or self._executor.thread is not threading.current_thread():
                raise GenerationInterrupted("the analyzer is closed or gave this work up")
        if loading.exception() is not None:
            raise self._unavailable(loading)
        return loading.result()

    async def loaded(self) -> None:
        """Waits, on the event loop, for the model's load; ModelUnavailable if it failed.
        Public for what measures the time after the load (`bench/digest.py`)."""
        if self._spec is None or self._generator is not None:
            return
        loading = self._load()
        try:
            await asyncio.wrap_future(loading)
        except Exception:
            raise self._unavailable(loading) from None

    async def _run(self, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    def warm_up(self) -> None:
        """Start the slow loads ahead of the first article: spaCy (~2 s) in the analysis
        thread, the model (14-45 s on 2 shared cores, load average 5-7) in its own.

        Not awaited: start-up stays instant; the first article's positions wait for spaCy
        alone, and its summary for whatever is left of the model's load.
        """

        def load_nlp() -> None:
            get_nlp()  # positions and the support check's parse of every model sentence
            if self._spec is None:
                _settle()

        def report(done: Future[None]) -> None:
            if done.cancelled() or done.exception() is None:
                return
            if self._closed:  # quitting mid-load: the interpreter refuses the loader's threads
                log.debug("warm-up abandoned at shutdown", exc_info=done.exception())
            else:
                log.error("warm-up failed; articles will retry the load", exc_info=done.exception())

        self._executor.submit(load_nlp).add_done_callback(report)
        if self._spec is not None:
            self._load()

    async def read(self, text: str, title: str | None) -> Analysis:
        return await self._run(lambda: pipeline.read(text, title=title))

    async def write(
        self,
        text: str,
        found: Analysis,
        *,
        deadline: float | None = None,
        progress: Callable[[Written], None] | None = None,
    ) -> Analysis:
        loop = asyncio.get_running_loop()

        def heard(written: Written) -> None:  # in the analysis thread
            assert progress is not None
            loop.call_soon_threadsafe(progress, written)

        def work() -> Analysis:
            generator = self._model()
            if generator is None:
                return found
            return pipeline.write(
                text,
                found,
                generator,
                verdict=self._verdict,
                deadline=deadline,
                progress=heard if progress is not None else None,
            )

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
        """The digest's time limit counts from the request, or from the end of the model's
        load if that comes later: the load is the process's, once, and on a cold, busy host
        it ate the limit (a first /stance after start came back without a digest after
        123 s). The wait for the load is bounded by the analysis limit, as all model work
        is (`AnalysisQueue.bounded`); a load that failed raises ModelUnavailable.

        It is written only while no article waits: one that arrives stops it within a
        decode step, and it starts over when the articles are done, if time is left. Past
        the limit plus a grace, a digest still running is stuck where the model cannot hear
        the interrupt: its thread is abandoned like a timed-out analysis. One still waiting
        is only cancelled, so an article analysis in the thread is never interrupted for a
        digest."""
        await self.loaded()
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
        started = time.perf_counter()
        latest: list[Written] = []  # the last of what the model finished, for a deaf model
        shown_at = time.monotonic()
        ended = False

        def heard(written: Written) -> None:
            nonlocal shown_at
            if ended:  # an abandoned pass that went on: its article has ended already
                return
            latest[:] = [written]
            if time.monotonic() - shown_at >= SHOW_EVERY_S:
                shown_at = time.monotonic()
                partial = pipeline.shown(found, written, model=self._analyzer.model_name)
                self._publish(article_id, Progress(stage="positions", analysis=partial))

        try:
            finished = await asyncio.wait_for(
                self._analyzer.write(
                    article.text,
                    found,
                    deadline=time.monotonic()
                    + self._timeout_s
                    - min(WRITE_GRACE_S, self._timeout_s / 10),
                    progress=heard,
                ),
                timeout=self._timeout_s,
            )
        except TimeoutError:
            ended = True
            self._analyzer.abandon_work()
            if not latest:
                log.warning("model timed out on article %s; keeping positions only", article_id)
                await self._fail(article_id, "the model took too long; positions are kept")
                return
            log.warning(
                "model deaf past its limit on article %s; keeping what it wrote", article_id
            )
            finished = await asyncio.to_thread(
                pipeline.brief,
                article.text,
                found,
                latest[0],
                model=self._analyzer.model_name,
                started=started,
            )
        except ModelUnavailable as exc:  # the load said why, in the log
            await self._fail(article_id, MODEL_UNAVAILABLE, exc)
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

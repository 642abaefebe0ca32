"""Running analyses off the event loop: one model instance, one worker, a bounded queue.

The database is the queue of record (an article is committed as 'queued' before any work
starts); the in-memory queue only wakes the worker and holds ids, so a full queue or a crash
never loses an article: the worker sweeps the table for queued articles when it runs dry,
and start-up re-queues whatever was 'running' when the process died.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
import time
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from storage import Store
from summarizer import pipeline
from summarizer.digest import StanceEntry, stance_digest
from summarizer.model.base import TextGenerator
from summarizer.nlp import get_nlp, get_parser
from summarizer.types import Analysis

log = logging.getLogger(__name__)

SWEEP_RETRY_S = 1.0
DIGEST_GRACE_S = 5.0  # for the model to notice the interrupt at the digest's deadline


class Analyzer(Protocol):
    """What the service needs from the NLP side; swap in a remote model server behind it."""

    model_name: str | None

    async def draft(self, text: str, title: str | None) -> Analysis: ...
    async def complete(self, text: str, drafted: Analysis) -> Analysis: ...
    async def digest(self, speaker: str, entries: Sequence[StanceEntry]) -> str | None:
        """A paragraph on the speaker's stance lines, or None (no model, one article, failed
        checks, or not done within the digest's own time limit). Never raises for a slow
        or failing model: the dated list it would sit beside is already on screen."""
        ...

    def warm_up(self) -> None: ...
    def abandon_work(self) -> None:
        """Called after a timeout: whatever is stuck must not hold up the next article."""
        ...

    async def close(self) -> None: ...


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
        digest_timeout_s: float = 20.0,
    ) -> None:
        self._spec = model_spec
        self._digest_timeout_s = digest_timeout_s
        self._cache_dir = cache_dir
        self._threads = threads
        self._generator: TextGenerator | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="analysis")
        self._closed = False
        self.model_name = model_spec

    def _model(self) -> TextGenerator | None:
        if self._spec is None:
            return None
        if self._generator is None:
            from summarizer.model.loader import load_generator

            self._generator = load_generator(
                self._spec, cache_dir=self._cache_dir, threads=self._threads
            )
            self.model_name = self._generator.name
        return self._generator

    async def _run(self, fn, *args):  # type: ignore[no-untyped-def]
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    def warm_up(self) -> None:
        """Queue the slow loads (spaCy ~2 s, the model ~30 s) ahead of the first article.

        Not awaited: start-up stays instant, and the first article simply waits behind the
        loads in the one analysis thread instead of paying for them itself.
        """

        def load() -> None:
            get_nlp()
            get_parser()  # the support check's parse of every model sentence
            self._model()
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

    async def draft(self, text: str, title: str | None) -> Analysis:
        return await self._run(lambda: pipeline.draft(text, title=title))

    async def complete(self, text: str, drafted: Analysis) -> Analysis:
        def work() -> Analysis:
            generator = self._model()
            return drafted if generator is None else pipeline.complete(text, drafted, generator)

        return await self._run(work)

    async def digest(self, speaker: str, entries: Sequence[StanceEntry]) -> str | None:
        """The digest's time limit counts from the request: one that waited behind an article
        for all of it is not written at all. Past the limit plus a grace, a digest still
        running is stuck where the model cannot hear the interrupt: its thread is
        abandoned like a timed-out analysis. One still waiting is only cancelled, so an
        article analysis in the thread is never interrupted for a digest."""
        deadline = time.monotonic() + self._digest_timeout_s
        started = threading.Event()

        def work() -> str | None:
            started.set()
            generator = self._model() if time.monotonic() < deadline else None
            if generator is None:
                return None
            return stance_digest(generator, speaker, entries, deadline=deadline)

        try:
            return await asyncio.wait_for(
                self._run(work), timeout=self._digest_timeout_s + DIGEST_GRACE_S
            )
        except TimeoutError:
            if started.is_set():
                self.abandon_work()
            log.warning("stance digest for %s took too long; the list stands alone", speaker)
        except Exception as exc:  # the model failed: the list stands alone, no traceback shown
            log.warning("stance digest for %s failed: %r", speaker, exc)
        return None

    def abandon_work(self) -> None:
        # A Python thread cannot be killed: tell the model to stop (it checks between decode
        # steps), and give the queue a fresh thread in case the stuck work is not the model's.
        # The model instance stays the one already loaded.
        if self._generator is not None:
            self._generator.interrupt()
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="analysis")

    async def close(self) -> None:
        self._closed = True
        self._executor.shutdown(wait=False, cancel_futures=True)


@dataclass
class Progress:
    stage: Literal["positions", "done", "failed"]
    analysis: Analysis | None = None
    error: str | None = None


class AnalysisQueue:
    def __init__(self, store: Store, analyzer: Analyzer, *, maxsize: int, timeout_s: float) -> None:
        self._store = store
        self._analyzer = analyzer
        self._queue: asyncio.Queue[int] = asyncio.Queue(maxsize=maxsize)
        self._pending: set[int] = set()
        self._watchers: dict[int, list[asyncio.Queue[Progress]]] = {}
        self._timeout_s = timeout_s
        self._worker: asyncio.Task[None] | None = None

    @property
    def waiting(self) -> int:
        return self._queue.qsize()

    async def start(self) -> None:
        self._analyzer.warm_up()
        for article_id in await self._store.requeue_unfinished():
            self._offer(article_id)
        self._worker = asyncio.create_task(self._work(), name="analysis-worker")

    async def stop(self) -> None:
        if self._worker:
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)

    def _offer(self, article_id: int) -> bool:
        """False when the queue is full: the article stays 'queued' and the sweep finds it."""
        if article_id in self._pending:
            return True
        try:
            self._queue.put_nowait(article_id)
        except asyncio.QueueFull:
            return False
        self._pending.add(article_id)
        return True

    def submit(self, article_id: int) -> tuple[bool, AsyncIterator[Progress]]:
        """Queue the article (once, however often it is submitted) and watch its progress."""
        watcher: asyncio.Queue[Progress] = asyncio.Queue()
        self._watchers.setdefault(article_id, []).append(watcher)
        accepted = self._offer(article_id)

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

        return accepted, follow()

    def _publish(self, article_id: int, event: Progress) -> None:
        for watcher in self._watchers.get(article_id, []):
            watcher.put_nowait(event)

    async def _next(self) -> int:
        if self._queue.empty():
            for article_id in await self._store.requeue_unfinished():
                self._offer(article_id)
        return await self._queue.get()

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
            except Exception as exc:  # the worker must outlive any one article
                log.exception("analysis of article %s failed", article_id)
                await self._fail(article_id, "the analysis failed unexpectedly", exc)
            finally:
                self._pending.discard(article_id)

    async def _fail(self, article_id: int, message: str, exc: BaseException | None = None) -> None:
        try:
            await self._store.mark_failed(article_id, f"{message}: {exc!r}" if exc else message)
        except Exception:
            log.exception("could not record the failure of article %s", article_id)
        self._publish(article_id, Progress(stage="failed", error=message))

    async def _analyse(self, article_id: int) -> None:
        article = await self._store.get_article_any(article_id)
        if article is None:  # deleted while it waited
            return
        await self._store.mark_running(article_id)
        try:
            # Reading needs no model, but a pathological text can still keep spaCy busy for
            # minutes; the queue must not wait on it any longer than on the model.
            drafted = await asyncio.wait_for(
                self._analyzer.draft(article.text, article.title), timeout=self._timeout_s
            )
        except TimeoutError:
            log.warning("reading article %s timed out", article_id)
            self._analyzer.abandon_work()
            await self._fail(article_id, "reading the article took too long")
            return
        self._publish(article_id, Progress(stage="positions", analysis=drafted))
        try:
            finished = await asyncio.wait_for(
                self._analyzer.complete(article.text, drafted), timeout=self._timeout_s
            )
        except TimeoutError:
            log.warning("model timed out on article %s; keeping positions only", article_id)
            self._analyzer.abandon_work()
            await self._store.save_analysis(article_id, drafted)
            await self._fail(article_id, "the model took too long; positions are kept")
            return
        except Exception as exc:
            # The positions are real work that needs no model: keep them, report the rest.
            log.exception("model failed on article %s; keeping positions only", article_id)
            await self._store.save_analysis(article_id, drafted)
            await self._fail(
                article_id, "the summary could not be written; positions are kept", exc
            )
            return
        await self._store.save_analysis(article_id, finished)
        self._publish(article_id, Progress(stage="done", analysis=finished))

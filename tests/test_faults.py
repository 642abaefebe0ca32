"""Faults: the model fails or hangs, the database is locked or full, the process is killed
mid-analysis, and Telegram answers 5xx. Nothing is lost and every user hears what happened.

Everything is real (SQLite files, spaCy, the analysis thread, PTB over HTTP to the Bot API
stand-in) except the language model: `StandInModel` replaces it, because a real model
cannot be made to crash or hang on demand.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from botapi_stub import BotApiStub
from standins import STARTED, StandInAnalyzer, StandInModel, by_opening, read_ahead, warm
from support import (
    ARTICLE,
    CHAT,
    PATROLS,
    demo,
    rows,
    settings_for,
    showing,
    sqlite_of,
    text_of,
)
from telegram.ext import Application

from bot.runtime import open_service
from bot.service import ChatRef
from bot.service.analysis import LocalAnalyzer
from summarizer.similarity import get_embedder

TESTS = Path(__file__).parent
ROOT = TESTS.parent
PROMISE = "\u201cWe will keep every promise we made on transport,\u201d Mayor Jane Doe added."


# ---------------------------------------------------------------------------------------
# the model


async def test_model_that_raises_keeps_positions_and_says_so(tmp_path: Path) -> None:
    model = StandInModel("raise", "answer")
    async with open_service(settings_for(tmp_path), analyzer=StandInAnalyzer(model)) as svc:
        first = await text_of(await svc.handle(CHAT, demo("02_ceasefire")))
        second = await text_of(await svc.handle(CHAT, demo("03_energy")))
    assert "Sorry: the summary could not be written; positions are kept." in first
    assert "Who said what" in first and "Taras Lisovskiy" in first
    assert "Sorry" not in second and "#2 · EU ministers split" in second
    assert rows(settings_for(tmp_path).database, "SELECT id, state FROM articles ORDER BY id") == [
        (1, "failed"),
        (2, "done"),
    ]


async def test_model_that_hangs_times_out_and_frees_the_queue(tmp_path: Path) -> None:
    """The stuck call keeps its thread (Python cannot kill it); abandon_work hands the queue a
    fresh one, so the article behind it is analysed in full while the first is still stuck."""
    model = StandInModel("hang", "answer")
    config = settings_for(tmp_path, analysis_timeout_s=1.0)
    try:
        analyzer = StandInAnalyzer(model)
        async with open_service(config, analyzer=analyzer) as svc:
            await read_ahead(analyzer, *(demo(n) for n in ("02_cease", "03_ener")))
            started = time.monotonic()
            submitted = [await svc.handle(CHAT, demo(n)) for n in ("02_cease", "03_ener")]
            first, second = await asyncio.wait_for(
                asyncio.gather(*(text_of(r) for r in submitted)), timeout=30
            )
            elapsed = time.monotonic() - started
            assert not model.release.is_set()  # the first call is still stuck in its thread
            assert model.interrupted  # ... though it was asked to stop
    finally:
        model.release.set()
    assert "Sorry: the model took too long; positions are kept." in first
    assert "Taras Lisovskiy" in first
    assert "Sorry" not in second and "#2 · EU ministers split" in second
    assert elapsed < 15
    assert rows(config.database, "SELECT state FROM articles ORDER BY id") == [
        ("failed",),
        ("done",),
    ]


PATROLS_EVENT = "Finland and Estonia agreed to share six patrol boats in the Gulf of Finland."
PATROLS_VIRTANEN = (
    "Anna Virtanen said joint patrols will start in May and the boats will carry no weapons."
)
PATROLS_TAMM = "Karl Tamm said the cost could rise if fuel prices kept climbing."


@pytest.mark.parametrize("deaf", [False, True], ids=["stops", "deaf"])
async def test_a_writer_slower_than_the_limit_keeps_what_it_finished(
    tmp_path: Path, deaf: bool
) -> None:
    """An article quoting many people ran past the analysis limit on a busy host, and the
    summary and every stance line the model had finished were thrown away with the rest.
    Here the model writes the event sentence and the most quoted speaker's line (Tamm's:
    it is asked first), then never finishes Virtanen's: the brief keeps both, Virtanen's
    quotes stand in, the reply says the model ran out of time, and the article is done, not
    failed. A model deaf to the interrupt is abandoned at the limit, and what it had
    finished is kept all the same."""
    model = StandInModel(
        "trickle",
        answer=by_opening(
            event=PATROLS_EVENT, lines={"Anna Virtanen": None, "Karl Tamm": PATROLS_TAMM}
        ),
        row_s=0.0,
        deaf=deaf,
    )
    config = settings_for(tmp_path, analysis_timeout_s=6.0)  # time for two checks, loaded host
    get_embedder()  # the summary's restatement rule: its load is not the model's time
    try:
        async with open_service(config, analyzer=StandInAnalyzer(model)) as svc:
            await warm(svc)
            reply = await asyncio.wait_for(text_of(await svc.handle(CHAT, PATROLS)), timeout=30)
            stored = await svc.store.get_analysis(1)
    finally:
        model.release.set()
    assert model.interrupted
    assert "Sorry" not in reply
    assert f"{PATROLS_EVENT} {PATROLS_TAMM}" in reply
    assert "the model ran out of time for 1 of the brief's sentence" in reply
    line = "Anna Virtanen — Finnish Interior Minister: [The model ran out of time for a stance line"
    assert line in reply  # not "no line passed the checks": none was finished to check
    assert stored is not None and stored.summary is not None and stored.summary.unfinished == 1
    assert [(p.stance_fallback, p.stance_unfinished) for p in stored.positions] == [
        (True, True),
        (False, False),
    ]
    assert rows(config.database, "SELECT state FROM articles") == [("done",)]


async def test_the_reply_shows_each_sentence_as_it_is_checked(tmp_path: Path) -> None:
    """A brief of many speakers took minutes, and its reply showed only who said what until
    the end; now the summary shows as soon as it passes its checks, then each stance line,
    the most quoted speaker's first."""
    model = StandInModel(
        "trickle",
        answer=by_opening(
            event=PATROLS_EVENT,
            lines={"Anna Virtanen": PATROLS_VIRTANEN, "Karl Tamm": PATROLS_TAMM},
        ),
        row_s=2.5,  # past the 2 s between two showings
    )
    get_embedder()
    async with open_service(settings_for(tmp_path), analyzer=StandInAnalyzer(model)) as svc:
        await warm(svc)
        [response] = await svc.handle(CHAT, PATROLS)
        assert response.updates is not None
        shown = [reply.plain() async for reply in response.updates]
    writing = "the rest of the brief is being written"
    assert [PATROLS_EVENT in r for r in shown] == [False, True, True, True, True]
    assert [PATROLS_TAMM in r for r in shown] == [False, False, True, True, True]
    assert [writing in r for r in shown] == [False, True, True, True, False]
    assert PATROLS_VIRTANEN in shown[-1] and "ran out of time" not in shown[-1]


async def test_while_the_model_writes_the_shown_positions_are_stored(tmp_path: Path) -> None:
    """An article's reply shows its positions while the model writes; /positions and /stance
    said "still being analysed" and "No one called …" of the speakers on screen, until the
    model was done (minutes on a busy CPU). A name the article does not quote still hears
    that an article is under way, since the model's end may not change the answer, but a
    /stance of a speaker on screen must find them."""
    model = StandInModel("hang", "answer")
    try:
        async with open_service(settings_for(tmp_path), analyzer=StandInAnalyzer(model)) as svc:
            await warm(svc)
            await svc.handle(CHAT, ARTICLE)
            for _ in range(100):  # the read stage is done; the model hangs on the write
                if await svc.store.get_analysis(1) is not None:
                    break
                await asyncio.sleep(0.1)
            positions = await text_of(await svc.handle(CHAT, "/positions 1"))
            early = await text_of(await svc.handle(CHAT, "/stance Jane Doe"))
            unknown = await text_of(await svc.handle(CHAT, "/stance Karl Weber"))
            state = (await svc.store.list_articles(CHAT.chat_id))[0].state
            model.release.set()
            for _ in range(100):
                if (await svc.store.list_articles(CHAT.chat_id))[0].state == "done":
                    break
                await asyncio.sleep(0.1)
            later = await text_of(await svc.handle(CHAT, "/stance Jane Doe"))
    finally:
        model.release.set()
    assert state == "running"
    assert "Jane Doe" in positions and "still being analysed" not in positions
    assert "Jane Doe: stance across 1 article(s)" in early
    assert "its stance line is still being written" in early
    assert "1 of your articles is still being analysed" in unknown
    assert "Jane Doe" in later and "still being written" not in later


async def test_stance_digest_that_hangs_does_not_block_analyses(tmp_path: Path) -> None:
    """/stance asks the model for a digest in the analysis thread; stuck, it used to hold
    that thread for ever, and every article after it waited with it. The 1 s analysis
    limit is the digest's alone: the articles around it, written by the stand-in and
    checked with spaCy, ran past it under load."""
    model = StandInModel("answer")
    config = settings_for(tmp_path, analysis_timeout_s=60.0)
    try:
        analyzer = StandInAnalyzer(model, digest_timeout_s=1.0)
        async with open_service(config, analyzer=analyzer) as svc:
            await warm(svc)
            for text in (ARTICLE, f"{ARTICLE}\n\n{PROMISE}"):  # Jane Doe in two articles
                await text_of(await svc.handle(CHAT, text))
            model.then("hang", "answer")
            svc.queue._timeout_s = 1.0
            stance = await asyncio.wait_for(
                text_of(await svc.handle(CHAT, "/stance Jane Doe")), timeout=10
            )
            svc.queue._timeout_s = 60.0
            after = await asyncio.wait_for(
                text_of(await svc.handle(CHAT, demo("03_energy"))), timeout=30
            )
    finally:
        model.release.set()
    assert "Jane Doe: stance across 2 article(s)" in stance
    assert "Sorry" not in after and "#3 · EU ministers split" in after


async def test_slow_stance_digest_is_dropped_by_its_own_limit_without_a_traceback(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """On the console all five multi-article digests ran into the 300 s analysis limit and
    logged a traceback into the chat. The digest has its own short limit, and a digest
    that misses it is left out with one plain log line: the dated list stands alone."""
    model = StandInModel("answer")
    config = settings_for(tmp_path)  # the analysis limit stays at 300 s
    try:
        async with open_service(
            config, analyzer=StandInAnalyzer(model, digest_timeout_s=0.5)
        ) as svc:
            await warm(svc)
            for text in (ARTICLE, f"{ARTICLE}\n\n{PROMISE}"):
                await text_of(await svc.handle(CHAT, text))
            model.then("hang", "answer")
            caplog.clear()
            stance = await asyncio.wait_for(
                text_of(await svc.handle(CHAT, "/stance Jane Doe")), timeout=15
            )
    finally:
        model.release.set()
    assert "Jane Doe: stance across 2 article(s)" in stance
    assert "#1" in stance and "#2" in stance
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
    assert any("took too long" in r.getMessage() for r in caplog.records)


async def test_stance_says_a_digest_is_coming_and_how_the_wait_ended(tmp_path: Path) -> None:
    """Tried on the console: each /stance of a speaker in several articles printed the list,
    sat silent for the digest's 20 s, and then printed nothing (the digest was late or
    failed its checks): no word that a digest was coming, none that it did not come."""
    model = StandInModel("answer")  # cites no article: every digest fails its checks
    async with open_service(settings_for(tmp_path), analyzer=StandInAnalyzer(model)) as svc:
        await warm(svc)
        for text in (ARTICLE, f"{ARTICLE}\n\n{PROMISE}"):  # Jane Doe in two articles
            await text_of(await svc.handle(CHAT, text))
        [response] = await svc.handle(CHAT, "/stance Jane Doe")
        assert response.updates is not None
        updates = [update.plain() async for update in response.updates]
    assert "A short digest by the model follows" in response.reply.plain()
    assert len(updates) == 1, updates
    assert "No digest this time" in updates[0] and "follows" not in updates[0]
    assert "#1" in updates[0] and "#2" in updates[0]  # the list stands


async def test_an_article_does_not_wait_for_a_digest_which_starts_over_after_it(
    tmp_path: Path,
) -> None:
    """The digest runs in the one analysis thread. Given a limit long enough to finish on a
    loaded host, it would hold every article pasted meanwhile for that long: an article
    queued while a digest is written stops it, and the digest is written again after."""
    model = StandInModel("answer")
    async with open_service(
        settings_for(tmp_path), analyzer=StandInAnalyzer(model, digest_timeout_s=30.0)
    ) as svc:
        await warm(svc)
        for text in (ARTICLE, f"{ARTICLE}\n\n{PROMISE}"):  # Jane Doe in two articles
            await text_of(await svc.handle(CHAT, text))
        model.then("listen", "answer")  # the first digest writes until it is interrupted
        [response] = await svc.handle(CHAT, "/stance Jane Doe")
        assert response.updates is not None
        updates = response.updates

        async def final() -> str:
            return [update.plain() async for update in updates][-1]

        digest = asyncio.ensure_future(final())
        assert await asyncio.to_thread(model.listening.wait, 30), "the digest never started"
        after = await text_of(await svc.handle(CHAT, demo("03_energy")))
        shown = await asyncio.wait_for(digest, timeout=60)
    assert "#3 · EU ministers split" in after and "Sorry" not in after
    # what the model was asked, in order: the digest, the article's lines, the digest again
    order = ["digest" if "What Jane Doe said" in asked else "article" for asked in model.asked]
    first = order.index("digest")
    assert "article" in order[first:], order
    assert "digest" in order[order.index("article", first) :], "no digest after the article"
    assert "#1" in shown and "#2" in shown and "follows" not in shown


async def test_one_article_speaker_is_listed_once_with_the_article_date(tmp_path: Path) -> None:
    """A speaker of one article got the dated line, then a 'digest' that was the same list,
    with the line again under it: three times. And the date was the day it was pasted,
    though the article's dateline gave its own."""
    model = StandInModel("answer")
    dated = ARTICLE.replace("\n\n", "\n\nBy City Desk, 4 March 2025\n\n", 1)
    shown: list[str] = []
    async with open_service(settings_for(tmp_path), analyzer=StandInAnalyzer(model)) as svc:
        await text_of(await svc.handle(CHAT, dated))
        for response in await svc.handle(CHAT, "/stance Jane Doe"):
            shown.append(response.reply.plain())
            if response.updates is not None:
                shown.extend([update.plain() async for update in response.updates])
    everything = "\n".join(shown)
    assert everything.count("#1") == 1, everything
    assert "2025-03-04 · #1" in everything


# ---------------------------------------------------------------------------------------
# the database


async def test_full_disk_refuses_the_submission_and_writes_nothing(tmp_path: Path) -> None:
    config = settings_for(tmp_path)
    stranger = ChatRef(chat_id=77, user_id=77)
    long_article = "\n\n".join(demo(n) for n in ("01_all", "02_cease", "03_ener"))
    async with open_service(config, use_model=False) as svc:
        await text_of(await svc.handle(CHAT, demo("04_frontline")))
        async with sqlite_of(svc)._db.execute("PRAGMA page_count") as cursor:
            (pages,) = await cursor.fetchone() or (0,)
        # the file may not grow by a single page: what a full disk does to SQLite
        await sqlite_of(svc)._db.execute(f"PRAGMA max_page_count = {pages}")
        refused = await text_of(await svc.handle(stranger, long_article))
        assert "database is unavailable right now, so nothing was changed" in refused
        await sqlite_of(svc)._db.execute("PRAGMA max_page_count = 1073741823")
        assert "No articles stored yet" in await text_of(await svc.handle(stranger, "/articles"))
        counts = (
            "SELECT (SELECT COUNT(*) FROM articles), (SELECT COUNT(*) FROM chats),"
            " (SELECT COUNT(*) FROM chat_articles), (SELECT COUNT(*) FROM articles_fts)"
        )
        assert rows(config.database, counts) == [(1, 1, 1, 1)]
        accepted = await text_of(await svc.handle(stranger, long_article))
    assert "Who said what" in accepted and "#2" in accepted


async def test_lock_during_the_save_is_survived_and_the_article_analysed_later(
    tmp_path: Path, monkeypatch
) -> None:
    """Another process holds the database while the worker saves: nothing of the final save
    is written (the positions stored before the model wrote stand), the user is told, and
    once the lock goes the worker (which used to die on its next sweep of the queue)
    analyses the article in full."""
    monkeypatch.setattr("bot.service.analysis.STORAGE_RETRY_S", 0.1)
    model = StandInModel("hang", "answer")
    config = settings_for(tmp_path)
    try:
        async with open_service(config, analyzer=StandInAnalyzer(model)) as svc:
            await warm(svc)
            await sqlite_of(svc)._db.execute("PRAGMA busy_timeout = 50")
            responses = await svc.handle(CHAT, demo("02_ceasefire"))
            following = asyncio.ensure_future(text_of(responses))
            locker = sqlite3.connect(config.database, timeout=0)
            try:
                await asyncio.sleep(1.0)  # the article is now in the model, before its save
                locker.execute("BEGIN EXCLUSIVE")
                model.release.set()
                told = await asyncio.wait_for(following, timeout=20)
                # what stands is the positions stored before the model wrote, none of the save
                stored = _rows_via(locker, "SELECT COUNT(*), COUNT(summary) FROM analyses")
                assert stored == [(1, 0)]
            finally:
                locker.rollback()
                locker.close()
            assert "Sorry: the database could not store the analysis; I'll try again" in told

            await until_done(config.database)
            brief = await text_of(await svc.handle(CHAT, "/summary 1"))
    finally:
        model.release.set()
    assert "Sorry" not in brief and "Taras Lisovskiy" in brief
    positions = rows(config.database, "SELECT COUNT(*), COUNT(DISTINCT speaker_id) FROM positions")
    assert positions[0][0] == positions[0][1] > 0


async def until_done(db: Path | str, seconds: float = 30) -> None:
    """Poll the file from outside, as an operator would: the worker has no event to wait on."""
    async with asyncio.timeout(seconds):
        while rows(db, "SELECT state FROM articles") != [("done",)]:  # noqa: ASYNC110
            await asyncio.sleep(0.1)


def _rows_via(conn: sqlite3.Connection, sql: str) -> list[tuple]:
    return conn.execute(sql).fetchall()


# ---------------------------------------------------------------------------------------
# kill -9 in the middle of an analysis

CHILD = f"""
import asyncio, sys
sys.path.insert(0, {str(TESTS)!r})
from pathlib import Path
from standins import StandInAnalyzer, StandInModel
from support import CHAT, demo, settings_for
from bot.runtime import open_service

async def main():
    settings = settings_for(Path(sys.argv[1]))
    async with open_service(settings, analyzer=StandInAnalyzer(StandInModel("announce"))) as svc:
        await svc.handle(CHAT, demo("03_energy"))
        await asyncio.sleep(3600)

asyncio.run(main())
"""


async def test_kill_9_mid_analysis_reanalyses_once_on_restart(tmp_path: Path) -> None:
    config = settings_for(tmp_path)
    child = subprocess.Popen(  # noqa: ASYNC220 (killed below, never waited on while running)
        [sys.executable, "-c", CHILD, str(tmp_path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=(tmp_path / "child.log").open("w"),
        text=True,
    )
    try:
        # generous: the child imports torch and loads spaCy, on a machine that may be busy
        assert child.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(child.stdout.readline), timeout=180)
        assert line.strip() == STARTED, (tmp_path / "child.log").read_text()
        assert rows(config.database, "SELECT state, attempts FROM articles") == [("running", 1)]
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    assert child.returncode == -signal.SIGKILL

    analyzer = StandInAnalyzer(StandInModel("answer"))
    async with open_service(config, analyzer=analyzer) as svc:
        await until_done(config.database)
        brief = await text_of(await svc.handle(CHAT, "/summary 1"))
    assert "#1 · EU ministers split" in brief
    assert analyzer.written == 1
    again = StandInAnalyzer(StandInModel("answer"))
    async with open_service(config, analyzer=again):
        await asyncio.sleep(0.5)
    assert again.written == 0
    assert rows(config.database, "SELECT id, state, attempts FROM articles") == [(1, "done", 2)]
    assert rows(config.database, "SELECT COUNT(*) FROM analyses") == [(1,)]
    assert rows(config.database, "SELECT COUNT(*) FROM chat_articles") == [(1,)]
    positions = rows(config.database, "SELECT COUNT(*), COUNT(DISTINCT speaker_id) FROM positions")
    assert positions[0][0] == positions[0][1] > 0


# ---------------------------------------------------------------------------------------
# Telegram has a bad minute (test_telegram covers 429 with retry_after)


async def test_bot_api_5xx_is_retried_with_backoff_and_delivered(
    bot: Application,
    stub: BotApiStub,
) -> None:
    stub.fail("sendMessage", times=3, status=502)
    stub.message("/help")
    await stub.wait_for(showing(stub, "/subscribe HH:MM"), seconds=20)
    attempts = stub.sent("sendMessage")
    assert len(attempts) == 4
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(attempts)]
    assert gaps[0] >= 0.45 and gaps[1] >= 0.95 and gaps[2] >= 1.95, gaps
    assert len(stub.texts()) == 1


async def test_quitting_while_the_model_loads_is_quiet_but_a_real_load_failure_is_not(
    tmp_path: Path, monkeypatch, caplog
) -> None:
    import bot.service.analysis as analysis

    release = threading.Event()
    loading = threading.Event()

    def loading_then_refused() -> None:  # what the interpreter does to a loader at exit
        loading.set()
        release.wait(5)
        raise RuntimeError("cannot schedule new futures after interpreter shutdown")

    monkeypatch.setattr(analysis, "get_nlp", loading_then_refused)
    quitting = LocalAnalyzer(None, cache_dir=tmp_path)
    with caplog.at_level("DEBUG", logger="bot.service.analysis"):
        quitting.warm_up()
        assert await asyncio.to_thread(loading.wait, 5)  # quitting mid-load, not before it
        closing = asyncio.ensure_future(quitting.close())
        await asyncio.sleep(0)  # close() has begun: the analyzer knows it is quitting
        release.set()
        await closing
        await asyncio.to_thread(quitting._executor.shutdown, wait=True)
    assert "abandoned at shutdown" in caplog.text
    assert not [r for r in caplog.records if r.levelname == "ERROR"]

    caplog.clear()
    running = LocalAnalyzer(None, cache_dir=tmp_path)
    with caplog.at_level("DEBUG", logger="bot.service.analysis"):
        running.warm_up()
        await asyncio.to_thread(running._executor.shutdown, wait=True)
    assert [r for r in caplog.records if r.levelname == "ERROR"]  # a broken load is reported


# ---------------------------------------------------------------------------------------
# the model's load: 20-60 s on 2 cores, begun when the service starts


class SlowLoad:
    """`load_generator` standing in for the real load: it blocks until `done` is set (or
    for `seconds`), then hands over `model`, or raises `fails`; each call is recorded with
    its thread."""

    def __init__(
        self, model: StandInModel | None = None, *, seconds: float = 60.0, fails: str = ""
    ) -> None:
        self.model = model
        self.seconds = seconds
        self.fails = fails
        self.done = threading.Event()
        self.threads: list[threading.Thread] = []

    def __call__(self, spec: str, **options: object) -> StandInModel:
        from summarizer.model.packaged import ModelSetupError

        self.threads.append(threading.current_thread())
        self.done.wait(self.seconds)
        if self.fails:
            raise ModelSetupError(self.fails)
        assert self.model is not None
        return self.model


def loading(
    monkeypatch: pytest.MonkeyPatch, load: SlowLoad, *, digest_timeout_s: float = 20.0
) -> LocalAnalyzer:
    """The real analyzer, with `load` for the model's load."""
    import summarizer.model.loader

    monkeypatch.setattr(summarizer.model.loader, "load_generator", load)
    return LocalAnalyzer(
        "stand-in", cache_dir=Path("unused"), threads=1, digest_timeout_s=digest_timeout_s
    )


async def test_positions_come_while_the_model_loads_in_a_thread_of_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The load ran in the analysis thread ahead of everything else: on a cold console the
    first article's positions, which need only spaCy, waited a minute for the model."""
    load = SlowLoad(StandInModel("answer"))
    analyzer = loading(monkeypatch, load)
    try:
        async with open_service(settings_for(tmp_path), analyzer=analyzer) as svc:
            [response] = await svc.handle(CHAT, demo("02_ceasefire"))
            assert response.updates is not None
            positions = await asyncio.wait_for(anext(response.updates), timeout=30)
            assert not load.done.is_set()
            load.done.set()
            final = [update.plain() async for update in response.updates][-1]
    finally:
        load.done.set()
    assert "Taras Lisovskiy" in positions.plain()
    [thread] = load.threads  # begun at start, once, off the event loop and the analysis thread
    assert thread is not threading.main_thread() and thread is not analyzer._executor.thread
    assert "Sorry" not in final and "Taras Lisovskiy" in final


async def test_the_digest_limit_counts_from_the_end_of_the_model_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A /stance right after start answered "No digest this time" after 123 s: the load,
    slow on a busy host, had eaten the digest's whole limit before it began."""
    model = StandInModel("answer")
    async with open_service(settings_for(tmp_path), analyzer=StandInAnalyzer(model)) as svc:
        for text in (ARTICLE, f"{ARTICLE}\n\n{PROMISE}"):  # Jane Doe in two articles
            await text_of(await svc.handle(CHAT, text))
    model.asked.clear()
    load = SlowLoad(model, seconds=1.5)  # three times the digest's limit
    analyzer = loading(monkeypatch, load, digest_timeout_s=0.5)
    async with open_service(settings_for(tmp_path), analyzer=analyzer) as svc:
        shown = await asyncio.wait_for(text_of(await svc.handle(CHAT, "/stance Jane Doe")), 30)
    assert "Jane Doe: stance across 2 article(s)" in shown
    assert any("What Jane Doe said" in asked for asked in model.asked), "no digest was tried"


async def test_a_model_that_cannot_load_is_a_polite_reply_and_one_log_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A load that failed was reported as a summary that "could not be written", with a
    traceback in the log; each article tries the load again, in case it was fixed."""
    load = SlowLoad(seconds=0, fails="BRIEFBOT_MODEL=/nowhere/m.gguf: no such GGUF file")
    with caplog.at_level("INFO"):
        async with open_service(settings_for(tmp_path), analyzer=loading(monkeypatch, load)) as svc:
            first = await text_of(await svc.handle(CHAT, ARTICLE))
            second = await text_of(await svc.handle(CHAT, f"{ARTICLE}\n\n{PROMISE}"))
            stance = await text_of(await svc.handle(CHAT, "/stance Jane Doe"))
    for brief in (first, second):
        assert "Sorry: the model could not be loaded, so there is no summary" in brief
        assert "Jane Doe" in brief  # the positions are kept
    assert "No digest: the model could not be loaded" in stance
    assert len(load.threads) == 3  # at start, then the second article, then the digest
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert errors and all("no such GGUF file" in e for e in errors)


async def test_closing_does_not_wait_for_a_load_under_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The analysis thread waited for the load inside it, and close() gave it its whole
    grace: /quit took 8 s while the model loaded."""
    load = SlowLoad(StandInModel("answer"))
    try:
        async with open_service(settings_for(tmp_path), analyzer=loading(monkeypatch, load)) as svc:
            [response] = await svc.handle(CHAT, ARTICLE)
            assert response.updates is not None
            await asyncio.wait_for(anext(response.updates), timeout=30)  # now waiting for it
            started = time.monotonic()
        closed_in = time.monotonic() - started
    finally:
        load.done.set()
    assert closed_in < 2.5, closed_in


async def test_an_article_given_up_on_during_the_load_is_not_written_after_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the analysis limit its thread is abandoned; once the load ended, that thread
    went on to write the brief nobody waited for, beside the next article's."""
    model = StandInModel("answer")
    load = SlowLoad(model)
    config = settings_for(tmp_path, analysis_timeout_s=1.0)
    try:
        analyzer = loading(monkeypatch, load)
        async with open_service(config, analyzer=analyzer) as svc:
            await read_ahead(analyzer, ARTICLE)  # the limit runs out in the load, not in spaCy
            abandoned = analyzer._executor  # the thread the article's writing is given up in
            given_up = await asyncio.wait_for(text_of(await svc.handle(CHAT, ARTICLE)), 30)
            load.done.set()
            await asyncio.wait_for(asyncio.wrap_future(analyzer._load()), 60)
            # the abandoned thread has gone as far as it will go: its work has ended
            abandoned.shutdown(wait=False)
            await asyncio.to_thread(abandoned.thread.join, 60)
    finally:
        load.done.set()
    assert not abandoned.thread.is_alive() and abandoned is not analyzer._executor
    assert "Sorry: the model took too long; positions are kept." in given_up
    assert model.asked == []

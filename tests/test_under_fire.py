"""One user must never freeze or crash the bot for everyone (issue 16, the core's part):
bounded searches, bad zones and echoes, per-chat speaker names, every waiting reply told how
its article ends, a stop that stops, no token in the log, a bad database file at start.

Real SQLite, real PTB against the Bot API stand-in; the language model is off or the
stand-in model of `standins` (a real one cannot be made to hang on demand).
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from botapi_stub import BotApiStub
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from standins import STARTED, StandInAnalyzer, StandInModel, warm
from support import (
    ARTICLE,
    CHAT,
    demo,
    make_app,
    rows,
    running,
    settings_for,
    showing,
    sqlite_of,
    text_of,
)
from telegram.ext import Application

from bot.console import CONSOLE_HELP, ConsoleScheduler, chat_loop, piped_messages
from bot.fetch import SafeFetcher
from bot.runtime import open_service
from bot.service import ChatRef, ChatService, Reply
from bot.service.limits import MAX_ECHO_CHARS
from bot.settings import Settings
from storage import NewArticle, QueryTooCostly, SqliteStore
from summarizer.names import name_key
from summarizer.types import Analysis, Position, Span

TESTS = Path(__file__).parent
ROOT = TESTS.parent
OTHER = ChatRef(chat_id=2, user_id=2)

# ---------------------------------------------------------------------------------------
# item 2: a long /search


async def test_2000_word_search_is_capped_and_says_so(service: ChatService) -> None:
    await text_of(await service.handle(CHAT, demo("01_alliance")))
    words = " ".join(f"word{i}" for i in range(2000))
    reply = await text_of(await service.handle(CHAT, "/search " + words))
    assert "Nothing in your articles matches “word0 word1 word2" in reply
    assert "I search for up to 8 words" in reply and len(reply) < 300


async def test_a_slow_read_is_interrupted_and_holds_no_other_chat(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the word cap, 1,000 terms keep FTS5's snippet() busy for seconds: the read is
    interrupted past its budget, and another chat's storage answers meanwhile."""
    monkeypatch.setattr("storage.sqlite.search_terms", str.split)
    store = await SqliteStore.open(tmp_path / "s.db", name_key=name_key)
    try:
        for name in ("01_alliance", "02_ceasefire", "03_energy", "04_frontline"):
            await store.add_article(1, None, NewArticle(text=demo(name)))
        await store.add_article(2, None, NewArticle(text=demo("01_alliance") + " More."))
        search = asyncio.ensure_future(store.search(1, " ".join(["the"] * 1000)))
        await asyncio.sleep(0.05)
        listed = await store.list_articles(2)
        assert len(listed) == 1 and not search.done()  # not queued behind the search
        with pytest.raises(QueryTooCostly):
            await search
    finally:
        await store.close()


async def test_a_search_past_its_budget_gets_a_polite_reply(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("storage.sqlite.search_terms", str.split)
    async with open_service(settings_for(tmp_path), use_model=False) as svc:
        for name in ("01_alliance", "02_ceasefire", "03_energy"):
            await text_of(await svc.handle(CHAT, demo(name)))
        reply = await text_of(await svc.handle(CHAT, "/search " + "the " * 1000))
        assert "takes me too long" in reply
        assert "/subscribe" in await text_of(await svc.handle(CHAT, "/help"))


async def test_a_huge_stance_name_is_refused_without_a_lookup(service: ChatService) -> None:
    reply = await text_of(await service.handle(CHAT, "/stance " + "Keller " * 5000))
    assert "not a name I'd know" in reply and len(reply) < 200


# ---------------------------------------------------------------------------------------
# item 8 and item 12 (echoes): malformed arguments


@pytest.mark.parametrize(
    "zone",
    ["Europe", "Europe/", "../etc", "/etc/passwd", "UTC+25", "a" * 5000, "Eur\x00ope", "..", "."],
)
async def test_malformed_zones_get_a_polite_reply(service: ChatService, zone: str) -> None:
    reply = await text_of(await service.handle(CHAT, f"/subscribe 07:30 {zone}"))
    assert "I don't know the time zone" in reply and len(reply) < 300
    assert await service.store.get_subscription(CHAT.chat_id) is None


async def test_zone_names_are_read_whatever_their_case(service: ChatService) -> None:
    reply = await text_of(await service.handle(CHAT, "/subscribe 07:30 europe/rome"))
    assert "Subscribed: a briefing every day at 07:30 Europe/Rome." in reply


@hsettings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(zone=st.text(min_size=1, max_size=80).filter(lambda z: z.split() == [z]))
def test_any_zone_string_gets_one_sentence(tmp_path_factory, zone: str) -> None:
    async def check() -> None:
        path = tmp_path_factory.mktemp("zones")
        async with open_service(settings_for(path), use_model=False) as svc:
            responses = await svc.handle(CHAT, f"/subscribe 07:30 {zone}")
            assert len(responses) == 1
            text = responses[0].reply.plain()
            assert text.startswith(("Subscribed", "I don't know the time zone")), text

    asyncio.run(check())


async def test_a_100k_argument_is_echoed_short(service: ChatService) -> None:
    huge = "x" * 100_000
    for line in (f"/{huge}", f"/summary {huge}", f"/subscribe {huge}", f"/stance {huge[:90]}"):
        reply = await text_of(await service.handle(CHAT, line))
        assert len(reply) < 2 * MAX_ECHO_CHARS + 250, (line[:20], len(reply))


# ---------------------------------------------------------------------------------------
# item 11: a speaker's name is the one the chat's own articles give

TEXT = (
    "Ministers met in Oslo on Tuesday.\n"
    '"We will not back down," said Halvorsen, who leads the delegation.\n'
)


def _position(text: str, speaker: str, aliases: list[str]) -> Analysis:
    quote = "We will not back down,"
    start = text.index(quote)
    return Analysis(
        title="Ministers meet",
        positions=[
            Position(
                speaker=speaker,
                aliases=aliases,
                quotes=[Span(text=quote, start=start, end=start + len(quote))],
            )
        ],
    )


async def test_a_name_from_another_chat_never_shows(tmp_path: Path) -> None:
    store = await SqliteStore.open(tmp_path / "n.db", name_key=name_key)
    try:
        mine, _ = await store.add_article(1, None, NewArticle(text=TEXT))
        await store.save_analysis(mine.id, _position(TEXT, "Halvorsen", []))
        theirs_text = TEXT.replace("said Halvorsen", "said Ingrid Halvorsen")
        theirs, _ = await store.add_article(2, None, NewArticle(text=theirs_text))
        await store.save_analysis(
            theirs.id, _position(theirs_text, "Ingrid Halvorsen", ["Halvorsen"])
        )
        analysis = await store.get_analysis(mine.id)
        assert analysis is not None
        assert [p.speaker for p in analysis.positions] == ["Halvorsen"]
        assert [s.name for s in await store.list_speakers(1)] == ["Halvorsen"]
        assert (await store.find_speakers(1, "Halvorsen"))[0].aliases == ["Halvorsen"]
        assert await store.find_speakers(1, "Ingrid Halvorsen") == []
        assert [s.name for s in await store.list_speakers(2)] == ["Ingrid Halvorsen"]
    finally:
        await store.close()


# ---------------------------------------------------------------------------------------
# item 4: every waiting reply hears how its article ends; a stop stops


async def test_deleting_a_waiting_article_ends_its_wait(tmp_path: Path) -> None:
    model = StandInModel("hang", "answer")
    try:
        async with open_service(settings_for(tmp_path), analyzer=StandInAnalyzer(model)) as svc:
            await warm(svc)
            first = asyncio.ensure_future(text_of(await svc.handle(CHAT, demo("02_ceasefire"))))
            waiting = await svc.handle(CHAT, demo("03_energy"))
            assert "Deleted #2" in await text_of(await svc.handle(CHAT, "/delete 2"))
            model.release.set()
            told = await asyncio.wait_for(text_of(waiting), timeout=30)
            await asyncio.wait_for(first, timeout=30)
    finally:
        model.release.set()
    assert "#2 was deleted before I finished reading it" in told


async def test_stopping_tells_every_waiting_reply_and_keeps_the_article(tmp_path: Path) -> None:
    model = StandInModel("hang")
    config = settings_for(tmp_path)
    try:
        async with open_service(config, analyzer=StandInAnalyzer(model)) as svc:
            await warm(svc)
            running = asyncio.ensure_future(text_of(await svc.handle(CHAT, demo("02_ceasefire"))))
            queued = asyncio.ensure_future(text_of(await svc.handle(CHAT, demo("03_energy"))))
            await asyncio.sleep(0.5)
            await svc.stop()
            told = await asyncio.wait_for(asyncio.gather(running, queued), timeout=10)
            late = await text_of(await svc.handle(CHAT, demo("04_frontline")))
    finally:
        model.release.set()
    assert all("it stays in line" in t for t in told), told
    assert "it stays in line" in late
    states = rows(config.database, "SELECT state FROM articles ORDER BY id")
    assert states == [("running",), ("queued",), ("queued",)]  # the next start re-queues them


CHILD = f"""
import sys
sys.path.insert(0, {str(TESTS)!r})
from pathlib import Path
import bot.runtime
from standins import StandInAnalyzer, StandInModel
from bot.settings import Settings
from bot.telegram.app import run

model = StandInModel("announce")  # hangs, deaf to interrupt(): the worst model at a stop
bot.runtime.LocalAnalyzer = lambda *args, **kwargs: StandInAnalyzer(model)
run(Settings(telegram_token=sys.argv[1], telegram_api_url=sys.argv[2],
             database=Path(sys.argv[3]), model_cache=Path(sys.argv[3]).parent / "cache"))
"""


async def test_sigterm_with_a_brief_in_progress_stops_within_10_s(
    stub: BotApiStub,
    tmp_path: Path,
) -> None:
    db = tmp_path / "bot.db"
    child = subprocess.Popen(  # noqa: ASYNC220 (waited on in a thread below)
        [sys.executable, "-c", CHILD, stub.token, stub.base_url, str(db)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=(tmp_path / "child.log").open("w"),
        text=True,
    )
    try:
        await stub.wait_for(lambda: stub.sent("setMyCommands"), seconds=120)
        stub.message(ARTICLE)
        assert child.stdout is not None
        line = await asyncio.wait_for(asyncio.to_thread(child.stdout.readline), timeout=120)
        assert line.strip() == STARTED, (tmp_path / "child.log").read_text()
        loop = asyncio.get_running_loop()
        asked = loop.time()
        os.kill(child.pid, signal.SIGTERM)
        code = await asyncio.wait_for(asyncio.to_thread(child.wait), timeout=60)
        took = loop.time() - asked
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    log = (tmp_path / "child.log").read_text()
    assert code == 0 and took < 10, (took, log[-2000:])
    assert "Traceback" not in log, log[-2000:]
    assert showing(stub, "it stays in line")()
    assert rows(db, "SELECT state FROM articles") == [("running",)]  # re-queued at next start


# ---------------------------------------------------------------------------------------
# item 12: a full disk is retried; a brief finished after a restart reaches its chat


class Inbox:
    def __init__(self) -> None:
        self.got: asyncio.Queue[tuple[int, Reply]] = asyncio.Queue()

    async def notify(self, chat_id: int, reply: Reply) -> None:
        await self.got.put((chat_id, reply))


async def test_article_queued_at_a_crash_is_briefed_to_its_chats_after_restart(
    tmp_path: Path,
) -> None:
    config = settings_for(tmp_path)
    store = await SqliteStore.open(config.database, name_key=name_key)
    await store.add_article(CHAT.chat_id, None, NewArticle(text=demo("02_ceasefire")))
    await store.add_article(OTHER.chat_id, None, NewArticle(text=demo("02_ceasefire")))
    await store.close()  # as a crash leaves it: stored, queued, its placeholder gone
    inbox = Inbox()
    async with open_service(config, use_model=False, notifier=inbox):
        told = [await asyncio.wait_for(inbox.got.get(), timeout=30) for _ in range(2)]
    assert sorted(chat for chat, _ in told) == [OTHER.chat_id, CHAT.chat_id]
    assert all("Who said what" in reply.plain() for _, reply in told)


async def test_a_brief_finished_just_before_a_crash_is_told_once_after_the_restart(
    tmp_path: Path,
) -> None:
    """The process analysed the article and died before its chats were told (the article is
    done, nobody told): the next start tells each chat once, and the start after that
    tells no one again."""
    config = settings_for(tmp_path)
    store = await SqliteStore.open(config.database, name_key=name_key)
    article, _ = await store.add_article(CHAT.chat_id, None, NewArticle(text=demo("02_ceasefire")))
    await store.add_article(OTHER.chat_id, None, NewArticle(text=demo("02_ceasefire")))
    await store.save_analysis(article.id, Analysis(title="Ceasefire talks"))
    failed, _ = await store.add_article(OTHER.chat_id, None, NewArticle(text=demo("03_energy")))
    await store.mark_failed(failed.id, "the model broke")
    await store.close()
    inbox = Inbox()
    async with open_service(config, use_model=False, notifier=inbox):
        told = [await asyncio.wait_for(inbox.got.get(), timeout=30) for _ in range(3)]
    told.sort(key=lambda got: (got[0], "Sorry" in got[1].plain()))
    assert [chat for chat, _ in told] == [OTHER.chat_id, OTHER.chat_id, CHAT.chat_id]
    assert all("Ceasefire talks" in told[i][1].plain() for i in (0, 2))
    assert "Sorry: the analysis failed." in told[1][1].plain()  # a failure is news too, once
    async with open_service(config, use_model=False, notifier=inbox):
        await asyncio.sleep(1.5)  # a look for news, were there any
    assert inbox.got.empty()


async def test_a_stop_between_telling_a_chat_and_recording_it_still_records_it(
    tmp_path: Path,
) -> None:
    """The sweep told the chat, and the bot was asked to stop while the record of it was
    being written: the stop must let the record finish, or it gives the link back and the
    next process tells the chat a second time."""
    from bot.service.deliveries import Deliveries

    config = settings_for(tmp_path)
    store = await SqliteStore.open(config.database, name_key=name_key)
    try:
        article, _ = await store.add_article(
            CHAT.chat_id, None, NewArticle(text=demo("02_ceasefire"))
        )
        await store.save_analysis(article.id, Analysis(title="Ceasefire talks"))
        deliveries = Deliveries(store, "bot-a", hold_s=30.0, poll_s=0.05)
        told: list[tuple[int, int]] = []
        stopping: list[asyncio.Task[None]] = []
        asked = asyncio.Event()

        async def tell(chat_id: int, article_id: int) -> None:
            told.append((chat_id, article_id))
            # the stop is asked for as the send returns: its cancel lands in the record
            stopping.append(asyncio.create_task(deliveries.stop()))
            asked.set()

        await deliveries.start(tell)
        await asyncio.wait_for(asked.wait(), timeout=30)
        await stopping[0]
        assert told == [(CHAT.chat_id, article.id)]
        assert await store.claim_deliveries("bot-b", 30.0, limit=20) == []
    finally:
        await store.close()


async def test_a_brief_the_reply_could_not_show_in_place_is_sent_as_a_new_message(
    tmp_path: Path,
) -> None:
    """The skin got the brief but could not show it (the edit of the placeholder failed, so
    it never asked for more): the chat is told as a new message instead, once."""
    inbox = Inbox()
    async with open_service(settings_for(tmp_path), use_model=False, notifier=inbox) as svc:
        (response,) = await svc.handle(CHAT, demo("02_ceasefire"))
        assert response.updates is not None
        updates = aiter(response.updates)
        await asyncio.wait_for(anext(updates), timeout=60)  # the positions, shown
        unshown = await asyncio.wait_for(anext(updates), timeout=60)  # the end, not shown
        await updates.aclose()  # type: ignore[attr-defined]  # the skin's show raised
        chat, reply = await asyncio.wait_for(inbox.got.get(), timeout=30)
        await asyncio.sleep(1.5)  # a second telling, were there one
    assert inbox.got.empty()
    assert (
        chat == CHAT.chat_id
        and "Who said what" in unshown.plain()
        and "Who said what" in reply.plain()
    )


class DownInbox(Inbox):
    """Telegram down for the first `down` sends: each raises, as the skin's notifier does."""

    def __init__(self, down: int) -> None:
        super().__init__()
        self.down = down

    async def notify(self, chat_id: int, reply: Reply) -> None:
        if self.down:
            self.down -= 1
            raise ConnectionError("Telegram is down")
        await super().notify(chat_id, reply)


async def test_a_brief_that_could_not_be_sent_is_sent_later_and_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An article queued across a restart ends while Telegram is down: the chat is not told
    then, nor forgotten; it is told once Telegram answers again."""
    monkeypatch.setattr("bot.service.deliveries.RETRY_S", 0.2)
    config = settings_for(tmp_path)
    store = await SqliteStore.open(config.database, name_key=name_key)
    await store.add_article(CHAT.chat_id, None, NewArticle(text=demo("02_ceasefire")))
    await store.close()
    inbox = DownInbox(down=2)
    async with open_service(config, use_model=False, notifier=inbox):
        chat, reply = await asyncio.wait_for(inbox.got.get(), timeout=30)
        await asyncio.sleep(1.5)  # a second send, were there one
    assert inbox.down == 0 and inbox.got.empty()
    assert chat == CHAT.chat_id and "Who said what" in reply.plain()


async def test_full_disk_during_the_save_is_retried_and_the_chat_told(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("bot.service.analysis.STORAGE_RETRY_S", 0.1)
    config = settings_for(tmp_path)
    inbox = Inbox()
    model = StandInModel("hang", "answer")
    try:
        async with open_service(config, analyzer=StandInAnalyzer(model), notifier=inbox) as svc:
            await warm(svc)
            # long enough that its quotes need new pages, which the "full disk" refuses
            long_article = "\n\n".join(demo(n) for n in ("01_all", "02_cease", "03_ener"))
            following = asyncio.ensure_future(text_of(await svc.handle(CHAT, long_article)))
            await asyncio.sleep(0.5)  # in the model now
            async with sqlite_of(svc)._db.execute("PRAGMA page_count") as cursor:
                (pages,) = await cursor.fetchone() or (0,)
            await sqlite_of(svc)._db.execute(f"PRAGMA max_page_count = {pages}")
            model.release.set()
            told = await asyncio.wait_for(following, timeout=30)
            assert "I'll try again" in told
            await sqlite_of(svc)._db.execute("PRAGMA max_page_count = 1073741823")
            chat, reply = await asyncio.wait_for(inbox.got.get(), timeout=30)
    finally:
        model.release.set()
    assert chat == CHAT.chat_id and "Who said what" in reply.plain()
    assert rows(config.database, "SELECT state FROM articles") == [("done",)]


async def test_commands_for_other_bots_are_not_answered(
    bot: Application,
    stub: BotApiStub,
) -> None:
    username = bot.bot.username
    stub.message("/articles@other_bot", chat_id=-100)
    stub.message(f"/summary@{username} 99", chat_id=-100)
    await stub.wait_for(showing_in(stub, -100, "There is no article #99"))
    stub.message("/articles", chat_id=-100)
    await stub.wait_for(showing_in(stub, -100, "No articles stored yet"))
    # updates are handled in the order they came; the first one's answer would be in by now
    await stub.wait_for(lambda: len(stub.sent("sendChatAction")) >= 2)
    texts = stub.texts(-100)
    assert len(texts) == 2 and sum("No articles stored yet" in t for t in texts) == 1, texts


def showing_in(api: BotApiStub, chat_id: int, needle: str):
    return lambda: next((t for t in api.texts(chat_id) if needle in t), None)


# ---------------------------------------------------------------------------------------
# item 5: no secret in any log line


async def test_no_log_line_holds_the_token_at_debug(
    settings: Settings,
    stub: BotApiStub,
    site,
) -> None:

    from bot.cli import configure_logging

    captured = io.StringIO()
    handler = None
    root = logging.getLogger()
    level = root.level
    try:
        configure_logging(settings.model_copy(update={"log_level": "DEBUG"}))
        handler = root.handlers[-1]
        handler.setStream(captured)  # type: ignore[attr-defined]

        async with running(make_app(settings, site)):
            stub.fail("sendMessage", times=1, status=502)
            stub.message("/help")
            await stub.wait_for(showing(stub, "/subscribe HH:MM"), seconds=20)
            stub.message(ARTICLE)
            await stub.wait_for(showing(stub, "Who said what"), seconds=30)
        try:
            raise RuntimeError(f"POST {settings.telegram_api_url}{settings.telegram_token}/x")
        except RuntimeError:
            logging.getLogger("briefbot.test").exception("failed")
    finally:
        if handler is not None:
            root.removeHandler(handler)
        root.setLevel(level)
    lines = captured.getvalue().splitlines()
    assert len(lines) > 20 and any("[redacted]" in line for line in lines)
    assert settings.telegram_token is not None
    secret_part = settings.telegram_token.split(":", 1)[1]
    assert not [line for line in lines if secret_part in line]


# ---------------------------------------------------------------------------------------
# item 6: a bad database file at start


def _truncated(path: Path) -> Path:
    good = path.with_name("good.db")
    with sqlite3.connect(good) as raw:
        raw.execute("CREATE TABLE t(x)")
        raw.executemany("INSERT INTO t VALUES (?)", [("x" * 3000,)] * 300)
    data = good.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


@pytest.mark.parametrize("case", ["garbage", "truncated", "not-a-folder", "unwritable"])
def test_a_bad_database_file_is_one_line_and_exit_1(tmp_path: Path, case: str) -> None:
    if case == "garbage":
        db = tmp_path / "garbage.db"
        db.write_bytes(bytes(range(256)) * 40)
    elif case == "truncated":
        db = _truncated(tmp_path / "truncated.db")
    elif case == "not-a-folder":
        (tmp_path / "file").write_text("")
        db = tmp_path / "file" / "briefbot.db"
    else:  # read-only even for root
        db = Path("/proc/briefbot-test.db")
    env = {**os.environ, "BRIEFBOT_DATABASE": str(db), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "console", "--no-model"],
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip().splitlines() == [
        line for line in done.stderr.strip().splitlines() if line.startswith("briefbot: ")
    ], done.stderr
    assert "cannot open database" in done.stderr and "Traceback" not in done.stderr


# ---------------------------------------------------------------------------------------
# fuzz: random command lines, arguments and pastes against the service core

COMMANDS = ["start", "help", "articles", "summary", "positions", "quotes", "stance"]
COMMANDS += ["speakers", "search", "subscribe", "unsubscribe", "briefing", "delete", "nope"]
FUZZ_CASES = 400

lines = st.one_of(
    st.builds(
        lambda name, at, args: f"/{name}{at} {args}",
        st.sampled_from(COMMANDS) | st.text(max_size=30),
        st.sampled_from(["", "@briefbot_test_bot", "@other_bot"]),
        st.text(max_size=300) | st.sampled_from(["07:30 Europe", "1", "#1", "-1", "9" * 40]),
    ),
    st.text(max_size=2000),
)


@hsettings(max_examples=FUZZ_CASES, deadline=None, suppress_health_check=list(HealthCheck))
@given(batch=st.lists(lines, min_size=1, max_size=5))
def test_fuzzed_input_always_gets_a_reply_and_the_service_keeps_serving(
    tmp_path_factory,
    batch: list[str],
) -> None:
    async def check() -> None:
        path = tmp_path_factory.mktemp("fuzz")
        async with open_service(settings_for(path), use_model=False) as svc:
            for line in batch:
                responses = await svc.handle(CHAT, line)
                assert responses and all(r.reply.blocks for r in responses), line[:80]
                assert (await text_of(responses)).strip()
            assert "/subscribe HH:MM" in await text_of(await svc.handle(CHAT, "/help"))

    asyncio.run(check())


# ---------------------------------------------------------------------------------------
# fuzz: the console's chat loop, fed as `briefbot console < input` feeds it

CONSOLE_FUZZ_CASES = 150
# /quit and /exit end the conversation by design; every other line must be answered
CONSOLE_COMMANDS = [name for name in COMMANDS if name not in {"quit", "exit"}] + ["file", "FILE"]
ODD_PATHS = ["", "/", ".", "/etc", "/dev/null", "/dev/zero", "~", "~nouser/x", "'", '"a b"']
ODD_PATHS += ["a\x00b", "x" * 5000, "/nonexistent/x.txt", "article.txt", "page.html"]
ODD_PATHS += ["binary.txt", "latin1.txt", "empty.html", "note.pdf", "café ☕.txt"]


def _quits(line: str) -> bool:
    head = line.strip().partition(" ")[0].lower()
    return head in {"/quit", "/exit"}


console_lines = st.one_of(
    st.builds(
        lambda name, args: f"/{name} {args}",
        st.sampled_from(CONSOLE_COMMANDS) | st.text(max_size=20),
        st.text(max_size=200) | st.sampled_from(["07:30 Europe", "#1", "9" * 40, "x" * 100_000]),
    ),
    st.builds(lambda path: f"/file {path}", st.sampled_from(ODD_PATHS) | st.text(max_size=50)),
    st.sampled_from(["", " ", ".", " . ", "\x00", "/", "http://127.0.0.1:9/x", ARTICLE]),
    st.text(max_size=500),
    st.just("word " * 20_000),
).filter(lambda line: not _quits(line))
# raw bytes too: a file piped in need not be UTF-8 (stdin reads it with surrogateescape)
console_inputs = st.lists(
    console_lines.map(lambda line: line.encode("utf-8"))
    | st.binary(max_size=200).filter(lambda raw: not _quits(raw.decode("utf-8", "replace"))),
    min_size=1,
    max_size=6,
)


def _files(folder: Path) -> None:
    (folder / "article.txt").write_text(ARTICLE)
    (folder / "page.html").write_text(f"<html><body><article><p>{ARTICLE}</p></article></body>")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 8)
    (folder / "latin1.txt").write_bytes(
        ARTICLE.replace("night", "caf\xe9").encode("latin-1", "replace")
    )
    (folder / "empty.html").write_bytes(b"")
    (folder / "note.pdf").write_bytes(b"%PDF-1.4")
    (folder / "café ☕.txt").write_text(ARTICLE)


def test_fuzzed_console_input_always_gets_a_reply_and_the_console_keeps_serving(
    tmp_path_factory, monkeypatch
) -> None:
    """Random command lines, arguments, `/file` paths and pastes (blank lines, lone '.', NUL,
    100,000-character lines, unicode, bytes that are not UTF-8) piped into the console, then
    '.' (it ends an article still open) and /help: no exception escapes the loop, every
    message read gets a printed reply, and the last /help is answered with the console's own
    help. Each case is a fresh database."""
    cases = 0

    @hsettings(
        max_examples=CONSOLE_FUZZ_CASES, deadline=None, suppress_health_check=list(HealthCheck)
    )
    @given(raw=console_inputs)
    def case(raw: list[bytes]) -> None:
        nonlocal cases
        cases += 1
        folder = tmp_path_factory.mktemp("console-fuzz")
        _files(folder)
        monkeypatch.chdir(folder)  # the relative /file paths name the files above
        stream = io.TextIOWrapper(
            io.BytesIO(b"\n".join([*raw, b".", b"/help"]) + b"\n"),
            encoding="utf-8",
            errors="surrogateescape",
        )
        written: list[str] = []
        read: list[tuple[str, int]] = []  # each message, and how much was written before it

        async def messages() -> AsyncIterator[str]:
            async for text in piped_messages(stream):
                read.append((text, len(written)))
                yield text

        async def check() -> None:
            scheduler = ConsoleScheduler(written.append)
            fetcher = SafeFetcher()
            try:
                async with open_service(
                    settings_for(folder), fetcher=fetcher, scheduler=scheduler, use_model=False
                ) as svc:
                    scheduler.service = svc
                    await chat_loop(svc, messages(), written.append)
            finally:
                scheduler.close()
                await fetcher.aclose()

        asyncio.run(check())
        ends = [at for _, at in read[1:]] + [len(written)]
        for (text, start), end in zip(read, ends, strict=True):
            assert any(out.strip() for out in written[start:end]), f"no reply to {text[:80]!r}"
        assert read[-1][0] == "/help" and CONSOLE_HELP in written[read[-1][1] :]

    case()
    print(f"{cases} fuzzed console inputs")
    assert cases >= CONSOLE_FUZZ_CASES

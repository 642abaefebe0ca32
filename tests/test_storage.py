"""Storage against real SQLite files: dedupe, migrations, crash re-queue, search, speakers."""

from __future__ import annotations

import asyncio
import socket
import sqlite3
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path

import asyncpg
import pytest
from support import CHAT, text_of

from bot.runtime import open_service
from bot.settings import Settings, load_settings
from storage import NewArticle, QueryTooCostly, SqliteStore, StorageError, Store, open_store
from storage.postgres import PostgresStore
from storage.postgres import migrations as pg_migrations
from storage.sqlite import migrations
from summarizer.names import name_key
from summarizer.pipeline import read, reread
from summarizer.rules import positions_rules
from summarizer.types import Analysis, Position, Span, Summary

TEXT = (
    "Ministers met in Brussels on Tuesday.\n"
    '"We will not back down," said Anna Keller, the defence minister. Keller added that '
    "talks would resume.\n"
)


def span(text: str, quote: str) -> Span:
    start = text.index(quote)
    return Span(text=quote, start=start, end=start + len(quote))


@dataclass
class Backend:
    """One database both stores can open: reopening it is how a test restarts the process."""

    name: str
    target: str | Path
    latest: int

    async def open(self) -> Store:
        return await open_store(self.target, name_key=name_key)

    async def execute(self, sql: str) -> None:
        """SQL behind the store's back: to tamper with what it wrote."""
        if self.name == "sqlite":
            with sqlite3.connect(self.target) as raw:
                raw.execute(sql)
            return
        raw = await asyncpg.connect(str(self.target))
        try:
            await raw.execute(sql)
        finally:
            await raw.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request, tmp_path) -> Backend:
    if request.param == "sqlite":
        return Backend("sqlite", tmp_path / "b.db", migrations()[-1][0])
    url = request.getfixturevalue("postgres_url")
    return Backend("postgresql", url, pg_migrations()[-1][0])


@pytest.fixture
async def store(backend):
    s = await backend.open()
    yield s
    await s.close()


def analysis_for(text: str, speaker: str = "Anna Keller", aliases=("Keller",)) -> Analysis:
    return Analysis(
        title="Ministers meet",
        summary=Summary(text="Ministers met in Brussels.", fallback=False, model="test"),
        positions=[
            Position(
                speaker=speaker,
                role="defence minister",
                aliases=list(aliases),
                stance="Keller said the government would not back down.",
                quotes=[span(text, "We will not back down,")],
            )
        ],
        loaded_phrases=["reckless"],
    )


async def test_migrations_set_version_and_are_idempotent(backend):
    first = await backend.open()
    assert await first.schema_version() == backend.latest
    await first.close()
    again = await backend.open()  # must not re-run 001
    assert await again.schema_version() == backend.latest
    await again.close()
    if backend.name == "sqlite":
        with sqlite3.connect(backend.target) as raw:
            assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_a_version_1_database_upgrades_with_its_data(tmp_path):
    """A file written by the first release (schema 1, with analyses.stances_s) is migrated in
    place on open, and what it holds is still read back."""
    path = tmp_path / "v1.db"
    v1 = await SqliteStore.open(path, name_key=name_key)
    article, _ = await v1.add_article(1, None, NewArticle(text=TEXT))
    await v1.save_analysis(article.id, analysis_for(TEXT))
    await v1.close()
    with sqlite3.connect(path) as raw:  # roll the file back to what release 1 wrote
        raw.execute("ALTER TABLE analyses ADD COLUMN stances_s REAL NOT NULL DEFAULT 0")
        raw.execute("ALTER TABLE positions DROP COLUMN name")
        raw.execute("ALTER TABLE articles DROP COLUMN lease_owner")
        raw.execute("ALTER TABLE articles DROP COLUMN lease_until")
        raw.execute("DROP TABLE briefings_sent")
        raw.execute("ALTER TABLE positions DROP COLUMN stance_fallback")
        raw.execute("DROP INDEX chat_articles_undelivered")
        for column in ("delivery_owner", "delivery_until", "delivered_at"):
            raw.execute(f"ALTER TABLE chat_articles DROP COLUMN {column}")
        raw.execute("ALTER TABLE analyses DROP COLUMN unfinished")
        raw.execute("ALTER TABLE analyses DROP COLUMN positions_rules")
        raw.execute("ALTER TABLE positions DROP COLUMN stance_unfinished")
        raw.execute("PRAGMA user_version = 1")
    upgraded = await SqliteStore.open(path, name_key=name_key)
    assert await upgraded.schema_version() == migrations()[-1][0] >= 2
    analysis = await upgraded.get_analysis(article.id)
    assert analysis is not None and analysis.positions[0].speaker == "Anna Keller"
    await upgraded.close()
    with sqlite3.connect(path) as raw:
        columns = {row[1] for row in raw.execute("PRAGMA table_info(analyses)")}
    assert "stances_s" not in columns


async def test_an_unnamed_source_is_stored_as_one_and_kept_apart_from_named_people(store):
    """Every kind of speaker the positions give (a person, an organisation, an unnamed
    source) survives the round trip, and an unnamed source is no named person's alias."""
    article, _ = await store.add_article(1, None, NewArticle(text=TEXT))
    analysis = analysis_for(TEXT)
    unnamed = Position(
        speaker="unnamed: senior official",
        kind="unnamed",
        aliases=["senior official"],
        quotes=[span(TEXT, "We will not back down,")],
    )
    analysis.positions.append(unnamed)
    await store.save_analysis(article.id, analysis)
    back = await store.get_analysis(article.id)
    assert back is not None
    assert [(p.speaker, p.kind) for p in back.positions] == [
        ("Anna Keller", "person"),
        ("unnamed: senior official", "unnamed"),
    ]


async def test_a_failed_stance_line_is_stored_as_a_flag(store):
    article, _ = await store.add_article(1, None, NewArticle(text=TEXT))
    analysis = analysis_for(TEXT)
    analysis.positions[0] = analysis.positions[0].model_copy(
        update={"stance": None, "stance_fallback": True}
    )
    await store.save_analysis(article.id, analysis)
    back = await store.get_analysis(article.id)
    assert back is not None and back.positions[0].stance_fallback
    (match,) = await store.find_speakers(1, "Keller")
    (record,) = await store.stance_history(1, match.id)
    assert record.stance is None and record.stance_fallback


async def test_stored_placeholder_stance_lines_become_the_flag(backend):
    """Before the flag, a failed line was stored as bracketed text in `stance`; the migration
    turns each into the flag and leaves the model's real lines alone."""
    store = await backend.open()
    article, _ = await store.add_article(1, None, NewArticle(text=TEXT))
    await store.save_analysis(article.id, analysis_for(TEXT))
    other = TEXT.replace("Ministers met", "Envoys met")
    second, _ = await store.add_article(1, None, NewArticle(text=other))
    await store.save_analysis(second.id, analysis_for(other))
    await store.close()
    placeholder = "[No stance line: Anna Keller is quoted once; see the quotes.]"
    # the database as the release before the flag left it (and before the delivery record
    # and the count of sentences cut short)
    await backend.execute("DROP INDEX chat_articles_undelivered")
    for column in ("delivery_owner", "delivery_until", "delivered_at"):
        await backend.execute(f"ALTER TABLE chat_articles DROP COLUMN {column}")
    await backend.execute("ALTER TABLE analyses DROP COLUMN unfinished")
    await backend.execute("ALTER TABLE analyses DROP COLUMN positions_rules")
    await backend.execute("ALTER TABLE positions DROP COLUMN stance_unfinished")
    await backend.execute("ALTER TABLE positions DROP COLUMN stance_fallback")
    await backend.execute(
        f"UPDATE positions SET stance = '{placeholder}' WHERE article_id = {second.id}"
    )
    flag = {"sqlite": 7, "postgresql": 3}[backend.name]  # the migration that brought the flag
    if backend.name == "sqlite":
        await backend.execute(f"PRAGMA user_version = {flag - 1}")
    else:
        await backend.execute(f"DELETE FROM schema_migrations WHERE version >= {flag}")
    upgraded = await backend.open()
    assert await upgraded.schema_version() == backend.latest
    kept = await upgraded.get_analysis(article.id)
    flagged = await upgraded.get_analysis(second.id)
    await upgraded.close()
    assert kept is not None and flagged is not None
    assert kept.positions[0].stance == analysis_for(TEXT).positions[0].stance
    assert not kept.positions[0].stance_fallback
    assert flagged.positions[0].stance is None and flagged.positions[0].stance_fallback


async def test_duplicate_text_is_one_article_linked_to_each_chat(store):
    a, new_a = await store.add_article(1, 10, NewArticle(text=TEXT))
    b, new_b = await store.add_article(1, 10, NewArticle(text=TEXT.replace("\n", "\n\n")))
    c, new_c = await store.add_article(2, 20, NewArticle(text=TEXT))
    assert (new_a, new_b, new_c) == (True, False, True)
    assert a.id == b.id == c.id
    assert [x.id for x in await store.list_articles(1)] == [a.id]
    assert await store.get_article(3, a.id) is None  # not this chat's


async def test_article_committed_queued_before_analysis_and_requeued_after_crash(backend):
    s = await backend.open()
    article, _ = await s.add_article(1, None, NewArticle(text=TEXT))
    assert (await s.claim(article.id, "worker-1", lease_s=600)).state == "running"
    await s.close()  # the process "dies" here, mid-analysis
    reopened = await backend.open()
    # where several work, a live lease is another worker's: it stays with it
    assert await reopened.requeue_unfinished(expired_only=True) == []
    assert await reopened.claim(None, "worker-2", lease_s=600) is None
    # the only worker knows that what was running died with it
    assert await reopened.requeue_unfinished() == [article.id]
    record = await reopened.get_article(1, article.id)
    assert record is not None and record.state == "queued" and record.attempts == 1
    await reopened.close()


async def test_analysis_roundtrip_with_offsets(store):
    article, _ = await store.add_article(1, None, NewArticle(text=TEXT))
    await store.save_analysis(article.id, analysis_for(TEXT))
    got = await store.get_analysis(article.id)
    assert got is not None
    assert got.summary and got.summary.text == "Ministers met in Brussels."
    (position,) = got.positions
    assert position.speaker == "Anna Keller" and position.role == "defence minister"
    assert position.quotes[0].is_verbatim_in(TEXT)
    assert got.loaded_phrases == ["reckless"]
    assert (await store.get_article(1, article.id)).state == "done"


async def test_a_brief_cut_short_by_the_time_limit_says_so_when_read_back(store):
    """The sentences the model had no time for are counted, so that the brief read back
    later (/summary, /stance) says why their stand-ins are there, as the first reply did:
    each stance line not finished is flagged so, apart from one that failed its checks."""
    article, _ = await store.add_article(1, None, NewArticle(text=TEXT))
    cut = analysis_for(TEXT)
    assert cut.summary is not None
    cut.summary.unfinished = 2
    late = {"stance": None, "stance_fallback": True, "stance_unfinished": True}
    cut.positions[0] = cut.positions[0].model_copy(update=late)
    await store.save_analysis(article.id, cut)
    got = await store.get_analysis(article.id)
    assert got is not None and got.summary is not None and got.summary.unfinished == 2
    assert got.positions[0].stance_fallback and got.positions[0].stance_unfinished
    (match,) = await store.find_speakers(1, "Keller")
    (record,) = await store.stance_history(1, match.id)
    assert record.stance_fallback and record.stance_unfinished


async def test_positions_stored_before_the_model_writes_leave_the_article_running(store):
    """The positions are saved as soon as they are read (`finished=False`): findable, and the
    article still running under its lease; the final save replaces them and ends it."""
    article, _ = await store.add_article(1, None, NewArticle(text=TEXT))
    assert (await store.claim(article.id, "worker-1", lease_s=600)) is not None
    read = analysis_for(TEXT).model_copy(update={"summary": None})
    await store.save_analysis(article.id, read, finished=False)
    assert (await store.get_article(1, article.id)).state == "running"
    assert await store.renew_lease(article.id, "worker-1", lease_s=600)
    (match,) = await store.find_speakers(1, "Keller")
    early = await store.get_analysis(article.id)
    assert early is not None and early.summary is None
    await store.save_analysis(article.id, analysis_for(TEXT))
    assert (await store.get_article(1, article.id)).state == "done"
    (record,) = await store.stance_history(1, match.id)
    assert record.quotes


async def test_speaker_aliases_fold_spelling_variants_across_articles(store):
    text2 = TEXT.replace("Ministers met", "Envoys met")
    a1, _ = await store.add_article(1, None, NewArticle(text=TEXT))
    a2, _ = await store.add_article(1, None, NewArticle(text=text2))
    await store.save_analysis(a1.id, analysis_for(TEXT, "Volodymyr Zelensky", ("Zelensky",)))
    await store.save_analysis(a2.id, analysis_for(text2, "Volodymyr Zelenskiy", ("Zelenskiy",)))
    (match,) = await store.find_speakers(1, "Zelenskyy")
    assert match.article_count == 2
    history = await store.stance_history(1, match.id)
    assert [h.article_id for h in history] == [a1.id, a2.id]
    assert history[0].quotes == ["We will not back down,"]
    assert await store.find_speakers(2, "Zelensky") == []  # other chats see nothing


async def test_stance_history_tells_an_articles_own_date_from_the_day_stored(store):
    """/stance must not show the day an undated article was pasted as if it were its date."""
    dated = TEXT.replace("Ministers met", "Envoys met")
    a1, _ = await store.add_article(1, None, NewArticle(text=TEXT))
    a2, _ = await store.add_article(1, None, NewArticle(text=dated, published=date(2025, 3, 4)))
    await store.save_analysis(a1.id, analysis_for(TEXT, "Volodymyr Zelensky", ("Zelensky",)))
    await store.save_analysis(a2.id, analysis_for(dated, "Volodymyr Zelensky", ("Zelensky",)))
    (match,) = await store.find_speakers(1, "Zelensky")
    history = {h.article_id: h for h in await store.stance_history(1, match.id)}
    assert (history[a2.id].date, history[a2.id].own_date) == (date(2025, 3, 4), True)
    assert history[a1.id].own_date is False


async def test_two_people_one_surname_stay_two(store):
    text2 = TEXT + "More.\n"
    a1, _ = await store.add_article(1, None, NewArticle(text=TEXT))
    a2, _ = await store.add_article(1, None, NewArticle(text=text2))
    await store.save_analysis(a1.id, analysis_for(TEXT, "Anna Keller", ("Keller",)))
    await store.save_analysis(a2.id, analysis_for(text2, "Karl Keller", ("Keller",)))
    assert {m.name for m in await store.find_speakers(1, "Keller")} == {
        "Anna Keller",
        "Karl Keller",
    }
    assert [m.name for m in await store.find_speakers(1, "Karl Keller")] == ["Karl Keller"]


async def test_tampered_quote_never_leaves_storage(store, backend):
    article, _ = await store.add_article(1, None, NewArticle(text=TEXT))
    await store.save_analysis(article.id, analysis_for(TEXT))
    await backend.execute("UPDATE quotes SET text = 'We will surrender,'")
    (match,) = await store.find_speakers(1, "Keller")
    assert (await store.stance_history(1, match.id))[0].quotes == []


async def test_search_is_scoped_and_safe_against_fts_syntax(store):
    article, _ = await store.add_article(1, None, NewArticle(text=TEXT, title="Brussels talks"))
    hits = await store.search(1, "brussel")
    assert [h.article_id for h in hits] == [article.id]
    assert await store.search(2, "Brussels") == []
    assert await store.search(1, 'NEAR( "unbalanced * OR') == []


async def test_delete_keeps_article_for_other_chats(store):
    article, _ = await store.add_article(1, None, NewArticle(text=TEXT))
    await store.add_article(2, None, NewArticle(text=TEXT))
    assert await store.delete_article(1, article.id)
    assert not await store.delete_article(1, article.id)
    assert await store.get_article(2, article.id) is not None
    assert await store.delete_article(2, article.id)
    assert await store.get_article_any(article.id) is None


async def test_subscriptions_survive_reopen(backend):
    s = await backend.open()
    await s.subscribe(5, time(7, 30), "Europe/Rome")
    await s.mark_briefed(5, datetime(2026, 1, 2, tzinfo=UTC))
    await s.close()
    s = await backend.open()
    (sub,) = await s.list_subscriptions()
    assert (sub.chat_id, sub.local_time, sub.tz) == (5, time(7, 30), "Europe/Rome")
    assert sub.last_sent_at == datetime(2026, 1, 2, tzinfo=UTC)
    assert await s.unsubscribe(5) and not await s.unsubscribe(5)
    await s.close()


async def test_failed_write_rolls_back_and_reports_storage_error(store):
    article, _ = await store.add_article(1, None, NewArticle(text=TEXT))
    bad = analysis_for(TEXT)
    bad.positions.append(bad.positions[0].model_copy(update={"kind": "alien"}, deep=True))
    bad.positions[1].speaker = "Someone Else"
    with pytest.raises(StorageError):
        await store.save_analysis(article.id, bad)  # CHECK constraint on speakers.kind
    assert await store.get_analysis(article.id) is None
    assert (await store.get_article(1, article.id)).state == "queued"


async def test_published_date_roundtrip(store):
    article, _ = await store.add_article(
        1, None, NewArticle(text=TEXT, url="https://example.org/a", published=date(2024, 12, 3))
    )
    assert article.published == date(2024, 12, 3)
    assert (await store.find_by_url("https://example.org/a")).id == article.id


async def test_surname_only_mentions_join_the_full_name(store):
    texts = [TEXT, TEXT + "Two.\n", TEXT + "Three.\n"]
    ids = [(await store.add_article(1, None, NewArticle(text=t)))[0].id for t in texts]
    # first a surname-only article, then the full name (upgrades it), then surname-only again
    await store.save_analysis(ids[0], analysis_for(texts[0], "Keller", ()))
    await store.save_analysis(ids[1], analysis_for(texts[1], "Anna Keller", ("Keller",)))
    await store.save_analysis(ids[2], analysis_for(texts[2], "Keller", ()))
    (match,) = await store.find_speakers(1, "Keller")
    assert match.name == "Anna Keller" and match.article_count == 3


async def test_two_articles_same_unnamed_label_are_two_speakers(store):
    """'a senior official' in one article is not, on that word alone, the one in another."""
    texts = [TEXT, TEXT + "Two.\n"]
    ids = [(await store.add_article(1, None, NewArticle(text=t)))[0].id for t in texts]
    for article_id, text in zip(ids, texts, strict=True):
        analysis = analysis_for(text)
        analysis.positions = [
            Position(
                speaker="unnamed: senior official",
                kind="unnamed",
                aliases=["senior official"],
                quotes=[span(text, "We will not back down,")],
            )
        ]
        await store.save_analysis(article_id, analysis)
    speakers = await store.list_speakers(1)
    assert [(m.name, m.article_count) for m in speakers] == [("unnamed: senior official", 1)] * 2


async def test_a_postgresql_url_names_a_server_not_a_folder(tmp_path, monkeypatch):
    """BRIEFBOT_DATABASE=postgresql://… used to be taken as a path: it made a folder named
    'postgresql:' and quietly ran on SQLite there. Now it is a server, and one that cannot be
    reached is a StorageError that does not print the password."""
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BRIEFBOT_DATABASE", f"postgresql://bot:sekret@127.0.0.1:{port}/briefbot")
    settings = load_settings(model_cache=tmp_path / "models")
    with pytest.raises(StorageError) as refused:
        async with open_service(settings, use_model=False):
            pass
    assert "sekret" not in str(refused.value) and "127.0.0.1" in str(refused.value)
    assert list(tmp_path.iterdir()) == []


async def test_postgres_reads_a_user_shapes_are_cut_at_their_budget(postgres_url):
    """A read whose cost the user controls is cancelled by the server's statement_timeout,
    as SQLite's is interrupted: the question, not the database, is the problem."""
    store = await PostgresStore.open(postgres_url, name_key=name_key)
    try:
        with pytest.raises(QueryTooCostly):
            await store._read("SELECT pg_sleep(5)")
        await store.add_article(1, None, NewArticle(text=TEXT))
        assert [h.article_id for h in await store.search(1, "brussel " * 2000)] == [1]
        # the ninth distinct word is past the cap: it is not looked for
        capped = "ministers met in brussels on tuesday will not zebra"
        assert [h.article_id for h in await store.search(1, capped)] == [1]
    finally:
        await store.close()


async def test_each_article_is_claimed_by_one_worker_and_a_dead_workers_lease_runs_out(backend):
    """Four workers (each its own connection, as separate processes) claim twelve articles at
    once: each article goes to exactly one. A lease that runs out (its worker died) lets
    another worker take the article; the dead worker can no longer renew it."""
    setup = await backend.open()
    ids = [
        (await setup.add_article(1, None, NewArticle(text=f"{TEXT} {n}")))[0].id for n in range(12)
    ]
    workers = [await backend.open() for _ in range(4)]
    try:

        async def drain(store: Store, name: str) -> list[int]:
            got = []
            while (article := await store.claim(None, name, lease_s=600)) is not None:
                got.append(article.id)
            return got

        claimed = await asyncio.gather(*(drain(w, f"w{i}") for i, w in enumerate(workers)))
        assert sorted(i for c in claimed for i in c) == ids
        assert await workers[0].claim(ids[0], "late", lease_s=600) is None  # leased
        # the first worker dies with its first article, its lease already run out
        dead_article = ids[0]
        owner = next(f"w{i}" for i, c in enumerate(claimed) if dead_article in c)
        assert await setup.renew_lease(dead_article, owner, lease_s=0)
        await asyncio.sleep(0.01)
        taken = await workers[1].claim(None, "w-rescue", lease_s=600)
        assert taken is not None and (taken.id, taken.attempts) == (dead_article, 2)
        assert not await setup.renew_lease(dead_article, owner, lease_s=600)
        await workers[1].save_analysis(dead_article, analysis_for(f"{TEXT} 0"))
        assert await workers[2].claim(dead_article, "w2", lease_s=600) is None  # done
    finally:
        for w in [setup, *workers]:
            await w.close()


async def test_a_days_briefing_is_claimed_once_across_processes_and_a_dead_claim_is_taken_over(
    backend,
):
    day = date(2026, 3, 4)
    bots = [await backend.open() for _ in range(3)]
    try:
        await bots[0].subscribe(7, time(8, 0), "Europe/Rome")
        won = await asyncio.gather(
            *(b.claim_briefing(7, day, f"bot{i}", stale_s=600) for i, b in enumerate(bots))
        )
        assert sorted(won) == [False, False, True]
        winner = won.index(True)
        # its send failed: released, so another process may send it
        await bots[winner].release_briefing(7, day, f"bot{winner}")
        assert await bots[1].claim_briefing(7, day, "bot1", stale_s=600)
        # bot1 dies before sending; once its claim is stale another takes the day over
        assert not await bots[2].claim_briefing(7, day, "bot2", stale_s=600)
        assert await bots[2].claim_briefing(7, day, "bot2", stale_s=0)
        covered = datetime(2026, 3, 4, 7, tzinfo=UTC)
        await bots[2].briefing_sent(7, day, covered)
        assert not await bots[0].claim_briefing(7, day, "bot0", stale_s=0)  # sent: never again
        assert (await bots[0].get_subscription(7)).last_sent_at == covered
        assert await bots[0].claim_briefing(7, date(2026, 3, 5), "bot0", stale_s=600)
        assert not await bots[0].claim_briefing(8, day, "bot0", stale_s=600)  # no subscription
    finally:
        for b in bots:
            await b.close()


async def test_each_chats_news_of_an_ended_article_is_claimed_by_one_bot_process(backend):
    """Three bot processes (each its own connection) claim at once: every chat's link to an
    ended article goes to exactly one of them, and a link is claimable only once its article
    ended, while nobody holds it, and until it is delivered. A chat that deleted the article
    has nothing to be told."""
    setup = await backend.open()
    ids = [
        (await setup.add_article(1 + n % 3, None, NewArticle(text=f"{TEXT} {n}")))[0].id
        for n in range(9)
    ]
    await setup.add_article(4, None, NewArticle(text=f"{TEXT} 0"))  # a second chat holds ids[0]
    for article_id in ids[:7]:
        await setup.save_analysis(article_id, analysis_for(TEXT))
    await setup.mark_failed(ids[7], "the model broke")  # failed: an end, told like one
    await setup.delete_article(3, ids[2])  # deleted by its chat: told to no one
    # ids[8] is still queued: no end to tell yet
    bots = [await backend.open() for _ in range(3)]
    try:
        claimed = await asyncio.gather(
            *(b.claim_deliveries(f"bot{i}", 600, limit=3) for i, b in enumerate(bots))
        )
        assert sorted(len(c) for c in claimed) == [2, 3, 3]
        links = [link for c in claimed for link in c]
        expected = [(1 + n % 3, i) for n, i in enumerate(ids[:8]) if n != 2] + [(4, ids[0])]
        assert sorted(links) == sorted(expected)
        assert all(c == sorted(c, key=lambda link: (link[1], link[0])) for c in claimed)
        assert await bots[0].claim_deliveries("bot0", 600, limit=10) == []  # all held

        chat, article_id = claimed[1][0]
        assert not await bots[0].mark_delivered(chat, article_id, "bot0")  # not its to mark
        # bot1's send failed: given back, any process retries it once retry_s has passed
        await bots[1].release_delivery(chat, article_id, "bot1", retry_s=0)
        await asyncio.sleep(0.01)
        assert await bots[2].claim_deliveries("bot2", 600, limit=10) == [(chat, article_id)]
        assert not await bots[1].mark_delivered(chat, article_id, "bot1")  # bot2 holds it now
        assert await bots[2].mark_delivered(chat, article_id, "bot2")
        assert not await bots[2].mark_delivered(chat, article_id, "bot2")  # once
        # bot0 dies holding its links: renewed no more, they run out and go to another
        await bots[0].hold_deliveries("bot0", claimed[0], hold_s=0)
        await asyncio.sleep(0.01)
        assert await bots[1].claim_deliveries("bot1", 600, limit=10) == claimed[0]
        # the one article that ends now is news; every other link is held or delivered
        await setup.save_analysis(ids[8], analysis_for(TEXT))
        assert await bots[1].claim_deliveries("bot1", 600, limit=10) == [(3, ids[8])]
    finally:
        for b in [setup, *bots]:
            await b.close()


async def test_a_link_held_by_the_process_showing_it_is_not_claimed_and_a_resend_is_new_news(
    backend,
):
    """The process whose reply waits in place holds the chat's link from the moment the
    article is stored, so no other process tells the chat too; renewing the hold keeps it.
    The same article sent again later counts as news again, held by the process that took it."""
    shown = await backend.open()
    other = await backend.open()
    try:
        article, _ = await shown.add_article(5, None, NewArticle(text=TEXT), holder="a", hold_s=600)
        await shown.save_analysis(article.id, analysis_for(TEXT))
        assert await other.claim_deliveries("b", 600, limit=10) == []
        await shown.hold_deliveries("a", [(5, article.id)], hold_s=600)
        assert await other.claim_deliveries("b", 600, limit=10) == []
        assert await shown.mark_delivered(5, article.id, "a")
        again, linked = await other.add_article(
            5, None, NewArticle(text=TEXT), holder="b", hold_s=0
        )
        assert (again.id, linked) == (article.id, False)
        await asyncio.sleep(0.01)
        assert await shown.claim_deliveries("a", 600, limit=10) == [(5, article.id)]
    finally:
        await shown.close()
        await other.close()


# ---------------------------------------------------------------------------------------
# stored analyses follow the current positions rules


def under_old_rules(text: str) -> Analysis:
    """What an older edition of the rules might have stored for TEXT: the quote given to a
    speaker "Twitter" (a rule since fixed), with a model line of its own that the summary
    took, and Keller left with her paraphrase alone and a line written from it."""
    return Analysis(
        title="Ministers meet",
        summary=Summary(
            text="Ministers met in Brussels. Twitter said it would not back down.",
            fallback=False,
            model="test",
        ),
        positions=[
            Position(
                speaker="Twitter",
                kind="organization",
                stance="Twitter said it would not back down.",
                quotes=[span(text, "We will not back down")],
            ),
            Position(
                speaker="Anna Keller",
                role="defence minister",
                aliases=["Keller"],
                stance="Anna Keller said that talks would resume.",
                paraphrases=[span(text, "Keller added that talks would resume.")],
            ),
        ],
    )


async def test_an_analysis_stored_under_other_rules_is_refreshed_once(store, backend):
    """The store names the chat's analyses read under another edition (or before editions
    were kept), and replaces one's positions only if no one else did meanwhile, the
    model's summary untouched."""
    article, _ = await store.add_article(1, None, NewArticle(text=TEXT))
    running, _ = await store.add_article(1, None, NewArticle(text=f"{TEXT}\nMore."))
    other, _ = await store.add_article(2, None, NewArticle(text=f"{TEXT}\nElsewhere."))
    await store.save_analysis(article.id, under_old_rules(TEXT))
    await store.save_analysis(running.id, under_old_rules(TEXT), finished=False)
    await store.save_analysis(other.id, under_old_rules(TEXT))
    # running: its analysis will store the current rules' own; chat 2's is not chat 1's
    assert await store.stale_analyses(1, "new") == [article.id]
    fresh = analysis_for(TEXT).model_copy(update={"rules": "new"})
    assert await store.refresh_positions(article.id, fresh, read_under=None)
    assert not await store.refresh_positions(article.id, fresh, read_under=None)  # done once
    assert await store.stale_analyses(1, "new") == []
    back = await store.get_analysis(article.id)
    assert back is not None and back.rules == "new"
    assert [p.speaker for p in back.positions] == ["Anna Keller"]
    assert back.summary == analysis_for(TEXT).summary
    # "Twitter" is left only in the article still under analysis
    assert {s.name: s.article_count for s in await store.list_speakers(1)} == {
        "Anna Keller": 2,
        "Twitter": 1,
    }


async def test_a_stored_analysis_read_by_a_reader_follows_the_current_rules(backend, tmp_path):
    """A newcomer saw a speaker "Twitter" in an article stored a session before the rule
    that made it was fixed. Read by /positions, /stance, /speakers or a briefing, an
    analysis stored under other rules is read again from its text and stored so; the
    model's line stays for a speaker given the same words, and the others' quotes stand in."""
    old = await backend.open()
    try:
        article, _ = await old.add_article(CHAT.chat_id, None, NewArticle(text=TEXT))
        await old.save_analysis(article.id, under_old_rules(TEXT))
    finally:
        await old.close()
    settings = Settings(database=backend.target, model_cache=tmp_path / "models")
    async with open_service(settings, use_model=False) as svc:
        speakers = await text_of(await svc.handle(CHAT, "/speakers"))
        twitter = await text_of(await svc.handle(CHAT, "/stance Twitter"))
        positions = await text_of(await svc.handle(CHAT, "/positions 1"))
        summary = await text_of(await svc.handle(CHAT, "/summary 1"))
        stored = await svc.store.get_analysis(article.id)
    assert "Twitter" not in speakers and "Anna Keller" in speakers
    assert "No one called “Twitter”" in twitter
    assert "Twitter" not in positions and "We will not back down" in positions
    assert "Ministers met in Brussels." in summary and "Twitter" not in summary
    assert stored is not None and stored.rules == positions_rules()
    [keller] = stored.positions
    assert keller.speaker == "Anna Keller" and len(keller.quotes) == 1
    # her words changed (the quote is hers now): the old line is not shown as hers
    assert keller.stance is None and keller.stance_fallback


@pytest.mark.parametrize(
    "line",
    [
        "Anna Keller said talks would resume on 12 May.",  # a date the text does not give
        "Anna Keller said talks would not resume.",  # her words turned around
        "Anna Keller",  # no position at all
    ],
)
def test_a_reread_drops_a_kept_line_that_fails_todays_checks(line: str) -> None:
    """A line stored before a check existed was shown again at every read, though the
    speaker's words were the same: a re-read holds it to today's checks, and a line that
    fails them leaves the positions and the summary, the speaker's quotes standing in."""
    now = read(TEXT)
    lined = now.model_copy(
        update={
            "summary": Summary(text=f"Ministers met. {line}", fallback=False, model="test"),
            "positions": [p.model_copy(update={"stance": line}) for p in now.positions],
            "rules": "old",
        }
    )
    again = reread(TEXT, lined)
    assert [(p.stance, p.stance_fallback) for p in again.positions] == [(None, True)]
    assert again.summary is not None and again.summary.text == "Ministers met."


def test_a_reread_keeps_a_line_only_where_the_speaker_keeps_the_same_words():
    now = read(TEXT)
    lined = now.model_copy(
        update={
            "summary": Summary(text="Ministers met.", fallback=False, model="test"),
            "positions": [
                p.model_copy(update={"stance": "Anna Keller said talks would resume."})
                for p in now.positions
            ],
            "rules": "old",
        }
    )
    again = reread(TEXT, lined)
    assert again.rules == positions_rules() and again.summary == lined.summary
    assert [p.stance for p in again.positions] == ["Anna Keller said talks would resume."]
    changed = reread(TEXT, under_old_rules(TEXT))
    assert changed.positions[0].stance_fallback  # given other words than her line's
    # the lines dropped leave the summary, its event sentence standing alone
    assert changed.summary is not None and changed.summary.text == "Ministers met in Brussels."
    positions_only = under_old_rules(TEXT).model_copy(update={"summary": None})
    assert not reread(TEXT, positions_only).positions[0].stance_fallback  # no model, no line

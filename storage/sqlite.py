"""SQLite implementation of `Store`, on aiosqlite (one connection, its own thread).

WAL lets readers proceed while the analysis worker writes. Every multi-statement write runs
in one transaction, so a crash or a full disk leaves the previous state, never half of a new one.

Reads whose cost a user controls (a search, the speakers of a chat) run on a second,
read-only connection under a time budget: aiosqlite runs each connection's statements one
after another on its thread, so a slow read on the main connection held every chat's
storage (a 2,000-word /search made another chat's /articles wait 144 s).
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import aiosqlite

from storage import rows as rows_to
from storage.base import QueryTooCostly, StorageError, search_terms
from storage.models import (
    ArticleRecord,
    NewArticle,
    SearchHit,
    SpeakerMatch,
    Subscription,
    content_hash,
    shown_title,
)
from summarizer.speaker_links import (
    KnownSpeaker,
    known_speakers,
    link_speaker,
    linking_aliases,
    lookup_keys,
)
from summarizer.types import Analysis, Position, StanceRecord

NameKey = Callable[[str], str]

# Time a user-shaped read may take before SQLite interrupts it; a real search of a chat's
# articles takes milliseconds. An interrupt, not a progress handler: FTS5's snippet() does
# its (quadratic) work inside one VM step, where a progress handler is never called.
READ_BUDGET_S = 1.0


def _now() -> datetime:
    return datetime.now(UTC)


def _after(moment: datetime, seconds: float) -> str:
    """A deadline as stored: ISO text in UTC, which compares in time order."""
    return (moment + timedelta(seconds=seconds)).isoformat()


def migrations() -> list[tuple[int, str]]:
    """Numbered SQL files shipped in storage/migrations, in order."""
    return rows_to.numbered_sql("migrations")


def _article(row: sqlite3.Row) -> ArticleRecord:
    return ArticleRecord(
        id=row["id"],
        url=row["url"],
        canonical_url=row["canonical_url"],
        title=row["title"],
        outlet=row["outlet"],
        published=date.fromisoformat(row["published"]) if row["published"] else None,
        text=row["text"],
        state=row["state"],
        attempts=row["attempts"],
        error=row["error"],
    )


def _fts_query(words: str) -> str:
    """Each word becomes a quoted prefix term, so user input can never be FTS5 syntax."""
    return " AND ".join('"' + w.replace('"', '""') + '"*' for w in search_terms(words))


def _can_open(path: Path | str) -> None:
    sqlite3.connect(str(path)).close()


async def _connect(path: Path | str) -> aiosqlite.Connection:
    # A failed aiosqlite.connect leaves its thread a message for the event loop, which is
    # closed by then (a traceback at exit): a file that cannot be opened fails here first.
    await asyncio.to_thread(_can_open, path)
    db = await aiosqlite.connect(str(path), timeout=5.0, isolation_level=None)
    try:
        db.row_factory = sqlite3.Row
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute("PRAGMA foreign_keys=ON")
        await db.execute("PRAGMA synchronous=NORMAL")
        await db.execute("PRAGMA busy_timeout=5000")
    except BaseException:
        # aiosqlite's thread is not a daemon: left open, it keeps the process from exiting.
        await db.close()
        raise
    return db


class SqliteStore:
    def __init__(
        self,
        db: aiosqlite.Connection,
        name_key: NameKey,
        reader: aiosqlite.Connection | None = None,
    ) -> None:
        self._db = db
        self._name_key = name_key
        # One connection is shared by every coroutine: transactions must not interleave on it.
        self._write_lock = asyncio.Lock()
        # An in-memory database cannot be opened twice: there the reader is the one connection.
        self._reader = reader or db
        self._read_lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path | str, *, name_key: NameKey) -> SqliteStore:
        """Opens and checks the file; any failure is a StorageError with both connections closed.

        The whole file is checked once (`quick_check`): a truncated file passes every
        statement of start-up and only fails on the first read of a missing page, which would
        leave the bot answering "the database is unavailable" to everyone for good.
        """
        in_memory = str(path) == ":memory:"
        opened: list[aiosqlite.Connection] = []
        try:
            if not in_memory:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            db = await _connect(path)
            opened.append(db)
            store = cls(db, name_key)
            async with db.execute("PRAGMA quick_check") as cur:
                verdict = [row[0] for row in await cur.fetchall()]
            if verdict != ["ok"]:
                raise sqlite3.DatabaseError(f"integrity check failed: {verdict[0]}")
            await store._migrate()
            if not in_memory:
                reader = await _connect(path)
                opened.append(reader)
                await reader.execute("PRAGMA query_only=ON")
                store._reader = reader
        except (sqlite3.Error, OSError) as exc:
            for conn in reversed(opened):
                await conn.close()
            raise StorageError(f"cannot open database {path}: {exc}") from exc
        return store

    async def close(self) -> None:
        if self._reader is not self._db:
            await self._reader.close()
        await self._db.close()

    async def schema_version(self) -> int:
        async with self._db.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0

    async def _migrate(self) -> None:
        current = await self.schema_version()
        for number, sql in migrations():
            if number <= current:
                continue
            # executescript commits any open transaction first, so the script carries its own.
            await self._db.executescript(f"BEGIN;\n{sql}\nPRAGMA user_version = {number};\nCOMMIT;")

    @asynccontextmanager
    async def _tx(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._write_lock:
            try:
                await self._db.execute("BEGIN IMMEDIATE")
                try:
                    yield self._db
                except BaseException:
                    await self._db.execute("ROLLBACK")
                    raise
                await self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                raise StorageError(str(exc)) from exc

    async def _fetchall(self, sql: str, params: Iterable[object] = ()) -> list[sqlite3.Row]:
        try:
            async with self._db.execute(sql, tuple(params)) as cur:
                return list(await cur.fetchall())
        except sqlite3.Error as exc:
            raise StorageError(str(exc)) from exc

    async def _read(self, sql: str, params: Iterable[object] = ()) -> list[sqlite3.Row]:
        """A read whose cost the user controls: on the reader, interrupted at READ_BUDGET_S.

        The lock keeps one statement at a time on the reader, so the interrupt can only stop
        the statement it was set for. An in-memory database has no second connection, and an
        interrupt there could stop a write: it goes without a budget (nothing ships with one).
        """
        async with self._read_lock:
            watchdog = None
            if self._reader is not self._db:
                watchdog = asyncio.create_task(self._interrupt_after(READ_BUDGET_S))
            try:
                async with self._reader.execute(sql, tuple(params)) as cur:
                    return list(await cur.fetchall())
            except asyncio.CancelledError:
                if watchdog is not None:  # the statement runs on in the reader's thread
                    await self._reader.interrupt()
                raise
            except sqlite3.OperationalError as exc:
                if "interrupt" in str(exc):
                    raise QueryTooCostly(f"read ran past {READ_BUDGET_S} s") from exc
                raise StorageError(str(exc)) from exc
            except sqlite3.Error as exc:
                raise StorageError(str(exc)) from exc
            finally:
                if watchdog is not None:
                    watchdog.cancel()

    async def _interrupt_after(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
        await self._reader.interrupt()  # sqlite3_interrupt: safe from any thread

    async def _fetchone(self, sql: str, params: Iterable[object] = ()) -> sqlite3.Row | None:
        rows = await self._fetchall(sql, params)
        return rows[0] if rows else None

    @staticmethod
    async def _ensure_chat(db: aiosqlite.Connection, chat_id: int, now: str) -> None:
        await db.execute(
            "INSERT OR IGNORE INTO chats(id, created_at) VALUES (?, ?)", (chat_id, now)
        )

    # articles ---------------------------------------------------------------------------

    async def add_article(
        self,
        chat_id: int,
        user_id: int | None,
        article: NewArticle,
        *,
        holder: str | None = None,
        hold_s: float = 0.0,
    ) -> tuple[ArticleRecord, bool]:
        digest = content_hash(article.text)
        moment = _now()
        now = moment.isoformat()
        async with self._tx() as db:
            await self._ensure_chat(db, chat_id, now)
            await db.execute(
                "INSERT OR IGNORE INTO articles(url, canonical_url, title, outlet, published, text,"
                " content_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    article.url,
                    article.canonical_url,
                    article.title,
                    article.outlet,
                    article.published.isoformat() if article.published else None,
                    article.text,
                    digest,
                    now,
                ),
            )
            async with db.execute("SELECT id FROM articles WHERE content_hash = ?", (digest,)) as c:
                row = await c.fetchone()
            assert row is not None  # inserted above, or there already: the hash is unique
            article_id = row[0]
            cur = await db.execute(
                "INSERT OR IGNORE INTO chat_articles(chat_id, article_id, submitted_by, created_at)"
                " VALUES (?, ?, ?, ?)",
                (chat_id, article_id, user_id, now),
            )
            linked = cur.rowcount == 1
            if holder is not None:
                await db.execute(
                    "UPDATE chat_articles SET delivered_at = NULL, delivery_owner = ?,"
                    " delivery_until = ? WHERE chat_id = ? AND article_id = ?",
                    (holder, _after(moment, hold_s), chat_id, article_id),
                )
        record = await self.get_article(chat_id, article_id)
        assert record is not None
        return record, linked

    async def find_by_url(self, url: str) -> ArticleRecord | None:
        row = await self._fetchone(
            f"SELECT {rows_to.ARTICLE_COLUMNS} FROM articles a"
            " WHERE a.url = ? OR a.canonical_url = ? ORDER BY a.id LIMIT 1",
            (url, url),
        )
        return _article(row) if row else None

    async def get_article(self, chat_id: int, article_id: int) -> ArticleRecord | None:
        row = await self._fetchone(
            f"SELECT {rows_to.ARTICLE_COLUMNS} FROM articles a"
            " JOIN chat_articles ca ON ca.article_id = a.id"
            " WHERE ca.chat_id = ? AND a.id = ?",
            (chat_id, article_id),
        )
        return _article(row) if row else None

    async def get_article_any(self, article_id: int) -> ArticleRecord | None:
        row = await self._fetchone(
            f"SELECT {rows_to.ARTICLE_COLUMNS} FROM articles a WHERE a.id = ?", (article_id,)
        )
        return _article(row) if row else None

    async def list_articles(
        self, chat_id: int, *, limit: int = 20, since: datetime | None = None
    ) -> list[ArticleRecord]:
        rows = await self._fetchall(
            f"SELECT {rows_to.ARTICLE_COLUMNS} FROM articles a"
            " JOIN chat_articles ca ON ca.article_id = a.id"
            " WHERE ca.chat_id = ? AND ca.created_at > ? ORDER BY ca.created_at DESC, a.id DESC"
            " LIMIT ?",
            (chat_id, since.isoformat() if since else "", limit),
        )
        return [_article(r) for r in rows]

    async def latest_article_id(self, chat_id: int) -> int | None:
        row = await self._fetchone(
            "SELECT article_id FROM chat_articles WHERE chat_id = ?"
            " ORDER BY created_at DESC, article_id DESC LIMIT 1",
            (chat_id,),
        )
        return int(row[0]) if row else None

    async def delete_article(self, chat_id: int, article_id: int) -> bool:
        async with self._tx() as db:
            cur = await db.execute(
                "DELETE FROM chat_articles WHERE chat_id = ? AND article_id = ?",
                (chat_id, article_id),
            )
            removed = cur.rowcount == 1
            if removed:
                # Another chat may still hold the article; only an orphan goes for good.
                await db.execute(
                    "DELETE FROM articles WHERE id = ? AND NOT EXISTS"
                    " (SELECT 1 FROM chat_articles WHERE article_id = ?)",
                    (article_id, article_id),
                )
        return removed

    async def search(self, chat_id: int, query: str, *, limit: int = 10) -> list[SearchHit]:
        match = _fts_query(query)
        if not match:
            return []
        rows = await self._read(
            "SELECT a.id, a.title, a.text,"
            " snippet(articles_fts, 1, '«', '»', '…', 12) AS snip"
            " FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid"
            " JOIN chat_articles ca ON ca.article_id = a.id"
            " WHERE articles_fts MATCH ? AND ca.chat_id = ? ORDER BY bm25(articles_fts) LIMIT ?",
            (match, chat_id, limit),
        )
        hits = []
        for r in rows:
            title = shown_title(r["title"], r["text"])
            hits.append(SearchHit(article_id=r["id"], title=title, snippet=r["snip"]))
        return hits

    # analysis lifecycle -----------------------------------------------------------------

    async def claim(
        self, article_id: int | None, owner: str, lease_s: float
    ) -> ArticleRecord | None:
        now = _now()
        until = (now + timedelta(seconds=lease_s)).isoformat()
        which = "id = ?" if article_id is not None else "1 = 1"
        retry = "state = 'failed' OR" if article_id is not None else ""
        async with self._tx() as db:
            # one writer at a time (BEGIN IMMEDIATE): the pick and the update cannot interleave
            async with db.execute(
                f"SELECT id FROM articles WHERE {which} AND (state = 'queued' OR {retry}"
                " (state = 'running' AND (lease_until IS NULL OR lease_until < ?)))"
                " ORDER BY id LIMIT 1",
                (article_id, now.isoformat()) if article_id is not None else (now.isoformat(),),
            ) as cur:
                row = await cur.fetchone()
            if row is None:
                return None
            await db.execute(
                "UPDATE articles SET state = 'running', attempts = attempts + 1, error = NULL,"
                " lease_owner = ?, lease_until = ? WHERE id = ?",
                (owner, until, row[0]),
            )
        return await self.get_article_any(row[0])

    async def renew_lease(self, article_id: int, owner: str, lease_s: float) -> bool:
        until = (_now() + timedelta(seconds=lease_s)).isoformat()
        async with self._tx() as db:
            cur = await db.execute(
                "UPDATE articles SET lease_until = ? WHERE id = ? AND state = 'running'"
                " AND lease_owner = ?",
                (until, article_id, owner),
            )
            return cur.rowcount == 1

    async def mark_failed(self, article_id: int, error: str) -> None:
        async with self._tx() as db:
            await db.execute(
                "UPDATE articles SET state = 'failed', error = ?, lease_owner = NULL,"
                " lease_until = NULL WHERE id = ?",
                (error[:500], article_id),
            )

    async def requeue_unfinished(self, *, expired_only: bool = False) -> list[int]:
        expired = " AND (lease_until IS NULL OR lease_until < ?)" if expired_only else ""
        async with self._tx() as db:
            await db.execute(
                "UPDATE articles SET state = 'queued', lease_owner = NULL, lease_until = NULL"
                f" WHERE state = 'running'{expired}",
                (_now().isoformat(),) if expired_only else (),
            )
            async with db.execute(
                "SELECT id FROM articles WHERE state = 'queued' ORDER BY id"
            ) as c:
                return [row[0] for row in await c.fetchall()]

    async def _speaker_id(self, db: aiosqlite.Connection, position: Position) -> int:
        """The speaker row for a position, as summarizer.speaker_links decides from the rows
        it asks about."""
        keys = sorted(lookup_keys(position, self._name_key))
        link = link_speaker(position, await self._known_speakers(db, keys), self._name_key)
        speaker_id = link.speaker_id
        if speaker_id is None:
            cur = await db.execute(
                "INSERT INTO speakers(name, name_key, kind) VALUES (?, ?, ?)",
                (position.speaker, link.name_key, position.kind),
            )
            assert cur.lastrowid is not None  # set by every INSERT that inserted a row
            speaker_id = cur.lastrowid
        elif link.rename:
            await db.execute(
                "UPDATE speakers SET name = ?, name_key = ? WHERE id = ?",
                (position.speaker, link.name_key, speaker_id),
            )
        for alias in linking_aliases(position):
            await db.execute(
                "INSERT OR IGNORE INTO speaker_aliases(speaker_id, alias, alias_key)"
                " VALUES (?, ?, ?)",
                (speaker_id, alias, self._name_key(alias)),
            )
        return speaker_id

    @staticmethod
    async def _known_speakers(db: aiosqlite.Connection, keys: list[str]) -> list[KnownSpeaker]:
        """The speakers keyed, or aliased, by any of `keys`, with their alias keys among them."""
        if not keys:
            return []
        marks = ", ".join("?" * len(keys))
        async with db.execute(
            "SELECT s.id, s.name_key, s.kind, sa.alias_key FROM speakers s"
            f" LEFT JOIN speaker_aliases sa ON sa.speaker_id = s.id AND sa.alias_key IN ({marks})"
            f" WHERE s.name_key IN ({marks}) OR s.id IN"
            f" (SELECT speaker_id FROM speaker_aliases WHERE alias_key IN ({marks}))"
            " ORDER BY s.id",
            keys * 3,
        ) as cur:
            rows = await cur.fetchall()
        return known_speakers((r[0], r[1], r[2], r[3]) for r in rows)

    async def save_analysis(
        self, article_id: int, analysis: Analysis, *, finished: bool = True
    ) -> None:
        summary = analysis.summary
        async with self._tx() as db:
            await db.execute("DELETE FROM positions WHERE article_id = ?", (article_id,))
            await db.execute(
                "INSERT OR REPLACE INTO analyses(article_id, summary, summary_fallback, model,"
                " unfinished, loaded_phrases, positions_s, summary_s, created_at,"
                " positions_rules) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    article_id,
                    summary.text if summary else None,
                    int(summary.fallback) if summary else 0,
                    summary.model if summary else None,
                    summary.unfinished if summary else 0,
                    json.dumps(analysis.loaded_phrases, ensure_ascii=False),
                    analysis.timings.positions_s,
                    analysis.timings.summary_s,
                    _now().isoformat(),
                    analysis.rules,
                ),
            )
            if analysis.title:
                await db.execute(
                    "UPDATE articles SET title = COALESCE(title, ?) WHERE id = ?",
                    (analysis.title, article_id),
                )
            await self._save_positions(db, article_id, analysis.positions)
            if finished:
                await db.execute(
                    "UPDATE articles SET state = 'done', error = NULL, lease_owner = NULL,"
                    " lease_until = NULL WHERE id = ?",
                    (article_id,),
                )

    async def _save_positions(
        self, db: aiosqlite.Connection, article_id: int, positions: Sequence[Position]
    ) -> None:
        for ordinal, position in enumerate(positions):
            speaker_id = await self._speaker_id(db, position)
            cur = await db.execute(
                "INSERT OR IGNORE INTO positions"
                "(article_id, speaker_id, name, ordinal, role, aliases,"
                " stance, stance_fallback, stance_unfinished) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    article_id,
                    speaker_id,
                    position.speaker,
                    ordinal,
                    position.role,
                    json.dumps(position.aliases, ensure_ascii=False),
                    position.stance,
                    int(position.stance_fallback),
                    int(position.stance_unfinished),
                ),
            )
            if cur.rowcount != 1:
                continue
            rows = [
                (cur.lastrowid, kind, span.text, span.start, span.end)
                for kind, spans in (
                    ("quote", position.quotes),
                    ("paraphrase", position.paraphrases),
                )
                for span in spans
            ]
            await db.executemany(
                "INSERT INTO quotes(position_id, kind, text, start_offset, end_offset)"
                " VALUES (?, ?, ?, ?, ?)",
                rows,
            )

    async def stale_analyses(self, chat_id: int, rules: str) -> list[int]:
        rows = await self._fetchall(
            "SELECT an.article_id FROM analyses an"
            " JOIN articles a ON a.id = an.article_id"
            " JOIN chat_articles ca ON ca.article_id = an.article_id AND ca.chat_id = ?"
            " WHERE a.state IN ('done', 'failed') AND an.positions_rules IS NOT ?"
            " ORDER BY an.article_id",
            (chat_id, rules),
        )
        return [int(r[0]) for r in rows]

    async def refresh_positions(
        self, article_id: int, analysis: Analysis, *, read_under: str | None
    ) -> bool:
        async with self._tx() as db:
            async with db.execute(
                "SELECT an.positions_rules FROM analyses an JOIN articles a ON a.id = an.article_id"
                " WHERE an.article_id = ? AND a.state IN ('done', 'failed')",
                (article_id,),
            ) as cur:
                row = await cur.fetchone()
            if row is None or row[0] != read_under:
                return False
            await db.execute("DELETE FROM positions WHERE article_id = ?", (article_id,))
            await db.execute(
                "UPDATE analyses SET summary = ?, positions_rules = ?, loaded_phrases = ?,"
                " positions_s = ? WHERE article_id = ?",
                (
                    analysis.summary.text if analysis.summary else None,
                    analysis.rules,
                    json.dumps(analysis.loaded_phrases, ensure_ascii=False),
                    analysis.timings.positions_s,
                    article_id,
                ),
            )
            await self._save_positions(db, article_id, analysis.positions)
        return True

    # deliveries -------------------------------------------------------------------------

    async def hold_deliveries(
        self, owner: str, links: Sequence[tuple[int, int]], hold_s: float
    ) -> None:
        if not links:
            return
        until = _after(_now(), hold_s)
        async with self._tx() as db:
            await db.executemany(
                "UPDATE chat_articles SET delivery_until = ? WHERE chat_id = ? AND article_id = ?"
                " AND delivery_owner = ? AND delivered_at IS NULL",
                [(until, chat_id, article_id, owner) for chat_id, article_id in links],
            )

    async def claim_deliveries(
        self, owner: str, hold_s: float, *, limit: int
    ) -> list[tuple[int, int]]:
        now = _now()
        async with self._tx() as db:
            # one writer at a time (BEGIN IMMEDIATE): the pick and the hold cannot interleave
            async with db.execute(
                "SELECT ca.chat_id, ca.article_id FROM chat_articles ca"
                " JOIN articles a ON a.id = ca.article_id"
                " WHERE ca.delivered_at IS NULL AND a.state IN ('done', 'failed')"
                " AND (ca.delivery_until IS NULL OR ca.delivery_until < ?)"
                " ORDER BY ca.article_id, ca.chat_id LIMIT ?",
                (now.isoformat(), limit),
            ) as cur:
                links = [(int(r[0]), int(r[1])) for r in await cur.fetchall()]
            await db.executemany(
                "UPDATE chat_articles SET delivery_owner = ?, delivery_until = ?"
                " WHERE chat_id = ? AND article_id = ?",
                [
                    (owner, _after(now, hold_s), chat_id, article_id)
                    for chat_id, article_id in links
                ],
            )
        return links

    async def mark_delivered(self, chat_id: int, article_id: int, owner: str) -> bool:
        async with self._tx() as db:
            cur = await db.execute(
                "UPDATE chat_articles SET delivered_at = ?, delivery_owner = NULL,"
                " delivery_until = NULL WHERE chat_id = ? AND article_id = ?"
                " AND delivery_owner = ? AND delivered_at IS NULL",
                (_now().isoformat(), chat_id, article_id, owner),
            )
            return cur.rowcount == 1

    async def release_delivery(
        self, chat_id: int, article_id: int, owner: str, *, retry_s: float
    ) -> None:
        async with self._tx() as db:
            await db.execute(
                "UPDATE chat_articles SET delivery_until = ? WHERE chat_id = ? AND article_id = ?"
                " AND delivery_owner = ? AND delivered_at IS NULL",
                (_after(_now(), retry_s), chat_id, article_id, owner),
            )

    async def get_analysis(self, article_id: int) -> Analysis | None:
        head = await self._fetchone(
            "SELECT an.*, a.title FROM analyses an JOIN articles a ON a.id = an.article_id"
            " WHERE an.article_id = ?",
            (article_id,),
        )
        if head is None:
            return None
        rows = await self._fetchall(
            "SELECT p.id, p.role, p.aliases, p.stance, p.stance_fallback, p.stance_unfinished,"
            " COALESCE(p.name, s.name) AS name, s.kind"
            " FROM positions p"
            " JOIN speakers s ON s.id = p.speaker_id WHERE p.article_id = ? ORDER BY p.ordinal",
            (article_id,),
        )
        spans = await self._fetchall(
            "SELECT q.position_id, q.kind, q.text, q.start_offset, q.end_offset FROM quotes q"
            " JOIN positions p ON p.id = q.position_id WHERE p.article_id = ? ORDER BY q.id",
            (article_id,),
        )
        return rows_to.analysis(head, rows, spans)

    # speakers ---------------------------------------------------------------------------

    async def _speakers(self, chat_id: int) -> list[SpeakerMatch]:
        """The chat's speakers, named and aliased only as its own articles name them."""
        rows = await self._read(
            "SELECT s.id, s.kind, p.article_id, COALESCE(p.name, s.name) AS name, p.aliases"
            " FROM positions p JOIN speakers s ON s.id = p.speaker_id"
            " JOIN chat_articles ca ON ca.article_id = p.article_id AND ca.chat_id = ?",
            (chat_id,),
        )
        return rows_to.speaker_matches(rows)

    async def find_speakers(self, chat_id: int, name: str) -> list[SpeakerMatch]:
        return rows_to.named(await self._speakers(chat_id), name, self._name_key)

    async def list_speakers(self, chat_id: int) -> list[SpeakerMatch]:
        return await self._speakers(chat_id)

    async def stance_history(self, chat_id: int, speaker_id: int) -> list[StanceRecord]:
        rows = await self._read(
            "SELECT p.id, a.id AS article_id, a.title, a.text, COALESCE(a.published,"
            " substr(ca.created_at, 1, 10)) AS day, a.published IS NOT NULL AS own_date,"
            " p.role, p.stance, p.stance_fallback, p.stance_unfinished,"
            # Only quotes that are still verbatim in the stored text leave the database.
            " (SELECT json_group_array(q.text) FROM quotes q WHERE q.position_id = p.id"
            "  AND q.kind = 'quote'"
            "  AND substr(a.text, q.start_offset + 1, q.end_offset - q.start_offset) = q.text"
            " ) AS quotes"
            " FROM positions p JOIN articles a ON a.id = p.article_id"
            " JOIN chat_articles ca ON ca.article_id = a.id AND ca.chat_id = ?"
            " WHERE p.speaker_id = ? ORDER BY day, a.id",
            (chat_id, speaker_id),
        )
        return [
            StanceRecord(
                article_id=r["article_id"],
                title=shown_title(r["title"], r["text"]),
                date=date.fromisoformat(r["day"]),
                own_date=bool(r["own_date"]),
                role=r["role"],
                stance=r["stance"],
                stance_fallback=bool(r["stance_fallback"]),
                stance_unfinished=bool(r["stance_unfinished"]),
                quotes=json.loads(r["quotes"]),
            )
            for r in rows
        ]

    # subscriptions ----------------------------------------------------------------------

    async def subscribe(self, chat_id: int, local_time: time, tz: str) -> Subscription:
        now = _now().isoformat()
        async with self._tx() as db:
            await self._ensure_chat(db, chat_id, now)
            await db.execute(
                "INSERT INTO subscriptions(chat_id, local_time, tz, created_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT(chat_id) DO UPDATE"
                " SET local_time = excluded.local_time, tz = excluded.tz,"
                " created_at = excluded.created_at",
                (chat_id, local_time.strftime("%H:%M"), tz, now),
            )
        sub = await self.get_subscription(chat_id)
        assert sub is not None
        return sub

    async def unsubscribe(self, chat_id: int) -> bool:
        async with self._tx() as db:
            cur = await db.execute("DELETE FROM subscriptions WHERE chat_id = ?", (chat_id,))
            return cur.rowcount == 1

    @staticmethod
    def _subscription(row: sqlite3.Row) -> Subscription:
        return Subscription(
            chat_id=row["chat_id"],
            local_time=time.fromisoformat(row["local_time"]),
            tz=row["tz"],
            last_sent_at=datetime.fromisoformat(row["last_sent_at"])
            if row["last_sent_at"]
            else None,
            created_at=datetime.fromisoformat(row["created_at"]),
        )

    async def get_subscription(self, chat_id: int) -> Subscription | None:
        row = await self._fetchone("SELECT * FROM subscriptions WHERE chat_id = ?", (chat_id,))
        return self._subscription(row) if row else None

    async def list_subscriptions(self) -> list[Subscription]:
        return [self._subscription(r) for r in await self._fetchall("SELECT * FROM subscriptions")]

    async def mark_briefed(self, chat_id: int, at: datetime) -> None:
        async with self._tx() as db:
            await db.execute(
                "UPDATE subscriptions SET last_sent_at = ? WHERE chat_id = ?",
                (at.isoformat(), chat_id),
            )

    async def claim_briefing(self, chat_id: int, day: date, owner: str, *, stale_s: float) -> bool:
        now = _now()
        async with self._tx() as db:
            cur = await db.execute(
                "INSERT INTO briefings_sent(chat_id, local_date, claimed_by, claimed_at)"
                " SELECT chat_id, ?, ?, ? FROM subscriptions WHERE chat_id = ?"
                " ON CONFLICT(chat_id, local_date) DO UPDATE"
                " SET claimed_by = excluded.claimed_by, claimed_at = excluded.claimed_at"
                " WHERE briefings_sent.sent_at IS NULL AND briefings_sent.claimed_at < ?",
                (
                    day.isoformat(),
                    owner,
                    now.isoformat(),
                    chat_id,
                    (now - timedelta(seconds=stale_s)).isoformat(),
                ),
            )
            return cur.rowcount == 1

    async def briefing_sent(self, chat_id: int, day: date, covered_until: datetime) -> None:
        async with self._tx() as db:
            await db.execute(
                "UPDATE briefings_sent SET sent_at = ? WHERE chat_id = ? AND local_date = ?",
                (_now().isoformat(), chat_id, day.isoformat()),
            )
            await db.execute(
                "UPDATE subscriptions SET last_sent_at = ? WHERE chat_id = ?",
                (covered_until.isoformat(), chat_id),
            )

    async def release_briefing(self, chat_id: int, day: date, owner: str) -> None:
        async with self._tx() as db:
            await db.execute(
                "DELETE FROM briefings_sent WHERE chat_id = ? AND local_date = ?"
                " AND claimed_by = ? AND sent_at IS NULL",
                (chat_id, day.isoformat(), owner),
            )

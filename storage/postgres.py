"""PostgreSQL implementation of `Store`, on asyncpg with a connection pool.

For the scaled shape: several bot processes and analysis workers share one database, so
every promise `Store` makes holds across processes, not only across coroutines: writes are
transactions, migrations run under an advisory lock (two processes starting at once do not
both run 002), and speakers are linked under one (two workers cannot both create 'Keller').
Reads whose cost a user controls run under a `statement_timeout`.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, time
from urllib.parse import urlsplit, urlunsplit

import asyncpg

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

# As SQLite's READ_BUDGET_S: a real search of a chat's articles takes milliseconds.
READ_BUDGET_MS = 1000
POOL_MAX = 10
# Keys of pg_advisory_xact_lock: any two constants no other application on the database uses.
MIGRATION_LOCK = 0x62726566_0001
SPEAKERS_LOCK = 0x62726566_0002


def redacted(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def migrations() -> list[tuple[int, str]]:
    """Numbered SQL files shipped in storage/migrations_pg, in order."""
    return rows_to.numbered_sql("migrations_pg")


_WORD = re.compile(r"\w+")


def _tsquery(words: str) -> str:
    """Every word a prefix term, all required; only letters and digits reach to_tsquery, so
    user input can never be tsquery syntax. (websearch_to_tsquery has no prefix form, and
    prefixes are what SQLite's search matches: 'brussel' finds 'Brussels'.)"""
    lexemes: list[str] = []
    for term in search_terms(words):
        lexemes.extend(w.casefold() for w in _WORD.findall(term))
    return " & ".join(f"{w}:*" for w in dict.fromkeys(lexemes))


def _article(row: asyncpg.Record) -> ArticleRecord:
    return ArticleRecord(**dict(row))


class PostgresStore:
    def __init__(self, pool: asyncpg.Pool, name_key: NameKey) -> None:
        self._pool = pool
        self._name_key = name_key

    @classmethod
    async def open(cls, url: str, *, name_key: NameKey, pool_max: int = POOL_MAX) -> PostgresStore:
        """Connects and migrates; any failure is a StorageError (the password left out)."""
        try:
            pool = await asyncpg.create_pool(url, min_size=1, max_size=pool_max, command_timeout=60)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            raise StorageError(f"cannot open database {redacted(url)}: {exc}") from exc
        store = cls(pool, name_key)
        try:
            await store._migrate()
        except BaseException as exc:
            await pool.close()
            if isinstance(exc, asyncpg.PostgresError | OSError):
                raise StorageError(f"cannot migrate database {redacted(url)}: {exc}") from exc
            raise
        return store

    async def close(self) -> None:
        await self._pool.close()

    async def schema_version(self) -> int:
        async with self._pool.acquire() as db:
            exists = await db.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
            if not exists:
                return 0
            return int(await db.fetchval("SELECT coalesce(max(version), 0) FROM schema_migrations"))

    async def _migrate(self) -> None:
        async with self._pool.acquire() as db, db.transaction():
            await db.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
            await db.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations"
                " (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
            )
            current = await db.fetchval("SELECT coalesce(max(version), 0) FROM schema_migrations")
            for number, sql in migrations():
                if number > current:
                    await db.execute(sql)
                    await db.execute("INSERT INTO schema_migrations(version) VALUES ($1)", number)

    @asynccontextmanager
    async def _tx(self) -> AsyncIterator[asyncpg.Connection]:
        try:
            async with self._pool.acquire() as db, db.transaction():
                yield db
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
            raise StorageError(str(exc)) from exc

    async def _fetch(self, sql: str, *args: object) -> list[asyncpg.Record]:
        try:
            return await self._pool.fetch(sql, *args)
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
            raise StorageError(str(exc)) from exc

    async def _fetchrow(self, sql: str, *args: object) -> asyncpg.Record | None:
        rows = await self._fetch(sql, *args)
        return rows[0] if rows else None

    async def _read(self, sql: str, *args: object) -> list[asyncpg.Record]:
        """A read whose cost the user controls, cancelled by the server at READ_BUDGET_MS."""
        try:
            async with self._pool.acquire() as db, db.transaction(readonly=True):
                await db.execute(f"SET LOCAL statement_timeout = {READ_BUDGET_MS}")
                return await db.fetch(sql, *args)
        except asyncpg.QueryCanceledError as exc:
            raise QueryTooCostly(f"read ran past {READ_BUDGET_MS} ms") from exc
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
            raise StorageError(str(exc)) from exc

    @staticmethod
    async def _ensure_chat(db: asyncpg.Connection, chat_id: int, now: datetime) -> None:
        await db.execute(
            "INSERT INTO chats(id, created_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            chat_id,
            now,
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
        now = datetime.now(UTC)
        async with self._tx() as db:
            await self._ensure_chat(db, chat_id, now)
            await db.execute(
                "INSERT INTO articles(url, canonical_url, title, outlet, published, text,"
                " content_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
                " ON CONFLICT (content_hash) DO NOTHING",
                article.url,
                article.canonical_url,
                article.title,
                article.outlet,
                article.published,
                article.text,
                digest,
                now,
            )
            article_id = await db.fetchval(
                "SELECT id FROM articles WHERE content_hash = $1", digest
            )
            status = await db.execute(
                "INSERT INTO chat_articles(chat_id, article_id, submitted_by, created_at)"
                " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                chat_id,
                article_id,
                user_id,
                now,
            )
            linked = status == "INSERT 0 1"
            if holder is not None:
                await db.execute(
                    "UPDATE chat_articles SET delivered_at = NULL, delivery_owner = $3,"
                    " delivery_until = now() + make_interval(secs => $4)"
                    " WHERE chat_id = $1 AND article_id = $2",
                    chat_id,
                    article_id,
                    holder,
                    hold_s,
                )
        record = await self.get_article(chat_id, article_id)
        assert record is not None
        return record, linked

    async def find_by_url(self, url: str) -> ArticleRecord | None:
        row = await self._fetchrow(
            f"SELECT {rows_to.ARTICLE_COLUMNS} FROM articles a"
            " WHERE a.url = $1 OR a.canonical_url = $1 ORDER BY a.id LIMIT 1",
            url,
        )
        return _article(row) if row else None

    async def get_article(self, chat_id: int, article_id: int) -> ArticleRecord | None:
        row = await self._fetchrow(
            f"SELECT {rows_to.ARTICLE_COLUMNS} FROM articles a"
            " JOIN chat_articles ca ON ca.article_id = a.id WHERE ca.chat_id = $1 AND a.id = $2",
            chat_id,
            article_id,
        )
        return _article(row) if row else None

    async def get_article_any(self, article_id: int) -> ArticleRecord | None:
        row = await self._fetchrow(
            f"SELECT {rows_to.ARTICLE_COLUMNS} FROM articles a WHERE a.id = $1", article_id
        )
        return _article(row) if row else None

    async def list_articles(
        self, chat_id: int, *, limit: int = 20, since: datetime | None = None
    ) -> list[ArticleRecord]:
        rows = await self._fetch(
            f"SELECT {rows_to.ARTICLE_COLUMNS} FROM articles a"
            " JOIN chat_articles ca ON ca.article_id = a.id"
            " WHERE ca.chat_id = $1 AND ($2::timestamptz IS NULL OR ca.created_at > $2)"
            " ORDER BY ca.created_at DESC, a.id DESC LIMIT $3",
            chat_id,
            since,
            limit,
        )
        return [_article(r) for r in rows]

    async def latest_article_id(self, chat_id: int) -> int | None:
        row = await self._fetchrow(
            "SELECT article_id FROM chat_articles WHERE chat_id = $1"
            " ORDER BY created_at DESC, article_id DESC LIMIT 1",
            chat_id,
        )
        return int(row[0]) if row else None

    async def delete_article(self, chat_id: int, article_id: int) -> bool:
        async with self._tx() as db:
            status = await db.execute(
                "DELETE FROM chat_articles WHERE chat_id = $1 AND article_id = $2",
                chat_id,
                article_id,
            )
            removed = status == "DELETE 1"
            if removed:
                # Another chat may still hold the article; only an orphan goes for good.
                await db.execute(
                    "DELETE FROM articles WHERE id = $1 AND NOT EXISTS"
                    " (SELECT 1 FROM chat_articles WHERE article_id = $1)",
                    article_id,
                )
        return removed

    async def search(self, chat_id: int, query: str, *, limit: int = 10) -> list[SearchHit]:
        match = _tsquery(query)
        if not match:
            return []
        rows = await self._read(
            "SELECT a.id, a.title, a.text, ts_headline('simple', a.text, q,"
            " 'StartSel=«, StopSel=», MaxWords=12, MinWords=4, MaxFragments=1,"
            " FragmentDelimiter=…') AS snip"
            " FROM articles a JOIN chat_articles ca ON ca.article_id = a.id,"
            " to_tsquery('simple', $1) q"
            " WHERE a.search @@ q AND ca.chat_id = $2"
            " ORDER BY ts_rank(a.search, q) DESC, a.id LIMIT $3",
            match,
            chat_id,
            limit,
        )
        return [
            SearchHit(
                article_id=r["id"],
                title=shown_title(r["title"], r["text"]),
                snippet=r["snip"],
            )
            for r in rows
        ]

    # analysis lifecycle -----------------------------------------------------------------

    async def claim(
        self, article_id: int | None, owner: str, lease_s: float
    ) -> ArticleRecord | None:
        # SKIP LOCKED: a worker passes over the row another is claiming this instant instead
        # of queueing behind it, so claims by many workers never wait on one another.
        async with self._tx() as db:
            row = await db.fetchrow(
                "WITH pick AS (SELECT id FROM articles"
                " WHERE ($1::bigint IS NULL OR id = $1) AND (state = 'queued' OR"
                " (state = 'failed' AND $1::bigint IS NOT NULL) OR"
                " (state = 'running' AND (lease_until IS NULL OR lease_until < now())))"
                " ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)"
                " UPDATE articles a SET state = 'running', attempts = attempts + 1, error = NULL,"
                " lease_owner = $2, lease_until = now() + make_interval(secs => $3)"
                f" FROM pick WHERE a.id = pick.id RETURNING {rows_to.ARTICLE_COLUMNS}",
                article_id,
                owner,
                lease_s,
            )
        return _article(row) if row else None

    async def renew_lease(self, article_id: int, owner: str, lease_s: float) -> bool:
        async with self._tx() as db:
            status = await db.execute(
                "UPDATE articles SET lease_until = now() + make_interval(secs => $3)"
                " WHERE id = $1 AND state = 'running' AND lease_owner = $2",
                article_id,
                owner,
                lease_s,
            )
        return status == "UPDATE 1"

    async def mark_failed(self, article_id: int, error: str) -> None:
        async with self._tx() as db:
            await db.execute(
                "UPDATE articles SET state = 'failed', error = $1, lease_owner = NULL,"
                " lease_until = NULL WHERE id = $2",
                error[:500],
                article_id,
            )

    async def requeue_unfinished(self, *, expired_only: bool = False) -> list[int]:
        async with self._tx() as db:
            await db.execute(
                "UPDATE articles SET state = 'queued', lease_owner = NULL, lease_until = NULL"
                " WHERE state = 'running'"
                " AND (NOT $1 OR lease_until IS NULL OR lease_until < now())",
                expired_only,
            )
            rows = await db.fetch("SELECT id FROM articles WHERE state = 'queued' ORDER BY id")
        return [int(r[0]) for r in rows]

    async def _speaker_id(self, db: asyncpg.Connection, position: Position) -> int:
        """The speaker row for a position, as summarizer.speaker_links decides from the rows
        it asks about (under SPEAKERS_LOCK, taken by the caller's transaction)."""
        keys = sorted(lookup_keys(position, self._name_key))
        link = link_speaker(position, await self._known_speakers(db, keys), self._name_key)
        speaker_id = link.speaker_id
        if speaker_id is None:
            speaker_id = await db.fetchval(
                "INSERT INTO speakers(name, name_key, kind) VALUES ($1, $2, $3) RETURNING id",
                position.speaker,
                link.name_key,
                position.kind,
            )
        elif link.rename:
            await db.execute(
                "UPDATE speakers SET name = $1, name_key = $2 WHERE id = $3",
                position.speaker,
                link.name_key,
                speaker_id,
            )
        for alias in linking_aliases(position):
            await db.execute(
                "INSERT INTO speaker_aliases(speaker_id, alias, alias_key) VALUES ($1, $2, $3)"
                " ON CONFLICT DO NOTHING",
                speaker_id,
                alias,
                self._name_key(alias),
            )
        return int(speaker_id)

    @staticmethod
    async def _known_speakers(db: asyncpg.Connection, keys: list[str]) -> list[KnownSpeaker]:
        if not keys:
            return []
        rows = await db.fetch(
            "SELECT s.id, s.name_key, s.kind, sa.alias_key FROM speakers s"
            " LEFT JOIN speaker_aliases sa ON sa.speaker_id = s.id AND sa.alias_key = ANY($1)"
            " WHERE s.name_key = ANY($1) OR s.id IN"
            " (SELECT speaker_id FROM speaker_aliases WHERE alias_key = ANY($1)) ORDER BY s.id",
            keys,
        )
        return known_speakers((r[0], r[1], r[2], r[3]) for r in rows)

    async def save_analysis(
        self, article_id: int, analysis: Analysis, *, finished: bool = True
    ) -> None:
        summary = analysis.summary
        async with self._tx() as db:
            await db.execute("SELECT pg_advisory_xact_lock($1)", SPEAKERS_LOCK)
            await db.execute("DELETE FROM positions WHERE article_id = $1", article_id)
            await db.execute(
                "INSERT INTO analyses(article_id, summary, summary_fallback, model, unfinished,"
                " loaded_phrases, positions_s, summary_s, created_at, positions_rules)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
                " ON CONFLICT (article_id) DO UPDATE SET summary = excluded.summary,"
                " summary_fallback = excluded.summary_fallback, model = excluded.model,"
                " unfinished = excluded.unfinished, loaded_phrases = excluded.loaded_phrases,"
                " positions_s = excluded.positions_s, summary_s = excluded.summary_s,"
                " created_at = excluded.created_at, positions_rules = excluded.positions_rules",
                article_id,
                summary.text if summary else None,
                bool(summary.fallback) if summary else False,
                summary.model if summary else None,
                summary.unfinished if summary else 0,
                json.dumps(analysis.loaded_phrases, ensure_ascii=False),
                analysis.timings.positions_s,
                analysis.timings.summary_s,
                datetime.now(UTC),
                analysis.rules,
            )
            if analysis.title:
                await db.execute(
                    "UPDATE articles SET title = COALESCE(title, $1) WHERE id = $2",
                    analysis.title,
                    article_id,
                )
            await self._save_positions(db, article_id, analysis.positions)
            if finished:
                await db.execute(
                    "UPDATE articles SET state = 'done', error = NULL, lease_owner = NULL,"
                    " lease_until = NULL WHERE id = $1",
                    article_id,
                )

    async def _save_positions(
        self, db: asyncpg.Connection, article_id: int, positions: Sequence[Position]
    ) -> None:
        """Under SPEAKERS_LOCK, which the caller's transaction holds."""
        for ordinal, position in enumerate(positions):
            speaker_id = await self._speaker_id(db, position)
            position_id = await db.fetchval(
                "INSERT INTO positions(article_id, speaker_id, name, ordinal, role, aliases,"
                " stance, stance_fallback, stance_unfinished)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
                " ON CONFLICT (article_id, speaker_id) DO NOTHING RETURNING id",
                article_id,
                speaker_id,
                position.speaker,
                ordinal,
                position.role,
                json.dumps(position.aliases, ensure_ascii=False),
                position.stance,
                position.stance_fallback,
                position.stance_unfinished,
            )
            if position_id is None:
                continue
            await db.executemany(
                "INSERT INTO quotes(position_id, kind, text, start_offset, end_offset)"
                " VALUES ($1, $2, $3, $4, $5)",
                [
                    (position_id, kind, span.text, span.start, span.end)
                    for kind, spans in (
                        ("quote", position.quotes),
                        ("paraphrase", position.paraphrases),
                    )
                    for span in spans
                ],
            )

    async def stale_analyses(self, chat_id: int, rules: str) -> list[int]:
        rows = await self._fetch(
            "SELECT an.article_id FROM analyses an"
            " JOIN articles a ON a.id = an.article_id"
            " JOIN chat_articles ca ON ca.article_id = an.article_id AND ca.chat_id = $1"
            " WHERE a.state IN ('done', 'failed') AND an.positions_rules IS DISTINCT FROM $2"
            " ORDER BY an.article_id",
            chat_id,
            rules,
        )
        return [int(r[0]) for r in rows]

    async def refresh_positions(
        self, article_id: int, analysis: Analysis, *, read_under: str | None
    ) -> bool:
        async with self._tx() as db:
            await db.execute("SELECT pg_advisory_xact_lock($1)", SPEAKERS_LOCK)
            row = await db.fetchrow(
                "SELECT an.positions_rules FROM analyses an JOIN articles a ON a.id = an.article_id"
                " WHERE an.article_id = $1 AND a.state IN ('done', 'failed') FOR UPDATE OF an",
                article_id,
            )
            if row is None or row[0] != read_under:
                return False
            await db.execute("DELETE FROM positions WHERE article_id = $1", article_id)
            await db.execute(
                "UPDATE analyses SET summary = $1, positions_rules = $2, loaded_phrases = $3,"
                " positions_s = $4 WHERE article_id = $5",
                analysis.summary.text if analysis.summary else None,
                analysis.rules,
                json.dumps(analysis.loaded_phrases, ensure_ascii=False),
                analysis.timings.positions_s,
                article_id,
            )
            await self._save_positions(db, article_id, analysis.positions)
        return True

    # deliveries -------------------------------------------------------------------------

    async def hold_deliveries(
        self, owner: str, links: Sequence[tuple[int, int]], hold_s: float
    ) -> None:
        if not links:
            return
        async with self._tx() as db:
            await db.executemany(
                "UPDATE chat_articles SET delivery_until = now() + make_interval(secs => $4)"
                " WHERE chat_id = $1 AND article_id = $2 AND delivery_owner = $3"
                " AND delivered_at IS NULL",
                [(chat_id, article_id, owner, hold_s) for chat_id, article_id in links],
            )

    async def claim_deliveries(
        self, owner: str, hold_s: float, *, limit: int
    ) -> list[tuple[int, int]]:
        # SKIP LOCKED, as in `claim`: a link another process is claiming this instant is
        # passed over, and one it has claimed no longer matches when re-checked.
        async with self._tx() as db:
            rows = await db.fetch(
                "WITH pick AS (SELECT ca.chat_id, ca.article_id FROM chat_articles ca"
                " JOIN articles a ON a.id = ca.article_id"
                " WHERE ca.delivered_at IS NULL AND a.state IN ('done', 'failed')"
                " AND (ca.delivery_until IS NULL OR ca.delivery_until < now())"
                " ORDER BY ca.article_id, ca.chat_id LIMIT $3 FOR UPDATE OF ca SKIP LOCKED)"
                " UPDATE chat_articles c SET delivery_owner = $1,"
                " delivery_until = now() + make_interval(secs => $2) FROM pick"
                " WHERE c.chat_id = pick.chat_id AND c.article_id = pick.article_id"
                " RETURNING c.chat_id, c.article_id",
                owner,
                hold_s,
                limit,
            )
        # RETURNING keeps no order: oldest article first, as SQLite's
        links = [(int(r["chat_id"]), int(r["article_id"])) for r in rows]
        return sorted(links, key=lambda link: (link[1], link[0]))

    async def mark_delivered(self, chat_id: int, article_id: int, owner: str) -> bool:
        async with self._tx() as db:
            status = await db.execute(
                "UPDATE chat_articles SET delivered_at = now(), delivery_owner = NULL,"
                " delivery_until = NULL WHERE chat_id = $1 AND article_id = $2"
                " AND delivery_owner = $3 AND delivered_at IS NULL",
                chat_id,
                article_id,
                owner,
            )
        return status == "UPDATE 1"

    async def release_delivery(
        self, chat_id: int, article_id: int, owner: str, *, retry_s: float
    ) -> None:
        async with self._tx() as db:
            await db.execute(
                "UPDATE chat_articles SET delivery_until = now() + make_interval(secs => $4)"
                " WHERE chat_id = $1 AND article_id = $2 AND delivery_owner = $3"
                " AND delivered_at IS NULL",
                chat_id,
                article_id,
                owner,
                retry_s,
            )

    async def get_analysis(self, article_id: int) -> Analysis | None:
        head = await self._fetchrow(
            "SELECT an.*, an.loaded_phrases::text AS loaded_phrases, a.title"
            " FROM analyses an JOIN articles a ON a.id = an.article_id WHERE an.article_id = $1",
            article_id,
        )
        if head is None:
            return None
        positions = await self._fetch(
            "SELECT p.id, p.role, p.aliases::text AS aliases, p.stance, p.stance_fallback,"
            " p.stance_unfinished,"
            " COALESCE(p.name, s.name) AS name, s.kind"
            " FROM positions p JOIN speakers s ON s.id = p.speaker_id"
            " WHERE p.article_id = $1 ORDER BY p.ordinal",
            article_id,
        )
        spans = await self._fetch(
            "SELECT q.position_id, q.kind, q.text, q.start_offset, q.end_offset FROM quotes q"
            " JOIN positions p ON p.id = q.position_id WHERE p.article_id = $1 ORDER BY q.id",
            article_id,
        )
        return rows_to.analysis(head, positions, spans)

    # speakers ---------------------------------------------------------------------------

    async def _speakers(self, chat_id: int) -> list[SpeakerMatch]:
        """The chat's speakers, named and aliased only as its own articles name them."""
        rows = await self._read(
            "SELECT s.id, s.kind, p.article_id, COALESCE(p.name, s.name) AS name,"
            " p.aliases::text AS aliases"
            " FROM positions p JOIN speakers s ON s.id = p.speaker_id"
            " JOIN chat_articles ca ON ca.article_id = p.article_id AND ca.chat_id = $1"
            " ORDER BY p.id",
            chat_id,
        )
        return rows_to.speaker_matches(rows)

    async def find_speakers(self, chat_id: int, name: str) -> list[SpeakerMatch]:
        return rows_to.named(await self._speakers(chat_id), name, self._name_key)

    async def list_speakers(self, chat_id: int) -> list[SpeakerMatch]:
        return await self._speakers(chat_id)

    async def stance_history(self, chat_id: int, speaker_id: int) -> list[StanceRecord]:
        rows = await self._read(
            "SELECT a.id AS article_id, a.title, a.text,"
            " COALESCE(a.published, (ca.created_at AT TIME ZONE 'UTC')::date) AS day,"
            " a.published IS NOT NULL AS own_date, p.role, p.stance, p.stance_fallback,"
            " p.stance_unfinished,"
            # Only quotes that are still verbatim in the stored text leave the database.
            " ARRAY(SELECT q.text FROM quotes q WHERE q.position_id = p.id AND q.kind = 'quote'"
            "  AND substr(a.text, q.start_offset + 1, q.end_offset - q.start_offset) = q.text"
            "  ORDER BY q.id) AS quotes"
            " FROM positions p JOIN articles a ON a.id = p.article_id"
            " JOIN chat_articles ca ON ca.article_id = a.id AND ca.chat_id = $1"
            " WHERE p.speaker_id = $2 ORDER BY day, a.id",
            chat_id,
            speaker_id,
        )
        return [
            StanceRecord(
                article_id=r["article_id"],
                title=shown_title(r["title"], r["text"]),
                date=r["day"],
                own_date=r["own_date"],
                role=r["role"],
                stance=r["stance"],
                stance_fallback=r["stance_fallback"],
                stance_unfinished=r["stance_unfinished"],
                quotes=list(r["quotes"]),
            )
            for r in rows
        ]

    # subscriptions ----------------------------------------------------------------------

    async def subscribe(self, chat_id: int, local_time: time, tz: str) -> Subscription:
        now = datetime.now(UTC)
        async with self._tx() as db:
            await self._ensure_chat(db, chat_id, now)
            await db.execute(
                "INSERT INTO subscriptions(chat_id, local_time, tz, created_at)"
                " VALUES ($1, $2, $3, $4) ON CONFLICT (chat_id) DO UPDATE"
                " SET local_time = excluded.local_time, tz = excluded.tz,"
                " created_at = excluded.created_at",
                chat_id,
                local_time.strftime("%H:%M"),
                tz,
                now,
            )
        sub = await self.get_subscription(chat_id)
        assert sub is not None
        return sub

    async def unsubscribe(self, chat_id: int) -> bool:
        async with self._tx() as db:
            status = await db.execute("DELETE FROM subscriptions WHERE chat_id = $1", chat_id)
        return status == "DELETE 1"

    @staticmethod
    def _subscription(row: asyncpg.Record) -> Subscription:
        return Subscription(
            chat_id=row["chat_id"],
            local_time=time.fromisoformat(row["local_time"]),
            tz=row["tz"],
            last_sent_at=row["last_sent_at"],
            created_at=row["created_at"],
        )

    async def get_subscription(self, chat_id: int) -> Subscription | None:
        row = await self._fetchrow("SELECT * FROM subscriptions WHERE chat_id = $1", chat_id)
        return self._subscription(row) if row else None

    async def list_subscriptions(self) -> list[Subscription]:
        rows = await self._fetch("SELECT * FROM subscriptions ORDER BY chat_id")
        return [self._subscription(r) for r in rows]

    async def mark_briefed(self, chat_id: int, at: datetime) -> None:
        async with self._tx() as db:
            await db.execute(
                "UPDATE subscriptions SET last_sent_at = $1 WHERE chat_id = $2", at, chat_id
            )

    async def claim_briefing(self, chat_id: int, day: date, owner: str, *, stale_s: float) -> bool:
        async with self._tx() as db:
            status = await db.execute(
                "INSERT INTO briefings_sent(chat_id, local_date, claimed_by, claimed_at)"
                " SELECT chat_id, $2, $3, now() FROM subscriptions WHERE chat_id = $1"
                " ON CONFLICT (chat_id, local_date) DO UPDATE"
                " SET claimed_by = excluded.claimed_by, claimed_at = excluded.claimed_at"
                " WHERE briefings_sent.sent_at IS NULL"
                " AND briefings_sent.claimed_at < now() - make_interval(secs => $4)",
                chat_id,
                day,
                owner,
                stale_s,
            )
        return status == "INSERT 0 1"

    async def briefing_sent(self, chat_id: int, day: date, covered_until: datetime) -> None:
        async with self._tx() as db:
            await db.execute(
                "UPDATE briefings_sent SET sent_at = now() WHERE chat_id = $1 AND local_date = $2",
                chat_id,
                day,
            )
            await db.execute(
                "UPDATE subscriptions SET last_sent_at = $1 WHERE chat_id = $2",
                covered_until,
                chat_id,
            )

    async def release_briefing(self, chat_id: int, day: date, owner: str) -> None:
        async with self._tx() as db:
            await db.execute(
                "DELETE FROM briefings_sent WHERE chat_id = $1 AND local_date = $2"
                " AND claimed_by = $3 AND sent_at IS NULL",
                chat_id,
                day,
                owner,
            )

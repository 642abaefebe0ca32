"""The service core: a chat's message or command in, replies out. No Telegram, no terminal.

Both skins (Telegram, console) call `BriefService.handle` and render what comes back, so
a behaviour is written once and reads the same everywhere.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time as clock
from collections import defaultdict, deque
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, time, timedelta
from functools import cache
from weakref import WeakValueDictionary
from zoneinfo import ZoneInfo, available_timezones

from bot.service import briefs
from bot.service.analysis import AnalysisQueue, AnalysisStopped, Analyzer, Progress
from bot.service.ports import Extractor, Fetcher, FetchError, Notifier, Scheduler
from bot.service.replies import Block, Reply, Response
from storage import (
    MAX_SEARCH_TERMS,
    ArticleRecord,
    NewArticle,
    QueryTooCostly,
    StorageError,
    Store,
    Subscription,
    search_terms,
)
from summarizer.dates import article_date
from summarizer.digest import StanceEntry
from summarizer.language import looks_english

log = logging.getLogger(__name__)

MIN_ARTICLE_WORDS = 60
MAX_ARTICLE_CHARS = 100_000
MAX_DOCUMENT_BYTES = 2 * 1024 * 1024  # a .txt/.html file sent, or read by the console
MAX_LINKS_PER_MESSAGE = 5
# a file is read whole before it is decoded; the Telegram skin checks the declared size
# before downloading, and the core checks what actually arrived
MAX_DOCUMENT_BYTES = 2 * 1024 * 1024
# A user's words quoted back in a reply: enough to recognise them, never a 100,000-character
# argument echoed over 32 messages.
MAX_ECHO_CHARS = 60
# No one's name is longer; a longer "/stance" argument is not worth a lookup.
MAX_NAME_CHARS = 100
URL_RE = re.compile(r"https?://[^\s<>\"'«»“”‘’]+", re.IGNORECASE)

HELP = """briefbot reads a news article and tells you, plainly, what happened and who holds
which position.

Send an article: paste its text, or send a link (several links are handled in order).
/articles — your stored articles
/summary [ID] — the neutral summary of an article (default: the latest)
/positions [ID] — who said what, with their quotes
/quotes [ID] — every quote, verbatim
/stance NAME — one speaker's stance across your articles
/speakers — everyone quoted in your articles
/search WORDS — search your articles
/subscribe HH:MM [Area/City] — a daily briefing at your local time
/unsubscribe — stop the daily briefing
/briefing — the briefing now
/delete ID — forget an article
/help — this message

briefbot reads English articles."""


PRIVATE = "Sorry, this briefbot is private."
BUSY_USER = "You've sent a lot of articles this hour; please wait a little."


class ChatRef:
    __slots__ = ("chat_id", "user_id")

    def __init__(self, chat_id: int, user_id: int | None = None) -> None:
        self.chat_id = chat_id
        self.user_id = user_id


class SubmissionLimiter:
    """A sliding one-hour window per user; the console (no user id) is never limited."""

    def __init__(self, per_hour: int) -> None:
        self._per_hour = per_hour
        self._seen: dict[int, deque[float]] = defaultdict(deque)

    def allow(self, user_id: int | None) -> bool:
        if user_id is None:
            return True
        now = clock.monotonic()
        window = self._seen[user_id]
        while window and now - window[0] > 3600:
            window.popleft()
        if len(window) >= self._per_hour:
            return False
        window.append(now)
        return True


def echo(value: str, limit: int = MAX_ECHO_CHARS) -> str:
    """A user's text as quoted back in a reply: printable, and cut (marked) at `limit`."""
    shown = "".join(c if c.isprintable() else " " for c in value[: limit + 1]).strip()
    return shown if len(shown) <= limit else shown[: limit - 1].rstrip() + "…"


def parse_local_time(value: str) -> time | None:
    match = re.fullmatch(r"([01]?\d|2[0-3])[:.h]([0-5]\d)", value.strip())
    return time(int(match[1]), int(match[2])) if match else None


@cache
def _zones() -> dict[str, str]:
    """Every IANA zone by its lower-cased name (a scan of the zone files: done once)."""
    return {zone.lower(): zone for zone in available_timezones()}


def parse_zone(value: str) -> str | None:
    """The IANA zone the user means ('europe/rome' is Europe/Rome), or None.

    Only names from the zone list reach `ZoneInfo`: it reads files, so 'Europe' (a folder),
    '../etc' or a NUL raised errors of other kinds than 'not found'.
    """
    return _zones().get(value.lower())


def zone_suggestions(value: str, limit: int = 3) -> list[str]:
    needle = value.lower().split("/")[-1]
    return sorted(z for z in _zones().values() if needle and needle in z.lower())[:limit]


def next_run(sub: Subscription, now: datetime | None = None) -> datetime:
    zone = ZoneInfo(sub.tz)
    local_now = (now or datetime.now(UTC)).astimezone(zone)
    candidate = datetime.combine(local_now.date(), sub.local_time, tzinfo=zone)
    if candidate <= local_now:
        candidate = datetime.combine(
            local_now.date() + timedelta(days=1), sub.local_time, tzinfo=zone
        )
    return candidate


def refusal(text: str) -> str | None:
    """Why this text will not be analysed, in one sentence; None when it will be.

    One gate for pastes, files and fetched pages alike: an HTML file or a long page must
    not reach the analysis thread with text that a paste of the same size could not bring
    (300,000 characters of entity soup keeps spaCy busy for minutes).
    """
    if len(text) > MAX_ARTICLE_CHARS:
        return (
            f"That is {len(text):,} characters; I take articles up to"
            f" {MAX_ARTICLE_CHARS:,}. Please send one article at a time."
        )
    words = len(text.split())
    if words < MIN_ARTICLE_WORDS:
        return (
            f"That looks too short for an article ({words} words). Paste a whole news"
            " article, send a link, or send /help."
        )
    if not looks_english(text):
        return "I can only read English articles for now."
    return None


def document_too_large() -> str:
    return f"That file is too large; I read files up to {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB."


def article_number(value: str) -> int | None:
    """'#12' or '12' as an id; None for anything SQLite could not hold as one.

    `str.isdigit` accepts '١' and '²', and `int` makes any length of digits a number that
    SQLite then refuses with OverflowError, so both are checked here, once.
    """
    raw = value.strip().lstrip("#")
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        return None
    return int(raw)


Handler = Callable[[ChatRef, str], Awaitable[list[Response]]]


class BriefService:
    def __init__(
        self,
        store: Store,
        analyzer: Analyzer,
        queue: AnalysisQueue,
        *,
        fetcher: Fetcher | None = None,
        extractor: Extractor | None = None,
        scheduler: Scheduler | None = None,
        notifier: Notifier | None = None,
        allowed_user_ids: set[int] | None = None,
        submissions_per_hour: int = 30,
    ) -> None:
        self.store = store
        self.analyzer = analyzer
        self.queue = queue
        self.fetcher = fetcher
        if extractor is None:
            from bot.fetch.pool import shared  # the fetcher's pool: one set of workers

            extractor = shared()
        self.extractor = extractor
        self.scheduler = scheduler
        self.notifier = notifier
        queue.on_unwatched = self._tell_chats
        self._allowed = allowed_user_ids or set()
        self._limiter = SubmissionLimiter(submissions_per_hour)
        self._reading: WeakValueDictionary[int | None, asyncio.Lock] = WeakValueDictionary()
        self._commands: dict[str, Handler] = {
            "start": self._help,
            "help": self._help,
            "articles": self._articles,
            "summary": self._summary,
            "positions": self._positions,
            "quotes": self._quotes,
            "stance": self._stance,
            "speakers": self._speakers,
            "search": self._search,
            "subscribe": self._subscribe,
            "unsubscribe": self._unsubscribe,
            "briefing": self._briefing,
            "delete": self._delete,
        }

    @property
    def command_names(self) -> list[str]:
        return list(self._commands)

    def _reader(self, user_id: int | None) -> asyncio.Lock:
        """One link or HTML file read at a time per user. The extraction workers are shared
        by everyone: a user with a pile of slow pages queues behind their own, instead of
        holding every worker while the other chats' links wait. (A lock lives as long as
        someone holds or awaits it.)"""
        lock = self._reading.get(user_id)
        if lock is None:
            lock = self._reading[user_id] = asyncio.Lock()
        return lock

    async def stop(self) -> None:
        """Stop analysing: every reply still waiting on an article is told it stays queued,
        so a skin's shutdown (which waits for its handlers) is not held by the model."""
        await self.queue.stop()

    # entry points -----------------------------------------------------------------------

    async def handle(self, chat: ChatRef, text: str) -> list[Response]:
        """Every failure below becomes a polite reply; nothing stored is lost by a bad input."""
        if self._allowed and chat.user_id not in self._allowed:
            return [Response(Reply.say(PRIVATE))]
        text = (text or "").strip()
        try:
            if text.startswith("/"):
                head, _, args = text.partition(" ")
                name = head[1:].split("@", 1)[0].lower()
                handler = self._commands.get(name)
                if handler is None:
                    return [
                        Response(
                            Reply.say(f"I don't know /{echo(name)}. Send /help for the commands.")
                        )
                    ]
                return await handler(chat, args.strip())
            return await self._message(chat, text)
        except QueryTooCostly:
            log.warning("a read for chat %s ran past its time budget", chat.chat_id)
            return [
                Response(
                    Reply.say(
                        "Sorry, that question takes me too long to answer. Please ask for"
                        " something narrower (fewer or more specific words)."
                    )
                )
            ]
        except StorageError:
            log.exception("storage failed for chat %s", chat.chat_id)
            return [
                Response(
                    Reply.say(
                        "Sorry, the database is unavailable right now, so nothing was changed."
                        " Please try again in a minute."
                    )
                )
            ]

    async def submit_document(self, chat: ChatRef, filename: str, data: bytes) -> list[Response]:
        """A .txt or .html file sent as a document."""
        if self._allowed and chat.user_id not in self._allowed:
            return [Response(Reply.say(PRIVATE))]
        name = filename.lower()
        if not name.endswith((".txt", ".html", ".htm")):
            return [
                Response(
                    Reply.say(
                        "I can read .txt and .html files. Paste the text or send a link instead."
                    )
                )
            ]
        if len(data) > MAX_DOCUMENT_BYTES:
            return [Response(Reply.say(document_too_large()))]
        try:
            decoded = data.decode("utf-8")
        except UnicodeDecodeError:
            return [Response(Reply.say("That file is not UTF-8 text, so I can't read it."))]
        if "\x00" in decoded:
            return [Response(Reply.say("That file looks binary, not text."))]
        if name.endswith((".html", ".htm")):
            # charged before the parse, the costly part, as links are before the fetch
            if not self._limiter.allow(chat.user_id):
                return [Response(Reply.say(BUSY_USER))]
            try:
                async with self._reader(chat.user_id):
                    page = await self.extractor.extract(decoded, None)
            except FetchError as exc:
                return [Response(Reply.say(exc.user_message))]
            if page is None:
                return [Response(Reply.say("I found no article text in that HTML file."))]
            refused = refusal(page.text)
            if refused:
                return [Response(Reply.say(refused))]
            return [
                await self._store(
                    chat, page.text, title=page.title, outlet=page.outlet, published=page.published
                )
            ]
        return await self._message(chat, decoded.strip(), allow_links=False)

    async def compose_briefing(self, chat_id: int) -> tuple[Reply, datetime]:
        """What arrived since the last briefing, then who said what.

        Returns the moment it covers up to; pass it to `confirm_briefing` only once the
        briefing was delivered, so a failed send does not lose that window.
        """
        now = datetime.now(UTC)
        sub = await self.store.get_subscription(chat_id)
        since = sub.last_sent_at if sub and sub.last_sent_at else now - timedelta(days=1)
        articles = await self.store.list_articles(chat_id, limit=50, since=since)
        blocks = [Block(kind="heading", text="Your briefing")]
        if not articles:
            blocks.append(Block(kind="text", text="No new articles since the last briefing."))
        said: list[Block] = []
        for article in reversed(articles):
            analysis = await self.store.get_analysis(article.id)
            first = analysis.summary.text if analysis and analysis.summary else "(not analysed yet)"
            blocks.append(
                Block(kind="item", text=f"#{article.id} {article.display_title}: {first}")
            )
            for position in analysis.positions if analysis else []:
                quotes = briefs.verbatim(position.quotes, article.text)
                if position.stance:
                    line = position.stance
                elif quotes:
                    line = f"“{briefs.shorten(quotes[0].text)}”"
                else:
                    continue
                said.append(Block(kind="item", text=f"{position.speaker}: {line} (#{article.id})"))
        if said:
            blocks.append(Block(kind="heading", text="Who said what"))
            blocks.extend(said)
        if sub:
            when = next_run(sub, now + timedelta(minutes=1))
            blocks.append(Block(kind="note", text=f"next briefing {when:%a %d %b, %H:%M} {sub.tz}"))
        return Reply(blocks=blocks), now

    async def confirm_briefing(self, chat_id: int, covered_until: datetime) -> None:
        await self.store.mark_briefed(chat_id, covered_until)

    # messages ---------------------------------------------------------------------------

    async def _message(
        self, chat: ChatRef, text: str, *, allow_links: bool = True
    ) -> list[Response]:
        if not text:
            return [Response(Reply.say("That message is empty. Paste an article or send a link."))]
        links = URL_RE.findall(text) if allow_links else []
        words = len(text.split())
        if links and words - len(links) < MIN_ARTICLE_WORDS:
            return await self._links(chat, links)
        refused = refusal(text)
        if refused:
            return [Response(Reply.say(refused))]
        return [await self._submit(chat, text, published=article_date(text))]

    async def _links(self, chat: ChatRef, links: list[str]) -> list[Response]:
        responses = []
        if len(links) > MAX_LINKS_PER_MESSAGE:
            responses.append(
                Response(
                    Reply.say(f"I'll take the first {MAX_LINKS_PER_MESSAGE} links of that message.")
                )
            )
        for url in dict.fromkeys(links[:MAX_LINKS_PER_MESSAGE]):
            # charged before fetching: a refused or failing link costs the bot as much work
            if not self._limiter.allow(chat.user_id):
                responses.append(Response(Reply.say(BUSY_USER)))
                break
            known = await self.store.find_by_url(url)
            if known is not None:
                responses.append(
                    await self._store(
                        chat, known.text, url=url, title=known.title, outlet=known.outlet
                    )
                )
                continue
            if self.fetcher is None:
                responses.append(
                    Response(
                        Reply.say("Fetching links is switched off here; paste the text instead.")
                    )
                )
                continue
            try:
                async with self._reader(chat.user_id):
                    page = await self.fetcher.fetch(url)
            except FetchError as exc:
                responses.append(Response(Reply.say(f"{echo(url)}: {exc.user_message}")))
                continue
            except Exception:  # a fault in the fetcher costs this link's answer, not the others'
                log.exception("fetching %s failed", url)
                responses.append(
                    Response(Reply.say(f"{echo(url)}: Sorry, I couldn't read that page."))
                )
                continue
            refused = refusal(page.text)
            if refused:
                responses.append(Response(Reply.say(f"{echo(url)}: {refused}")))
                continue
            responses.append(
                await self._store(
                    chat,
                    page.text,
                    url=url,
                    canonical_url=page.final_url,
                    title=page.title,
                    outlet=page.outlet,
                    published=page.published,
                )
            )
        return responses

    async def _submit(self, chat: ChatRef, text: str, **meta: object) -> Response:
        if not self._limiter.allow(chat.user_id):
            return Response(Reply.say(BUSY_USER))
        return await self._store(chat, text, **meta)

    async def _store(self, chat: ChatRef, text: str, **meta: object) -> Response:
        """Store and queue an article whose submission was already counted."""
        article, _ = await self.store.add_article(
            chat.chat_id, chat.user_id, NewArticle(text=text, **meta)
        )
        if article.state == "done":
            analysis = await self.store.get_analysis(article.id)
            return Response(briefs.brief(article, analysis))
        accepted, progress = self.queue.submit(article.id)
        ahead = self.queue.waiting
        note = (
            f"Stored as #{article.id}. Reading it now…"
            if ahead <= 1
            else (f"Stored as #{article.id}; {ahead - 1} article(s) ahead of it.")
        )
        if not accepted:
            note = (
                f"Stored as #{article.id}. I'm very busy; it will be analysed as soon as there"
                " is room."
            )
        return Response(Reply.say(note), updates=self._follow(article, progress))

    async def _follow(
        self, article: ArticleRecord, progress: AsyncIterator[Progress]
    ) -> AsyncIterator[Reply]:
        async for event in progress:
            if event.stage == "positions":
                yield briefs.brief(article, event.analysis, pending=True)
            elif event.stage == "done":
                yield briefs.brief(article, event.analysis)
            elif event.stage == "deleted":
                yield Reply.say(f"#{article.id} was deleted before I finished reading it.")
            elif event.stage == "stopped":
                yield Reply.say(
                    f"Stored as #{article.id}. I'm restarting; it stays in line and I'll read it"
                    f" when I'm back (/summary {article.id})."
                )
            else:
                yield await self._failed(article, event)

    async def _failed(self, article: ArticleRecord, event: Progress) -> Reply:
        stored = await self.store.get_analysis(article.id)
        reply = briefs.brief(article, stored)
        reply.blocks.insert(1, Block(kind="note", text=f"Sorry: {event.error}."))
        return reply

    async def _tell_chats(self, article_id: int, event: Progress) -> None:
        """An article finished with no one watching (queued across a restart, or retried after
        the database refused it): each chat holding it gets the brief as a new message."""
        if self.notifier is None:
            return
        for chat_id in await self.store.chats_with(article_id):
            article = await self.store.get_article(chat_id, article_id)
            if article is None:
                continue
            if event.stage == "done":
                reply = briefs.brief(article, event.analysis)
            else:
                reply = await self._failed(article, event)
            reply.blocks.insert(1, Block(kind="note", text="the brief you were waiting for"))
            await self.notifier.notify(chat_id, reply)

    # commands ---------------------------------------------------------------------------

    async def _help(self, chat: ChatRef, args: str) -> list[Response]:
        return [Response(Reply.say(HELP))]

    async def _articles(self, chat: ChatRef, args: str) -> list[Response]:
        return [Response(briefs.article_list(await self.store.list_articles(chat.chat_id)))]

    async def _article_arg(self, chat: ChatRef, args: str) -> ArticleRecord | Reply:
        """Resolve '[ID]' to one of the chat's articles, or say politely why not."""
        if not args:
            latest = await self.store.latest_article_id(chat.chat_id)
            if latest is None:
                return Reply.say("No articles stored yet. Paste one, or send a link.")
            args = str(latest)
        number = article_number(args.split()[0])
        if number is None:
            return Reply.say(f"“{echo(args)}” is not an article number. /articles lists them.")
        article = await self.store.get_article(chat.chat_id, number)
        if article is None:
            return Reply.say(f"There is no article #{number} here. /articles lists yours.")
        return article

    async def _summary(self, chat: ChatRef, args: str) -> list[Response]:
        article = await self._article_arg(chat, args)
        if isinstance(article, Reply):
            return [Response(article)]
        analysis = await self.store.get_analysis(article.id)
        return [
            Response(
                briefs.brief(article, analysis, pending=article.state in ("queued", "running"))
            )
        ]

    async def _positions_like(
        self, chat: ChatRef, args: str, *, all_quotes: bool
    ) -> list[Response]:
        article = await self._article_arg(chat, args)
        if isinstance(article, Reply):
            return [Response(article)]
        analysis = await self.store.get_analysis(article.id)
        if analysis is None:
            return [
                Response(Reply.say(f"#{article.id} is still being analysed; try again shortly."))
            ]
        return [Response(briefs.positions(article, analysis, all_quotes=all_quotes))]

    async def _positions(self, chat: ChatRef, args: str) -> list[Response]:
        return await self._positions_like(chat, args, all_quotes=False)

    async def _quotes(self, chat: ChatRef, args: str) -> list[Response]:
        return await self._positions_like(chat, args, all_quotes=True)

    async def _stance(self, chat: ChatRef, args: str) -> list[Response]:
        if not args:
            return [
                Response(
                    Reply.say("Whose stance? For example: /stance Rutte. /speakers lists them.")
                )
            ]
        if len(args) > MAX_NAME_CHARS:
            return [
                Response(
                    Reply.say(
                        f"That is not a name I'd know ({len(args):,} characters)."
                        " /speakers lists who is quoted."
                    )
                )
            ]
        found = await self.store.find_speakers(chat.chat_id, args)
        if not found:
            known = await self.store.list_speakers(chat.chat_id)
            close = _close_names(args, [s.name for s in known])
            hint = (
                f" Did you mean {', '.join(close)}?" if close else " /speakers lists who is quoted."
            )
            return [
                Response(
                    Reply.say(f"No one called “{echo(args)}” is quoted in your articles.{hint}")
                )
            ]
        if len(found) > 1:
            names = "; ".join(f"{s.name} ({s.article_count} article(s))" for s in found[:8])
            return [
                Response(
                    Reply.say(
                        f"“{echo(args)}” could be several people: {names}. Use the full name."
                    )
                )
            ]
        match = found[0]
        history = await self.store.stance_history(chat.chat_id, match.id)
        first = briefs.stance(match, history, digest=None)
        entries = [
            StanceEntry(article_id=h.article_id, date=h.date, stance=h.stance, quotes=h.quotes)
            for h in history
        ]

        async def with_digest() -> AsyncIterator[Reply]:
            # the dated list is on screen already; a digest that is slow or fails is left out
            try:
                digest = await self.queue.bounded(self.analyzer.digest(match.name, entries))
            except AnalysisStopped:
                return
            except TimeoutError:  # stuck past the analysis limit too: the thread was abandoned
                log.warning("stance digest for %s is stuck; the list stands alone", match.name)
                return
            if digest:
                yield briefs.stance(match, history, digest=digest)

        # one article has no development to digest: its line is already shown
        several = len({h.article_id for h in history}) > 1
        wants_digest = self.analyzer.model_name is not None and several
        return [Response(first, updates=with_digest() if wants_digest else None)]

    async def _speakers(self, chat: ChatRef, args: str) -> list[Response]:
        return [Response(briefs.speakers(await self.store.list_speakers(chat.chat_id)))]

    async def _search(self, chat: ChatRef, args: str) -> list[Response]:
        if not args:
            return [Response(Reply.say("Search for what? For example: /search ceasefire"))]
        terms = search_terms(args)
        asked = " ".join(terms)
        hits = await self.store.search(chat.chat_id, args)
        note = []
        if len(terms) == MAX_SEARCH_TERMS and len(set(args.casefold().split())) > len(terms):
            note = [
                Block(
                    kind="note",
                    text=f"I search for up to {MAX_SEARCH_TERMS} words; these were the first.",
                )
            ]
        if not hits:
            return [
                Response(
                    Reply(
                        blocks=[
                            Block(
                                kind="text",
                                text=f"Nothing in your articles matches “{echo(asked)}”.",
                            ),
                            *note,
                        ]
                    )
                )
            ]
        blocks = [Block(kind="heading", text=f"Articles matching “{echo(asked)}”"), *note]
        for hit in hits:
            blocks.append(Block(kind="item", text=f"#{hit.article_id} {hit.title}"))
            blocks.append(Block(kind="note", text=hit.snippet))
        return [Response(Reply(blocks=blocks))]

    async def _subscribe(self, chat: ChatRef, args: str) -> list[Response]:
        parts = args.split()
        usage = "Usage: /subscribe HH:MM [Area/City], for example /subscribe 07:30 Europe/Berlin"
        if not parts or len(parts) > 2:
            return [Response(Reply.say(usage))]
        at = parse_local_time(parts[0])
        if at is None:
            return [
                Response(
                    Reply.say(f"“{echo(parts[0])}” is not a time of day (00:00–23:59). {usage}")
                )
            ]
        asked = parts[1] if len(parts) == 2 else "UTC"
        tz = parse_zone(asked)
        if tz is None:
            close = zone_suggestions(asked)
            hint = (
                f" Did you mean {', '.join(close)}?"
                if close
                else " Use an IANA zone like Europe/Rome."
            )
            return [Response(Reply.say(f"I don't know the time zone “{echo(asked)}”.{hint}"))]
        sub = await self.store.subscribe(chat.chat_id, at, tz)
        if self.scheduler:
            self.scheduler.schedule(sub)
        when = next_run(sub)
        return [
            Response(
                Reply.say(
                    f"Subscribed: a briefing every day at {at:%H:%M} {tz}."
                    f" The next one comes {when:%a %d %b at %H:%M}."
                )
            )
        ]

    async def _unsubscribe(self, chat: ChatRef, args: str) -> list[Response]:
        removed = await self.store.unsubscribe(chat.chat_id)
        if self.scheduler:
            self.scheduler.cancel(chat.chat_id)
        return [
            Response(
                Reply.say(
                    "Unsubscribed: no more daily briefings."
                    if removed
                    else "You had no subscription."
                )
            )
        ]

    async def _briefing(self, chat: ChatRef, args: str) -> list[Response]:
        reply, covered_until = await self.compose_briefing(chat.chat_id)
        await self.confirm_briefing(chat.chat_id, covered_until)
        return [Response(reply)]

    async def _delete(self, chat: ChatRef, args: str) -> list[Response]:
        number = article_number(args)
        if number is None:
            return [
                Response(Reply.say("Which article? For example: /delete 3. /articles lists them."))
            ]
        if await self.store.delete_article(chat.chat_id, number):
            return [Response(Reply.say(f"Deleted #{number}."))]
        return [Response(Reply.say(f"There is no article #{number} here. /articles lists yours."))]


def _close_names(name: str, names: list[str]) -> list[str]:
    import difflib

    lowered = {n.lower(): n for n in names}
    by_surname = {n.split()[-1].lower(): n for n in names}
    hits = difflib.get_close_matches(name.lower(), [*lowered, *by_surname], n=3, cutoff=0.6)
    return list(dict.fromkeys(lowered.get(h) or by_surname[h] for h in hits))

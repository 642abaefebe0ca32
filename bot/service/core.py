"""The service core: a chat's message or command in, replies out. No Telegram, no terminal.

Both skins (Telegram, console) call `ChatService.handle` and render what comes back, so
a behaviour is written once and reads the same everywhere. This module holds what every
command shares (the store, the analysis queue, the limiter, the router); the commands
themselves live by domain: `articles`, `submissions`, `speakers`, `subscriptions`, listed
with their help in `commands`.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from functools import partial
from weakref import WeakValueDictionary

from bot.service import submissions, subscriptions
from bot.service.analysis import AnalysisQueue
from bot.service.commands import COMMANDS, ChatRef, Command, by_name
from bot.service.deliveries import Deliveries
from bot.service.limits import PRIVATE, SubmissionLimiter
from bot.service.ports import Analyzer, Extractor, Fetcher, Notifier, Scheduler
from bot.service.replies import Reply, Response
from bot.service.views import echo
from storage import QueryTooCostly, StorageError, Store

log = logging.getLogger(__name__)


class ChatService:
    def __init__(
        self,
        store: Store,
        analyzer: Analyzer,
        queue: AnalysisQueue,
        deliveries: Deliveries,
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
        self.deliveries = deliveries
        self.limiter = SubmissionLimiter(submissions_per_hour)
        self.commands: dict[str, Command] = by_name(COMMANDS)
        self._allowed = allowed_user_ids or set()
        self._reading: WeakValueDictionary[int | None, asyncio.Lock] = WeakValueDictionary()

    def reader(self, user_id: int | None) -> asyncio.Lock:
        """One link or HTML file read at a time per user. The extraction workers are shared
        by everyone: a user with a pile of slow pages queues behind their own, instead of
        holding every worker while the other chats' links wait. (A lock lives as long as
        someone holds or awaits it.)"""
        lock = self._reading.get(user_id)
        if lock is None:
            lock = self._reading[user_id] = asyncio.Lock()
        return lock

    async def start(self) -> None:
        await self.queue.start()
        tell = partial(submissions.tell_chat, self) if self.notifier is not None else None
        await self.deliveries.start(tell)

    async def stop(self) -> None:
        """Stop analysing: every reply still waiting on an article is told it stays queued,
        so a skin's shutdown (which waits for its handlers) is not held by the model; the
        news of those articles goes back to the database for the next process to tell."""
        await self.queue.stop()
        await self.deliveries.stop()

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
                command = self.commands.get(name)
                if command is None:
                    return [
                        Response(
                            Reply.say(f"I don't know /{echo(name)}. Send /help for the commands.")
                        )
                    ]
                return await command.handler(self, chat, args.strip())
            return await submissions.message(self, chat, text)
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
        return await submissions.document(self, chat, filename, data)

    async def compose_briefing(self, chat_id: int) -> tuple[Reply, datetime]:
        """The daily briefing, for a skin's scheduler: see `subscriptions.compose_briefing`."""
        return await subscriptions.compose_briefing(self, chat_id)

    async def confirm_briefing(self, chat_id: int, covered_until: datetime) -> None:
        await subscriptions.confirm_briefing(self, chat_id, covered_until)

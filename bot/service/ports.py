"""Interfaces the service core needs from the outside world, implemented by the skins.

The core stays free of Telegram and HTTP imports; the Telegram skin schedules with PTB's
JobQueue, the console with nothing at all, and `bot.fetch` fetches links safely.
"""

from __future__ import annotations

from datetime import date
from typing import Protocol

from pydantic import BaseModel

from bot.service.replies import Reply
from storage import Subscription


class FetchedPage(BaseModel):
    url: str
    final_url: str
    title: str | None = None
    outlet: str | None = None
    published: date | None = None
    text: str


class FetchError(Exception):
    """Carries the one sentence the user sees ("That page is behind a paywall.")."""

    def __init__(self, user_message: str) -> None:
        super().__init__(user_message)
        self.user_message = user_message


class Fetcher(Protocol):
    async def fetch(self, url: str) -> FetchedPage: ...


class Extractor(Protocol):
    """Article text out of HTML, within a time limit (`bot.fetch.pool`); None when the page
    holds no text, FetchError with the sentence to show when it holds the wrong text."""

    async def extract(self, html: str, url: str | None) -> FetchedPage | None: ...


class Scheduler(Protocol):
    def schedule(self, subscription: Subscription) -> None: ...
    def cancel(self, chat_id: int) -> None: ...


class Notifier(Protocol):
    """Sends a chat a message it did not ask for just now: the brief of an article that was
    queued when the bot stopped, analysed after the restart."""

    async def notify(self, chat_id: int, reply: Reply) -> None: ...

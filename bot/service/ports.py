"""Every interface the service core needs from the outside world, in one place.

Defined here, implemented elsewhere: `Fetcher` and `Extractor` by `bot.fetch`, `Scheduler`
and `Notifier` by the skins (PTB's JobQueue, the console's timer), `Analyzer` by
`bot.service.analysis.LocalAnalyzer` (or a remote model server).

Re-exported here, defined beside their implementations: `Store` (`storage.base`) and
`TextGenerator` (`summarizer.model.base`). Those packages must not import `bot`: that is the
import cycle bot -> storage -> summarizer -> bot, so their interfaces live with them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Protocol

from pydantic import BaseModel

from bot.service.replies import Reply
from storage import Store, Subscription
from summarizer.model.base import TextGenerator
from summarizer.types import Analysis, StanceRecord
from summarizer.writing import Written

__all__ = [
    "Analyzer",
    "Extractor",
    "FetchError",
    "FetchedPage",
    "Fetcher",
    "Notifier",
    "Scheduler",
    "Store",
    "TextGenerator",
]


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
    """Sends a chat a message it did not ask for just now: the reply to an article that was
    queued when the bot stopped, analysed after the restart. Raises when the message could
    not go out now (it is sent again later); returns once it went, or when the chat can
    never be sent it (it blocked the bot)."""

    async def notify(self, chat_id: int, reply: Reply) -> None: ...


class Analyzer(Protocol):
    """What the service needs from the NLP side; swap in a remote model server behind it."""

    model_name: str | None

    async def read(self, text: str, title: str | None) -> Analysis:
        """Who said what, loaded phrases, the title: no model, shown at once."""
        ...

    async def write(
        self,
        text: str,
        found: Analysis,
        *,
        deadline: float | None = None,
        progress: Callable[[Written], None] | None = None,
    ) -> Analysis:
        """`found` with the model's summary and stance lines: those not finished by
        `deadline` (`time.monotonic()`) are the labelled stand-ins. `progress` hears, on
        the event loop, each sentence as it is checked, with all finished before it."""
        ...

    async def digest(self, speaker: str, entries: Sequence[StanceRecord]) -> str | None:
        """A paragraph on the speaker's stance lines, or None (no model, one article, failed
        checks, or not done within the digest's own time limit). Never raises for a slow
        or failing model, the dated list it would sit beside being on screen already, but
        for one that could not be loaded (`ModelUnavailable`): the list says so."""
        ...

    def articles_waiting(self, waiting: bool) -> None:
        """The queue says it holds articles (True) or none any more (False): model work
        that is no article's, a digest, stops for them and waits until they are done."""
        ...

    def warm_up(self) -> None: ...
    def abandon_work(self) -> None:
        """Called after a timeout: whatever is stuck must not hold up the next article."""
        ...

    async def close(self) -> None: ...

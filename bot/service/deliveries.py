"""Telling each chat how its article ended: once, by one bot process of many, none lost.

The database is the record (`Store.claim_deliveries`): each chat's link to an article is
delivered exactly when the chat has been told. A bot process whose reply waits in place
for the end (the placeholder it edits) holds the link while it waits and renews the hold;
it marks the link delivered once the skin has shown the end. An article that ends with no
such reply (its bot process restarted, crashed, or was another one) is claimed by whichever
bot process looks first, sent as a new message, and marked. A process that dies holding a
link loses the hold when it runs out, and another process tells the chat.

What cannot be had is exactly-once across a crash between the send and the mark: the chat
is then told a second time after the hold runs out, never zero times. The window is one
database write long.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable

from storage import StorageError, Store

log = logging.getLogger(__name__)

# How often a bot process looks for ended articles that no reply of its own is showing.
POLL_S = 1.0
# After a send that failed (Telegram down, a network fault): when any process may try again.
RETRY_S = 30.0
# Links claimed per look; the rest wait for the next one.
BATCH = 20

# Tells one chat how one of its articles ended, as a new message; raises when it could not
# (the link is retried later). A chat that can never be told (it blocked the bot) returns.
Tell = Callable[[int, int], Awaitable[None]]


class Deliveries:
    def __init__(
        self,
        store: Store,
        owner: str,
        *,
        hold_s: float,
        poll_s: float = POLL_S,
    ) -> None:
        """`owner`: this process, as it holds links (`analysis.worker_name`); `hold_s`: how long
        a hold outlives a process that stopped renewing it."""
        self._store = store
        self.owner = owner
        self.hold_s = hold_s
        self._poll_s = poll_s
        # links whose end a reply of this process shows in place, by how many replies
        self._showing: Counter[tuple[int, int]] = Counter()
        # links this process claimed and is sending now: held as long as the send takes (a
        # Telegram answering slowly must not let another process send them too)
        self._sending: set[tuple[int, int]] = set()
        # records of chats told, shielded from a stop: a chat told must be marked, or the
        # link given back at stop is told a second time by the next process
        self._marking: set[asyncio.Task[None]] = set()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self, tell: Tell | None) -> None:
        """`tell`: None where no chat can be messaged unasked (a worker, the console)."""
        self._tasks.append(asyncio.create_task(self._renew(), name="deliveries-renew"))
        if tell is not None:
            self._tasks.append(asyncio.create_task(self._sweep(tell), name="deliveries-sweep"))

    async def stop(self) -> None:
        """Gives back the links this process was showing: their replies are told the bot is
        restarting, and the next process to look tells the chats how their articles ended."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await asyncio.gather(*self._marking, return_exceptions=True)
        held = {*self._showing, *self._sending}
        self._showing, self._sending = Counter(), set()
        for chat_id, article_id in held:
            await self._give_back(chat_id, article_id, retry_s=0.0)

    def showing(self, chat_id: int, article_id: int) -> None:
        """A reply of this process waits in place for the article's end (the link was
        stored held for this process, `Store.add_article(holder=…)`)."""
        self._showing[(chat_id, article_id)] += 1

    async def shown(self, chat_id: int, article_id: int, *, told: bool) -> None:
        """The reply stopped waiting. `told`: it showed the article's end; otherwise (the
        bot stopping, the skin failing to show it) the link goes back for another process."""
        link = (chat_id, article_id)
        if self._showing[link] == 0:  # given back at stop already
            return
        self._showing[link] -= 1
        if told:
            await self._record(chat_id, article_id)
        if self._showing[link] == 0:
            del self._showing[link]
            if not told:
                await self._give_back(chat_id, article_id, retry_s=0.0)

    async def _give_back(self, chat_id: int, article_id: int, *, retry_s: float) -> None:
        try:
            await self._store.release_delivery(chat_id, article_id, self.owner, retry_s=retry_s)
        except StorageError:  # the hold runs out by itself
            log.warning(
                "could not give back the news of article %s for chat %s", article_id, chat_id
            )

    async def _renew(self) -> None:
        while True:
            await asyncio.sleep(self.hold_s / 3)
            try:
                held = [*self._showing, *self._sending]
                await self._store.hold_deliveries(self.owner, held, self.hold_s)
            except StorageError:
                log.warning("could not renew the hold on %d links", len(held))

    async def _sweep(self, tell: Tell) -> None:
        while True:
            try:
                links = await self._store.claim_deliveries(self.owner, self.hold_s, limit=BATCH)
            except StorageError:
                log.warning("could not look for articles whose chats are not told yet")
                links = []
            self._sending.update(links)
            for chat_id, article_id in links:
                await self._deliver(tell, chat_id, article_id)
                self._sending.discard((chat_id, article_id))
            if len(links) < BATCH:
                await asyncio.sleep(self._poll_s)

    async def _deliver(self, tell: Tell, chat_id: int, article_id: int) -> None:
        try:
            await tell(chat_id, article_id)
        except asyncio.CancelledError:
            raise
        except Exception:  # Telegram down, a fault in the view: the chat is told later
            log.warning(
                "could not tell chat %s how article %s ended; retrying in %.0f s",
                chat_id,
                article_id,
                RETRY_S,
                exc_info=True,
            )
            await self._give_back(chat_id, article_id, retry_s=RETRY_S)
            return
        self._sending.discard((chat_id, article_id))  # told: never given back now
        await self._record(chat_id, article_id)

    async def _record(self, chat_id: int, article_id: int) -> None:
        """Marks the link delivered, to the end even if the caller is cancelled (a stop
        arriving between the send and the mark): `stop` waits for it."""
        task = asyncio.create_task(self._mark(chat_id, article_id))
        self._marking.add(task)
        task.add_done_callback(self._marking.discard)
        await asyncio.shield(task)

    async def _mark(self, chat_id: int, article_id: int) -> None:
        try:
            await self._store.mark_delivered(chat_id, article_id, self.owner)
        except StorageError:  # told, but not recorded: told again once the hold runs out
            log.warning("could not record that chat %s was told of article %s", chat_id, article_id)

"""How fast the bot talks to Telegram, and what it does when Telegram stumbles.

Telegram refuses more than about 30 messages a second across all chats (and 20 a minute
in one group) with 429 (RetryAfter), and has bad minutes where it answers 5xx.

PTB's AIORateLimiter was not enough for a thousand briefings due in one minute: its leaky
bucket lets a burst through after any idle spell, and requests that took their slot while
a RetryAfter pause was on all went out together when it ended, which earned the next 429
(bench/load.py counted 127 of them for 1,000 briefings). Here every request with a chat
takes a slot on one clock, spaced from the moment it actually leaves, and a RetryAfter
moves that clock for everyone, so the ones waiting leave one by one after the pause.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.error import NetworkError, RetryAfter, TimedOut
from telegram.ext import BaseRateLimiter
from telegram.warnings import PTBDeprecationWarning

log = logging.getLogger(__name__)

# Below Telegram's 30/s so that the jitter of a busy event loop never adds up to 30 in a
# rolling second.
PER_SECOND = 25
GROUP_PER_MINUTE = 20

Answer = bool | dict[str, Any] | list[dict[str, Any]]


def _retry_after_s(exc: RetryAfter) -> float:
    with warnings.catch_warnings():  # int or timedelta, depending on PTB_TIMEDELTA
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class PacedRateLimiter(BaseRateLimiter[int]):
    """Requests with a chat leave at most PER_SECOND a second, evenly spaced; a RetryAfter
    pauses them all; 5xx answers and refused connections are retried with backoff.

    A timeout is not retried: Telegram may have sent the message, and sending it twice is
    worse than reporting the failure.
    """

    def __init__(
        self,
        *,
        per_second: float = PER_SECOND,
        max_retries: int = 3,
        network_retries: int = 6,
        backoff_s: float = 0.5,
    ) -> None:
        self._interval = 1 / per_second
        self._max_retries = max_retries
        self._network_retries = network_retries
        self._backoff_s = backoff_s
        self._gate = asyncio.Lock()
        self._next_slot = 0.0  # event-loop time before which no chat request may leave
        self._groups: dict[int | str, AsyncLimiter] = {}

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def _take_slot(self) -> None:
        loop = asyncio.get_running_loop()
        async with self._gate:  # one waiter at a time, so slots go out in arrival order
            # a deadline, not an event: re-checked because a RetryAfter may move the clock
            while (wait := self._next_slot - loop.time()) > 0:  # noqa: ASYNC110
                await asyncio.sleep(wait)
            self._next_slot = loop.time() + self._interval

    def _group_limiter(self, chat_id: int | str) -> AsyncLimiter:
        if chat_id not in self._groups:
            if len(self._groups) > 512:  # forget groups whose minute has fully drained
                for key, limiter in list(self._groups.items()):
                    if limiter.has_capacity(limiter.max_rate):
                        del self._groups[key]
            self._groups[chat_id] = AsyncLimiter(GROUP_PER_MINUTE, 60)
        return self._groups[chat_id]

    async def _send(
        self,
        callback: Callable[..., Coroutine[Any, Any, Answer]],
        args: Any,
        kwargs: Any,
        chat_id: int | str | None,
    ) -> Answer:
        if chat_id is None:  # getUpdates, getMe, answerCallbackQuery: not flood-limited
            return await callback(*args, **kwargs)
        is_group = isinstance(chat_id, str) or chat_id < 0
        if is_group:
            async with self._group_limiter(chat_id):
                await self._take_slot()
                return await callback(*args, **kwargs)
        await self._take_slot()
        return await callback(*args, **kwargs)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Answer]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Answer:
        chat_id = data.get("chat_id")
        if isinstance(chat_id, str) and chat_id.lstrip("-").isdigit():
            chat_id = int(chat_id)
        floods = network = 0
        while True:
            try:
                return await self._send(callback, args, kwargs, chat_id)
            except RetryAfter as exc:
                floods += 1
                if floods > (rate_limit_args or self._max_retries):
                    raise
                pause = _retry_after_s(exc) + 0.1
                log.warning("%s: flood limit, every chat waits %.1f s", endpoint, pause)
                loop = asyncio.get_running_loop()
                self._next_slot = max(self._next_slot, loop.time() + pause)
                if chat_id is None:  # it takes no slot, so it waits here
                    await asyncio.sleep(pause)
            except TimedOut:
                raise
            except NetworkError as exc:
                if network == self._network_retries:
                    raise
                delay = self._backoff_s * 2**network
                network += 1
                log.warning("%s failed (%s); retrying in %.1f s", endpoint, exc.message, delay)
                await asyncio.sleep(delay)

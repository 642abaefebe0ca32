"""How fast the bot talks to Telegram, and what it does when Telegram stumbles.

Telegram answers a burst over its limits with 429 (RetryAfter) and has bad minutes where it
answers 5xx; PTB's AIORateLimiter waits out the first but gives up on the second, and a
reply or a daily briefing would then be lost for a hiccup of a few seconds.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import NetworkError, TimedOut
from telegram.ext import AIORateLimiter

log = logging.getLogger(__name__)

# Telegram's bulk limit is "about 30 messages per second". aiolimiter is a leaky bucket: in
# any one second it lets through its capacity plus one second's drain, so capacity 3 with a
# drain of 25/s never puts more than 28 requests in a second, even after an idle spell.
BURST = 3
PER_SECOND = 25


class ResilientRateLimiter(AIORateLimiter):
    """AIORateLimiter (RetryAfter waited out) plus retries with backoff on 5xx answers.

    Only errors where Telegram certainly did not act are retried: a 5xx or a refused
    connection. A timeout is not, because the message may have been sent, and sending it
    twice is worse than reporting the failure.
    """

    def __init__(
        self, *, network_retries: int = 6, backoff_s: float = 0.5, max_retries: int = 3
    ) -> None:
        super().__init__(
            overall_max_rate=BURST, overall_time_period=BURST / PER_SECOND, max_retries=max_retries
        )
        self._network_retries = network_retries
        self._backoff_s = backoff_s

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        for attempt in range(self._network_retries + 1):
            try:
                return await super().process_request(
                    callback, args, kwargs, endpoint, data, rate_limit_args
                )
            except TimedOut:
                raise
            except NetworkError as exc:
                if attempt == self._network_retries:
                    raise
                delay = self._backoff_s * 2**attempt
                log.warning("%s failed (%s); retrying in %.1f s", endpoint, exc.message, delay)
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")

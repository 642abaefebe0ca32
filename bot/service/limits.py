"""What the bot takes in, and the one sentence it answers with when it will not.

One gate for pastes, files and fetched pages alike, and one limiter for every way a user
can make the bot read: a rule about size or rate is written here and nowhere else.
"""

from __future__ import annotations

import time as clock
from collections import defaultdict, deque

from summarizer.language import looks_english

MIN_ARTICLE_WORDS = 60
MAX_ARTICLE_CHARS = 100_000
# a .txt/.html file sent, or read by the console: read whole before it is decoded; the
# Telegram skin checks the declared size before downloading, the core what actually arrived
MAX_DOCUMENT_BYTES = 2 * 1024 * 1024
MAX_LINKS_PER_MESSAGE = 5
# A user's words quoted back in a reply: enough to recognise them, never a 100,000-character
# argument echoed over 32 messages.
MAX_ECHO_CHARS = 60
# No one's name is longer; a longer "/stance" argument is not worth a lookup.
MAX_NAME_CHARS = 100

PRIVATE = "Sorry, this briefbot is private."
BUSY_USER = "You've sent a lot of articles this hour; please wait a little."


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


def refusal(text: str) -> str | None:
    """Why this text will not be analysed, in one sentence; None when it will be.

    An HTML file or a long page must not reach the analysis thread with text that a paste
    of the same size could not bring (300,000 characters of entity soup keeps spaCy busy
    for minutes).
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

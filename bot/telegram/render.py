"""Replies as Telegram HTML: every piece of text escaped, long replies cut between blocks.

Article text and quotes come from strangers' web pages; one unescaped `<` would make
Telegram reject the whole message, and a `<a href>` in a quote must never become a link.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.service import Block, Reply

log = logging.getLogger(__name__)

LIMIT = 4096
CALLBACK_DATA_BYTES = 64


def units(text: str) -> int:
    """Telegram counts message length in UTF-16 code units, not characters."""
    return len(text.encode("utf-16-le")) // 2


def _wrap(block: Block, text: str) -> str:
    body = escape(text, quote=False)
    if block.kind == "heading":
        return f"<b>{body}</b>"
    if block.kind == "item":
        return f"• {body}"
    if block.kind == "quote":
        return f"<blockquote>“{body}”</blockquote>"
    if block.kind == "note":
        return f"<i>({body})</i>"
    return body


# paragraph, line, sentence, word: the first that splits the text wins
SPLITS = (
    (re.compile(r"\n\n"), "\n\n"),
    (re.compile(r"\n"), "\n"),
    (re.compile(r"(?<=[.!?]) "), " "),
    (re.compile(r" "), " "),
)


def _cut(text: str, fits: Callable[[str], bool]) -> list[str]:
    """Split raw text (before escaping, so no entity is cut) into pieces that each fit."""
    if fits(text):
        return [text]
    for pattern, joiner in SPLITS:
        parts = pattern.split(text)
        if len(parts) == 1:
            continue
        pieces: list[str] = []
        current = ""
        for part in parts:
            candidate = f"{current}{joiner}{part}" if current else part
            if fits(candidate):
                current = candidate
                continue
            if current:
                pieces.append(current)
            current = part
        pieces.append(current)
        return [p for piece in pieces for p in _cut(piece, fits)]
    middle = len(text) // 2  # one unbroken run longer than a message
    return _cut(text[:middle], fits) + _cut(text[middle:], fits)


def _pieces(block: Block, limit: int) -> list[str]:
    return [_wrap(block, t) for t in _cut(block.text, lambda t: units(_wrap(block, t)) <= limit)]


def render(reply: Reply, limit: int = LIMIT) -> list[str]:
    """The reply as one or more HTML messages, each at most `limit` UTF-16 units."""
    messages: list[str] = []
    current = ""
    for index, block in enumerate(reply.blocks):
        gap = "\n\n" if block.kind == "heading" and index else "\n"
        for piece in _pieces(block, limit):
            candidate = f"{current}{gap}{piece}" if current else piece
            if units(candidate) <= limit:
                current = candidate
            else:
                messages.append(current)
                current = piece
            gap = "\n"
    if current or not messages:
        messages.append(current or "…")
    return messages


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    buttons = []
    for button in reply.buttons:
        if len(button.command.encode("utf-8")) > CALLBACK_DATA_BYTES:
            log.warning("button %r dropped: callback data over 64 bytes", button.command)
            continue
        buttons.append(InlineKeyboardButton(button.label, callback_data=button.command))
    return InlineKeyboardMarkup([buttons]) if buttons else None

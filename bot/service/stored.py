"""Stored analyses as the current rules read them.

Positions stored under older attribution rules stayed as they were: a speaker "Twitter",
from a rule fixed since, still showed in an article stored before the fix. An analysis
read under another edition of the rules (`summarizer.rules`) is read again from its stored
text when a reader is about to show it, off the event loop, and stored again; the model is
not asked again (`pipeline.reread` says which of its lines stay). The database is held only
for the write, which takes effect only if no other process got there first.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from storage import UNFINISHED, ArticleRecord
from summarizer import pipeline
from summarizer.rules import positions_rules
from summarizer.types import Analysis

if TYPE_CHECKING:
    from bot.service.core import ChatService

log = logging.getLogger(__name__)


async def analysis(service: ChatService, article: ArticleRecord) -> Analysis | None:
    """The article's stored analysis, read again first if it was read under other rules.
    One still under analysis is left to its analysis, which stores the current rules'."""
    stored = await service.store.get_analysis(article.id)
    if stored is None or stored.rules == positions_rules() or article.state in UNFINISHED:
        return stored
    try:
        fresh = await asyncio.to_thread(pipeline.reread, article.text, stored)
    except Exception:  # what was stored is still worth showing
        log.exception("reading article %s again under the current rules failed", article.id)
        return stored
    if await service.store.refresh_positions(article.id, fresh, read_under=stored.rules):
        return fresh
    # another process refreshed it or analysed it again meanwhile: theirs stands
    return await service.store.get_analysis(article.id)


async def refresh_chat(service: ChatService, chat_id: int) -> None:
    """Every analysis of the chat's articles up to the current rules, before a read that
    looks across them (/stance, /speakers): a wrong speaker could be anywhere among them."""
    for article_id in await service.store.stale_analyses(chat_id, positions_rules()):
        article = await service.store.get_article(chat_id, article_id)
        if article is not None:  # deleted meanwhile otherwise
            await analysis(service, article)

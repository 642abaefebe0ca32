"""Commands that read a chat's stored articles back: list, summary, positions, quotes,
search, delete."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.service import stored, views
from bot.service.replies import Reply, Response
from bot.service.views import echo
from storage import MAX_SEARCH_TERMS, UNFINISHED, ArticleRecord, search_terms

if TYPE_CHECKING:
    from bot.service.commands import ChatRef
    from bot.service.core import ChatService


def article_number(value: str) -> int | None:
    """'#12' or '12' as an id; None for anything SQLite could not hold as one.

    `str.isdigit` accepts '١' and '²', and `int` makes any length of digits a number that
    SQLite then refuses with OverflowError, so both are checked here, once.
    """
    raw = value.strip().lstrip("#")
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
        return None
    return int(raw)


async def _article_arg(service: ChatService, chat: ChatRef, args: str) -> ArticleRecord | Reply:
    """Resolve '[ID]' to one of the chat's articles, or say politely why not."""
    if not args:
        latest = await service.store.latest_article_id(chat.chat_id)
        if latest is None:
            return Reply.say("No articles stored yet. Paste one, or send a link.")
        args = str(latest)
    number = article_number(args.split()[0])
    if number is None:
        return Reply.say(f"“{echo(args)}” is not an article number. /articles lists them.")
    article = await service.store.get_article(chat.chat_id, number)
    if article is None:
        return Reply.say(f"There is no article #{number} here. /articles lists yours.")
    return article


async def list_articles(service: ChatService, chat: ChatRef, args: str) -> list[Response]:
    return [Response(views.article_list(await service.store.list_articles(chat.chat_id)))]


async def summary(service: ChatService, chat: ChatRef, args: str) -> list[Response]:
    article = await _article_arg(service, chat, args)
    if isinstance(article, Reply):
        return [Response(article)]
    analysis = await stored.analysis(service, article)
    pending = article.state in UNFINISHED
    return [Response(views.article_view(article, analysis, pending=pending))]


async def _positions_like(
    service: ChatService, chat: ChatRef, args: str, *, all_quotes: bool
) -> list[Response]:
    article = await _article_arg(service, chat, args)
    if isinstance(article, Reply):
        return [Response(article)]
    analysis = await stored.analysis(service, article)
    if analysis is None:
        return [Response(Reply.say(f"#{article.id} is still being analysed; try again shortly."))]
    return [Response(views.positions(article, analysis, all_quotes=all_quotes))]


async def positions(service: ChatService, chat: ChatRef, args: str) -> list[Response]:
    return await _positions_like(service, chat, args, all_quotes=False)


async def quotes(service: ChatService, chat: ChatRef, args: str) -> list[Response]:
    return await _positions_like(service, chat, args, all_quotes=True)


async def search(service: ChatService, chat: ChatRef, args: str) -> list[Response]:
    if not args:
        return [Response(Reply.say("Search for what? For example: /search ceasefire"))]
    terms = search_terms(args)
    hits = await service.store.search(chat.chat_id, args)
    capped = len(terms) == MAX_SEARCH_TERMS and len(set(args.casefold().split())) > len(terms)
    return [Response(views.search_results(" ".join(terms), hits, capped=capped))]


async def delete(service: ChatService, chat: ChatRef, args: str) -> list[Response]:
    number = article_number(args)
    if number is None:
        return [Response(Reply.say("Which article? For example: /delete 3. /articles lists them."))]
    if await service.store.delete_article(chat.chat_id, number):
        return [Response(Reply.say(f"Deleted #{number}."))]
    return [Response(Reply.say(f"There is no article #{number} here. /articles lists yours."))]

"""Articles coming in: a pasted text, links in a message, or a .txt/.html file; each is
checked (`limits`), stored, queued for analysis, and followed until its analysis is shown."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from bot.service import stored, views
from bot.service.analysis import Progress
from bot.service.limits import (
    BUSY_USER,
    MAX_DOCUMENT_BYTES,
    MAX_LINKS_PER_MESSAGE,
    MIN_ARTICLE_WORDS,
    document_too_large,
    refusal,
)
from bot.service.ports import FetchError
from bot.service.replies import Block, Reply, Response
from bot.service.views import echo
from storage import ArticleRecord, NewArticle
from summarizer.dates import article_date

if TYPE_CHECKING:
    from bot.service.commands import ChatRef
    from bot.service.core import ChatService

log = logging.getLogger(__name__)

URL_RE = re.compile(r"https?://[^\s<>\"'«»“”‘’]+", re.IGNORECASE)


async def message(
    service: ChatService, chat: ChatRef, text: str, *, allow_links: bool = True
) -> list[Response]:
    """A message that is not a command: an article, or links to fetch."""
    if not text:
        return [Response(Reply.say("That message is empty. Paste an article or send a link."))]
    links = URL_RE.findall(text) if allow_links else []
    words = len(text.split())
    if links and words - len(links) < MIN_ARTICLE_WORDS:
        return await _links(service, chat, links)
    refused = refusal(text)
    if refused:
        return [Response(Reply.say(refused))]
    return [await _submit(service, chat, NewArticle(text=text, published=article_date(text)))]


async def document(
    service: ChatService, chat: ChatRef, filename: str, data: bytes
) -> list[Response]:
    """A .txt or .html file sent as a document (or read by the console's /file)."""
    name = filename.lower()
    if not name.endswith((".txt", ".html", ".htm")):
        return [
            Response(
                Reply.say("I can read .txt and .html files. Paste the text or send a link instead.")
            )
        ]
    if len(data) > MAX_DOCUMENT_BYTES:
        return [Response(Reply.say(document_too_large()))]
    try:
        decoded = data.decode("utf-8")
    except UnicodeDecodeError:
        return [Response(Reply.say("That file is not UTF-8 text, so I can't read it."))]
    if "\x00" in decoded:
        return [Response(Reply.say("That file looks binary, not text."))]
    if not name.endswith((".html", ".htm")):
        return await message(service, chat, decoded.strip(), allow_links=False)
    # charged before the parse, the costly part, as links are before the fetch
    if not service.limiter.allow(chat.user_id):
        return [Response(Reply.say(BUSY_USER))]
    try:
        async with service.reader(chat.user_id):
            page = await service.extractor.extract(decoded, None)
    except FetchError as exc:
        return [Response(Reply.say(exc.user_message))]
    if page is None:
        return [Response(Reply.say("I found no article text in that HTML file."))]
    refused = refusal(page.text)
    if refused:
        return [Response(Reply.say(refused))]
    new = NewArticle(text=page.text, title=page.title, outlet=page.outlet, published=page.published)
    return [await _store(service, chat, new)]


async def _links(service: ChatService, chat: ChatRef, links: list[str]) -> list[Response]:
    responses = []
    if len(links) > MAX_LINKS_PER_MESSAGE:
        responses.append(
            Response(
                Reply.say(f"I'll take the first {MAX_LINKS_PER_MESSAGE} links of that message.")
            )
        )
    for url in dict.fromkeys(links[:MAX_LINKS_PER_MESSAGE]):
        # charged before fetching: a refused or failing link costs the bot as much work
        if not service.limiter.allow(chat.user_id):
            responses.append(Response(Reply.say(BUSY_USER)))
            break
        known = await service.store.find_by_url(url)
        if known is not None:
            new = NewArticle(text=known.text, url=url, title=known.title, outlet=known.outlet)
            responses.append(await _store(service, chat, new))
            continue
        if service.fetcher is None:
            responses.append(
                Response(Reply.say("Fetching links is switched off here; paste the text instead."))
            )
            continue
        try:
            async with service.reader(chat.user_id):
                page = await service.fetcher.fetch(url)
        except FetchError as exc:
            responses.append(Response(Reply.say(f"{echo(url)}: {exc.user_message}")))
            continue
        except Exception:  # a fault in the fetcher costs this link's answer, not the others'
            log.exception("fetching %s failed", url)
            responses.append(Response(Reply.say(f"{echo(url)}: Sorry, I couldn't read that page.")))
            continue
        refused = refusal(page.text)
        if refused:
            responses.append(Response(Reply.say(f"{echo(url)}: {refused}")))
            continue
        new = NewArticle(
            text=page.text,
            url=url,
            canonical_url=page.final_url,
            title=page.title,
            outlet=page.outlet,
            published=page.published,
        )
        responses.append(await _store(service, chat, new))
    return responses


async def _submit(service: ChatService, chat: ChatRef, new: NewArticle) -> Response:
    if not service.limiter.allow(chat.user_id):
        return Response(Reply.say(BUSY_USER))
    return await _store(service, chat, new)


async def _store(service: ChatService, chat: ChatRef, new: NewArticle) -> Response:
    """Store and queue an article whose submission was already counted."""
    deliveries = service.deliveries
    # held for this process from the start: no other process tells the chat meanwhile
    article, _ = await service.store.add_article(
        chat.chat_id, chat.user_id, new, holder=deliveries.owner, hold_s=deliveries.hold_s
    )
    deliveries.showing(chat.chat_id, article.id)
    if article.state == "done":
        analysis = await stored.analysis(service, article)
        await deliveries.shown(chat.chat_id, article.id, told=True)  # the answer is the brief
        return Response(views.article_view(article, analysis))
    accepted, progress = service.queue.submit(article.id)
    ahead = service.queue.waiting
    note = (
        f"Stored as #{article.id}. Reading it now…"
        if ahead <= 1
        else (f"Stored as #{article.id}; {ahead - 1} article(s) ahead of it.")
    )
    if not accepted:
        note = (
            f"Stored as #{article.id}. I'm very busy; it will be analysed as soon as there is room."
        )
    return Response(Reply.say(note), updates=_follow(service, chat, article, progress))


async def _follow(
    service: ChatService, chat: ChatRef, article: ArticleRecord, progress: AsyncIterator[Progress]
) -> AsyncIterator[Reply]:
    """The reply in place, and the delivery record: the chat was told how the article ended
    only once the skin asks for more after showing the last reply (an exception in the skin
    leaves the generator there, and the news goes to the chat as a new message later)."""
    told = False
    try:
        async for event in progress:
            yield await _view(service, article, event)
            told = event.ended and event.stage in ("done", "failed")
    finally:
        await service.deliveries.shown(chat.chat_id, article.id, told=told)


async def _view(service: ChatService, article: ArticleRecord, event: Progress) -> Reply:
    if event.stage == "positions":
        return views.article_view(article, event.analysis, pending=True)
    if event.stage == "done":
        return views.article_view(article, event.analysis)
    if event.stage == "deleted":
        return Reply.say(f"#{article.id} was deleted before I finished reading it.")
    if event.stage == "stopped":
        return Reply.say(
            f"Stored as #{article.id}. I'm restarting; it stays in line and I'll read it"
            f" when I'm back (/summary {article.id})."
        )
    return await _failed(service, article, event.error)


async def _failed(service: ChatService, article: ArticleRecord, error: str | None) -> Reply:
    reply = views.article_view(article, await stored.analysis(service, article))
    reply.blocks.insert(1, Block(kind="note", text=f"Sorry: {error}."))
    return reply


async def tell_chat(service: ChatService, chat_id: int, article_id: int) -> None:
    """How an article ended, as a new message to a chat whose reply is not showing it (the
    article was queued across a restart, taken by another bot process, or retried after the
    database refused it): `bot.service.deliveries` calls this once per chat."""
    assert service.notifier is not None, "deliveries are only swept where chats can be told"
    article = await service.store.get_article(chat_id, article_id)
    if article is None:  # the chat deleted it meanwhile: nothing to tell
        return
    if article.state == "done":
        reply = views.article_view(article, await stored.analysis(service, article))
    else:
        reply = await _failed(service, article, "the analysis failed")
    reply.blocks.insert(1, Block(kind="note", text="the analysis you were waiting for"))
    await service.notifier.notify(chat_id, reply)

"""Telegram updates in, service replies out, with the bot visibly at work in between.

Slow handlers run with `block=False`, so one user's article being fetched never holds up
another user's /help; the analysis itself is serialised by the service's queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from typing import Any

from telegram import Bot, InlineKeyboardMarkup, Message, MessageEntity, Update
from telegram.constants import ChatAction
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot.service import ChatRef, ChatService, Reply, Response
from bot.service.limits import MAX_DOCUMENT_BYTES, PRIVATE, document_too_large
from bot.service.ports import FetchError
from bot.telegram.render import keyboard, render

log = logging.getLogger(__name__)

SERVICE = "service"
TYPING_EVERY_S = 4.5  # Telegram shows a chat action for about five seconds
SORRY = "Sorry, something went wrong on my side; please try again in a minute."
NOT_AN_ARTICLE = "Send me a news article: paste its text, send a link, or a .txt/.html file."


def service_of(context: ContextTypes.DEFAULT_TYPE) -> ChatService:
    return context.application.bot_data[SERVICE]


def chat_id_of(update: Update) -> int:
    """The handlers are registered for messages and button presses, which always have a chat."""
    chat = update.effective_chat
    assert chat is not None, "a message or button press without a chat"
    return chat.id


def message_of(update: Update) -> Message:
    message = update.effective_message
    assert message is not None, "a message handler called without a message"
    return message


def chat_of(update: Update) -> ChatRef:
    user = update.effective_user
    return ChatRef(chat_id_of(update), user.id if user else None)


@contextlib.asynccontextmanager
async def typing(bot: Bot, chat_id: int) -> AsyncIterator[None]:
    async def keep_typing() -> None:
        while True:
            with contextlib.suppress(TelegramError):
                await bot.send_chat_action(chat_id, ChatAction.TYPING)
            await asyncio.sleep(TYPING_EVERY_S)

    task = asyncio.create_task(keep_typing())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


class LiveMessage:
    """One reply on screen, over as many messages as its length needs, replaced in place."""

    def __init__(self, bot: Bot, chat_id: int) -> None:
        self._bot = bot
        self._chat_id = chat_id
        self._shown: list[tuple[int, str, dict[str, Any] | None]] = []

    async def show(self, reply: Reply) -> None:
        chunks = render(reply)
        markup = keyboard(reply)
        for index, html in enumerate(chunks):
            buttons = markup if index == len(chunks) - 1 else None
            state = (html, buttons.to_dict() if buttons else None)
            if index >= len(self._shown):
                sent = await self._bot.send_message(self._chat_id, html, reply_markup=buttons)
                self._shown.append((sent.message_id, *state))
            elif self._shown[index][1:] != state:
                await self._edit(self._shown[index][0], html, buttons)
                self._shown[index] = (self._shown[index][0], *state)
        for message_id, _, _ in self._shown[len(chunks) :]:
            with contextlib.suppress(BadRequest):
                await self._bot.delete_message(self._chat_id, message_id)
        del self._shown[len(chunks) :]

    async def _edit(self, message_id: int, html: str, buttons: InlineKeyboardMarkup | None) -> None:
        try:
            await self._bot.edit_message_text(
                html, chat_id=self._chat_id, message_id=message_id, reply_markup=buttons
            )
        except BadRequest as exc:
            if "not modified" not in exc.message:
                raise


async def deliver(bot: Bot, chat_id: int, responses: list[Response]) -> None:
    """Every placeholder first, then each one replaced as its work completes, in order."""
    following: list[tuple[LiveMessage, AsyncIterator[Reply]]] = []
    for response in responses:
        live = LiveMessage(bot, chat_id)
        await live.show(response.reply)
        if response.updates is not None:
            following.append((live, response.updates))
    if not following:
        return
    async with typing(bot, chat_id):
        for live, updates in following:
            async for reply in updates:
                await live.show(reply)


async def _serve(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    work: Callable[[], Awaitable[list[Response]]],
) -> None:
    chat_id = chat_id_of(update)
    async with typing(context.bot, chat_id):
        try:
            responses = await work()
        except FetchError as exc:
            responses = [Response(Reply.say(exc.user_message))]
    await deliver(context.bot, chat_id, responses)


def message_text(update: Update) -> str:
    """The text or caption, plus the targets of hyperlinked words, which the text hides."""
    message = message_of(update)
    if message.text:
        text, entities = message.text, message.parse_entities([MessageEntity.TEXT_LINK])
    else:
        text = message.caption or ""
        entities = message.parse_caption_entities([MessageEntity.TEXT_LINK])
    return "\n".join([text, *(entity.url for entity in entities if entity.url)])


def addressed_elsewhere(text: str, username: str | None) -> bool:
    """'/help@other_bot' in a group is for another bot: only commands addressed to us, or to
    no one, are ours to answer."""
    if not text.startswith("/"):
        return False
    _, at, target = text.split(maxsplit=1)[0].partition("@")
    return bool(at) and target.lower() != (username or "").lower()


class ChatNotifier:
    """The service's `Notifier`: a new message in the chat."""

    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def notify(self, chat_id: int, reply: Reply) -> None:
        """Telegram down or slow (a network error, a 5xx past the retries) raises: the chat is
        told later. A chat that refuses the message for good does not."""
        try:
            await LiveMessage(self._bot, chat_id).show(reply)
        except (Forbidden, BadRequest) as exc:  # blocked, or the chat is gone: nothing to retry
            log.info("could not tell chat %s its analysis is ready: %s", chat_id, exc)


async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Pasted articles, forwarded posts, links and commands: the service tells them apart."""
    if addressed_elsewhere(message_of(update).text or "", context.bot.username):
        return
    service = service_of(context)
    await _serve(update, context, lambda: service.handle(chat_of(update), message_text(update)))


async def on_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    document = message_of(update).document
    assert document is not None, "registered for filters.Document only"
    # checked before downloading; a size Telegram did not state is not taken on trust
    if document.file_size is None or document.file_size > MAX_DOCUMENT_BYTES:
        await deliver(context.bot, chat_id_of(update), [Response(Reply.say(document_too_large()))])
        return

    async def work() -> list[Response]:
        data = await (await document.get_file()).download_as_bytearray()
        return await service_of(context).submit_document(
            chat_of(update), document.file_name or "", bytes(data)
        )

    await _serve(update, context, work)


async def on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None, "registered for callback queries only"
    await query.answer()
    service = service_of(context)
    await _serve(update, context, lambda: service.handle(chat_of(update), query.data or ""))


async def on_other(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await message_of(update).reply_text(NOT_AN_ARTICLE)


def gate(
    allowed: set[int],
) -> Callable[[Update, ContextTypes.DEFAULT_TYPE], Coroutine[Any, Any, None]]:
    """Strangers get one sentence and go no further: no service call, no file download."""

    async def check(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        user = update.effective_user
        if user is not None and user.id in allowed:
            return
        if update.callback_query:
            await update.callback_query.answer()
        if update.effective_chat:
            await context.bot.send_message(update.effective_chat.id, PRIVATE)
        raise ApplicationHandlerStop

    return check


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    update_id = update.update_id if isinstance(update, Update) else None
    log.error("update %s failed", update_id, exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat:
        with contextlib.suppress(TelegramError):
            await context.bot.send_message(update.effective_chat.id, SORRY)

"""The offline console: the bot's conversation in a terminal, over the same service core.

An article is many lines with blank lines between its paragraphs, so "a line is a message"
and "an empty line ends a message" both cut it into refused pieces. The rules instead
(the README states them):

- in a terminal, prompt_toolkit reads each message with line editing and history, and a
  pasted article arrives whole, blank lines and all (bracketed paste); Enter sends it;
- from a pipe or a file (`briefbot console < article.txt`), a line starting with '/' is a
  command; any other line starts an article, which takes every following line, blank ones
  too, until a line holding only '.' or the end of the input.

`/file PATH` (and `briefbot add PATH...`) stores an article from a .txt or .html file.
"""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import AsyncIterator, Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from bot.runtime import open_service
from bot.service import ChatRef, ChatService, Command, Response
from bot.service.commands import by_name, help_lines
from bot.service.limits import MAX_DOCUMENT_BYTES
from bot.service.replies import Reply
from bot.service.times import next_run
from bot.service.views import echo
from bot.settings import Settings
from storage import Subscription

CONSOLE_CHAT_ID = 0
END_OF_ARTICLE = "."

Write = Callable[[str], None]


def _say(text: str) -> list[Response]:
    return [Response(Reply.say(text))]


async def show(
    responses: list[Response],
    write: Write,
    later: set[asyncio.Task[None]] | None = None,
    *,
    live: bool = False,
) -> None:
    """Each reply, then what the last of its updates adds to it. Only the last: the interim
    one is the same article reply without its summary, and printing both showed every
    article twice. Only what it adds: a terminal cannot replace lines already printed, and
    /stance's update is its dated list again with the digest, so the list came twice.

    A late update (the digest) is printed when it comes, by a task put in `later`, so the
    conversation goes on meanwhile: waited for, the digest held the prompt for its limit.
    `live` (a terminal) makes every update late: a brief written on a cold, busy host took
    minutes, during which nothing typed was read, /quit and Ctrl-D included. From a pipe a
    brief is waited for, so that a script's output keeps its order."""
    for response in responses:
        write(response.reply.plain())
        if response.updates is None:
            continue
        if (response.late or live) and later is not None:
            task = asyncio.create_task(_added(response, write))
            later.add(task)
            task.add_done_callback(later.discard)
        else:
            await _added(response, write)


async def _added(response: Response, write: Write) -> None:
    assert response.updates is not None
    final: Reply | None = None
    async for update in response.updates:
        final = update
    if final is not None:
        added = [b for b in final.blocks if b not in response.reply.blocks]
        if added:
            write(Reply(blocks=added, buttons=final.buttons).plain())


def _read_capped(path: Path) -> bytes:
    """One byte over the cap is enough to refuse a file; more is never read."""
    with path.expanduser().open("rb") as handle:
        return handle.read(MAX_DOCUMENT_BYTES + 1)


async def submit_file(service: ChatService, chat: ChatRef, path: Path) -> list[Response]:
    """A file is handled as a document sent to the bot: same size cap, same .txt/.html rules,
    same HTML extraction."""
    shown = echo(str(path))
    try:
        data = await asyncio.to_thread(_read_capped, path)
    except OSError as exc:
        return _say(f"I can't read {shown}: {exc.strerror or exc}.")
    except (ValueError, RuntimeError):  # a NUL in the path; '~someone' with no such user
        return _say(f"I can't read {shown}: that is not a file name I can open.")
    if len(data) > MAX_DOCUMENT_BYTES:
        return _say(f"{shown} is over {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB; is it an article?")
    return await service.submit_document(chat, path.name, data)


class Leave(Exception):
    """Raised by /quit: the conversation ends."""


async def _file(service: ChatService, chat: ChatRef, args: str) -> list[Response]:
    """'/file PATH': PATH spaces and all; quotes a terminal adds on drag-and-drop go."""
    argument = args.strip().strip("'\"")
    if not argument:
        return _say("Which file? For example: /file article.txt")
    return await submit_file(service, chat, Path(argument))


async def _quit(service: ChatService, chat: ChatRef, args: str) -> list[Response]:
    raise Leave


# The console's own commands, of the same shape as the service's (`bot.service.commands`).
CONSOLE_COMMANDS = [
    Command("file", "PATH", "store an article from a .txt or .html file", _file),
    Command("quit", "", "leave", _quit, aliases=("exit",)),
]
BANNER = (
    "briefbot console — offline. Paste an article and press Enter, or type a command"
    " (/help). /file PATH stores an article from a .txt or .html file; /quit leaves."
)
CONSOLE_HELP = (
    f"In this console:\n{help_lines(CONSOLE_COMMANDS)}\n"
    "A daily briefing (/subscribe) is printed here while the console is open."
)


async def piped_messages(stream: TextIO) -> AsyncIterator[str]:
    """Messages from a pipe or file, by the rule in the module docstring."""
    article: list[str] = []
    while True:
        line = await asyncio.to_thread(stream.readline)
        if not line:
            break
        line = line.rstrip("\r\n")
        if article:
            if line.strip() == END_OF_ARTICLE:
                yield "\n".join(article)
                article.clear()
            else:
                article.append(line)
        elif line.lstrip().startswith("/"):
            yield line.strip()
        elif line.strip() and line.strip() != END_OF_ARTICLE:
            article.append(line)
    if article:
        yield "\n".join(article)


async def terminal_messages() -> AsyncIterator[str]:
    """Messages typed or pasted in a terminal. Ctrl-C leaves, as Ctrl-D and /quit do: it
    cleared the line, and a user who pressed it to leave found the prompt again."""
    from prompt_toolkit import PromptSession

    session: PromptSession[str] = PromptSession()  # bracketed paste is on by default
    while True:
        try:
            text = await session.prompt_async("> ")
        except (KeyboardInterrupt, EOFError):
            return
        if text.strip():
            yield text


class ConsoleScheduler:
    """Daily briefings printed while the console is open. The console has no chat to send
    them to later, so the one it confirms on /subscribe must come from here."""

    def __init__(self, write: Write, clock: Callable[[], datetime] | None = None) -> None:
        self._write = write
        self._clock = clock or (lambda: datetime.now(UTC))
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self.service: ChatService | None = None

    def schedule(self, subscription: Subscription) -> None:
        self.cancel(subscription.chat_id)
        self._tasks[subscription.chat_id] = asyncio.create_task(self._daily(subscription))

    def cancel(self, chat_id: int) -> None:
        task = self._tasks.pop(chat_id, None)
        if task is not None:
            task.cancel()

    def close(self) -> None:
        for chat_id in list(self._tasks):
            self.cancel(chat_id)

    async def _daily(self, subscription: Subscription) -> None:
        after = self._clock()
        while True:
            when = next_run(subscription, after)
            await asyncio.sleep(max(0.0, (when - self._clock()).total_seconds()))
            assert self.service is not None, "attach the service before scheduling"
            reply, covered_until = await self.service.compose_briefing(subscription.chat_id)
            self._write(reply.plain())
            await self.service.confirm_briefing(subscription.chat_id, covered_until)
            # never the same slot twice, even if the sleep woke a moment early
            after = max(self._clock(), when)


# stdin reads bytes that are not UTF-8 as lone surrogates (surrogateescape), which no
# store or pydantic model takes: each becomes U+FFFD, the replacement character
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


async def chat_loop(
    service: ChatService, messages: AsyncIterator[str], write: Write, *, live: bool = False
) -> None:
    """When a pipe runs dry the replies still being written are waited for and printed; in
    a terminal (`live`) Ctrl-D leaves at once, as /quit does anywhere. An article left
    unfinished stays queued and is read at the next start."""
    chat = ChatRef(CONSOLE_CHAT_ID)
    own = by_name(CONSOLE_COMMANDS)
    later: set[asyncio.Task[None]] = set()
    try:
        async for message in messages:
            text = LONE_SURROGATE.sub("\ufffd", message)
            command = text.strip()
            head, _, args = command.partition(" ") if command.startswith("/") else ("", "", "")
            name = head[1:].lower()
            if name in own:
                responses = await own[name].handler(service, chat, args)
            else:
                responses = await service.handle(chat, text)
            await show(responses, write, later, live=live)
            if name in {"help", "start"}:
                write(CONSOLE_HELP)
        if not live:
            await asyncio.gather(*later)
    except Leave:
        return
    finally:
        for task in later:
            task.cancel()
        await asyncio.gather(*later, return_exceptions=True)


def _write(text: str) -> None:
    print(text, flush=True)


async def run_console(
    settings: Settings, *, use_model: bool = True, files: Iterable[Path] = ()
) -> None:
    """The conversation, or with `files` (`briefbot add`) those files stored in its chat."""
    from bot.fetch.safe import SafeFetcher

    files = list(files)
    interactive = not files and sys.stdin.isatty() and sys.stdout.isatty()
    # the allow-list names Telegram users; whoever is at this terminal runs the bot
    settings = settings.model_copy(update={"allowed_user_ids": []})
    fetcher = SafeFetcher()
    scheduler = ConsoleScheduler(_write)
    if not files:
        _write(BANNER)
    try:
        async with open_service(
            settings, fetcher=fetcher, scheduler=scheduler, use_model=use_model
        ) as service:
            scheduler.service = service
            if files:
                for path in files:
                    await show(await submit_file(service, ChatRef(CONSOLE_CHAT_ID), path), _write)
                return
            subscription = await service.store.get_subscription(CONSOLE_CHAT_ID)
            if subscription is not None:
                scheduler.schedule(subscription)
            if interactive:
                from prompt_toolkit.patch_stdout import patch_stdout

                with patch_stdout():  # a briefing printed at its time lands above the prompt
                    await chat_loop(service, terminal_messages(), _write, live=True)
            else:
                await chat_loop(service, piped_messages(sys.stdin), _write)
    finally:
        scheduler.close()
        await fetcher.aclose()

"""The offline console: the bot's conversation in a terminal, over the same service core.

Reads stdin so it scripts as well as it chats: a line starting with '/' is a command, other
lines are gathered into one message until an empty line (or the end of input).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from typing import TextIO

from bot.runtime import open_service
from bot.service import BriefService, ChatRef, Response
from bot.settings import Settings

CONSOLE_CHAT_ID = 0
BANNER = (
    "briefbot console — offline. Paste an article and finish with an empty line,"
    " or type a command (/help). /quit leaves."
)


async def _show(responses: list[Response], write: Callable[[str], None]) -> None:
    for response in responses:
        write(response.reply.plain())
        if response.updates is not None:
            async for update in response.updates:
                write(update.plain())


async def _readline(stream: TextIO) -> str | None:
    line = await asyncio.to_thread(stream.readline)
    return line if line else None


async def chat_loop(service: BriefService, stream: TextIO, write: Callable[[str], None]) -> None:
    chat = ChatRef(CONSOLE_CHAT_ID)
    interactive = stream.isatty()
    buffer: list[str] = []

    async def flush() -> None:
        if buffer:
            text = "\n".join(buffer)
            buffer.clear()
            await _show(await service.handle(chat, text), write)

    while True:
        if interactive and not buffer:
            sys.stdout.write("> ")
            sys.stdout.flush()
        line = await _readline(stream)
        if line is None:
            await flush()
            return
        line = line.rstrip("\n")
        if not buffer and line.strip().lower() in {"/quit", "/exit"}:
            return
        if not buffer and line.startswith("/"):
            await _show(await service.handle(chat, line), write)
        elif line.strip():
            buffer.append(line)
        else:
            await flush()


async def run_console(
    settings: Settings, *, use_model: bool = True, stream: TextIO | None = None
) -> None:
    def write(text: str) -> None:
        print(text, flush=True)

    from bot.fetch.safe import SafeFetcher

    fetcher = SafeFetcher()
    write(BANNER)
    try:
        async with open_service(settings, fetcher=fetcher, use_model=use_model) as service:
            await chat_loop(service, stream or sys.stdin, write)
    finally:
        await fetcher.aclose()

"""The command registry: each command's name, usage, one-line help and handler, once.

`/help`, the console's help and Telegram's command menu are all read from these lists, so a
command cannot be answered but missing from the help, or described two ways. The skins add
their own commands (the console's `/file`, `/quit`) as `Command`s of the same shape.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.service import articles, speakers, subscriptions
from bot.service.replies import Reply, Response

if TYPE_CHECKING:
    from bot.service.core import ChatService


class ChatRef:
    """Who is asking: the chat replies go to, and the user (None at the console)."""

    __slots__ = ("chat_id", "user_id")

    def __init__(self, chat_id: int, user_id: int | None = None) -> None:
        self.chat_id = chat_id
        self.user_id = user_id


Handler = Callable[["ChatService", ChatRef, str], Awaitable[list[Response]]]


@dataclass(frozen=True)
class Command:
    name: str
    usage: str  # the arguments, as the help shows them ("[ID]", "HH:MM [Area/City]")
    help: str  # one line: the help's and Telegram's menu description
    handler: Handler
    aliases: tuple[str, ...] = ()
    in_help: bool = True  # /start answers like /help and is not listed in it

    @property
    def line(self) -> str:
        return f"/{self.name}{' ' + self.usage if self.usage else ''} — {self.help}"


def by_name(commands: Iterable[Command]) -> dict[str, Command]:
    return {name: c for c in commands for name in (c.name, *c.aliases)}


def help_lines(commands: Sequence[Command]) -> str:
    return "\n".join(c.line for c in commands if c.in_help)


async def _help(service: ChatService, chat: ChatRef, args: str) -> list[Response]:
    return [Response(Reply.say(HELP))]


COMMANDS: list[Command] = [
    Command("start", "", "what this bot does", _help, in_help=False),
    Command("articles", "", "your stored articles", articles.list_articles),
    Command("summary", "[ID]", "the neutral summary of an article (default: the latest)",
            articles.summary),
    Command("positions", "[ID]", "who said what, with their quotes", articles.positions),
    Command("quotes", "[ID]", "every quote, verbatim", articles.quotes),
    Command("stance", "NAME", "one speaker's stance across your articles", speakers.stance),
    Command("speakers", "", "everyone quoted in your articles", speakers.list_speakers),
    Command("search", "WORDS", "search your articles", articles.search),
    Command("subscribe", "HH:MM [Area/City]", "a daily briefing at your local time",
            subscriptions.subscribe),
    Command("unsubscribe", "", "stop the daily briefing", subscriptions.unsubscribe),
    Command("briefing", "", "the briefing now", subscriptions.briefing),
    Command("delete", "ID", "forget an article", articles.delete),
    Command("help", "", "this message", _help),
]  # fmt: skip

HELP = f"""briefbot reads a news article and tells you, plainly, what happened and who holds
which position.

Send an article: paste its text, or send a link (several links are handled in order).
{help_lines(COMMANDS)}

briefbot reads English articles."""

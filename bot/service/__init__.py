"""The service core and the interfaces it needs; free of Telegram and terminal code.

- `core`: `ChatService`, the router every skin calls;
- `commands`: the command registry (name, usage, help, handler) behind /help and the menus;
- by domain: `submissions` (articles coming in), `articles` (reading them back),
  `speakers` (/stance, /speakers), `subscriptions` (the daily briefing);
- `limits` (sizes, rates, refusals), `times` (times of day, zones);
- `views` (replies built from stored data), `replies` (the reply types the skins render);
- `ports` (what the core needs from outside), `analysis` (the analysis thread and queue).
"""

from bot.service.commands import COMMANDS, HELP, ChatRef, Command
from bot.service.core import ChatService
from bot.service.replies import Block, Button, Reply, Response

__all__ = [
    "COMMANDS",
    "HELP",
    "Block",
    "Button",
    "ChatRef",
    "ChatService",
    "Command",
    "Reply",
    "Response",
]

"""The service core and the interfaces it needs; free of Telegram and terminal code."""

from bot.service.core import HELP, BriefService, ChatRef
from bot.service.replies import Block, Button, Reply, Response

__all__ = ["HELP", "Block", "BriefService", "Button", "ChatRef", "Reply", "Response"]

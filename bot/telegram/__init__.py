"""The Telegram skin over the service core (python-telegram-bot, async)."""

from bot.telegram.app import build_application, run

__all__ = ["build_application", "run"]

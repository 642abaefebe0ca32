"""Fetching links safely: the bot downloads what strangers send it, so it must never become a
way into the network it runs in."""

from bot.fetch.extract import extract_html
from bot.fetch.safe import SafeFetcher

__all__ = ["SafeFetcher", "extract_html"]

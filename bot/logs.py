"""Logging set-up for the `briefbot` command: one format, and no secret in any line.

httpx logs every request URL at INFO, and a Bot API URL carries the bot's token
(…/bot123456:ABC…/getUpdates): 70 of 79 lines of a short session held it. The formatter
redacts every secret from the finished line, tracebacks included, whichever library wrote it.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from typing import TextIO
from urllib.parse import quote

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
REDACTED = "[redacted]"


class RedactingFormatter(logging.Formatter):
    def __init__(self, fmt: str, secrets: Iterable[str]) -> None:
        super().__init__(fmt)
        forms = {form for secret in secrets if secret for form in (secret, quote(secret))}
        # longest first, so a secret that contains another is removed whole
        self._secrets = sorted(forms, key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text


def configure(level: str, secrets: Iterable[str], stream: TextIO | None = None) -> logging.Handler:
    """One handler on the root logger; returned so a test can take it away again."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(RedactingFormatter(FORMAT, secrets))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(getattr(logging, level))
    # a line per Bot API request (every two seconds while polling) is noise, redacted or not
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
    return handler

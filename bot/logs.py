"""Logging set-up for the `briefbot` command: no secret in any line, and in the console no
traceback in the conversation.

httpx logs every request URL at INFO, and a Bot API URL carries the bot's token
(…/bot123456:ABC…/getUpdates): 70 of 79 lines of a short session held it. The formatter
redacts every secret from the finished line, tracebacks included, whichever library wrote it.
In the console, logs share the screen with the conversation: a record is one line, its
exception 'Type: message', the traceback only at DEBUG.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from typing import TextIO
from urllib.parse import quote

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
CONVERSATION_FORMAT = "briefbot: %(levelname)s %(name)s: %(message)s"
REDACTED = "[redacted]"


class RedactingFormatter(logging.Formatter):
    def __init__(self, fmt: str, secrets: Iterable[str], *, tracebacks: bool = True) -> None:
        super().__init__(fmt)
        forms = {form for secret in secrets if secret for form in (secret, quote(secret))}
        # longest first, so a secret that contains another is removed whole
        self._secrets = sorted(forms, key=len, reverse=True)
        self._tracebacks = tracebacks

    def format(self, record: logging.LogRecord) -> str:
        if record.exc_info and not self._tracebacks:
            _, exc, _ = record.exc_info
            record = logging.makeLogRecord(
                {
                    **record.__dict__,
                    "msg": f"{record.getMessage()} ({type(exc).__name__}: {exc})",
                    "args": None,
                    "exc_info": None,
                    "exc_text": None,
                }
            )
        text = super().format(record)
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text


def configure(
    level: str,
    secrets: Iterable[str],
    stream: TextIO | None = None,
    *,
    conversation: bool = False,
) -> logging.Handler:
    """One handler on the root logger; returned so a test can take it away again."""
    handler = logging.StreamHandler(stream or sys.stderr)
    number = getattr(logging, level)
    if conversation:
        handler.setFormatter(
            RedactingFormatter(CONVERSATION_FORMAT, secrets, tracebacks=number <= logging.DEBUG)
        )
        # library warnings (deprecations and the like) are for whoever asked for INFO
        logging.captureWarnings(True)
        warnings_level = number if number <= logging.INFO else logging.ERROR
        logging.getLogger("py.warnings").setLevel(warnings_level)
    else:
        handler.setFormatter(RedactingFormatter(FORMAT, secrets))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(getattr(logging, level))
    # a line per Bot API request (every two seconds while polling) is noise, redacted or not
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
    return handler

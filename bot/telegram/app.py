"""The Telegram skin: builds the PTB Application around the service core and runs it.

The service (database, model thread, analysis queue) is opened in post_init and closed in
post_shutdown, so it lives exactly as long as the Application and on the same event loop.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import signal
from collections.abc import Sequence
from contextlib import AsyncExitStack
from typing import Any
from urllib.parse import urlsplit

from telegram import BotCommand, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    Defaults,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.fetch import SafeFetcher
from bot.runtime import open_service
from bot.service import COMMANDS, Command
from bot.service.ports import Fetcher
from bot.settings import Settings, SettingsError
from bot.telegram import handlers
from bot.telegram.limits import PER_SECOND, PacedRateLimiter
from bot.telegram.scheduler import JobQueueScheduler

log = logging.getLogger(__name__)

STACK = "service_stack"
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]


def bot_commands(commands: Sequence[Command]) -> list[BotCommand]:
    """The menu Telegram clients show: the registry's commands with their help lines."""
    return [BotCommand(c.name, c.help[:256]) for c in commands]


def file_url(api_url: str) -> str:
    """Bot API servers serve files next to methods: …/bot<token>/ and …/file/bot<token>/."""
    return api_url[: -len("bot")] + "file/bot" if api_url.endswith("/bot") else api_url


def webhook_secret(token: str) -> str:
    """Derived from the token, so every worker behind the load balancer checks the same one."""
    return hashlib.sha256(f"briefbot-webhook:{token}".encode()).hexdigest()


def stop_on_signals(app: Application) -> None:
    """SIGINT/SIGTERM first stop the service, then the Application.

    PTB's own handlers stop the Application, which waits for every running handler; a
    handler waits for its article's analysis, so the bot stayed "stopping" until the model was
    done (minutes). The service first tells every waiting reply that its article stays
    queued; then the handlers end at once.
    """
    loop = asyncio.get_running_loop()

    async def stop() -> None:
        await app.bot_data[handlers.SERVICE].stop()
        app.stop_running()

    def on_signal() -> None:
        log.info("stopping: articles under way stay queued for the next start")
        app.bot_data["stopping"] = loop.create_task(stop())

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal)


def build_application(
    settings: Settings,
    *,
    fetcher: Fetcher | None = None,
    use_model: bool = True,
    handle_signals: bool = False,
) -> Application:
    """`handle_signals` is for `run` alone: a test's event loop keeps its own."""
    if settings.telegram_token is None:
        raise SettingsError("briefbot: BRIEFBOT_TELEGRAM_TOKEN is not set")

    async def open_bot(app: Application) -> None:
        stack = AsyncExitStack()
        assert app.job_queue is not None, "installed with the job-queue extra"
        scheduler = JobQueueScheduler(app.job_queue)
        links = fetcher or SafeFetcher()
        try:
            if isinstance(links, SafeFetcher):
                stack.push_async_callback(links.aclose)
            service = await stack.enter_async_context(
                open_service(
                    settings,
                    fetcher=links,
                    scheduler=scheduler,
                    notifier=handlers.ChatNotifier(app.bot),
                    use_model=use_model,
                )
            )
            app.bot_data[handlers.SERVICE] = service
            app.bot_data[STACK] = stack
            count = scheduler.rebuild(await service.store.list_subscriptions())
            await app.bot.set_my_commands(bot_commands(COMMANDS))
            if handle_signals:
                stop_on_signals(app)
        except BaseException:
            await stack.aclose()
            raise
        log.info("briefbot is up as @%s; %d daily briefing(s) scheduled", app.bot.username, count)

    async def close_bot(app: Application) -> None:
        stack = app.bot_data.pop(STACK, None)
        if stack is not None:
            await stack.aclose()

    app = (
        Application.builder()
        .token(settings.telegram_token)
        .base_url(settings.telegram_api_url)
        .base_file_url(file_url(settings.telegram_api_url))
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .rate_limiter(PacedRateLimiter(per_second=PER_SECOND / settings.telegram_senders))
        .post_init(open_bot)
        .post_shutdown(close_bot)
        .build()
    )
    add_handlers(app, settings)
    return app


def add_handlers(app: Application, settings: Settings) -> None:
    if settings.allowed_user_ids:
        app.add_handler(
            TypeHandler(Update, handlers.gate(set(settings.allowed_user_ids))), group=-1
        )
    new = filters.UpdateType.MESSAGE
    app.add_handler(MessageHandler(new & filters.Document.ALL, handlers.on_document, block=False))
    app.add_handler(
        MessageHandler(new & (filters.TEXT | filters.CAPTION), handlers.on_text, block=False)
    )
    app.add_handler(CallbackQueryHandler(handlers.on_button, block=False))
    app.add_handler(MessageHandler(new, handlers.on_other))
    app.add_error_handler(handlers.on_error)


def webhook_options(settings: Settings) -> dict[str, Any]:
    """Where the webhook listens and what it tells Telegram; every worker gets the same."""
    assert settings.webhook_url and settings.telegram_token
    return {
        "listen": settings.webhook_listen,
        "port": settings.webhook_port,
        "url_path": urlsplit(settings.webhook_url).path.lstrip("/"),
        "webhook_url": settings.webhook_url,
        "secret_token": webhook_secret(settings.telegram_token),
        "allowed_updates": ALLOWED_UPDATES,
    }


def run(settings: Settings) -> None:
    """Polling by default; a webhook when BRIEFBOT_WEBHOOK_URL is set."""
    app = build_application(settings, handle_signals=True)
    if settings.webhook_url:
        app.run_webhook(**webhook_options(settings), stop_signals=None)
    else:
        app.run_polling(allowed_updates=ALLOWED_UPDATES, stop_signals=None)

"""The `briefbot` command: console, add, analyze, seed, run."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from bot.settings import Settings, load_settings

log = logging.getLogger("briefbot")

NO_TOKEN = (
    "briefbot: no Telegram token. Get one from @BotFather, then run\n"
    "  BRIEFBOT_TELEGRAM_TOKEN=123456:ABC... briefbot run\n"
    "or put BRIEFBOT_TELEGRAM_TOKEN=... in a .env file. Without a token, `briefbot console`"
    " gives you the same bot offline."
)


def _analyze(paths: Sequence[Path], *, as_json: bool, use_model: bool, settings: Settings) -> int:
    """Analyse files without storing them; `--json` is a stable contract other tools read."""
    from summarizer import pipeline

    generator = None
    if use_model:
        from summarizer.model.loader import load_generator
        from summarizer.model.packaged import ModelSetupError

        try:
            generator = load_generator(
                settings.model, cache_dir=settings.model_cache, threads=settings.model_threads
            )
        except ModelSetupError as exc:
            print(f"briefbot: {exc}", file=sys.stderr)
            return 2
    status = 0
    for path in paths:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            print(f"briefbot: cannot read {path}: {exc}", file=sys.stderr)
            status = 1
            continue
        analysis = pipeline.draft(text)
        if generator is not None:
            analysis = pipeline.complete(text, analysis, generator)
        if as_json:
            record = {
                "file": path.name,
                "title": analysis.title,
                "summary": analysis.summary.text if analysis.summary else None,
                "positions": [
                    {
                        "speaker": p.speaker,
                        "role": p.role,
                        "stance": p.stance,
                        "quotes": [q.text for q in p.quotes if q.is_verbatim_in(text)],
                    }
                    for p in analysis.positions
                ],
                "loaded_phrases": analysis.loaded_phrases,
                "timings": {
                    "positions_s": analysis.timings.positions_s,
                    "summary_s": analysis.timings.summary_s,
                },
            }
            print(json.dumps(record, ensure_ascii=False), flush=True)
        else:
            from bot.service.briefs import brief_text

            print(f"== {path.name}\n{brief_text(analysis, text)}\n", flush=True)
    return status


async def _seed(settings: Settings, chat_id: int, use_model: bool) -> None:
    from bot.runtime import open_service
    from bot.service import ChatRef
    from seeds import demo_articles

    async with open_service(settings, use_model=use_model) as service:
        for name, text in demo_articles():
            for response in await service.handle(ChatRef(chat_id), text):
                print(f"{name}: {response.reply.plain()}")
                if response.updates is not None:
                    async for update in response.updates:
                        last = update
                    print(last.plain())


class OneLineFormatter(logging.Formatter):
    """A log record as one line, its exception as 'Type: message' (the traceback only at
    DEBUG): in the console, logs share the screen with the conversation."""

    def __init__(self, *, tracebacks: bool) -> None:
        super().__init__("briefbot: %(levelname)s %(name)s: %(message)s")
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
        return super().format(record)


def _set_up_logging(level_name: str, *, conversation: bool) -> None:
    level = getattr(logging, level_name)
    handler = logging.StreamHandler(sys.stderr)
    if conversation:
        handler.setFormatter(OneLineFormatter(tracebacks=level <= logging.DEBUG))
        # library warnings (deprecations and the like) are for whoever asked for INFO
        logging.captureWarnings(True)
        logging.getLogger("py.warnings").setLevel(level if level <= logging.INFO else logging.ERROR)
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler])


def _leave(status: int) -> int:
    """Return `status`, or end the process with it at once while a worker thread is still
    busy: the interpreter would join it first, and a model load that has begun cannot be
    stopped (a /quit right after start waited 65 s for one). Storage is closed by now."""
    main = threading.main_thread()
    if any(t is not main and not t.daemon and t.is_alive() for t in threading.enumerate()):
        sys.stdout.flush()
        sys.stderr.flush()
        logging.shutdown()
        os._exit(status)
    return status


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="briefbot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    console = sub.add_parser("console", help="the bot, offline, in this terminal")
    console.add_argument("--no-model", action="store_true", help="positions only, no summaries")
    add = sub.add_parser("add", help="store .txt/.html article files, as /file does in the console")
    add.add_argument("paths", nargs="+", type=Path)
    add.add_argument("--no-model", action="store_true", help="positions only, no summaries")
    analyze = sub.add_parser("analyze", help="analyse article files without storing them")
    analyze.add_argument("paths", nargs="+", type=Path)
    analyze.add_argument("--json", action="store_true", help="one JSON object per file per line")
    analyze.add_argument("--no-model", action="store_true", help="skip summary and stance lines")
    seed = sub.add_parser("seed", help="store the demo articles from seeds/ for a chat")
    seed.add_argument("--chat", type=int, default=0, help="chat id (0 is the console's)")
    seed.add_argument("--no-model", action="store_true")
    sub.add_parser("run", help="the Telegram bot")
    args = parser.parse_args(argv)

    settings = load_settings()
    _set_up_logging(settings.log_level, conversation=args.command in {"console", "add"})
    if args.command == "analyze":
        return _analyze(
            args.paths, as_json=args.json, use_model=not args.no_model, settings=settings
        )
    if args.command in {"console", "add"}:
        from bot.console import run_console

        files = args.paths if args.command == "add" else ()
        try:
            asyncio.run(run_console(settings, use_model=not args.no_model, files=files))
        except KeyboardInterrupt:
            return _leave(130)
        return _leave(0)
    if args.command == "seed":
        asyncio.run(_seed(settings, args.chat, use_model=not args.no_model))
        return 0
    if settings.telegram_token is None:
        print(NO_TOKEN, file=sys.stderr)
        return 2
    from bot.telegram.app import run

    run(settings)
    return _leave(0)


if __name__ == "__main__":
    sys.exit(main())

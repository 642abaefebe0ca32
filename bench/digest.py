"""What `/stance NAME` costs a user, speaker by speaker, on a stored database.

    BRIEFBOT_DATABASE=x.db .venv/bin/python bench/digest.py [--chat 0] [--speaker NAME]
    BRIEFBOT_DATABASE=x.db .venv/bin/python bench/digest.py --costs   # the model's part

By default, through the service and the console's rendering, as a user at the console
sees it: for every speaker of the chat, the seconds to the first reply (the dated list)
and to the last (the digest, or the note that none came), the load average beside them,
what the user read (any line printed twice, a traceback, a date that is the day of
pasting rather than the article's own) and whether a digest came. The model is loaded
first, and that time printed apart: a digest's limit counts from the end of the load.
Speakers in one article get no digest; they are summed on one line.

`--costs`: for every speaker quoted in two or more of the chat's articles, the digest
written directly (no deadline: what it costs when let finish): the prompt tokens read, the
new tokens written, the model's decode steps, how many tries, the seconds in prefill,
decode, the checks and the rest (`model.brief_split`), and the answer with its verdict.
Tokens, steps and tries do not depend on the load of this shared host; the seconds do.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections import Counter

from model import Recorder, brief_split, load_average

from bot.console import show
from bot.runtime import open_service
from bot.service import ChatRef
from bot.service.analysis import LocalAnalyzer
from bot.settings import Settings, load_settings
from storage import open_store
from summarizer import digest
from summarizer.model.loader import load_generator
from summarizer.names import name_key
from summarizer.types import StanceRecord


async def histories(
    database: str, chat: int, only: str | None, *, least: int = 2
) -> list[tuple[str, list[StanceRecord]]]:
    store = await open_store(database, name_key=name_key)
    try:
        out = []
        for speaker in await store.list_speakers(chat):
            if speaker.article_count < least or (
                only and only.casefold() not in speaker.name.casefold()
            ):
                continue
            out.append((speaker.name, await store.stance_history(chat, speaker.id)))
        return out
    finally:
        await store.close()


class LastAnswer(Recorder):
    """Keeps the last answer too: a digest that fails its checks returns None."""

    def generate(self, conversations, **options):
        self.last = super().generate(conversations, **options)
        return self.last


def costs(settings: Settings, chat: int, only: str | None, threads: int) -> None:
    speakers = asyncio.run(histories(str(settings.database), chat, only))
    gen = load_generator(settings.model, cache_dir=settings.model_cache, threads=threads)
    for name, history in speakers:
        recorder = LastAnswer(gen)
        print(
            f"\n{name}: {len(history)} line(s) in {len({h.article_id for h in history})} articles"
        )
        print(f"  before: {load_average()}")
        t = time.perf_counter()
        answer = digest.stance_digest(recorder, name, history)
        total = time.perf_counter() - t
        print(f"  after: {load_average()}")
        print(
            f"  tries {1 + recorder.retries}  prompt tokens {recorder.prompt_tokens}  "
            f"new tokens {recorder.new_tokens}  steps {recorder.steps}"
        )
        split = brief_split(total, recorder)
        print(f"  {total:.1f} s: " + ", ".join(f"{k} {v:.1f} s" for k, v in split.items()))
        for retried in recorder.retried:
            print(f"  retried: {retried}")
        print(f"  last answer: {recorder.last[0]!r}")
        print(f"  digest: {answer!r}")


def read_as_shown(printed: list[str]) -> dict[str, object]:
    """What a user would object to in the printed replies: a line twice, a traceback, a
    date that is the day of pasting."""
    lines = [line.strip() for text in printed for line in text.splitlines() if line.strip()]
    twice = [line for line, n in Counter(lines).items() if n > 1]
    return {
        "twice": twice,
        "traceback": any("Traceback" in line for line in lines),
        "pasted dates": sum("stored 20" in line for line in lines),
        "digest": not any(
            "No digest" in line or "follows here if it is ready" in line for line in lines[-3:]
        ),
    }


async def as_seen(settings: Settings, chat: int, only: str | None) -> None:
    several = await histories(str(settings.database), chat, only)
    single = [
        h for h in await histories(str(settings.database), chat, only, least=1) if h not in several
    ]
    async with open_service(settings) as service:
        started = time.perf_counter()
        if isinstance(service.analyzer, LocalAnalyzer):
            await service.analyzer.loaded()  # the digest's limit counts from here
        print(f"model loaded in {time.perf_counter() - started:.1f} s ({load_average()})")
        for name, history in several:
            print(f"\n{name}: {len({h.article_id for h in history})} articles ({load_average()})")
            await one(service, chat, name, verbose=True)
        worst, flaws = 0.0, Counter[str]()
        for name, _ in single:
            took, seen = await one(service, chat, name, verbose=False)
            worst = max(worst, took)
            flaws.update(k for k in ("twice", "traceback") if seen[k])
        print(
            f"\n{len(single)} speakers in one article: the list in {worst:.2f} s at most, "
            f"{flaws['twice']} with a line twice, {flaws['traceback']} with a traceback "
            f"({load_average()})"
        )


async def one(service, chat: int, name: str, *, verbose: bool) -> tuple[float, dict[str, object]]:
    """`/stance NAME` as the console shows it: the first reply, then what its update adds."""
    printed: list[str] = []
    stamps: list[float] = []

    def write(text: str) -> None:
        stamps.append(time.perf_counter())
        printed.append(text)

    started = time.perf_counter()
    await show(await service.handle(ChatRef(chat), f"/stance {name}"), write)
    seen = read_as_shown(printed)
    last = stamps[-1] - started
    if verbose:
        print(
            f"  first reply {stamps[0] - started:.2f} s, last {last:.1f} s "
            f"({len(printed)} printed; digest: {'yes' if seen['digest'] else 'no'}) "
            f"({load_average()})"
        )
        print(
            f"  lines twice: {seen['twice'] or 'none'}; traceback: {seen['traceback']}; "
            f"dates of pasting shown: {seen['pasted dates']}"
        )
        for text in printed:
            print("    | " + text.replace("\n", "\n    | "))
    return last, seen


def main() -> None:
    settings = load_settings()
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--chat", type=int, default=0, help="chat id (0 is the console's)")
    p.add_argument("--speaker", help="only speakers whose name holds this")
    p.add_argument("--threads", type=int, default=settings.model_threads, help="0: one per core")
    p.add_argument("--costs", action="store_true", help="the model's part, written directly")
    args = p.parse_args()
    if args.costs:
        costs(settings, args.chat, args.speaker, args.threads)
    else:
        asyncio.run(as_seen(settings, args.chat, args.speaker))


if __name__ == "__main__":
    main()

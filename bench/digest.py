"""Where a `/stance NAME` digest's time goes, speaker by speaker, on a stored database.

    BRIEFBOT_DATABASE=x.db .venv/bin/python bench/digest.py [--chat 0] [--speaker NAME]

For every speaker quoted in two or more of the chat's articles: the prompt tokens read, the
new tokens written, the model's decode steps, how many tries, the seconds in prefill,
decode and the checks, and the answer with its verdict. Tokens, steps and tries do not
depend on the load of this shared host; the seconds do, so the load average is printed
beside them. No deadline: the run shows what a digest costs when it is let finish.
"""

from __future__ import annotations

import argparse
import asyncio
import time

from model import Recorder, load_average

from bot.settings import load_settings
from storage import open_store
from summarizer import digest
from summarizer.model.loader import load_generator
from summarizer.names import name_key
from summarizer.types import StanceRecord


async def histories(
    database: str, chat: int, only: str | None
) -> list[tuple[str, list[StanceRecord]]]:
    store = await open_store(database, name_key=name_key)
    try:
        out = []
        for speaker in await store.list_speakers(chat):
            if speaker.article_count < 2 or (
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


def main() -> None:
    settings = load_settings()
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--chat", type=int, default=0, help="chat id (0 is the console's)")
    p.add_argument("--speaker", help="only speakers whose name holds this")
    p.add_argument("--threads", type=int, default=settings.model_threads, help="0: one per core")
    args = p.parse_args()
    speakers = asyncio.run(histories(str(settings.database), args.chat, args.speaker))
    gen = load_generator(settings.model, cache_dir=settings.model_cache, threads=args.threads)
    check = digest.check_digest
    check_s = 0.0

    def timed_check(answer: str, **kw: object) -> list[str]:
        nonlocal check_s
        t = time.perf_counter()
        try:
            return check(answer, **kw)  # type: ignore[arg-type]
        finally:
            check_s += time.perf_counter() - t

    digest.check_digest = timed_check
    for name, history in speakers:
        recorder = LastAnswer(gen)
        check_s = 0.0
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
        print(
            f"  {total:.1f} s: prefill {recorder.prefill_s:.1f} s, decode {recorder.decode_s:.1f} s"
            f", checks {check_s:.1f} s"
        )
        for retried in recorder.retried:
            print(f"  retried: {retried}")
        print(f"  last answer: {recorder.last[0]!r}")
        print(f"  digest: {answer!r}")


if __name__ == "__main__":
    main()

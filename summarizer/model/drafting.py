"""Draft → check → one corrected retry, for a batch of prompts at once.

A draft that fails twice comes back as None: the caller substitutes its own labelled
fallback, so raw failing model text never reaches a user. So does one the model had not
finished by the batch's deadline.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from functools import partial

from summarizer.model.base import ChatMessage, Completion, GenerationInterrupted, TextGenerator
from summarizer.verify import Questions, verdict_problems

_LABEL = re.compile(
    r"^\s*(?:\*\*)?(?:neutral\s+)?(?:summary|stance|answer|sentence|paragraph)(?:\*\*)?\s*:\s*(?:\*\*)?",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Job:
    """One prompt, the checks its answer must pass, how to shape an answer first, how many
    tokens an answer that could pass needs at most (a longer one fails anyway), when a
    cleaned answer holds all that `shape` keeps of it, and what dooms a cleaned answer
    under way whatever follows (nothing while it may pass). The model may stop an answer
    that is complete or doomed. An answer that passes its checks is then put to the model
    as yes/no questions (`verify`), if the job has any: a "No" fails it like a check."""

    prompt: list[ChatMessage]
    check: Callable[[str], list[str]]
    max_new_tokens: int
    shape: Callable[[str], str] = lambda text: text
    complete: Completion | None = None
    hopeless: Callable[[str], list[str]] | None = None
    avoid: tuple[str, ...] = ()  # phrases the model is kept from writing, where it can be
    avoid_first: tuple[str, ...] = ()  # ... and from beginning its answer with
    verify: Questions | None = None  # the questions about a checked answer, one a sentence
    retry: bool = True  # False: a failed first answer is final (a retry seldom passes)

    def stop_test(self) -> Completion | None:
        """`complete` or `hopeless` on the raw answer, which the backend sees before `clean`."""
        complete, hopeless = self.complete, self.hopeless
        if complete is None and hopeless is None:
            return None

        def stop(raw: str) -> bool:  # asked after every token: clean once
            text = clean(raw)
            return bool(
                (complete is not None and complete(text))
                or (hopeless is not None and hopeless(text))
            )

        return stop


@dataclass
class Draft:
    text: str | None  # None: every attempt failed the checks
    problems: list[str]  # of the last attempt
    attempts: int


def clean(raw: str) -> str:
    """Strip the wrappers the model likes to add (labels, markdown, enclosing quotes)."""
    text = _LABEL.sub("", raw.strip()).strip()
    text = text.replace("**", "").strip()
    if len(text) > 1 and text[0] in '"“' and text[-1] in '"”' and text.count(text[0]) <= 2:
        text = text[1:-1].strip()
    return " ".join(text.split())


RETRY_PROBLEMS = "An earlier answer had these problems; avoid them:"


def retry_prompt(prompt: Sequence[ChatMessage], problems: Sequence[str]) -> list[ChatMessage]:
    """The same request with the problems added to its task, the last message before the
    answer's opening (if it has one). Shown its own failed answer (a chat turn saying "fix
    this"), the packaged model mostly repeated it word for word; given the problems as a
    message of their own, it answered the problems (or echoed the prompt). Prompts keep
    their text in a message before the task, so the model backend reuses all of a retry
    but its task."""
    listed = "\n".join(f"- {p}" for p in problems)
    opening = list(prompt[-1:]) if prompt[-1]["role"] == "assistant" else []
    *before, task = prompt[: len(prompt) - len(opening)]
    return [
        *before,
        {"role": task["role"], "content": f"{task['content']}\n\n{RETRY_PROBLEMS}\n{listed}"},
        *opening,
    ]


class _Attempts:
    """One job's answers as they finish: the first is checked, and if it fails its retry
    prompt goes back to the model as the row's follow-up; the second is checked and kept.
    The model's verdict on an answer is asked here, as the answer finishes, so a retry it
    causes joins the running batch like any other."""

    def __init__(
        self, job: Job, gen: TextGenerator, on_final: Callable[[Draft], None] | None
    ) -> None:
        self.job, self.gen, self.on_final = job, gen, on_final
        self.draft = Draft(None, [], 0)  # not answered yet

    def __call__(self, raw: str) -> list[ChatMessage] | None:
        cleaned = clean(raw)
        text = self.job.shape(cleaned)
        # An answer stopped because it could no longer pass is judged by what doomed it; its
        # other problems (unfinished, to begin with) come from the stop.
        problems = (self.job.hopeless and self.job.hopeless(cleaned)) or self.job.check(text)
        if not problems and self.job.verify is not None:  # the dearest check: only if all pass
            problems = verdict_problems(self.gen, self.job.verify(text))
        self.draft = Draft(None if problems else text, problems, self.draft.attempts + 1)
        if self.draft.text is None and self.draft.attempts == 1 and self.job.retry:
            return retry_prompt(self.job.prompt, problems)
        if self.on_final is not None:
            self.on_final(self.draft)
        return None


WATCH_S = 0.2  # how often a batch under way looks whether it must stop


def _interrupt_from(gen: TextGenerator, done: threading.Event, stop: Callable[[], bool]) -> None:
    while not done.wait(WATCH_S):
        if stop():
            gen.interrupt()


@contextmanager
def interrupted_when(gen: TextGenerator, stop: Callable[[], bool]) -> Iterator[None]:
    """Interrupts the model, again and again, from the moment `stop()` holds until the
    block ends. Once is not enough: the backend clears an interrupt when a generation
    begins, so one sent just before it would be lost, and the batch would run to its end."""
    done = threading.Event()
    watcher = threading.Thread(target=_interrupt_from, args=(gen, done, stop), daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()


def draft_checked(
    gen: TextGenerator,
    jobs: Sequence[Job],
    *,
    deadline: float | None = None,
    on_final: Callable[[int, Draft], None] | None = None,
) -> list[Draft]:
    """Generate all, check each with its own checks, retry each failure once. A retry is
    the failed row's follow-up, so the model starts it while the other rows still decode.

    `on_final(i, draft)` hears each job's last draft as soon as it is checked, in the
    thread that checked it. At `deadline` (`time.monotonic()`) the model is interrupted
    and the jobs it had not finished come back as None, like drafts that failed: a long
    article's brief keeps what was done in time instead of losing it all."""
    attempts = [
        _Attempts(j, gen, None if on_final is None else partial(on_final, i))
        for i, j in enumerate(jobs)
    ]

    def late() -> bool:
        return deadline is not None and time.monotonic() >= deadline

    watched: AbstractContextManager[None] = (
        interrupted_when(gen, late) if deadline is not None else nullcontext()
    )
    try:
        with watched:
            gen.generate(
                [j.prompt for j in jobs],
                max_new_tokens=[j.max_new_tokens for j in jobs],
                complete=[j.stop_test() for j in jobs],
                follow_up=attempts,
                avoid=[j.avoid for j in jobs],
                avoid_first=[j.avoid_first for j in jobs],
            )
    except GenerationInterrupted:
        if not late():  # stopped by someone else (the bot closing): not ours to absorb
            raise
    return [a.draft for a in attempts]

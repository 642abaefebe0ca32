"""Draft → check → one corrected retry, for a batch of prompts at once.

A draft that fails twice comes back as None: the caller substitutes its own labelled
fallback, so raw failing model text never reaches a user.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from summarizer.model.base import ChatMessage, Completion, TextGenerator

_LABEL = re.compile(
    r"^\s*(?:\*\*)?(?:neutral\s+)?(?:summary|stance|answer|sentence|paragraph)(?:\*\*)?\s*:\s*(?:\*\*)?",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Job:
    """One prompt, the checks its answer must pass, how to shape an answer first, how many
    tokens an answer that could pass needs at most (a longer one fails anyway), and when a
    cleaned answer holds all that `shape` keeps of it (the model may stop there)."""

    prompt: list[ChatMessage]
    check: Callable[[str], list[str]]
    max_new_tokens: int
    shape: Callable[[str], str] = lambda text: text
    complete: Completion | None = None

    def stop_test(self) -> Completion | None:
        """`complete` on the raw answer, which the backend sees before `clean`."""
        test = self.complete
        return None if test is None else lambda raw: test(clean(raw))


@dataclass
class Draft:
    text: str | None  # None: both attempts failed the checks
    problems: list[str]  # of the last attempt
    attempts: int


def clean(raw: str) -> str:
    """Strip the wrappers the model likes to add (labels, markdown, enclosing quotes)."""
    text = _LABEL.sub("", raw.strip()).strip()
    text = text.replace("**", "").strip()
    if len(text) > 1 and text[0] in '"“' and text[-1] in '"”' and text.count(text[0]) <= 2:
        text = text[1:-1].strip()
    return " ".join(text.split())


def retry_prompt(prompt: Sequence[ChatMessage], problems: Sequence[str]) -> list[ChatMessage]:
    """The same request with the problems added to its last message, the task. Shown its own
    failed answer (a chat turn saying "fix this"), the packaged model mostly repeated it word
    for word; given the problems as a message of their own, it answered the problems (or
    echoed the prompt). Prompts keep their text in a message before the task, so the model
    backend reuses all of a retry but its task."""
    listed = "\n".join(f"- {p}" for p in problems)
    *before, last = prompt
    return [
        *before,
        {
            "role": last["role"],
            "content": f"{last['content']}\n\nAn earlier answer had these problems; "
            f"avoid them:\n{listed}",
        },
    ]


def _answer(job: Job, raw: str, attempt: int) -> Draft:
    text = job.shape(clean(raw))
    problems = job.check(text)
    return Draft(None if problems else text, problems, attempt)


def _generate(
    gen: TextGenerator, jobs: Sequence[Job], prompts: Sequence[list[ChatMessage]]
) -> list[str]:
    return gen.generate(
        prompts,
        max_new_tokens=[j.max_new_tokens for j in jobs],
        complete=[j.stop_test() for j in jobs],
    )


def draft_checked(gen: TextGenerator, jobs: Sequence[Job]) -> list[Draft]:
    """Generate all, check each with its own checks, retry the failures together once."""
    raw = _generate(gen, jobs, [j.prompt for j in jobs])
    drafts = [_answer(j, r, 1) for j, r in zip(jobs, raw, strict=True)]
    failed = [i for i, d in enumerate(drafts) if d.text is None]
    if failed:
        retries = [retry_prompt(jobs[i].prompt, drafts[i].problems) for i in failed]
        second = _generate(gen, [jobs[i] for i in failed], retries)
        for i, r in zip(failed, second, strict=True):
            drafts[i] = _answer(jobs[i], r, 2)
    return drafts

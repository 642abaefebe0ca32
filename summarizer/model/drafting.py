"""Draft → check → one corrected retry, for a batch of prompts at once.

A draft that fails twice comes back as None: the caller substitutes its own labelled
fallback, so raw failing model text never reaches a user.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from summarizer.model.base import ChatMessage, Completion, TextGenerator
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

    def __init__(self, job: Job, gen: TextGenerator) -> None:
        self.job, self.gen = job, gen
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
        return None


def draft_checked(gen: TextGenerator, jobs: Sequence[Job]) -> list[Draft]:
    """Generate all, check each with its own checks, retry each failure once. A retry is
    the failed row's follow-up, so the model starts it while the other rows still decode."""
    attempts = [_Attempts(j, gen) for j in jobs]
    gen.generate(
        [j.prompt for j in jobs],
        max_new_tokens=[j.max_new_tokens for j in jobs],
        complete=[j.stop_test() for j in jobs],
        follow_up=attempts,
        avoid=[j.avoid for j in jobs],
        avoid_first=[j.avoid_first for j in jobs],
    )
    return [a.draft for a in attempts]

"""Draft → check → one corrected retry, for a batch of prompts at once.

A draft that fails twice comes back as None: the caller substitutes its own labelled
fallback, so raw failing model text never reaches a user.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from summarizer.model.base import ChatMessage, TextGenerator

_LABEL = re.compile(
    r"^\s*(?:\*\*)?(?:neutral\s+)?(?:summary|stance|answer|sentence|paragraph)(?:\*\*)?\s*:\s*(?:\*\*)?",
    re.IGNORECASE,
)


@dataclass
class Draft:
    text: str | None  # None: both attempts failed the checks
    problems: list[str]  # of the last attempt
    attempts: int


def clean(raw: str) -> str:
    """Strip the wrappers the model likes to add (labels, markdown, enclosing quotes)."""
    text = _LABEL.sub("", raw.strip()).strip()
    text = text.replace("**", "").strip()
    if len(text) > 1 and text[0] in "\"“" and text[-1] in "\"”" and text.count(text[0]) <= 2:
        text = text[1:-1].strip()
    return " ".join(text.split())


def retry_conversation(
    conversation: Sequence[ChatMessage], answer: str, problems: Sequence[str]
) -> list[ChatMessage]:
    listed = "\n".join(f"- {p}" for p in problems)
    return [
        *conversation,
        {"role": "assistant", "content": answer},
        {
            "role": "user",
            "content": f"That answer has problems:\n{listed}\n"
            "Write it again with these fixed. Reply with the corrected text only.",
        },
    ]


def draft_checked(
    gen: TextGenerator,
    conversations: Sequence[Sequence[ChatMessage]],
    checks: Sequence[Callable[[str], list[str]]],
    *,
    max_new_tokens: int,
) -> list[Draft]:
    """Generate all, check each with its own checker, retry the failures together once."""
    answers = [clean(a) for a in gen.generate(conversations, max_new_tokens=max_new_tokens)]
    drafts = []
    for answer, check in zip(answers, checks, strict=True):
        problems = check(answer)
        drafts.append(Draft(None if problems else answer, problems, 1))
    failed = [i for i, d in enumerate(drafts) if d.text is None]
    if not failed:
        return drafts
    retries = [retry_conversation(conversations[i], answers[i], drafts[i].problems) for i in failed]
    second = gen.generate(retries, max_new_tokens=max_new_tokens)
    for i, raw in zip(failed, second, strict=True):
        answer = clean(raw)
        problems = checks[i](answer)
        drafts[i] = Draft(None if problems else answer, problems, 2)
    return drafts

"""Follow-ups for the test doubles of `TextGenerator`, which answer whole batches only."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from summarizer.model.base import ChatMessage, FollowUp

Conversation = Sequence[ChatMessage]


def in_rounds(
    answer: Callable[[list[Conversation]], list[str]],
    conversations: Sequence[Conversation],
    follow_up: Sequence[FollowUp | None] | None,
) -> list[str]:
    """Answer a batch, then each round's follow-ups together as the next batch, until no
    row has one; each row's result is its last answer (the contract of `generate`)."""
    asked = list(conversations)
    then = list(follow_up) if follow_up is not None else [None] * len(asked)
    results = [""] * len(asked)
    todo = list(range(len(asked)))
    while todo:
        answers = answer([asked[i] for i in todo])
        pending = []
        for i, text in zip(todo, answers, strict=True):
            results[i] = text
            step = then[i]
            nxt = step(text) if step is not None else None
            if nxt is not None:
                asked[i] = nxt
                pending.append(i)
        todo = pending
    return results

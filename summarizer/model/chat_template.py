"""A conversation as prompt text, through a model's own chat template.

Shared by the in-process generator and the server client's completion endpoint, so both
send a model the same text for the same conversation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from summarizer.model.base import ChatMessage


def render(tokenizer: Any, conversation: Sequence[ChatMessage]) -> str:
    """The prompt text; a last assistant message is the answer's opening, continued (not
    closed, and no new assistant header after it). `tokenizer` is a transformers tokenizer
    (typed Any: its chat-template method returns a union that would need a cast)."""
    opens = bool(conversation) and conversation[-1]["role"] == "assistant"
    text: str = tokenizer.apply_chat_template(
        list(conversation),
        tokenize=False,
        add_generation_prompt=not opens,
        continue_final_message=opens,
    )
    return text


def fit(tokenizer: Any, conversation: Sequence[ChatMessage]) -> list[ChatMessage]:
    """The conversation in a form the model's chat template takes. Some templates
    (Mistral's, Gemma's) refuse two user messages in a row or a system message; for
    them consecutive messages of one role are merged, then the system message folded
    into the first user one. That costs only the reuse of the article text."""
    from jinja2 import TemplateError

    fitted = list(conversation)
    for step in (_merge_runs, _fold_system):
        try:
            render(tokenizer, fitted)
            return fitted
        except TemplateError:
            fitted = step(fitted)
    return fitted  # rendering raises the template's own error if it takes no form


def _merge_runs(messages: list[ChatMessage]) -> list[ChatMessage]:
    merged: list[ChatMessage] = []
    for m in messages:
        if merged and merged[-1]["role"] == m["role"]:
            merged[-1] = ChatMessage(
                role=m["role"], content=f"{merged[-1]['content']}\n\n{m['content']}"
            )
        else:
            merged.append(m)
    return merged


def _fold_system(messages: list[ChatMessage]) -> list[ChatMessage]:
    if len(messages) > 1 and messages[0]["role"] == "system":
        system, first, *rest = messages
        content = f"{system['content']}\n\n{first['content']}"
        return [ChatMessage(role=first["role"], content=content), *rest]
    return messages

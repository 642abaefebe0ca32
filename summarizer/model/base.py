"""The one interface the rest of briefbot sees of a language model.

Kept synchronous and batch-shaped on purpose: the in-process transformers model runs in a
worker thread, and an OpenAI-compatible server client (vLLM, llama.cpp's server) can
implement the same members without the callers changing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypedDict


class ChatMessage(TypedDict):
    role: str  # "system" | "user" | "assistant"
    content: str


class TextGenerator(Protocol):
    name: str

    def generate(
        self,
        conversations: Sequence[Sequence[ChatMessage]],
        *,
        max_new_tokens: int | Sequence[int],
    ) -> list[str]:
        """Greedy completion of each conversation; returns the assistant's text, one per input.

        `max_new_tokens` is one limit for all or one per conversation: a batch decodes until
        its longest row is done, so a short answer's own limit saves every row those steps."""
        ...

    def interrupt(self) -> None:
        """Make the generation under way, if any, stop within a step and raise
        `GenerationInterrupted`: a timed-out brief must hand the cores back, not run on."""
        ...


class GenerationInterrupted(RuntimeError):
    pass

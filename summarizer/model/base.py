"""The one interface the rest of briefbot sees of a language model.

Kept synchronous and batch-shaped on purpose: the in-process transformers model runs in a
worker thread, and an OpenAI-compatible server client (vLLM, llama.cpp's server) can
implement the same members without the callers changing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, TypedDict


class ChatMessage(TypedDict):
    role: str  # "system" | "user" | "assistant"
    content: str


# Given the answer so far, True once what follows would be cut away anyway (the caller keeps
# only a first sentence, say). A hint: a backend may stop that answer there, or run on.
Completion = Callable[[str], bool]
# Given a finished answer, the conversation to answer next in the same row (a retry with the
# answer's problems listed, say), or None when the row is done.
FollowUp = Callable[[str], Sequence[ChatMessage] | None]


class TextGenerator(Protocol):
    name: str

    def generate(
        self,
        conversations: Sequence[Sequence[ChatMessage]],
        *,
        max_new_tokens: int | Sequence[int],
        complete: Sequence[Completion | None] | None = None,
        follow_up: Sequence[FollowUp | None] | None = None,
        avoid: Sequence[Sequence[str]] | None = None,
        avoid_first: Sequence[Sequence[str]] | None = None,
    ) -> list[str]:
        """Greedy completion of each conversation; returns the assistant's text, one per input.
        A conversation that ends with an assistant message is answered by continuing it:
        that message opens the answer, and the returned text begins with it.

        `max_new_tokens` is one limit for all or one per conversation, and `complete` one
        test per conversation (or None): an answer that has all the caller will keep stops
        costing decode steps. A server backend can pass the limits on and ignore the tests.

        `follow_up` (one per conversation, or None) is called with every finished answer of
        its row; a conversation it returns is answered next in that row, under the row's
        limit and test, and the row's result is the last answer. The in-process model starts
        a follow-up while the other rows are still decoding; a server client can send it as
        soon as the answer is in.

        `avoid` lists phrases per conversation that its answers must not contain. A backend
        may keep the model from writing them (the in-process one does, vLLM's `bad_words`
        could); the caller checks every answer either way. `avoid_first` lists, the same way,
        phrases its answers must not begin with (their opening included): a backend may keep
        the model from writing them there (vLLM's logits processors could)."""
        ...

    def judge(
        self, conversations: Sequence[Sequence[ChatMessage]], options: Sequence[str] = ("Yes", "No")
    ) -> list[dict[str, float]]:
        """For each conversation, the probability that the answer's next token is each
        option's first token: a verdict read from one pass over the prompt, with no
        decoding (checking a sentence is easier than writing it, and cheaper). A server
        backend asks for one token with its logprobs (`max_tokens=1, logprobs=True,
        top_logprobs=20`) and reads the options among them (absent: 0.0). The checks call
        it from inside a `generate` follow-up, so it must not wait on a generation under
        way in the same thread."""
        ...

    def interrupt(self) -> None:
        """Make the generation under way, if any, stop within a step and raise
        `GenerationInterrupted`: a timed-out brief must hand the cores back, not run on."""
        ...


class GenerationInterrupted(RuntimeError):
    pass


class GenerationFailed(RuntimeError):
    """A model server could not give an answer (down, too slow, errors, garbage) after its
    retries. Callers treat it as any failed generation: positions are kept, the user is told
    in one line."""

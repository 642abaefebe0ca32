"""The keys and values of recent prompts, reused by any later prompt that begins with one.

On this CPU a prompt token costs about as much to read as a generated one to write, and
prompts are most of a brief's tokens. Two parts of them repeat: every prompt opens with
the same system message, and a retry prompt is its first prompt plus one more message.

Entries end at message boundaries (or at the end of a prompt), and only a whole entry is
reused, never part of one. That keeps a brief's output a function of its article alone: the
int8 matmuls scale each forward pass by its largest activation, so keys and values read in
one pass differ in the last bits from the same tokens read in another, and reusing part of
an unrelated prompt's pass made answers depend on which article came before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch


@dataclass
class StoredPrompt:
    ids: tuple[int, ...]
    layers: list[tuple[torch.Tensor, torch.Tensor]]  # per layer: keys, values [heads, len, dim]


class PromptCache:
    """Least recently used prompts, up to `max_tokens` tokens in all (about 57 KB a token for
    the packaged model in float32). Not thread-safe: the generator's lock guards it."""

    def __init__(self, max_tokens: int) -> None:
        self.max_tokens = max_tokens
        self._prompts: dict[tuple[int, ...], StoredPrompt] = {}  # least recently used first

    def __len__(self) -> int:
        return len(self._prompts)

    def longest(self, ids: Sequence[int], ends: Sequence[int]) -> StoredPrompt | None:
        """The longest stored prompt that `ids` begins with, looked up at the given ends."""
        for end in sorted(ends, reverse=True):
            stored = self._prompts.pop(tuple(ids[:end]), None)
            if stored is not None:
                self._prompts[stored.ids] = stored  # now the most recently used
                return stored
        return None

    def add(self, ids: Sequence[int], layers: list[tuple[torch.Tensor, torch.Tensor]]) -> None:
        if len(ids) > self.max_tokens:
            return
        key = tuple(ids)
        self._prompts.pop(key, None)
        self._prompts[key] = StoredPrompt(key, layers)
        while sum(len(k) for k in self._prompts) > self.max_tokens:
            del self._prompts[next(iter(self._prompts))]

    def clear(self) -> None:
        self._prompts.clear()

"""The keys and values of recent prompts, reused by any later prompt that begins with one.

On this CPU a prompt token costs about as much to read as a generated one to write, and
prompts are most of a brief's tokens. Two parts of them repeat: every prompt of a task opens
with the same system message, and a retry prompt is its first prompt with a longer last
message.

Reuse starts only at message boundaries (or at the end of a prompt), and only a whole kept
part is reused, never part of one. That keeps a brief's output a function of its article
alone: the int8 matmuls scale each forward pass by its largest activation, so keys and values
read in one pass differ in the last bits from the same tokens read in another, and reusing
part of an unrelated prompt's pass made answers depend on which article came before.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

Layers = list[tuple["torch.Tensor", "torch.Tensor"]]  # per layer: keys, values [heads, len, dim]


@dataclass
class StoredPrompt:
    ids: tuple[int, ...]
    layers: Layers


@dataclass
class _Read:
    """One forward pass's keys and values, kept for reuse at each message end within it."""

    ids: tuple[int, ...]
    layers: Layers
    ends: tuple[int, ...]


class PromptCache:
    """The least recently used reads, up to `max_tokens` tokens in all (about 57 KB a token
    for the packaged model in float32). The parts of one read share its keys and values, so
    they are counted, kept and dropped together: counted apart, a brief's 10 prompts of ~230
    tokens filled 4,096 tokens three times over, and a retry found its prompt's text gone.
    Not thread-safe: the generator's lock guards it."""

    def __init__(self, max_tokens: int) -> None:
        self.max_tokens = max_tokens
        self._reads: dict[tuple[int, ...], _Read] = {}  # least recently used first
        self._parts: dict[tuple[int, ...], _Read] = {}  # a kept part -> the read holding it

    def __len__(self) -> int:
        return len(self._parts)

    def longest(self, ids: Sequence[int], ends: Sequence[int]) -> StoredPrompt | None:
        """The longest kept part that `ids` begins with, looked up at the given ends."""
        for end in sorted(ends, reverse=True):
            read = self._parts.get(tuple(ids[:end]))
            if read is not None:
                self._reads[read.ids] = self._reads.pop(read.ids)  # now the most recently used
                parts = [(k[:, :end], v[:, :end]) for k, v in read.layers]
                return StoredPrompt(read.ids[:end], parts)
        return None

    def add(self, ids: Sequence[int], layers: Layers, ends: Sequence[int]) -> None:
        """Keep one pass over `ids`, reusable at each of `ends` (lengths within it)."""
        if len(ids) > self.max_tokens:
            return
        read = _Read(tuple(ids), layers, tuple(ends))
        self._drop(self._reads.pop(read.ids, None))
        self._reads[read.ids] = read
        for end in read.ends:
            self._parts[read.ids[:end]] = read
        while sum(len(r.ids) for r in self._reads.values()) > self.max_tokens:
            self._drop(self._reads.pop(next(iter(self._reads))))

    def _drop(self, read: _Read | None) -> None:
        if read is None:
            return
        for end in read.ends:
            if self._parts.get(read.ids[:end]) is read:  # not since kept by a later read
                del self._parts[read.ids[:end]]

    def clear(self) -> None:
        self._reads.clear()
        self._parts.clear()

"""The keys and values of recent prompts, reused by any later prompt that opens the same way.

On this CPU a prompt token costs about as much to read in as a generated one to write, and
prompts are most of a brief's tokens. Two kinds of them repeat: every prompt opens with the
same system message, and a retry prompt is the first prompt plus a list of problems. A
prompt's keys and values depend only on the tokens before them, so those of a stored prompt
are exact for any later prompt up to the first token where the two differ.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch

# A common opening shorter than this is recomputed: stitching it in costs about as much.
MIN_REUSED = 16


@dataclass
class StoredPrompt:
    ids: list[int]
    layers: list[tuple[torch.Tensor, torch.Tensor]]  # per layer: keys, values [heads, len, dim]


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    n, limit = 0, min(len(a), len(b))
    while n < limit and a[n] == b[n]:
        n += 1
    return n


class PromptCache:
    """Least recently used prompts, up to `max_tokens` tokens in all (about 57 KB a token for
    the packaged model in float32). Not thread-safe: the generator's lock guards it."""

    def __init__(self, max_tokens: int) -> None:
        self.max_tokens = max_tokens
        self._prompts: list[StoredPrompt] = []  # oldest first

    def __len__(self) -> int:
        return len(self._prompts)

    def longest(self, ids: Sequence[int]) -> tuple[int, StoredPrompt | None]:
        """How many opening tokens of `ids` a stored prompt holds (0 under MIN_REUSED), and
        which."""
        best, found = 0, None
        for stored in self._prompts:
            n = common_prefix(stored.ids, ids)
            if n > best:
                best, found = n, stored
        if found is None or best < MIN_REUSED:
            return 0, None
        self._prompts.remove(found)  # most recently used last
        self._prompts.append(found)
        return best, found

    def add(self, ids: Sequence[int], layers: list[tuple[torch.Tensor, torch.Tensor]]) -> None:
        """Keep a prompt; one it begins with (the shared opening, say) is no longer needed."""
        if len(ids) > self.max_tokens:
            return
        self._prompts = [p for p in self._prompts if common_prefix(p.ids, ids) < len(p.ids)]
        self._prompts.append(StoredPrompt(list(ids), layers))
        while sum(len(p.ids) for p in self._prompts) > self.max_tokens:
            self._prompts.pop(0)

    def clear(self) -> None:
        self._prompts.clear()

"""The batch and its rows: how prompts are grouped, and each row's own policy.

A row carries what is decided per answer, never per batch (as text-generation-inference's
`StoppingCriteria` and `NextTokenChooser` do): its token limit, its completion test, its
follow-up, the token sequences it may not write (`avoid`) or begin with (`avoid_first`),
and where its drafts come from (`prompt_lookup`). The generator (`transformers_backend`)
asks each row after every step.
Also here: how a batch's kept prompt parts are stacked and its positions counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from summarizer.model.base import Completion, FollowUp
from summarizer.model.prompt_cache import StoredPrompt
from summarizer.model.prompt_lookup import PromptLookup

if TYPE_CHECKING:  # torch loads lazily
    import torch

# What one more group costs, in prompt tokens of prefill: on this 2-core CPU one decode run
# of ~40 steps at batch 8 (~8 s) costs about what 600 prompt tokens do (~13 ms each).
GROUP_COST_TOKENS = 600


def cheapest_groups(lengths: Sequence[int], max_batch: int) -> list[list[int]]:
    """Indices split into batches of similar length, minimising padded prompt tokens plus
    GROUP_COST_TOKENS per batch (a small dynamic programme over the sorted lengths), the
    batch holding the first index first: the caller's order is the order of priority. A
    brief puts its summary first and stops at its deadline; run shortest first, the
    summary's long prompt came last and was the sentence the deadline cut."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    n = len(order)
    best = [0.0] + [float("inf")] * n  # best[j]: cost of the first j sorted rows
    cut = [0] * (n + 1)
    for j in range(1, n + 1):
        for i in range(max(0, j - max_batch), j):
            cost = best[i] + (j - i) * lengths[order[j - 1]] + GROUP_COST_TOKENS
            if cost < best[j]:
                best[j], cut[j] = cost, i
    groups: list[list[int]] = []
    j = n
    while j:
        groups.append(order[cut[j] : j])
        j = cut[j]
    return sorted(groups, key=min)


@dataclass(frozen=True)
class Opening:
    """What an answer begins with (the conversation's last message when that is the
    assistant's), as text and as the prompt's last tokens, and the token sequences the
    answer may not begin with, the opening's tokens first."""

    text: str = ""
    ids: list[int] = field(default_factory=list)
    anchored: list[list[int]] = field(default_factory=list)


@dataclass
class Row:
    """One row of a decoding batch: its limit, its completion test, its follow-up, the
    phrases its answers may not begin with, the token sequences they may not write after a
    space, the opening and tokens of the answer under way, and (when drafting) its prompt
    and tokens indexed for drafts."""

    limit: int
    complete: Completion | None
    follow_up: FollowUp | None
    firsts: Sequence[str] = ()
    banned: list[list[int]] = field(default_factory=list)
    opening: Opening = field(default_factory=Opening)
    tokens: list[int] = field(default_factory=list)
    lookup: PromptLookup | None = None

    def start(self, opening: Opening, prompt: Sequence[int] | None = None) -> Row:
        """Begin an answer (the first, or a follow-up's) with `opening`; with its `prompt`,
        the answer's next tokens are drafted from it."""
        self.opening, self.tokens = opening, []
        self.lookup = PromptLookup(prompt) if prompt is not None else None
        return self

    def add(self, token: int) -> None:
        self.tokens.append(token)
        if self.lookup is not None:
            self.lookup.add(token)

    def draft(self, room: int) -> list[int]:
        """Tokens this row's answer likely goes on with (`prompt_lookup`), at most `room`."""
        return self.lookup.draft(room) if self.lookup is not None else []

    def banned_next(self) -> list[int]:
        """The tokens that would complete a banned sequence here. An anchored sequence can
        only be completed by the answer's next token, so only those one token longer than
        what is said so far are compared (none, past the answer's first few tokens)."""
        n = len(self.opening.ids) + len(self.tokens) + 1
        anchored = [seq for seq in self.opening.anchored if len(seq) == n]
        said = [*self.opening.ids, *self.tokens] if anchored else []
        return [
            seq[-1]
            for seq in self.banned
            if seq and (len(seq) == 1 or self.tokens[-(len(seq) - 1) :] == seq[:-1])
        ] + [seq[-1] for seq in anchored if seq[:-1] == said]


def avoided_forms(phrases: Sequence[str]) -> list[str]:
    """The forms an avoided phrase is kept from being written in: after a space, as given,
    lower-cased or capitalised. Not without the space, so the phrase stays possible inside
    quotation marks, where the checks allow a speaker's own words."""
    forms = {
        f" {variant}"
        for phrase in phrases
        if phrase.strip()
        for variant in (phrase, phrase.lower(), phrase[:1].upper() + phrase[1:])
    }
    return sorted(forms)


def stack_kept(
    hits: list[tuple[int, StoredPrompt | None]], layer: int, part: int, depth: int
) -> torch.Tensor:
    """One layer's kept keys (part 0) or values (1) of a batch, each row's first `n`
    positions padded on the left to `depth`; a row with nothing kept is all padding."""
    import torch
    import torch.nn.functional as F

    like = next(stored for _, stored in hits if stored is not None).layers[layer][part]
    return torch.stack(
        [
            F.pad(stored.layers[layer][part][:, :n], (0, 0, depth - n, 0))
            if stored is not None
            else like.new_zeros(like.shape[0], depth, like.shape[2])
            for n, stored in hits
        ]
    )


def real_positions(mask: torch.Tensor) -> torch.Tensor:
    """Each token's position counting real tokens only (pads get 0; the mask hides them)."""
    return (mask.cumsum(-1) - 1).masked_fill(mask == 0, 0)

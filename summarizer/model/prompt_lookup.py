"""Prompt lookup: a row's next tokens drafted from its own prompt (n-gram speculation).

Why: decoding one token per pass reads every weight once per token, and a pass that
carries a few more tokens costs little more (bench/model.py --pass-cost, one row, 1 thread,
load average 9.6 on the shared 2 cores: 209 ms for 1 token fed, 226 for 2, 266 for 4, 349
for 8, 546 for 16). A stance line restates what its speaker is reported to have said, and
a retry restates most of the answer it corrects, so the next few tokens are often already
in the prompt: where the last tokens written also appear earlier, the tokens that followed
them there are a likely continuation. The generator feeds them after the row's last token, and one
pass then checks them all: each is kept while it is what greedy decoding would have
chosen there, and the first that is not is replaced by that choice. The answer is the
one greedy decoding writes; only the number of passes changes.

On the int8 model the answer can still differ from plain greedy decoding's: its linears
quantise a pass's activations with one scale for all the tokens in it, so a pass that
checks a draft rounds differently from a one-token pass (as a batch of rows already does).

Off by default (`TransformersGenerator.lookup`; bench/model.py --lookup): on two shared
seeds (--threads 1, load average 9-11) it cut their decode passes from 62 and 55 to 50 and
48 (36 and 36 with 16 tokens a pass) but not their decode seconds (23.5 and 25.6 s against
23.8-27.6 and 21.4-28.5 s without), since each pass carried more tokens. Kept to be measured
again where a pass's arithmetic is cheap against its weight reads (both cores free).

The policy is here (as text-generation-inference keeps its speculation apart from its
batch); the generator (`transformers_backend`) feeds and checks the drafts.
"""

from __future__ import annotations

from collections.abc import Sequence

# The longest tail looked up: longer matches are likelier to continue alike, and a shorter
# one is tried when it finds none (down to one token).
MAX_NGRAM = 3
# Tokens one decode pass may carry, drafts included: a drafted token costs ~20 ms of
# arithmetic a pass, a taken one saves a row a pass (~200 ms alone). A third of the drafts
# were taken, so they pay where a row decodes alone or nearly (a retry, the last long
# line), and not in a full batch, where a pass is arithmetic already and a row's saved
# pass is not the batch's (16 tokens: 28% taken, no fewer seconds than 8).
STEP_TOKENS = 8


def draft_room(rows: int) -> int:
    """How many tokens each of `rows` rows may draft in one pass."""
    return max(0, STEP_TOKENS // max(rows, 1) - 1)


class PromptLookup:
    """One row's prompt and answer so far, indexed by their n-grams (up to MAX_NGRAM
    tokens) so that a draft costs a few dictionary lookups, not a scan of the prompt."""

    def __init__(self, prompt: Sequence[int]) -> None:
        self.context: list[int] = []
        self._latest: dict[tuple[int, ...], int] = {}  # n-gram -> where its latest copy ends
        for token in prompt:
            self.add(token)

    def add(self, token: int) -> None:
        """Append a token. The n-grams ending at the token before it are indexed now, so
        the tail being looked up never finds itself."""
        self.context.append(token)
        end = len(self.context) - 2
        for n in range(1, min(MAX_NGRAM, end + 1) + 1):
            self._latest[tuple(self.context[end - n + 1 : end + 1])] = end

    def draft(self, room: int) -> list[int]:
        """Up to `room` tokens that followed the latest earlier copy of the longest tail
        found (empty if none was)."""
        if room <= 0:
            return []
        for n in range(min(MAX_NGRAM, len(self.context)), 0, -1):
            end = self._latest.get(tuple(self.context[-n:]))
            if end is not None:
                return self.context[end + 1 : end + 1 + room]
        return []

"""Prompt-lookup drafting: the policy, and answers identical to plain greedy decoding."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_model_loader import LONGER, SHORT, convo, endless, generator_for
from tiny_model import build_tiny_model

from summarizer.model import prompt_lookup
from summarizer.model.base import ChatMessage
from summarizer.model.prompt_lookup import PromptLookup, draft_room


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "model")


def test_a_draft_is_what_followed_the_latest_earlier_copy_of_the_longest_tail():
    lookup = PromptLookup([1, 2, 3, 9, 2, 3, 7, 8, 5, 2, 3])
    # the tail (2, 3) was also followed by 9 and later by 7: the latest copy counts
    assert lookup.draft(3) == [7, 8, 5]
    lookup.add(9)  # (2, 3, 9) once before: the longest tail wins over the later (9,) alone
    assert lookup.draft(2) == [2, 3]
    assert lookup.draft(0) == []
    lookup.add(4)  # never seen before: nothing to draft
    assert lookup.draft(5) == []


def test_a_tail_never_finds_itself():
    lookup = PromptLookup([5, 6])
    assert lookup.draft(4) == []
    lookup.add(6)  # (6,) now has an earlier copy, followed by this 6
    assert lookup.draft(4) == [6]


def test_drafts_shrink_as_the_batch_grows():
    assert draft_room(1) > draft_room(2) > draft_room(4) >= 0 == draft_room(16)


SYSTEM: ChatMessage = {
    "role": "system",
    "content": "The minister said the talks would continue next week . " * 3,
}
# prompts that say things twice, so drafts are found and some are taken
PROMPTS = [
    [SYSTEM, *SHORT],
    [SYSTEM, *LONGER],
    [SYSTEM, *convo("The spokesman denied the report . The spokesman denied the report .")],
    convo("Officials agreed to meet again . Officials agreed to meet again in the capital ."),
    [*convo("Write one sentence about the speaker ."), {"role": "assistant", "content": "The"}],
    convo("neutral words neutral words neutral words"),
]


def _both(gen, *args, **kwargs):
    """The answers with drafting and without, and the stats of each."""
    gen.lookup = False
    plain = gen.generate(*args, **kwargs)
    plain_stats = gen.last_stats
    gen.lookup = True
    drafted = gen.generate(*args, **kwargs)
    return plain, plain_stats, drafted, gen.last_stats


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_drafted_answers_are_plain_greedy_answers_in_fewer_steps(
    tmp_path_factory, monkeypatch, seed
):
    """Batched rows with their own limits, an end-of-turn token that may come at any
    step, a completion test, banned phrases and a follow-up, on three random models:
    every answer is the one plain greedy decoding writes."""
    monkeypatch.setattr(prompt_lookup, "STEP_TOKENS", 64)  # every row of the batch drafts
    model = build_tiny_model(tmp_path_factory.mktemp(f"tiny{seed}") / "model", seed=seed)
    gen = generator_for(str(model), cache_dir=tmp_path_factory.mktemp("cache"), precision="fp32")
    gen.reuse_prompts = seed != 1
    seen: list[str] = []

    def once(answer: str):
        """A retry of the first answer (each run's first call), none of the retry's."""
        seen.append(answer)
        if len(seen) % 2 == 0:
            return None
        return [*PROMPTS[0], {"role": "assistant", "content": answer}, *convo("Again .")]

    def long_enough(text: str) -> bool:
        return len(text) > 40

    options = {
        "max_new_tokens": [30, 4, 25, 17, 30, 12],
        "complete": [None, None, long_enough, None, None, None],
        "follow_up": [None, once, None, None, None, None],
        "avoid": [[], [], ["talks"], ["meet"], [], []],
        "avoid_first": [[], [], [], [], ["The minister"], []],
    }
    plain, plain_stats, drafted, stats = _both(gen, PROMPTS, **options)
    assert drafted == plain
    assert seen[:2] == seen[2:]  # the follow-up saw the same first answer both times
    with endless(gen):  # no end of turn: long answers, where drafts are taken most
        plain_long, plain_long_stats, drafted_long, long_stats = _both(
            gen, PROMPTS, max_new_tokens=40
        )
    assert drafted_long == plain_long
    for ours, theirs in ((stats, plain_stats), (long_stats, plain_long_stats)):
        assert ours.new_tokens == theirs.new_tokens and theirs.drafted == 0
    assert long_stats.accepted > 0 and long_stats.steps < plain_long_stats.steps


def test_a_row_alone_drafts_most_and_answers_the_same(tiny_dir, tmp_path):
    gen = generator_for(str(tiny_dir), cache_dir=tmp_path, precision="fp32")
    with endless(gen):
        for prompt in PROMPTS:
            plain, _, drafted, stats = _both(gen, [prompt], max_new_tokens=24)
            assert drafted == plain
            assert stats.steps + stats.accepted == stats.new_tokens


def test_the_int8_model_drafts_and_answers(tiny_dir, tmp_path, monkeypatch):
    """int8 quantises a pass's activations together, so a pass that checks a draft may
    round differently from a one-token pass (as a batch already does): only that it runs
    and takes drafts is asserted here."""
    gen = generator_for(str(tiny_dir), cache_dir=tmp_path, precision="int8")
    gen.lookup = True
    monkeypatch.setattr(prompt_lookup, "STEP_TOKENS", 64)
    with endless(gen):
        answers = gen.generate(PROMPTS, max_new_tokens=30)
    assert all(answers) and gen.last_stats.accepted > 0


def test_dropping_untaken_draft_tokens_keeps_the_cache_layers_room():
    import torch

    from summarizer.model.kv_cache import RoomyLayer

    layer = RoomyLayer()
    prompt, draft, step = (torch.full((1, 1, n, 4), float(n)) for n in (5, 3, 1))
    layer.update(prompt, -prompt)
    keys, _ = layer.update(draft, -draft)
    room = keys.data_ptr()
    layer.crop(-2)  # one draft token taken, two not
    keys, values = layer.update(step, -step)
    expected = torch.cat([prompt, draft[..., :1, :], step], dim=-2)
    assert torch.equal(keys, expected) and torch.equal(values, -expected)
    assert keys.data_ptr() == room  # written into the same buffer, not copied to a new one

"""Summary, stance lines and digest: draft → check → retry → labelled fallback.

`ScriptedGenerator` is a test double that replays fixed answers; it is used only where a
test needs controlled model output to drive the check/retry/fallback logic. The plumbing
test at the end runs the tiny random model for real.
"""

from __future__ import annotations

import datetime as dt

from tiny_model import build_tiny_model

from summarizer.checks import check_output
from summarizer.digest import FALLBACK_LABEL as DIGEST_LABEL
from summarizer.digest import StanceEntry, stance_digest
from summarizer.loaded import find_loaded_phrases
from summarizer.model.loader import load_generator
from summarizer.stance import speaker_sentences, write_stances
from summarizer.summary import FALLBACK_LABEL, write_summary
from summarizer.types import Position, Span

ARTICLE = (
    "Border talks in Helsinki\n"
    "Finland and Estonia agreed on Tuesday to share patrol boats in the Gulf of Finland. "
    "The reckless plan will cost 40 million euros.\n"
    "“We will patrol together from May,” said Finnish Interior Minister Anna Virtanen. "
    "She added that the boats would carry no weapons.\n"
    "Estonian Defence Minister Karl Tamm said Estonia “welcomes any help at sea”. "
    "Tamm warned that costs could rise.\n"
)


def _span(text: str) -> Span:
    start = ARTICLE.index(text)
    return Span(text=text, start=start, end=start + len(text))


POSITIONS = [
    Position(
        speaker="Anna Virtanen",
        role="Finnish Interior Minister",
        aliases=["Virtanen"],
        quotes=[_span("We will patrol together from May")],
        paraphrases=[_span("She added that the boats would carry no weapons.")],
    ),
    Position(
        speaker="Karl Tamm",
        role="Estonian Defence Minister",
        aliases=["Tamm"],
        quotes=[_span("welcomes any help at sea")],
        paraphrases=[_span("Tamm warned that costs could rise.")],
    ),
    Position(speaker="Nobody Quoted"),
]
LOADED = find_loaded_phrases(ARTICLE)


class ScriptedGenerator:
    """Replays answers in order and records every conversation it was given."""

    name = "scripted"

    def __init__(self, *answers: str) -> None:
        self.answers = list(answers)
        self.calls: list[list] = []

    def generate(self, conversations, *, max_new_tokens):
        self.calls.append([list(c) for c in conversations])
        return [self.answers.pop(0) for _ in conversations]


GOOD = (
    "Finland and Estonia agreed to share patrol boats in the Gulf of Finland. "
    "Anna Virtanen said joint patrols start in May, and Karl Tamm warned costs could rise."
)


def test_good_first_draft_is_used():
    gen = ScriptedGenerator(GOOD)
    summary = write_summary(gen, ARTICLE, POSITIONS, LOADED)
    assert summary.text == GOOD and not summary.fallback and summary.model == "scripted"
    assert len(gen.calls) == 1
    prompt = gen.calls[0][0][-1]["content"]
    assert "reckless" not in prompt  # the loaded lead sentence is not fed to the model


def test_failing_draft_is_retried_with_the_problems_listed():
    loaded_draft = "The reckless plan was agreed. Virtanen spoke in Tallinn in 2019."
    gen = ScriptedGenerator(loaded_draft, GOOD)
    summary = write_summary(gen, ARTICLE, POSITIONS, LOADED)
    assert summary.text == GOOD and not summary.fallback
    retry = gen.calls[1][0]
    assert retry[-2] == {"role": "assistant", "content": loaded_draft}
    assert "reckless" in retry[-1]["content"] and "Tallinn" in retry[-1]["content"]


def test_two_failures_give_a_labelled_neutral_extract():
    gen = ScriptedGenerator("Loop loop loop loop loop loop loop loop loop.", "Bad bad bad.")
    summary = write_summary(gen, ARTICLE, POSITIONS, LOADED)
    assert summary.fallback
    assert summary.text.startswith(FALLBACK_LABEL)
    body = summary.text.removeprefix(FALLBACK_LABEL)
    assert "reckless" not in body and "Virtanen" in body
    assert len(body.split()) <= 90


def test_stance_prompts_hold_only_the_speakers_own_sentences():
    virtanen = " ".join(speaker_sentences(ARTICLE, POSITIONS[0]))
    assert "Virtanen" in virtanen and "Tamm" not in virtanen and "reckless" not in virtanen


def test_stances_batched_checked_and_fallback_labelled():
    gen = ScriptedGenerator(
        "Anna Virtanen said joint patrols will start in May without weapons.",
        "Karl Tamm called the reckless plan a disaster costing 90 million.",
        "Karl Tamm said Estonia welcomes help at sea but warned costs could rise.",
    )
    out = write_stances(gen, ARTICLE, POSITIONS)
    assert [len(c) for c in gen.calls] == [2, 1]  # one batch, then one retry batch
    assert out[0].stance.startswith("Anna Virtanen said")
    assert out[1].stance.startswith("Karl Tamm said")
    assert out[2].stance is None  # nothing said, nothing to ground a line in
    assert POSITIONS[0].stance is None  # copies, not mutated inputs


def test_stance_fallback_is_not_model_text():
    gen = ScriptedGenerator("x", "y", "x", "y")
    out = write_stances(gen, ARTICLE, POSITIONS)
    assert out[0].stance == "[No stance line: Anna Virtanen is quoted once; see the quotes.]"


ENTRIES = [
    StanceEntry(12, dt.date(2024, 5, 2), "Later", "Karl Tamm said costs could rise.", []),
    StanceEntry(7, "2024-03-01", "Earlier", "Karl Tamm backed joint patrols.", ["welcome"]),
]


def test_digest_cites_ids_in_order_or_falls_back():
    good = (
        "Karl Tamm backed joint patrols (#7, 2024-03-01) and later said costs could rise "
        "(#12, 2024-05-02)."
    )
    gen = ScriptedGenerator(good)
    assert stance_digest(gen, "Karl Tamm", ENTRIES) == good
    prompt = gen.calls[0][0][-1]["content"]
    assert prompt.index("#7") < prompt.index("#12")

    gen = ScriptedGenerator("Tamm changed his mind (#99, 2025-01-01).", "No citations here.")
    text = stance_digest(gen, "Karl Tamm", ENTRIES)
    assert text.startswith(DIGEST_LABEL.replace("Stance lines", "Karl Tamm's stance lines"))
    assert text.index("#7") < text.index("#12")


def test_tiny_model_end_to_end_never_shows_raw_noise(tmp_path):
    model_dir = build_tiny_model(tmp_path / "tiny")
    gen = load_generator(str(model_dir), cache_dir=tmp_path)
    summary = write_summary(gen, ARTICLE, POSITIONS, LOADED)
    assert summary.fallback  # random weights cannot pass the checks
    stances = write_stances(gen, ARTICLE, POSITIONS)
    for position in stances:
        assert position.stance is None or position.stance.startswith("[No stance line")
    assert check_output(GOOD, ARTICLE, max_words=90, min_sentences=2) == []

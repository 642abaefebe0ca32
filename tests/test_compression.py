"""The compression check: a stance line must be one of the speaker's own sentences with
words deleted (`summarizer/compression.py`). Each case is a class of line the check must
pass or fail, in synthetic sentences."""

from __future__ import annotations

import pytest

from summarizer.compression import compression_problems, kept_words, tokens

OWN = [
    "“We will not sign the harbour accord until the fishing quotas are restored,” "
    "Marta Lindqvist told the council on Monday.",
    "Lindqvist said the port authority had never consulted the island's boat owners.",
]
NAMES = ["Marta Lindqvist", "Lindqvist", "Marta"]


def problems(line: str) -> list[str]:
    return compression_problems(line, OWN, names=NAMES, role="harbour master")


@pytest.mark.parametrize(
    "line",
    [
        # the speaker's "we" becomes their name: a person shift
        "Marta Lindqvist will not sign the harbour accord until the fishing quotas are restored.",
        # "my" and "I" in the source, a third person in the line, the verb agreeing
        "Marta Lindqvist said the port authority had never consulted the boat owners.",
        # the role and a verb of saying with "that" opening a quotation's line
        "Marta Lindqvist, the harbour master, said that they will not sign the accord.",
        # quotation marks around a run the sentence has
        "Marta Lindqvist said “the port authority had never consulted” boat owners.",
    ],
)
def test_a_sentence_shortened_by_deletion_passes(line: str) -> None:
    assert problems(line) == []


@pytest.mark.parametrize(
    ("line", "why"),
    [
        # a deleted "not" turns the refusal into a promise
        ("Marta Lindqvist will sign the harbour accord.", "drops"),
        # a deleted "never" turns the complaint round
        ("Marta Lindqvist said the port authority had consulted the boat owners.", "drops"),
        # a word the speaker never used
        ("Marta Lindqvist will reject the harbour accord.", "reject"),
        # words from two of her sentences joined into one claim
        ("Marta Lindqvist will not sign until the port authority consulted boat owners.", "port"),
        # the order changed: the quotas before the accord
        ("Marta Lindqvist restored the fishing quotas and will sign the accord.", "in that order"),
        # quotation marks around words that are not a run of the sentence
        ("Marta Lindqvist said “the authority never consulted owners”.", "quotation marks"),
    ],
)
def test_a_line_that_is_not_a_shortened_sentence_fails(line: str, why: str) -> None:
    found = problems(line)
    assert found
    assert why in found[0]


def test_a_third_person_in_the_line_never_stands_for_another_person() -> None:
    """The shift is one way: the line's "they" may stand for the speaker's "we", but the
    line's "we" may not stand for a "they" of the source."""
    own = ["Jonas Berg said they had closed the ferry route."]
    assert compression_problems(
        "Jonas Berg said we had closed the ferry route.", own, names=["Jonas Berg"]
    )
    assert not compression_problems(
        "Jonas Berg said they had closed the ferry route.", own, names=["Jonas Berg"]
    )


def test_contractions_are_spelt_out_on_both_sides() -> None:
    assert tokens("We won't go; she can't.") == ["we", "will", "not", "go", "she", "can", "not"]
    own = ["“We won’t pay the toll,” said Ada Holm."]
    assert not compression_problems("Ada Holm will not pay the toll.", own, names=["Ada Holm"])
    assert compression_problems("Ada Holm will pay the toll.", own, names=["Ada Holm"])


def test_only_the_opening_sets_a_verb_of_saying_aside() -> None:
    """ "said" added after the name says whose the quotation is; inside the line it would
    be a claim of its own."""
    assert kept_words("Ada Holm said that the toll is too high", ["Ada Holm"], None) == [
        "the",
        "toll",
        "is",
        "too",
        "high",
    ]
    assert "said" in kept_words("Ada Holm wants the toll cut, he said", ["Ada Holm"], None)

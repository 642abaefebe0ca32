"""Unnamed and described sources on real news (issue 15), each form in our own words.

A description that holds a name ('a senior Harlan adviser', 'Harlan's spokesman') is someone
else than the one it names: filed under Harlan, a reader takes the adviser's words for the
senator's. Such a source stays a labelled unnamed speaker, its label says who it is ('source
close to Harlan', not 'source'), and a later 'the adviser' or 'the person' is the same one.
The forms come from the real-news training split (`bench/realnews.py` counts them after its
table); the texts are written here, and the split's own cases are kept by offsets and hashes
in `tests/gold/realnews_unnamed.json` (`tests/test_positions_realnews_regressions.py`).
"""

from __future__ import annotations

import pytest

from summarizer.positions import extract_positions
from summarizer.types import Position

LEAD = "Senator Dana Harlan toured the plant on Monday. "
QUOTE = "That can go a long way"


def positions(text: str) -> dict[str, Position]:
    return {p.speaker: p for p in extract_positions(text)}


def quotes_of(text: str) -> dict[str, list[str]]:
    return {s: [q.text for q in p.quotes] for s, p in positions(text).items() if p.quotes}


@pytest.mark.parametrize(
    ("clause", "label"),
    [
        ("said a senior Harlan adviser", "unnamed: senior Harlan adviser"),
        ("a senior Harlan adviser said", "unnamed: senior Harlan adviser"),
        ("said one Harlan confidant", "unnamed: Harlan confidant"),
        ("said a Harlan campaign official", "unnamed: Harlan campaign official"),
        ("said an aide to Harlan", "unnamed: aide to Harlan"),
        ("Harlan's spokesman said", "unnamed: Harlan's spokesman"),
        ("said Harlan's lawyers", "unnamed: Harlan's lawyers"),
        ("Harlan's campaign said", "unnamed: Harlan's campaign"),
        ("said a source close to Harlan", "unnamed: source close to Harlan"),
    ],
)
def test_a_description_holding_a_name_is_not_that_person(clause: str, label: str) -> None:
    assert quotes_of(f"{LEAD}“{QUOTE},” {clause}.") == {label: [QUOTE]}


@pytest.mark.parametrize(
    "clause", ["said Harlan's spokesman, Tom Reyes", "said Harlan spokesman Tom Reyes"]
)
def test_the_person_named_after_the_description_speaks(clause: str) -> None:
    assert quotes_of(f"{LEAD}“{QUOTE},” {clause}.") == {"Tom Reyes": [QUOTE]}


@pytest.mark.parametrize(
    ("first", "later"),
    [
        ("said a senior Harlan adviser", "the senior Harlan adviser said"),
        ("said a senior Harlan adviser", "said the adviser"),
        ("said another source familiar with Harlan’s thinking", "the source said"),
        ("said another source familiar with Harlan’s thinking", "the person added"),
    ],
)
def test_a_later_definite_description_joins_the_same_unnamed_source(first: str, later: str) -> None:
    text = f"{LEAD}“{QUOTE},” {first}. “We will see how it goes,” {later}."
    got = quotes_of(text)
    assert len(got) == 1
    ((label, quotes),) = got.items()
    assert label.startswith("unnamed: ") and label.split()[-1] in first.casefold()
    assert quotes == [QUOTE, "We will see how it goes"]


def test_a_one_word_label_takes_the_rest_of_its_description() -> None:
    text = f"{LEAD}“{QUOTE},” said a person briefed on the talks."
    assert list(quotes_of(text)) == ["unnamed: person briefed on the talks"]


@pytest.mark.parametrize(
    ("text", "speaker", "role"),
    [
        (
            "Governor Mel Ortiz spoke first. But Sen. Pat Toomey said he was “not going to go "
            "into it.”",
            "Pat Toomey",
            "Sen.",
        ),
        (
            "Governor Mel Ortiz spoke first. When Gov. Ana Ruiz arrived, she said the plan was "
            "“a serious mistake.”",
            "Ana Ruiz",
            "Gov.",
        ),
    ],
)
def test_a_conjunction_opening_the_sentence_is_no_title(text: str, speaker: str, role: str) -> None:
    assert positions(text)[speaker].role == role


@pytest.mark.parametrize(
    ("text", "label"),
    [
        (
            "Governor Mel Ortiz spoke on Monday. A Republican committee aide criticised the "
            "plan.\n\n“It is further proof they are playing politics,” the aide said.",
            "unnamed: republican committee aide",
        ),
        (
            "Ortiz will work with whoever wins, the prime minister's spokesman said.\n\n“The "
            "premier has made his views very clear,” the spokesman said.",
            "unnamed: prime minister's spokesman",
        ),
    ],
)
def test_a_definite_title_points_back_to_the_unnamed_source_it_describes(
    text: str, label: str
) -> None:
    assert list(quotes_of(text)) == [label]


def test_a_definite_title_of_a_named_person_stays_that_person() -> None:
    text = "Brian Fallon, a Harlan spokesman, spoke first. “We are ready,” the spokesman said."
    assert quotes_of(text) == {"Brian Fallon": ["We are ready"]}


def test_the_source_is_the_one_described_last_even_unquoted() -> None:
    """'the source said' points back to 'a source close to him', who was only paraphrased,
    not to the adviser quoted before."""
    text = (
        f"{LEAD}“{QUOTE},” said a senior Harlan adviser. Harlan will call on the ferry board, a "
        "source close to him said.\n\n“We will see how it goes,” the source said."
    )
    assert quotes_of(text) == {
        "unnamed: senior Harlan adviser": [QUOTE],
        "unnamed: source close to him": ["We will see how it goes"],
    }


@pytest.mark.parametrize(
    ("text", "label"),
    [
        (
            "Ferry fares rose again.\n\nSenior harbour officials said the rise “cannot be the "
            "last one this year.”",
            "unnamed: senior harbour officials",
        ),
        (
            "Ferry fares rose again.\n\n“It cannot be the last rise this year,” a senior Harlan "
            "adviser said.",
            "unnamed: senior Harlan adviser",
        ),
    ],
)
def test_a_label_keeps_the_articles_capitals_but_a_sentences_first(text: str, label: str) -> None:
    """Labels were folded to lower case ('unnamed: senior harlan adviser'): a name in a
    description keeps its capital; only a word capitalised for opening the sentence loses it."""
    assert list(quotes_of(text)) == [label]

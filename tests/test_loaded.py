"""Loaded-language detection: the author's voice only, lexicon as data, rules in code."""

from __future__ import annotations

import pytest

from summarizer.loaded import find_loaded_phrases, opinion_piece, parse_lexicon
from summarizer.segment import quote_spans
from summarizer.types import Span

ARTICLE = (
    "The Minsk regime has received billions in ‘aid’ from its reckless imperialist patrons.\n"
    "‘Preparation’\n"
    "Officials called the talks “a reckless gamble”, the minister said.\n"
    "The so-called peace plan is staggering in its ambition, and the Minsk regime knows it.\n"
    "Ukraine’s allies agreed to the “defence union” proposal, the spokesman said.\n"
)


def test_author_voice_in_order_deduped_with_surface_forms():
    assert find_loaded_phrases(ARTICLE) == [
        "Minsk regime",
        "‘aid’",
        "reckless",
        "imperialist",
        "so-called peace plan",
        "staggering",
    ]


def test_quoted_material_is_the_speakers_not_the_authors():
    text = "Reporters asked about the war. “These are lies and the regime is reckless,” he said."
    assert find_loaded_phrases(text) == []


def test_positions_quote_spans_are_excluded_even_without_marks():
    text = "He called it propaganda. Analysts disagreed."
    span = Span(text="propaganda", start=13, end=23)
    assert find_loaded_phrases(text) == ["propaganda"]
    assert find_loaded_phrases(text, [span]) == []


def test_apostrophes_are_not_quotes():
    text = "Ukraine’s army and Russia’s navy met."
    assert quote_spans(text) == []


def test_lies_as_a_location_verb_is_not_loaded():
    assert find_loaded_phrases("The town lies on the river. Their lies were exposed.") == ["lies"]


def test_atrocity_charges_in_the_author_s_voice_are_loaded():
    # the extract that stands in for a failed summary skips such sentences (shared seed 003's
    # extract carried "aimed at ethnic cleansing" in the author's voice)
    assert find_loaded_phrases("The repression is aimed at ethnic cleansing.") == [
        "ethnic cleansing"
    ]
    assert find_loaded_phrases("They called it “genocide”, he said.") == []


def test_lexicon_parsing_stems_regexes_and_errors():
    entries = parse_lexicon(["# comment", "", "hyperbole reckless*", r"label re:\bjunta\b"])
    assert [e.category for e in entries] == ["hyperbole", "label"]
    assert find_loaded_phrases("Such recklessness by the junta.", lexicon=entries) == [
        "recklessness",
        "junta",
    ]
    try:
        parse_lexicon(["broken"])
    except ValueError as exc:
        assert "line 1" in str(exc)
    else:
        raise AssertionError("a line without a phrase must be refused")


def test_guillemets_and_two_apostrophes_protect_a_speaker_s_words():
    assert find_loaded_phrases("The minister said: «The regime is reckless.»") == []
    assert find_loaded_phrases("The minister said: ''The regime is reckless.''") == []


def test_a_title_s_full_stop_does_not_cut_off_the_reporting_clause():
    # 'said' is in the quoted words' sentence: the speaker's phrase, not the author's sneer
    assert find_loaded_phrases("Lee said Gov. Holt ran a “tight ship” all year.") == []
    assert find_loaded_phrases("Gov. Holt ran a “tight ship” all year.") == ["“tight ship”"]


def test_an_article_dense_with_the_author_s_loaded_words_is_an_opinion_piece():
    essay = (
        "The warmongers have learned nothing. Their reckless plan to arm the junta is "
        "propaganda. The imperialist capitals cheer while their lapdogs in the press clap."
    )
    assert opinion_piece(essay, find_loaded_phrases(essay))
    # the same words, but a speaker's in quote marks: a report of what someone said
    report = (
        "Minister Ana Lind spoke on Monday. “The warmongers have learned nothing. Their "
        "reckless plan to arm the junta is propaganda. The imperialist capitals cheer while "
        "their lapdogs in the press clap,” Lind said."
    )
    assert not opinion_piece(report, find_loaded_phrases(report))
    few = "The reckless plan was approved on Monday. " + "Officials met again. " * 3
    assert not opinion_piece(few, find_loaded_phrases(few))  # one loaded phrase, dense or not


@pytest.mark.parametrize(
    ("opening", "closing"), [("“", "”"), ("''", "''"), ("‘", "’"), ("«", "»"), ('"', '"')]
)
def test_a_short_quote_the_positions_give_a_speaker_is_no_scare_quote(
    opening: str, closing: str
) -> None:
    """A short quote in a sentence with no reporting word ('The offer was “too little.”')
    looks like the author's sneer, but where the positions gave it to a speaker (the one of
    the sentence before) it is that speaker's, whatever marks the paper uses."""
    text = (
        f"The union wrote to the board. {opening}We waited for years,{closing} the union said. "
        f"The offer was {opening}far too little{closing}.\n\nThe board meets in May."
    )
    start = text.index("far too little")
    span = Span(text="far too little", start=start, end=start + len("far too little"))
    assert find_loaded_phrases(text) == [f"{opening}far too little{closing}"]
    assert find_loaded_phrases(text, [span]) == []


@pytest.mark.parametrize(
    ("opening", "closing"), [("“", "”"), ("''", "''"), ("‘", "’"), ("«", "»"), ('"', '"')]
)
def test_a_short_quoted_sentence_of_its_own_is_speech_not_a_scare_quote(
    opening: str, closing: str
) -> None:
    """'… it said. “This must end.”': even where no rule finds who 'it' is, a quoted sentence
    standing as a sentence of its own is someone's statement; the author mocks words inside a
    sentence of their own ('the “reform” failed')."""
    text = (
        f"A letter came from the staff. {opening}We waited for years,{closing} it said. "
        f"{opening}This must end.{closing}\n\nThe {opening}reform{closing} failed again."
    )
    assert find_loaded_phrases(text) == [f"{opening}reform{closing}"]

"""The output checks shared by summary, stance lines and digest."""

from __future__ import annotations

from summarizer.checks import (
    check_copied,
    check_grounded,
    check_length,
    check_loaded,
    check_output,
    check_quoted,
    check_repetition,
    loaded_to_avoid,
    longest_copied_run,
)
from summarizer.loaded import find_loaded_phrases
from summarizer.segment import sentences

SOURCE = (
    "On 3 March, Finnish Prime Minister Anna Virtanen said the border would stay closed "
    "until June. Russia’s foreign ministry called the decision “a hostile act”. "
    "Helsinki spent €120 million on new fences in 2023."
)


def test_sentences_and_length_limits():
    expected = ["One.", "Two!", "“Three?” he asked.", "Four"]
    assert sentences("One. Two! “Three?” he asked. Four") == expected
    assert check_length("A short one. And another.", max_words=10, min_sentences=2) == []
    problems = check_length("word " * 30 + ".", max_words=25, min_sentences=2)
    assert any("30 words" in p for p in problems) and any("at least 2" in p for p in problems)
    assert check_length("", max_words=5) == ["The answer is empty."]
    assert any("unfinished" in p for p in check_length("It stops mid", max_words=5))
    # initials end no sentence (the model writes "U. S" as often as "U.S.")
    assert sentences("Donald J. Trump met the U. S. envoy. He left.") == [
        "Donald J. Trump met the U. S. envoy.",
        "He left.",
    ]


def test_loaded_words_only_count_outside_attributed_quotes():
    assert check_loaded("The ministry called it “a hostile act”.") == []
    assert check_loaded("The Kiev regime is reckless.") != []
    # the article's own loaded phrases count too, even when not in the lexicon
    assert check_loaded("They built a fortress Europe.", ["fortress Europe"]) != []
    # a scare-quoted word of the article is fine when used plainly
    assert check_loaded("The aid arrived.", ["‘aid’"]) == []


def test_quoted_words_must_be_the_source_s_own():
    source = "Whitlow said it meant the “closure of every ferry route before the winter.”"
    exact = 'Whitlow warned of the "Closure of every ferry route before the winter."'
    assert check_quoted(exact, source) == []  # marks, case and the full stop set aside
    made_up = "Whitlow warned of “the harbour's slow death”."
    assert "“the harbour's slow death”" in check_quoted(made_up, source)[0]
    assert check_quoted("Whitlow warned of “every ferry route", source) == []  # still open
    assert check_output(made_up, source, max_words=25) != []


def test_what_to_avoid_includes_a_speaker_s_quoted_loaded_words():
    source = "Kallas condemned the “aggression” of what she called the ‘peace’ plan."
    avoid = loaded_to_avoid(source, find_loaded_phrases(source))
    assert "aggression" in avoid and not any("peace" in a for a in avoid)  # a scare quote


def test_grounding_flags_invented_names_and_numbers():
    ok = "Anna Virtanen said the border stays closed until June; Finland spent €120 million."
    assert check_grounded(ok, SOURCE + " Finland") == []
    bad = "President Niinistö said 300 soldiers arrived in May 2024."
    problems = check_grounded(bad, SOURCE)
    assert problems
    for token in ("Niinistö", "300", "May", "2024"):
        assert token in problems[0]


def test_grounding_accepts_derived_forms_and_sentence_openers():
    text = "According to Virtanen, the Finnish border stays closed. Russia’s ministry objected."
    assert check_grounded(text, SOURCE) == []
    assert check_grounded("Russian officials objected.", SOURCE) == []


def test_grounding_accepts_an_abbreviation_for_a_name_in_the_source_and_back():
    source = "Tajani backed membership of the European Union. The U.S. sent aid."
    assert check_grounded("Tajani backs EU membership.", source) == []
    assert check_grounded("The United States sent aid.", source) == []
    assert "UN" in check_grounded("The UN sent aid.", source)[0]  # no United Nations there
    assert "African" in check_grounded("The African Union objected.", source)[0]  # no "AU"


def test_repetition_loops():
    assert check_repetition("The border is closed. The border is closed.") != []
    assert check_repetition("a b c d a b c d a b c d") != []
    assert check_repetition("The border is closed until June.") == []


def test_copied_runs_ignore_quoted_material():
    copied = "Finnish Prime Minister Anna Virtanen said the border would stay closed until June."
    assert longest_copied_run(copied, SOURCE) == 13
    assert check_copied(copied, SOURCE, max_run=12) != []
    quoted = "Virtanen said “the border would stay closed until June” in March."
    assert longest_copied_run(quoted, SOURCE) <= 2


def test_check_output_passes_a_good_neutral_summary():
    good = (
        "Anna Virtanen said Finland's border would remain closed until June. "
        "Russia's foreign ministry called the decision “a hostile act”."
    )
    assert check_output(good, SOURCE + " Finland", max_words=90, min_sentences=2) == []


def test_titles_and_months_end_no_sentence_in_the_length_check():
    # one splitter (summarizer/segment.py): the model writes "Gov." and "Jan." as articles do
    assert (
        check_length("Gov. Ray Holt spoke on Jan. 20 in Ohio.", max_words=20, max_sentences=1) == []
    )


def test_quotes_in_two_apostrophes_and_guillemets_are_checked_like_curly_ones():
    source = "Zakharova called the decision “a hostile act”."
    assert check_quoted("Zakharova called it ''a hostile act''.", source) == []
    assert "''an act of war''" in check_quoted("Zakharova called it ''an act of war''.", source)[0]
    assert "«an act of war»" in check_quoted("Zakharova called it «an act of war».", source)[0]


def test_a_loaded_word_counts_in_any_inflection():
    # "blackmail" and "cabal" are lexicon words; the article's own phrase is not
    for line in ("The Kremlin said they were blackmailed.", "They met amid cabals."):
        assert check_loaded(line) != []
    assert check_loaded("Both sides fear new iron curtains.", ["iron curtain"]) != []


def test_quote_marks_are_no_neutral_ground_without_the_speaker_named():
    source = (
        "Finland and Estonia agreed on Tuesday to share patrol boats. Kremlin spokesman "
        "Arkady Voronov called the deal “blackmail by a cabal of warmongers”."
    )
    event = "Finland and Estonia agreed to share patrol boats"
    for unnamed in (
        f"{event}, which is “blackmail by a cabal of warmongers”.",
        f"{event}, which critics say is “blackmail by a cabal of warmongers”.",
        f"{event}; critics call it “blackmail by a cabal of warmongers”.",
    ):
        assert "loaded wording" in " ".join(check_output(unnamed, source, max_words=45))
    for named in (
        f"{event}, which Arkady Voronov called “blackmail by a cabal of warmongers”.",
        "Voronov called the deal “blackmail by a cabal of warmongers”.",
        "“Blackmail by a cabal of warmongers,” Voronov said of the deal.",
    ):
        assert check_output(named, source, max_words=45) == []

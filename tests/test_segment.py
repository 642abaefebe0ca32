"""Text segmentation on made-up sentences: quote marks and sentences, one answer for all."""

from __future__ import annotations

import itertools

import pytest

from summarizer.segment import (
    MIN_SINGLE_WORDS,
    find_quotes,
    mask_quotes,
    quote_marks,
    quote_spans,
    sentence_at,
    sentence_spans,
    sentences,
)


def spans(text: str) -> list[str]:
    return [text[q.start : q.end] for q in find_quotes(text)]


def test_curly_straight_and_guillemets() -> None:
    text = (
        "“We will rebuild the bridge,” Mayor Ana Lind said. "
        'Her deputy said "the money is there". A statement read: «Work starts in May.»'
    )
    assert spans(text) == [
        "We will rebuild the bridge",
        "the money is there",
        "Work starts in May.",
    ]


def test_split_quote_gives_two_spans_in_text_order() -> None:
    text = "“The talks are over,” he continued, “but the door stays open.”"
    assert spans(text) == ["The talks are over", "but the door stays open."]


def test_multi_paragraph_quote_shares_a_group() -> None:
    text = (
        "She said: “First paragraph of the speech.\n“Second paragraph, still her words.”\nThe end."
    )
    qs = find_quotes(text)
    assert [text[q.start : q.end] for q in qs] == [
        "First paragraph of the speech.",
        "Second paragraph, still her words.",
    ]
    assert qs[0].group == qs[1].group


def test_quote_inside_quote_is_part_of_the_outer_quote() -> None:
    text = "“They told us ‘wait until spring’ and we waited,” the farmer said."
    assert spans(text) == ["They told us ‘wait until spring’ and we waited"]


def test_single_marked_scare_quotes_are_not_quotes() -> None:
    text = "The so-called ‘aid’ arrived late, and the ‘peace’ talks went nowhere."
    assert spans(text) == []


def test_single_marked_clause_is_a_quote() -> None:
    text = "The minister replied: ‘We will not sign this agreement today.’"
    assert spans(text) == ["We will not sign this agreement today."]


def test_apostrophes_do_not_open_quotes() -> None:
    text = "The city’s mayor didn’t comment on the members’ vote."
    assert spans(text) == []


def test_straight_marks_mixed_into_a_curly_quote() -> None:
    # scraped text closes a curly quote with a straight mark, then reopens it
    text = '“I heard parts of his speech," Holt said. "He wants to sell the pier, folks.”'
    assert spans(text) == ["I heard parts of his speech", "He wants to sell the pier, folks."]
    # a straight pair inside a curly quote, even one with its own clause, stays nested
    nested = '“They called it "a farce," said the mayor, and we agreed,” Lee said.'
    assert spans(nested) == ['They called it "a farce," said the mayor, and we agreed']


@pytest.mark.parametrize(
    ("text", "quote"),
    [
        # a no-break space before the opening mark, as scraped pages have it
        ('"They sue," he said.\u00a0"Everybody sues, right?"', "Everybody sues, right?"),
        # a transcript's colon glued to the opening mark
        ('Governor Ray Holt:"We will rebuild the pier."', "We will rebuild the pier."),
        # a space after a curly opening mark
        (
            "As the Post reported, “ … if the vote were held tonight, Holt would win.”",
            "… if the vote were held tonight, Holt would win.",
        ),
    ],
    ids=["no-break space", "colon", "space after the mark"],
)
def test_opening_marks_in_scraped_spacing(text: str, quote: str) -> None:
    assert spans(text)[-1] == quote


def test_backwards_closing_mark_and_glued_next_word() -> None:
    text = "“We are ready to help“, he said. “Prices will fall”said the trader."
    assert spans(text) == ["We are ready to help", "Prices will fall"]


@pytest.mark.parametrize(
    "text",
    [
        "He said “this never closes\nNext paragraph is the author's.",
        "He said ''this never closes\nNext paragraph is the author's.",
        "He said “this never closes\n\nNext paragraph is the author's.",
        "He said “this never closes",
    ],
)
def test_an_unclosed_quote_ends_with_its_paragraph_not_later(text: str) -> None:
    # News copy drops closing marks; the real-news annotators end such a quote where its
    # paragraph ends, and the next paragraph is never swallowed.
    assert spans(text) == ["this never closes"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('<post by="@ann" date="May 9\n">Ferries run late<post/>.', []),
        ("“We won,” she said. “Again. “\nThe end.", ["We won", "Again."]),
        (
            "“Part one.\n“Part two, never closed.\nThe author.",
            ["Part one.", "Part two, never closed."],
        ),
    ],
)
def test_an_unclosed_quote_is_words_not_markup_or_a_stray_mark(
    text: str, expected: list[str]
) -> None:
    assert spans(text) == expected


def test_offsets_are_verbatim_and_mask_keeps_length() -> None:
    text = "Analyst Bo Ek said “growth will slow” next year."
    qs = find_quotes(text)
    assert text[qs[0].start : qs[0].end] == "growth will slow"
    masked = mask_quotes(text, qs)
    assert len(masked) == len(text) and "growth" not in masked and "Bo Ek said" in masked


# One table of tricky cases: the sentences and quotes every caller sees (issue 15: three
# splitters and two quote finders used to disagree on exactly these).
SENTENCES = [
    ("Mr. Smith met Ms. Jones. They left.", ["Mr. Smith met Ms. Jones.", "They left."]),
    ("The U.S. Navy sailed. Then it rained.", ["The U.S. Navy sailed.", "Then it rained."]),
    (
        "Gov. Dana K. Whitlow spoke on Jan. 20. Nobody came.",
        ["Gov. Dana K. Whitlow spoke on Jan. 20.", "Nobody came."],
    ),
    (
        "He said «We stay. We fight.» Then he left.",
        ["He said «We stay. We fight.»", "Then he left."],
    ),
    (
        "Sie sagte „Wir bleiben. Wir gehen nicht.“ Dann ging sie.",
        ["Sie sagte „Wir bleiben. Wir gehen nicht.“", "Dann ging sie."],
    ),
    (
        "''We won. They lost,'' she said. Then silence.",
        ["''We won. They lost,'' she said.", "Then silence."],
    ),
    (
        "‘We will not sign. Not today,’ the minister said. It was late.",
        ["‘We will not sign. Not today,’ the minister said.", "It was late."],
    ),
    (
        "''We won,'' said Mr. Lee, who left. ''We go on.'' Done.",
        ["''We won,'' said Mr. Lee, who left.", "''We go on.''", "Done."],
    ),
    (
        "Sen. Bo Ek Jr. (D-Pa.), the No. 2 Democrat, agreed. He left.",
        ["Sen. Bo Ek Jr. (D-Pa.), the No. 2 Democrat, agreed.", "He left."],
    ),
    ("Asked again, he said no. Then he left.", ["Asked again, he said no.", "Then he left."]),
    ("He paused… Then he spoke.", ["He paused…", "Then he spoke."]),
    ("“We won.” The crowd cheered.", ["“We won.”", "The crowd cheered."]),
    ("“We won.” Rutte said. Next.", ["“We won.” Rutte said.", "Next."]),
    ("“We won.” Rutte said, “again.”", ["“We won.” Rutte said, “again.”"]),
    # a verb with its own 'that'-clause or quote, however far after it, opens a new sentence
    (
        "He called it “reckless.” Reyes warned on Monday that it would fail.",
        ["He called it “reckless.”", "Reyes warned on Monday that it would fail."],
    ),
    (
        "Ford called him “a liar.” Reyes said Ford “talks too much.”",
        ["Ford called him “a liar.”", "Reyes said Ford “talks too much.”"],
    ),
    ("“Three?” he asked. Four", ["“Three?” he asked.", "Four"]),
    (
        "She said: “Part one of the speech.\n“Part two.” She sat down.",
        ["She said: “Part one of the speech.", "“Part two.”", "She sat down."],
    ),
]


@pytest.mark.parametrize(("text", "expected"), SENTENCES)
def test_sentences_of_the_tricky_cases(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


@pytest.mark.parametrize(("text", "expected"), SENTENCES)
def test_sentence_spans_cover_the_text_and_agree_with_sentences(
    text: str, expected: list[str]
) -> None:
    spans = sentence_spans(text)
    assert spans[0][0] == 0 and spans[-1][1] == len(text)
    assert all(b == c for (_, b), (c, _) in itertools.pairwise(spans))
    assert [" ".join(text[a:b].split()) for a, b in spans] == expected
    for a, b in spans:
        assert sentence_at(text, a) == (a, b) == sentence_at(text, b - 1)


QUOTES = [
    ("He said «We stay. We fight.» and left.", ["We stay. We fight."]),
    ("Sie sagte „Wir bleiben.“ Dann ging sie.", ["Wir bleiben."]),
    ("''We won,'' she said.", ["We won"]),
    ("The so-called ‘aid’ arrived late.", ["aid"]),
    ("‘We will not sign this today,’ he said.", ["We will not sign this today"]),
    ("“It is over,” said Dana K. Whitlow. “Done.”", ["It is over", "Done."]),
]


@pytest.mark.parametrize(("text", "expected"), QUOTES)
def test_quote_marks_of_the_tricky_cases(text: str, expected: list[str]) -> None:
    marks = quote_marks(text)
    assert [text[q.start : q.end] for q in marks] == expected
    assert quote_spans(text) == [(q.outer_start, q.outer_end) for q in marks]
    # speech is the same stretches, less single-marked scare quotes of a few words
    speech = [q for q in marks if q.kind == "double" or q.words(text) >= MIN_SINGLE_WORDS]
    assert find_quotes(text) == speech

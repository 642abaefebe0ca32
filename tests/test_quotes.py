"""Quote-span extraction on made-up sentences."""

from __future__ import annotations

from summarizer.quotes import find_quotes, mask_quotes


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


def test_backwards_closing_mark_and_glued_next_word() -> None:
    text = "“We are ready to help“, he said. “Prices will fall”said the trader."
    assert spans(text) == ["We are ready to help", "Prices will fall"]


def test_unclosed_quote_is_dropped_not_extended() -> None:
    text = "He said “this never closes\nNext paragraph is the author's."
    assert spans(text) == []


def test_offsets_are_verbatim_and_mask_keeps_length() -> None:
    text = "Analyst Bo Ek said “growth will slow” next year."
    qs = find_quotes(text)
    assert text[qs[0].start : qs[0].end] == "growth will slow"
    masked = mask_quotes(text, qs)
    assert len(masked) == len(text) and "growth" not in masked and "Bo Ek said" in masked

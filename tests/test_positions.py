"""Attribution patterns on made-up sentences (real spaCy NER, no language model)."""

from __future__ import annotations

import pytest

from summarizer.names import name_key, surname, without_suffix
from summarizer.positions import extract_positions
from summarizer.types import Position


def by_speaker(text: str) -> dict[str, Position]:
    return {p.speaker: p for p in extract_positions(text)}


def quotes_of(text: str) -> dict[str, list[str]]:
    return {p.speaker: [q.text for q in p.quotes] for p in extract_positions(text)}


def test_x_said_and_said_x() -> None:
    text = (
        "Prime Minister Helena Varga spoke in Vienna on Monday. "
        "“We need more time,” Varga said. "
        "“The deadline is unrealistic,” said Tomas Berger, the opposition leader."
    )
    q = quotes_of(text)
    assert q["Helena Varga"] == ["We need more time"]
    assert q["Tomas Berger"] == ["The deadline is unrealistic"]


def test_according_to_and_told_reporters_and_colon() -> None:
    text = (
        "According to Marta Novak, the plan is “dead on arrival”. "
        "Finance Minister Pavel Horak told reporters that the budget “will balance by 2027”. "
        "Novak was blunt: “Nobody believes those numbers.”"
    )
    q = quotes_of(text)
    assert q["Marta Novak"] == ["dead on arrival", "Nobody believes those numbers."]
    assert q["Pavel Horak"] == ["will balance by 2027"]


def test_split_quote_and_pronoun() -> None:
    text = (
        "Defence Minister Erik Sandberg visited the base on Friday. "
        "“The soldiers are ready,” he continued, “and so is the equipment.” "
        "He added: “We will not be intimidated.”"
    )
    assert quotes_of(text)["Erik Sandberg"] == [
        "The soldiers are ready",
        "and so is the equipment.",
        "We will not be intimidated.",
    ]


def test_title_in_place_of_name_resolves_by_role() -> None:
    text = (
        "Portuguese Foreign Minister Rui Tavares met Polish President Anna Kowalczyk "
        "in Lisbon. "
        "“Our borders are your borders,” the Polish leader said. "
        "“We stand together,” the Portuguese minister replied."
    )
    q = quotes_of(text)
    assert q["Anna Kowalczyk"] == ["Our borders are your borders"]
    assert q["Rui Tavares"] == ["We stand together"]


def test_scare_quotes_in_authors_voice_are_nobodys() -> None:
    text = (
        "The so-called “reforms” of the regime brought only ‘aid’ for the rich. "
        "Senator Lucy Hall said the bill was “a disgrace”."
    )
    q = quotes_of(text)
    assert q == {"Lucy Hall": ["a disgrace"]}


def test_unnamed_source_is_labelled_not_guessed() -> None:
    text = (
        "President Omar Haddad spoke on Sunday. “The army will withdraw next week,” one source "
        "told the newspaper. “We are ready for talks,” Haddad said."
    )
    q = quotes_of(text)
    assert q == {
        "Omar Haddad": ["We are ready for talks"],
        "unnamed: source": ["The army will withdraw next week"],
    }


def test_two_people_with_one_surname_stay_two() -> None:
    text = (
        "Economist Maria Lopez said inflation had “peaked”. "
        "Labour leader Juan Lopez, no relation, said wages were “far behind prices”."
    )
    q = quotes_of(text)
    assert q["Maria Lopez"] == ["peaked"]
    assert q["Juan Lopez"] == ["far behind prices"]


def test_organisation_speaks_as_a_body() -> None:
    text = (
        "The Kremlin said the strikes were “a provocation”. "
        "In a note, Poland’s Foreign Ministry said: “We reject these accusations entirely.”"
    )
    p = by_speaker(text)
    assert p["Kremlin"].kind == "organization"
    assert [q.text for q in p["Kremlin"].quotes] == ["a provocation"]
    assert [q.text for q in p["Poland’s Foreign Ministry"].quotes] == [
        "We reject these accusations entirely."
    ]


def test_speaker_in_previous_sentence_continues() -> None:
    text = (
        "“The harvest is lost,” farmer union head Piotr Zielinski said on Tuesday. "
        "“We have never seen a drought like this one.”"
    )
    assert quotes_of(text)["Piotr Zielinski"] == [
        "The harvest is lost",
        "We have never seen a drought like this one.",
    ]


def test_paraphrase_without_quote_marks_is_kept() -> None:
    text = "Chancellor Greta Stein insisted that the coalition would survive the winter."
    p = by_speaker(text)["Greta Stein"]
    assert p.quotes == [] and len(p.paraphrases) == 1
    assert p.paraphrases[0].text.startswith("Chancellor Greta Stein insisted")


def test_surface_forms_merge_and_role_is_kept() -> None:
    text = (
        "Kremlin spokesman Dmitry Orlov said the offer was “serious”. "
        "Orlov later said: “We are waiting for an answer.”"
    )
    p = by_speaker(text)["Dmitry Orlov"]
    assert p.role == "Kremlin spokesman"
    assert set(p.aliases) >= {"Dmitry Orlov", "Orlov"}
    assert len(p.quotes) == 2


def test_place_tagged_as_person_is_not_a_speaker() -> None:
    text = (
        "Kyiv said nothing. In Kyiv, Mayor Ivan Petrenko said “the lights are back on”. "
        "Kyiv, he added, “will not freeze”."
    )
    names = [p.speaker for p in extract_positions(text)]
    assert "Kyiv" not in names
    assert "Ivan Petrenko" in names


def test_every_span_is_verbatim() -> None:
    """Each quote found, through a pronoun and a bare surname, is the text at its offsets.

    (It looped over whatever came back, and the text it used gave no positions at all.)"""
    text = (
        "“We will not sign this deal,” said Foreign Minister Ana Ruiz on Monday."
        " “It gives away too much,” she continued, “and asks nothing in return.”"
        " Later Ruiz said the talks were “over for now” and left the room."
    )
    positions = extract_positions(text)
    assert [p.speaker for p in positions] == ["Ana Ruiz"]
    spans = [*positions[0].quotes, *positions[0].paraphrases]
    assert len(positions[0].quotes) == 4, spans
    for s in spans:
        assert text[s.start : s.end] == s.text


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Zelensky", "Zelenskiy"),
        ("Zelenskyy", "Zelensky"),
        ("Kiev", "Kyiv"),
        ("Volodymyr Zelensky", "Volodomir Zelensky"),
        ("Viktor Orbán", "Viktor Orban"),
    ],
)
def test_name_keys_fold_transliterations(a: str, b: str) -> None:
    assert name_key(a) == name_key(b)


def test_name_keys_keep_different_people_apart() -> None:
    assert name_key("Joe Biden") != name_key("Hunter Biden")
    assert name_key("Trump") != name_key("Trump Jr.")
    assert surname("Ursula von der Leyen") == "von der Leyen"


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("Joseph R. Biden Jr.", "Joseph R. Biden"),
        ("Carl Brenner, Jr.", "Carl Brenner"),
        ("Alan P. Marsh III", "Alan P. Marsh"),
        ("Charles III", "Charles III"),
        ("Mr. Charles III", "Mr. Charles III"),
        ("Carl Brenner", "Carl Brenner"),
    ],
)
def test_a_suffix_is_dropped_only_after_two_name_words(name: str, shown: str) -> None:
    """A numeral after a lone given name is a regnal number, and an honorific is no name
    word: 'Mr. Charles III' keeps its numeral as 'Charles III' does."""
    assert without_suffix(name) == shown


def test_speaker_named_in_next_sentence() -> None:
    text = (
        "“This is a disaster for everyone in the valley.”\n"
        "Anna Berg, the mayor of the town, said the council would appeal."
    )
    assert quotes_of(text)["Anna Berg"] == ["This is a disaster for everyone in the valley."]


def test_object_of_preposition_is_not_the_speaker() -> None:
    text = (
        "President Karl Jonsson arrived late. "
        "A spokesman for President Karl Jonsson said the talks were “constructive”."
    )
    assert quotes_of(text).get("Karl Jonsson", []) == []


def test_she_points_to_the_last_named_person() -> None:
    text = "“Go home,” Peter Lind told Maria Stone on Monday. She said: “I will stay.”"
    q = quotes_of(text)
    assert q["Peter Lind"] == ["Go home"]
    assert q["Maria Stone"] == ["I will stay."]


def test_multi_paragraph_quote_keeps_one_speaker() -> None:
    text = (
        "Minister Ola Brandt said: “The first part of the plan is ready.\n"
        "“The second part will follow in spring.”\nThe opposition was unconvinced."
    )
    assert quotes_of(text)["Ola Brandt"] == [
        "The first part of the plan is ready.",
        "The second part will follow in spring.",
    ]


def test_quoted_as_saying_and_in_the_words_of() -> None:
    text = (
        "The agency quoted Foreign Minister Lena Holm as saying that the border "
        "“will stay closed”. In the words of Mayor Oleg Petrov, the city is “holding on”."
    )
    q = quotes_of(text)
    assert q["Lena Holm"] == ["will stay closed"]
    assert q["Oleg Petrov"] == ["holding on"]


def test_so_called_marks_a_scare_quote_even_after_a_speaker() -> None:
    text = (
        "“We must act now,” Senator Lucy Hall said. "
        "The so-called “peace through strength doctrine” has failed, critics say."
    )
    assert quotes_of(text) == {"Lucy Hall": ["We must act now"]}


def test_title_stand_in_points_to_the_speaker_before_it_not_the_last_one() -> None:
    text = (
        "Ingrid Vold has spent years on the talks. “The stock is shrinking,” Vold said.\n"
        "On the charge of overfishing, the envoy was frank. “We are not saints here.”\n"
        "Later, Jon Dal replied: “We read the same data differently.”"
    )
    q = quotes_of(text)
    assert q["Ingrid Vold"] == ["The stock is shrinking", "We are not saints here."]
    assert q["Jon Dal"] == ["We read the same data differently."]


def test_it_said_points_back_to_the_body() -> None:
    text = (
        "The Health Ministry rejected the union's figures. "
        "“The figures include posts that were frozen long ago,” it said in a statement."
    )
    p = by_speaker(text)
    assert [q.text for q in p["Health Ministry"].quotes] == [
        "The figures include posts that were frozen long ago"
    ]


def test_short_form_of_a_body_is_the_same_body() -> None:
    text = (
        "Oslo appealed to the European Commission last month. "
        "The Commission said the cut was “based on the best scientific advice we have”."
    )
    p = by_speaker(text)
    assert "Commission" not in p
    assert p["European Commission"].quotes[0].text == "based on the best scientific advice we have"


def test_name_after_in_is_a_place_not_the_speaker() -> None:
    text = "“It never pays for the diesel,” one skipper in Ålesund said on Friday."
    assert quotes_of(text) == {"unnamed: skipper": ["It never pays for the diesel"]}


def test_who_clause_makes_a_person_of_a_mislabelled_name() -> None:
    text = (
        "“We have heard this before.” The words came from Lars Eide, who leads the nurses' "
        "union, at a meeting in Tromholm. Eide said his members would decide next week."
    )
    assert quotes_of(text).get("Lars Eide") == ["We have heard this before."]


def test_mr_and_ms_pick_between_two_people_with_one_surname() -> None:
    text = (
        "Greta Brandt runs the bakery. Her younger brother, Tomas Brandt, owns the other "
        "half. “They will close it within two years,” he said.\n"
        "“The bank has not called back,” Ms. Brandt said when told of his plan.\n"
        "Mr. Brandt was unmoved. “My sister is tired, and I understand that,” he said."
    )
    q = quotes_of(text)
    assert q["Greta Brandt"] == ["The bank has not called back"]
    assert q["Tomas Brandt"] == [
        "They will close it within two years",
        "My sister is tired, and I understand that",
    ]


def test_he_skips_a_woman_named_more_recently() -> None:
    text = (
        "Secretary General Ines Kalnina spoke for an hour. Near the end, she put her "
        "notes aside.\nPortugal's defence minister Rui Amaral said the target would be "
        "met. Asked whether Kalnina's speech was aimed at him, he smiled: “Ask her.”"
    )
    assert quotes_of(text) == {"Rui Amaral": ["Ask her."]}


def test_a_company_is_not_the_she_of_the_next_sentence() -> None:
    text = (
        "Greta Brandt, who runs the shop, wants to accept an offer from the supermarket "
        "chain Fjordmart. “My knees are finished,” she said. A spokeswoman for Fjordmart, "
        "Lene Holt, said the company was in no hurry."
    )
    assert quotes_of(text)["Greta Brandt"] == ["My knees are finished"]


def test_interview_answers_after_unquoted_questions_are_the_interviewees() -> None:
    text = (
        "Katarina Ekdahl resigned as energy minister in October. In her first interview "
        "since leaving government, she spoke to the Ledger.\n"
        "Why did you resign?\n"
        "“Because I was asked to sign something I did not believe in.”\n"
        "Prime Minister Anders Holm has defended the deal.\n"
        "“Is he wrong?” we asked.\n"
        "“He is wrong about the price,” Ekdahl replied."
    )
    q = quotes_of(text)
    assert q == {
        "Katarina Ekdahl": [
            "Because I was asked to sign something I did not believe in.",
            "He is wrong about the price",
        ]
    }


def test_quote_paragraph_after_a_short_sentence_about_the_speaker() -> None:
    text = (
        "Secretary General Ines Kalnina spoke for forty minutes. Near the end, she put her "
        "notes aside.\n"
        "“I have heard every reason why this year is not the right year.\n"
        "“But our adversaries do not wait for our budget cycles.”\n"
        "Diplomats were divided on the tone."
    )
    assert quotes_of(text) == {
        "Ines Kalnina": [
            "I have heard every reason why this year is not the right year.",
            "But our adversaries do not wait for our budget cycles.",
        ]
    }


def test_an_adjective_before_an_acronym_is_not_part_of_the_name() -> None:
    # shared seed 002 named NATO "European NATO", after "European NATO countries"
    text = (
        "The trust shown by European NATO countries in the harbour patrols is rising.\n"
        "NATO warns against cutting the coastguard fleet of the northern ports, the alliance "
        "said in a statement.\n"
    )
    assert list(by_speaker(text)) == ["NATO"]

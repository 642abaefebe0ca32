"""The support check: a model sentence says only what its sources say, the right way round,
held by the right person, and says something.

The figures come from `faithful/labelled.json`: model sentences the real model wrote on
our articles and on third-party ones (read from ../shared beside the clone), each judged
by hand against its article (see faithful/README.md). The cases below are the ones the
issue found by reading briefs side by side with their articles.
"""

from __future__ import annotations

import math

import pytest
from faithful_scoring import (
    LABELLED,
    VERDICTS,
    Item,
    Verdicts,
    brief_shows,
    collected,
    load_set,
    score,
    under,
    verdict_key,
)
from test_summary import ARTICLE, LOADED, POSITIONS, ScriptedGenerator

from bot.settings import Settings
from summarizer.model.base import ChatMessage
from summarizer.stance import (
    check_stance,
    own_words,
    speaker_sentences,
    stance_prompt,
)
from summarizer.summary import check_event, event_source
from summarizer.support import support_problems, unsure
from summarizer.types import Position, Span
from summarizer.verify import PROBLEM, QUESTION, p_yes
from summarizer.writing import write_summary_and_stances

RECALL = 0.9  # the issue's target: of unsupported and vacuous sentences, flagged
FALSE_ALARMS = 0.1  # ... and of supported sentences, flagged at most
# What the checks reach now (bench/faithful.py), per mix and part, as a floor no change may
# fall below: (recall at least, false alarms at most). "lexical" is the support check
# alone, as briefs run with BRIEFBOT_MODEL_VERDICT=false; "both" adds the model's verdict
# (`verify`, at MIN_YES) on every sentence; "gated" only on those the support check is
# unsure of, as briefs run by default. "tuning" is what the check may be tuned on
# (the tune split and the earlier batches' kept-aside items); "report" is the newest
# batch's kept-aside items, judged blind and not read one by one while tuning (the fourth
# batch, collected at d9589cf: 107 sentences on 20 PolNeAR articles of 2016-07/08; the
# figures below for it are blind: no rule was tuned on it).
# Short of the target on the report set: of the 23 flawed sentences the support check
# passes on the fourth batch, 9 give one person's words to another, each because the
# quote was filed under the wrong speaker before any line was written (a pronoun read as
# the candidate, a medal or a broadcaster taken for the speaker), so the sources the
# check reads already hold the words as the named speaker's; 5 are vacuous; the rest
# overstate (an attempt read as an achievement), invert, or invent with the sources' own
# words. Lexical support cannot see these; the packaged model's verdict barely can
# either. The rules
# on who does what from the parse (s27: a verb's named doer, an intention given to the
# author, a pronoun the text never uses for the speaker, what ought to be asked of the
# same thing) took the tuning items of the time from 69/85 to 75/85 at 10/118, and
# changed nothing on the third batch's kept-aside items (16/32, 9/44 before and after),
# which are tuning items since the fourth batch. s28's rules (tuned on the third batch's
# items but a third of its articles kept aside by a seeded draw, which they did not move:
# 1/7, 3/16 before and after) left the fourth batch, blind to them, at 24/47 and took its
# false alarms from 6/60 to 5/60: they did not generalise.
REACHED = {
    # s31 added a fifth batch (bac1d22, tune-month articles, 48 sentences) to the tuning
    # items: on the items before it the figures rose (lexical 96/117, 15/162 -> 100/117,
    # 16/162; gated 99/117 -> 102/117; both 100/117 -> 103/117), the new batch itself stays
    # at 9/23, 2/25 (lexical), so the floors below are lower than the old ones by its weight.
    # s32's four rules kept (a view the speaker gives someone else, a piece of a sentence;
    # an opposite the line uses itself, a reporting clause inside what it reports) took
    # the items before the sixth batch from 109/140, 18/187 to 116/140, 15/187. The sixth
    # batch (2fa6b87 and 2611a0c: 8 tune-month articles written two ways, 97 sentences)
    # was judged while they were written, by another hand: there they flag 15/46 flawed
    # and 13/51 supported (14/46 and 13/51 before them), so the floors fall by its weight.
    # s33's seventh batch (32741e0 and 29b2ba2: 8 tune-month articles written two ways, 104
    # sentences, judged blind to the writing) is flagged 22/47 flawed and 8/57 supported
    # (gated the same; both 26/47, 13/57): the floors fall by its weight again.
    ("lexical", "tuning"): (0.65, 0.13),  # 153/233, 36/295 (131/186, 28/238 before it)
    # s31's rules, blind on the report set (run once, at the end): no flaw caught there and
    # one more false alarm (5/60 -> 6/60 for lexical and gated, 9/60 -> 10/60 for both)
    # s32's rules, blind on the report set (run once, at the end): no flaw caught there
    # and three more false alarms (6/60 -> 9/60 for lexical and gated, 10/60 -> 13/60 for
    # both). These are the blind figures, not floors anyone chose: see faithful/README.md.
    ("lexical", "report"): (0.51, 0.15),  # 24/47, 9/60
    # The verdict's question opens with the stance task's system message: its rewording
    # (what was said, demanded, warned of or rejected) moved the model's verdicts.
    ("both", "tuning"): (0.69, 0.18),  # 161/233, 51/295 (135/186, 38/238 before the seventh)
    ("both", "report"): (0.61, 0.22),  # 29/47, 13/60
    # The verdict asked only of the sentences the support check passes and is unsure of
    # (`support.unsure`), as briefs ask it by default since s30 (opt-in in s29); the
    # report figures are blind (the gate was read off batches 1-2).
    ("gated", "tuning"): (0.66, 0.13),  # 156/233, 36/295 (134/186, 28/238 before the seventh)
    ("gated", "report"): (0.53, 0.15),  # 25/47, 9/60
}


def _items():
    items = load_set(LABELLED, missing_ok=True)
    if not any(i.article.startswith("../shared/") for i in items):
        pytest.skip("../shared beside the clone is missing: half the labelled set is there")
    return items


def test_the_labelled_set_is_big_and_judged() -> None:
    items = _items()
    assert len(items) >= 150
    assert {i.label for i in items} == {"supported", "unsupported", "vacuous"}
    assert all(i.reason for i in items)
    assert {i.split for i in items} == {"tune", "test"}


def test_every_labelled_sentence_has_the_models_kept_verdict() -> None:
    """A changed question, prompt text or model leaves the kept verdicts stale."""
    kept = Verdicts.load(VERDICTS)
    assert all(0.0 <= kept.of(item) <= 1.0 for item in _items())


def test_the_text_gain_is_what_the_text_adds_to_the_models_yes() -> None:
    """The "text gain" candidate (s31) asks the question again with the text left out and
    credits the text only with the Yes it adds: a sentence the model believes as much
    alone earns nothing from the text."""
    context: list[ChatMessage] = [
        {"role": "system", "content": "You report what a speaker said."},
        {"role": "user", "content": "What Ola Brekke said:\n- The ferry will run all winter."},
    ]
    item = Item(
        article="synthetic",
        kind="stance",
        sentence="Ola Brekke says the ferry will run all winter.",
        sources=["The ferry will run all winter."],
        names=["Ola Brekke"],
        label="supported",
        reason="said so",
        split="tune",
        batch="s31",
        context=context,
    )
    alone = item.prior_question
    assert alone == [context[0], item.question[-1]]
    assert "all winter" in alone[-1]["content"] and context[1] not in alone
    model = "stand-in"

    def gain(with_text: float, without: float) -> float:
        kept = {
            verdict_key(model, item.question): with_text,
            verdict_key(model, alone): without,
        }
        return Verdicts(model, kept).gain(item)

    assert gain(0.9, 0.5) > 2 > 0 > gain(0.9, 0.97)
    assert gain(0.6, 0.6) == 0


def test_every_sentence_the_checks_pass_has_its_kept_verdict_without_the_text() -> None:
    """The "text gain" policies ask only about the tuning sentences every check passes
    (bench/faithful.py --verdicts keeps those); a changed question leaves them stale."""
    kept = Verdicts.load(VERDICTS)
    rows = [r for r in collected(_items()) if r["checked"] and r["item"].part == "tuning"]
    assert len(rows) >= 140
    assert all(math.isfinite(kept.gain(r["item"])) for r in rows)


@pytest.mark.parametrize(("mix", "part"), sorted(REACHED))
def test_the_checks_keep_what_they_reach_on_each_part(mix: str, part: str) -> None:
    result = score(_items(), part, mix=mix, verdicts=Verdicts.load(VERDICTS))
    recall, false_alarms = REACHED[mix, part]
    assert result.recall >= recall, "\n".join(result.misses)
    assert result.false_alarm_rate <= false_alarms, "\n".join(result.false_alarms)


@pytest.mark.xfail(strict=True, reason="the checks are short of the issue's target")
def test_the_checks_meet_the_issues_target_on_the_report_set() -> None:
    """Either mix: the one that meets it first should become the default."""
    verdicts = Verdicts.load(VERDICTS)
    results = [
        score(_items(), "report", mix=mix, verdicts=verdicts)
        for mix in ("lexical", "both", "gated")
    ]
    assert any(r.recall >= RECALL and r.false_alarm_rate <= FALSE_ALARMS for r in results)


SHOWN = 0.95  # the issue's target: of the model sentences a brief shows, supported
# What a brief shows of the labelled answers (first try that passes, else the retry that
# does, else the labelled extract) under the showing policy the setting's default picks
# (BRIEFBOT_MODEL_VERDICT: the model's verdict where the support check is unsure), per
# part: (shown sentences supported at least, jobs fallen back at most). A first try that
# only today's checks fail has no retry in the set, so the fallbacks are an upper bound
# (bench/faithful.py --policies).
# with the fifth batch; before it, s31's rules took 124/141, 94/227 to 123/137, 98/227 (3
# flawed sentences withheld for 1 supported, 4 more jobs fall back: an upper bound)
# s32's four rules kept withheld 3 flawed sentences, 141/164 -> 141/161, and, with no retry
# in the set for the first tries they now fail, 3 more jobs fall back (106/261 -> 109/261,
# an upper bound)
# with the sixth batch (s32), whose briefs showed 14/21 and 13/20 supported and fell back on
# 11/31 and 12/31 under either check:
# with the seventh batch (s33), whose briefs showed 17/25 and 15/19 supported and fell back
# on 8/31 and 14/31:
SHOWS = {"tuning": (0.84, 0.43)}  # 186/220; 138/323 (162/191; 123/292 before it)


def _default_policy() -> str:
    return "verdict" if Settings(_env_file=None).model_verdict else "show"  # type: ignore[call-arg]


def _shows(part: str, policy: str) -> tuple[float, float, list[str]]:
    rows = [r for r in collected(_items()) if r["item"].part == part]
    answers, fallbacks, shown = brief_shows(under(rows, policy, Verdicts.load(VERDICTS)), "shown")
    flawed = [f"{r['article']}: {r['sentence']}" for r in shown if r["label"] != "supported"]
    return 1 - len(flawed) / len(shown), fallbacks / answers, flawed


@pytest.mark.parametrize("part", sorted(SHOWS))
def test_briefs_keep_what_they_show_on_each_part(
    monkeypatch: pytest.MonkeyPatch, part: str
) -> None:
    monkeypatch.delenv("BRIEFBOT_MODEL_VERDICT", raising=False)
    supported, fallbacks, flawed = _shows(part, _default_policy())
    least, most = SHOWS[part]
    assert supported >= least, "\n".join(flawed)
    assert fallbacks <= most


@pytest.mark.xfail(strict=True, reason="briefs show fewer supported sentences than the target")
def test_briefs_meet_the_issues_target_on_the_report_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BRIEFBOT_MODEL_VERDICT", raising=False)
    supported, _, _ = _shows("report", _default_policy())
    assert supported >= SHOWN


NEGOTIATOR = (
    "Talks in Vienna\n"
    "The talks ended on Friday with an agreement to meet again in June. "
    "Chief negotiator Ivan Petrenko demanded that the border crossing be reopened before any "
    "new round. Such a demand can hardly be taken seriously.\n"
)


def _position(article: str, speaker: str, paraphrase: str) -> Position:
    start = article.index(paraphrase)
    return Position(
        speaker=speaker,
        aliases=[speaker.split()[-1]],
        paraphrases=[Span(text=paraphrase, start=start, end=start + len(paraphrase))],
    )


def test_a_demand_written_up_as_its_opposite_fails() -> None:
    """A negotiator who demanded a concession got a line saying it 'should not be
    demanded'; the author, not he, had dismissed the demand."""
    said = "Chief negotiator Ivan Petrenko demanded that the border crossing be reopened "
    petrenko = _position(NEGOTIATOR, "Ivan Petrenko", said + "before any new round.")
    source = " ".join(speaker_sentences(NEGOTIATOR, petrenko))
    own = [NEGOTIATOR[s:e] for s, e in own_words(NEGOTIATOR, petrenko)]

    def check(line: str) -> list[str]:
        return check_stance(line, position=petrenko, source=source, own=own)

    assert check("Ivan Petrenko demanded that the border crossing reopen before new talks.") == []
    assert check("Ivan Petrenko believes the border crossing should not be reopened.")
    assert check("Ivan Petrenko rejected reopening the border crossing before new talks.")


@pytest.mark.parametrize(
    ("line", "fails"),
    [
        ("Lena Ford supports the agency's actions.", True),
        ("Lena Ford supports the agency's handling of the audit.", True),
        ("Lena Ford criticised the agency's lax security.", False),
    ],
)
def test_favouring_a_body_whose_doings_the_speaker_faults_fails(line: str, fails: bool) -> None:
    """Seen on a real article: a chairman who called a regulator's security 'lax' got
    "supports the regulator's actions". The thing favoured was the regulator's, not a word
    of the source; whose it is decides which way the speaker leans."""
    said = ["“The audit shows the agency’s lax security and slow answers,” said Lena Ford."]
    assert bool(support_problems(line, said, names=["Lena Ford"])) is fails


def test_favouring_a_body_the_speaker_praises_passes() -> None:
    said = ["“The agency’s new plan is sound, and we welcome it,” said Lena Ford."]
    assert (
        support_problems("Lena Ford supports the agency's plan.", said, names=["Lena Ford"]) == []
    )


def test_a_line_that_only_says_someone_supports_their_side_fails() -> None:
    assert support_problems(
        "Karl Tamm supports his side's stance on the issue.",
        ["Tamm warned that costs could rise."],
        names=["Karl Tamm", "Tamm"],
    )


def test_an_event_sentence_with_no_event_fails_and_one_with_the_event_passes() -> None:
    source = event_source(NEGOTIATOR)
    assert check_event("One side was upbeat.", article=NEGOTIATOR, loaded=[], source=source)
    assert not check_event(
        "The talks in Vienna ended on Friday with an agreement to meet again in June.",
        article=NEGOTIATOR,
        loaded=[],
        source=source,
    )


def test_the_author_is_given_only_the_authors_claims() -> None:
    source = event_source(NEGOTIATOR)
    claim = "The author argues that the border crossing must be reopened before new talks."
    assert check_event(claim, article=NEGOTIATOR, loaded=[], source=source)


def test_a_line_that_gives_the_speaker_someone_elses_quoted_view_fails() -> None:
    """'Brenner believes the dredging will end in 2027': the sentence quotes harbour
    engineers saying so, and Brenner's reply mocking them."""
    article = (
        "Asked about the view that “harbour engineers expect the dredging to end in 2027,” "
        "Brenner remarked: “Your sums are sweeter than my tea.”\n"
    )
    said = "Your sums are sweeter than my tea."
    start = article.index(said)
    quote = Span(text=said, start=start, end=start + len(said))
    brenner = Position(speaker="Brenner", quotes=[quote])
    own = [article[s:e] for s, e in own_words(article, brenner)]
    assert "2027" not in " ".join(own) and "tea" in " ".join(own)
    line = "Brenner believes the dredging will end in 2027."
    assert support_problems(line, own, names=["Brenner"])


def test_an_unsupported_first_line_is_retried_and_the_supported_retry_shown() -> None:
    event = "Finland and Estonia agreed to share patrol boats in the Gulf of Finland."
    vacuous = "Anna Virtanen supports her side's position on the matter."
    virtanen = "Anna Virtanen said joint patrols will start in May without weapons."
    tamm = "Karl Tamm said Estonia welcomes help at sea but warned costs could rise."
    gen = ScriptedGenerator(event, vacuous, tamm, virtanen)
    _, stanced = write_summary_and_stances(gen, ARTICLE, POSITIONS, LOADED)
    assert stanced[0].stance == virtanen
    retry = gen.calls[1][0][-2]["content"]
    assert "says nothing concrete" in retry


EVENT = "Finland and Estonia agreed to share patrol boats in the Gulf of Finland."
VIRTANEN = "Anna Virtanen said joint patrols will start in May without weapons."
VIRTANEN_AGAIN = "Anna Virtanen said the boats will patrol together from May and carry no weapons."
TAMM = "Karl Tamm said Estonia welcomes help at sea but warned costs could rise."


def test_a_line_the_model_finds_unsaid_is_retried_and_the_retry_it_finds_said_shown() -> None:
    """Every other check passes the first line; the model's "No" alone sends it back. Only
    the lines the support check is unsure of are asked: Virtanen's first (a "joint" and a
    "start" of its own) and Tamm's (he "welcomes"), not the event sentence or the retry,
    whose every word is in their sources."""
    gen = ScriptedGenerator(EVENT, VIRTANEN, TAMM, VIRTANEN_AGAIN, verdicts=(0.2, 0.9))
    summary, stanced = write_summary_and_stances(gen, ARTICLE, POSITIONS, LOADED, verdict=True)
    assert [p.stance for p in stanced[:2]] == [VIRTANEN_AGAIN, TAMM]
    assert summary.text.startswith(EVENT)
    retry = gen.calls[1][0][-2]["content"]
    assert PROBLEM in retry
    # asked after the speaker's own words, as the line's own prompt gave them
    asked = gen.judged[0]
    assert asked[:2] == stance_prompt(POSITIONS[0], speaker_sentences(ARTICLE, POSITIONS[0]))[:2]
    assert asked[-1]["content"] == f"Statement: {VIRTANEN}\n{QUESTION}"
    assert [q[-1]["content"].splitlines()[0] for q in gen.judged] == [
        f"Statement: {VIRTANEN}",
        f"Statement: {TAMM}",
    ]


def test_without_the_verdict_the_model_is_asked_nothing() -> None:
    """BRIEFBOT_MODEL_VERDICT=false: the checks alone decide, a question sooner."""
    gen = ScriptedGenerator(EVENT, VIRTANEN, TAMM, VIRTANEN_AGAIN, verdicts=(0.1, 0.1, 0.1, 0.1))
    summary, stanced = write_summary_and_stances(gen, ARTICLE, POSITIONS, LOADED)
    assert gen.judged == []
    assert [p.stance for p in stanced[:2]] == [VIRTANEN, TAMM] and summary.text.startswith(EVENT)


class Doubting(ScriptedGenerator):
    """Finds the statements holding `doubted` unsaid, and every other one said."""

    def __init__(self, *answers: str, doubted: str) -> None:
        super().__init__(*answers)
        self.doubted = doubted

    def judge(self, conversations, options=("Yes", "No")):
        self.judged += [list(c) for c in conversations]
        said = [self.doubted not in c[-1]["content"] for c in conversations]
        return [dict(zip(options, (0.9, 0.1) if s else (0.1, 0.9), strict=True)) for s in said]


FIRST, COAST = (
    "Finland and Estonia agreed on Tuesday to share patrol boats.",
    "The boats will patrol the coast.",
)


@pytest.mark.parametrize(
    ("answers", "doubted", "withheld"),
    [
        # a stance line with words of weight its sources lack ("joint", "start")
        ((EVENT, VIRTANEN, TAMM, VIRTANEN), VIRTANEN, "Anna Virtanen"),
        # a stance line that has the speaker favour something ("welcomes")
        ((EVENT, VIRTANEN_AGAIN, TAMM, TAMM), TAMM, "Karl Tamm"),
        # an event sentence with a word of weight its lead lacks ("coast")
        ((f"{FIRST} {COAST}", VIRTANEN_AGAIN, TAMM, f"{FIRST} {COAST}"), COAST, None),
    ],
)
def test_by_default_a_sentence_the_check_cannot_vouch_for_needs_the_models_yes(
    monkeypatch: pytest.MonkeyPatch, answers: tuple[str, ...], doubted: str, withheld: str | None
) -> None:
    """The showing policy (bench/faithful.py --policies): a sentence every check passes but
    the support check is unsure of is shown only if the model bears it out; found unsaid
    twice, the labelled fallback stands in. Shown on the checks alone, these were."""
    monkeypatch.delenv("BRIEFBOT_MODEL_VERDICT", raising=False)
    verdict = Settings(_env_file=None).model_verdict  # type: ignore[call-arg]
    gen = Doubting(*answers, doubted=doubted)
    summary, stanced = write_summary_and_stances(gen, ARTICLE, POSITIONS, LOADED, verdict=verdict)
    fallbacks = [p.speaker for p in stanced if p.stance_fallback]
    assert fallbacks == ([withheld] if withheld else [])
    assert summary.fallback is (withheld is None)
    assert doubted not in summary.text  # which holds the stance lines shown


def test_a_sentence_the_support_check_is_sure_of_is_not_put_to_the_model() -> None:
    """Asked of every sentence, the packaged model's "No" failed as many true sentences as
    false ones (tests/faithful: 23 false alarms on the tuning items against 15); a sentence
    whose every content word is in its sources, favouring nothing, is shown on the check."""
    gen = ScriptedGenerator(EVENT, VIRTANEN_AGAIN, TAMM, verdicts=(0.9,))
    summary, stanced = write_summary_and_stances(gen, ARTICLE, POSITIONS, LOADED, verdict=True)
    assert [q[-1]["content"].splitlines()[0] for q in gen.judged] == [f"Statement: {TAMM}"]
    assert summary.text.startswith(EVENT) and stanced[0].stance == VIRTANEN_AGAIN


def test_a_line_the_model_finds_unsaid_twice_gives_way_to_the_labelled_fallback() -> None:
    gen = ScriptedGenerator(EVENT, VIRTANEN, TAMM, VIRTANEN, verdicts=(0.2, 0.9, 0.4))
    _, stanced = write_summary_and_stances(gen, ARTICLE, POSITIONS, LOADED, verdict=True)
    assert stanced[0].stance is None and stanced[0].stance_fallback
    assert stanced[1].stance == TAMM


def test_each_event_sentence_the_check_is_unsure_of_is_asked_and_one_no_fails_the_answer() -> None:
    """The second sentence has a coast the lead does not: too little to fail the support
    check, enough to ask the model; the first, all in the lead, is not asked."""
    first, second = (
        "Finland and Estonia agreed on Tuesday to share patrol boats.",
        "The boats will patrol the coast.",
    )
    gen = ScriptedGenerator(f"{first} {second}", VIRTANEN_AGAIN, TAMM, EVENT, verdicts=(0.1,))
    summary, _ = write_summary_and_stances(gen, ARTICLE, POSITIONS, LOADED, verdict=True)
    assert gen.judged[0][-1]["content"].splitlines()[0] == f"Statement: {second}"
    assert summary.text.startswith(f"{EVENT} {VIRTANEN_AGAIN}")  # the retry, not asked


@pytest.mark.parametrize(
    ("line", "asked"),
    [
        # favouring: the words are the speaker's and lean for something, but which way
        # toward what is not read (a sentence that only warns of the thing fails outright:
        # test_favouring_something_needs_words_that_lean_for_it)
        ("Ines Holm supports a direct conflict with the alliance.", True),
        ("Ines Holm welcomes closing the port.", True),
        ("Ines Holm backs closing the port.", True),
        # a denied favour says which way, as a word of the sources must
        ("Ines Holm does not support a direct conflict with the alliance.", False),
        # a word of weight that no source has, under the share that fails the line
        ("Ines Holm said that closing the harbour port would start a conflict.", True),
        # every content word in the sources, favouring nothing
        ("Ines Holm said that closing the port would start a conflict.", False),
    ],
)
def test_a_line_is_put_to_the_model_where_its_words_cannot_show_it(line: str, asked: bool) -> None:
    said = [
        "“We want the port closed, though closing the port would start a conflict with the "
        "alliance,” Holm said."
    ]
    assert not support_problems(line, said, names=["Ines Holm", "Holm"])
    assert unsure(line, said, names=["Ines Holm", "Holm"]) is asked


def test_the_verdict_is_the_chance_of_yes_against_no_alone() -> None:
    assert p_yes({"Yes": 0.03, "No": 0.01}) == pytest.approx(0.75)
    assert p_yes({"Yes": 0.0, "No": 0.0}) == 0.0


def test_a_verdict_the_speaker_did_not_pass_fails() -> None:
    """Seen on a real article: a studio that only said an interview was cancelled got a
    line calling the cancellation 'a mistake'. One invented verdict is the whole claim,
    though every other word is the source's."""
    said = ["A producer for Nordlys Studios said the mayor abruptly cancelled the interview."]
    names = ["Nordlys Studios"]
    line = "Nordlys Studios believes the mayor's abrupt cancellation of the interview was {}."
    assert support_problems(line.format("a mistake"), said, names=names)
    assert not support_problems(
        line.format("a mistake"),
        [f"{said[0][:-1]}, a mistake, he added."],
        names=names,
    )


def test_the_author_reporting_an_act_of_someone_named_beside_a_description_passes() -> None:
    """'The author argues that the mayor's aide, Ilse Berg, sent an email': the sentence
    reports what Berg did, not a claim of the author's, so it is checked against Berg."""
    sources = ["“I sent the council an email on Monday,” said Ilse Berg, the mayor’s aide."]
    line = "The author argues that the mayor's aide, Ilse Berg, sent an email to the council."
    assert support_problems(line, sources) == []
    wrong = "The author argues that the mayor's aide, Ilse Berg, sent an email to the police chief."
    assert support_problems(wrong, sources)


def test_a_cause_the_text_does_not_give_fails() -> None:
    """Seen on a real article: two reported events joined by a cause of the model's own
    ('A quit, which led to B's win') where the text had B's win lead C to quit."""
    sources = [
        "Governor Alma Reyes ended her campaign on Wednesday.",
        "Senator Olsen's win in Maine sealed the nomination, leading Senator Dahl to drop out.",
    ]
    invented = "Alma Reyes ended her campaign, which led to Senator Olsen's win in Maine."
    assert support_problems(invented, sources)
    given = "Senator Olsen's win in Maine led Senator Dahl to drop out."
    assert support_problems(given, sources) == []


def test_backing_someone_named_is_a_claim_but_backing_their_position_is_not() -> None:
    """Seen on a real article: a congressman 'in favor of' a candidate, as he told a paper,
    was failed as saying nothing; backing a country's 'position' still says nothing."""
    said = ["Rep. Ola Brandt told the paper that he is in favor of Vance."]
    names = ["Ola Brandt", "Brandt"]
    assert support_problems("Ola Brandt is in favor of Vance.", said, names=names) == []
    assert support_problems("Ola Brandt supports Vance's position.", said, names=names)


def test_a_claim_the_line_credits_to_its_source_is_not_the_authors() -> None:
    """'The author argues that X, according to a survey': the line says whose the claim is,
    as the source sentence does; without the credit it is given to the author."""
    sources = ["Mayor Dahl's lead has held at ten points, according to a survey released Monday."]
    credited = "The author argues that Dahl's lead has held at ten points, according to a survey."
    assert support_problems(credited, sources) == []
    assert support_problems("The author argues that Dahl's lead has held at ten points.", sources)


HOLT = ["Mira Holt", "Holt"]
AIMS = "climate work, pandemic readiness and refugee aid"


@pytest.mark.parametrize(
    ("said", "fails"),
    [
        (f"“{AIMS.capitalize()} are the fund’s new priorities,” said Mira Holt.", True),
        (f"“The fund must turn to {AIMS},” said Mira Holt.", False),
        (f"Mira Holt demanded that the fund turn to {AIMS}.", False),
        (f"“We will not sign until the fund takes up {AIMS},” said Mira Holt.", False),
    ],
)
def test_a_line_that_turns_what_is_into_what_ought_to_be_fails(said: str, fails: bool) -> None:
    """Seen on the newcomer run: a speaker who said what a bank's new emphases *are* got a
    line saying he believes it *should* focus on them. A line that prescribes needs a
    speaker who prescribes, asks or holds out for it; one that describes passes."""
    prescribes = f"Mira Holt believes the fund should focus on {AIMS}."
    assert bool(support_problems(prescribes, [said], names=HOLT)) is fails
    describes = f"Mira Holt said {AIMS} are the fund's new priorities."
    assert support_problems(describes, [said], names=HOLT) == []


def _says_nothing(line: str, said: list[str], names: list[str]) -> bool:
    """The support check fails `line` as empty, whatever else it finds."""
    return any("nothing concrete" in p for p in support_problems(line, said, names=names))


@pytest.mark.parametrize(
    ("line", "vacuous"),
    [
        ("Ola Brandt supports Tomas Vance's leadership.", True),
        ("Ola Brandt supports Tomas Vance's position.", True),
        ("Ola Brandt is in favor of Tomas Vance.", False),
    ],
)
def test_backing_a_two_word_name_s_leadership_says_nothing(line: str, vacuous: bool) -> None:
    """Seen on a real article: a congressman who endorsed a candidate for the jobs and the
    foes he would take on got "supports <candidate>'s leadership". A full name is one
    person, not two words of content, and their "leadership" only names whose side."""
    said = ["Rep. Ola Brandt told the paper that he is in favor of Tomas Vance."]
    assert _says_nothing(line, said, ["Ola Brandt", "Brandt"]) is vacuous


@pytest.mark.parametrize(
    ("line", "sources", "fails"),
    [
        (
            "Sven Lund believes the bases abroad are necessary for the country's security.",
            ["“We must keep our bases abroad and be ready for anything,” said Sven Lund."],
            True,
        ),
        (
            "Sven Lund believes the bases abroad are necessary for the country's security.",
            ["“We must keep our bases abroad for the security of the country,” said Sven Lund."],
            False,
        ),
    ],
)
def test_a_reason_the_text_does_not_give_fails(line: str, sources: list[str], fails: bool) -> None:
    """Seen on a shared seed: a minister who said the bases must be kept got a line saying
    they are necessary for the country's security and stability, a reason he never gave.
    Words like "security" say nothing in a stance ("supports security"), but as a reason
    they are the claim."""
    problems = support_problems(line, sources, names=["Sven Lund", "Lund"])
    assert bool(problems) is fails, problems


DOCKS = "Dock workers will return to work before the summer"


@pytest.mark.parametrize(
    ("line", "sources", "names", "fails"),
    [
        (f"{DOCKS}.", [f"{DOCKS}, predicted Ilse Berg, the union's former leader."], [], True),
        (
            f"Ilse Berg predicted that {DOCKS.lower()}.",
            [f"{DOCKS}, predicted Ilse Berg, the union's former leader."],
            [],
            False,
        ),
        (f"{DOCKS}.", [f"{DOCKS}, the port authority said on Monday."], [], True),
        (f"{DOCKS}.", [f"{DOCKS}, and the port will reopen in May."], [], False),
        (
            "The new fees will drive ships to Gdansk.",
            ["Harbour board: the new fees will drive ships to Gdansk."],
            ["Ada Lind", "Lind"],
            True,
        ),
        (
            "Nordvik Capital will keep every job for five years.",
            ["“We will keep every job for five years,” the buyer said."],
            ["Nordvik Capital"],
            False,
        ),
    ],
)
def test_a_claim_the_text_only_reports_someone_saying_is_not_stated_as_fact(
    line: str, sources: list[str], names: list[str], fails: bool
) -> None:
    """Seen on a real article: a former rival's prediction that a candidate would back
    another became the summary's plain fact. The line must name who says it or say that
    someone does; a speaker's own words found under a description ("the buyer said") are
    still the speaker's, but a headline's "<someone else>: <claim>" is not."""
    problems = support_problems(line, sources, names=names)
    assert bool(problems) is fails, problems


PLAN = "The council wants to close the harbour school and sell the land."


@pytest.mark.parametrize(
    ("said", "fails"),
    [
        (f"{PLAN} We will not let that happen.", True),
        (f"{PLAN} We are glad of it.", False),
    ],
)
def test_favouring_a_plan_the_speaker_turns_down_fails(said: str, fails: bool) -> None:
    """Seen on a real article: a strategist who said the other party was meddling in a
    caucus and that his side would not allow it got a line saying he supports their
    strategy to meddle. What the plan is (its verb and objects) says which sentences speak
    of it, and a refusal of "that" right after one turns it down."""
    line = "Mira Holt supports the council's plan to close the harbour school."
    problems = support_problems(line, [f"“{said}” said Mira Holt."], names=HOLT)
    assert bool(problems) is fails, problems


BERG = ["Ilse Berg", "Berg"]


@pytest.mark.parametrize(
    ("sources", "fails"),
    [
        # the author's telling about her, with no word of hers
        (["Ilse Berg has answered with posters set to go up in three towns on Friday."], True),
        # what she reports someone else saying, inside her own quotation
        (
            [
                "“He came to the harbour twice,” Berg said. “He said that the posters will "
                "work in the three towns.”"
            ],
            True,
        ),
        # her own words, quoted or reported
        (["“The posters will work in all three towns,” Berg said."], False),
        (["Ilse Berg told the paper that the posters would work in the three towns."], False),
        # a quotation that runs on past its sentence is hers to its end
        (
            [
                "“We chose three towns. The posters will work there.",
                "“Ask me on Friday,” Berg said.",
            ],
            False,
        ),
    ],
)
def test_a_view_given_to_the_speaker_must_be_in_their_own_words(
    sources: list[str], fails: bool
) -> None:
    """Seen on real articles: a candidate whose ads the article says will start in three
    cities got a line saying she believes they will work; a survivor who recalled what a
    politician had told them got that politician's words as her own view. Coverage alone
    passes both: every word is in the sources, but not in the speaker's mouth."""
    line = "Ilse Berg believes the posters will work in the three towns."
    problems = support_problems(line, sources, names=BERG)
    assert bool(problems) is fails, problems


@pytest.mark.parametrize(
    ("source", "fails"),
    [
        ("If she is re-elected, Berg suggested in a letter, the pier will close in May.", False),
        ("The pier, Berg said on Friday, will close in May if she is re-elected.", False),
        # set inside what another one says: theirs, not hers
        (
            "If she is re-elected, Arne Vik said in a letter, the pier will close in May. "
            "Berg was at the meeting.",
            True,
        ),
    ],
)
def test_a_reporting_clause_inside_what_it_reports(source: str, fails: bool) -> None:
    """Seen on a real article: a candidate's promise, with her reporting clause set in
    the middle of it ("If she wins, <name> wrote, <promise>"), gave a line on what she
    promised, failed as not in her own words: the parse hangs the verb of saying from the
    clause it reports, so the sentence read as the author's telling about her."""
    line = "Ilse Berg believes the pier will close in May if she is re-elected."
    _judged(line, [source], fails, names=BERG)


@pytest.mark.parametrize(
    ("line", "fails"),
    [
        ("Ilse Berg criticized the ferry company while praising the harbour board.", False),
        ("Ilse Berg criticized the harbour board.", True),
    ],
)
def test_an_opposite_the_line_itself_uses_is_its_own_contrast(line: str, fails: bool) -> None:
    """Seen on a real article: a congresswoman who attacked one candidate while praising
    the other was said to turn the text around, since the text praises where the line
    criticizes; the line praised too, and each half is in the text."""
    said = (
        "Ilse Berg praised the harbour board on Friday and called the ferry company's plan a "
        "disgrace."
    )
    _judged(line, [said], fails, names=BERG)


@pytest.mark.parametrize(
    ("line", "fails"),
    [
        ("Ilse Berg as the harbour board's chair.", True),
        ("Berg Slams Harbour Board Over Pier Plans", True),
        ("Ilse Berg said the board would close the pier in May, and that", True),
        ("Ilse Berg said the board would close the pier, because its focus is on", True),
        # whole, or cut after a word that ends a thought
        ("Ilse Berg said the board would close the pier in May.", False),
        ("Ilse Berg said the board would close the pier in May", False),
    ],
)
def test_a_piece_of_a_sentence_fails(line: str, fails: bool) -> None:
    """Seen on real articles: a line giving only a speaker's job ("X as a manager of the
    campaign"), a headline given as a line, and lines cut off after "that", "on" or
    "to". Every word is in the sources, but a piece claims nothing whole."""
    said = "“The board will close the pier in May, because its focus is on the new quay,” said "
    _judged(line, [said + "Ilse Berg, the harbour board's chair."], fails, names=BERG)


@pytest.mark.parametrize(
    ("line", "said", "fails"),
    [
        # she gives the view to the one she speaks for, by a pronoun, in her quotation
        (
            "Ilse Berg believes in a strong harbour board for the county.",
            "“She has always valued a strong harbour board for the county,” said Ilse Berg.",
            True,
        ),
        (
            "Ilse Berg supports closing the old pier.",
            "“This tells the council that he is willing to close the old pier,” said Ilse Berg.",
            True,
        ),
        # the same words held by herself
        (
            "Ilse Berg believes in a strong harbour board for the county.",
            "“I have always valued a strong harbour board for the county,” said Ilse Berg.",
            False,
        ),
        (
            "Ilse Berg supports closing the old pier.",
            "“We are willing to close the old pier,” said Ilse Berg.",
            False,
        ),
    ],
)
def test_a_view_the_speaker_gives_someone_else_is_not_theirs(
    line: str, said: str, fails: bool
) -> None:
    """Seen on real articles: an adviser who said what the candidate he works for values
    got a line saying he believes in it; a strategist who said a firing showed the
    candidate was willing to change got a line saying he supports the change. Every word
    is in the speaker's sentences, under someone else's view or will."""
    _judged(line, [said], fails, names=BERG)


def _judged(line: str, sources: list[str], fails: bool, names: list[str] | None = None) -> None:
    """The support check fails `line` on `sources` exactly when it should."""
    problems = support_problems(line, sources, names=names or [])
    assert bool(problems) is fails, problems


@pytest.mark.parametrize(
    ("said", "fails"),
    [
        ("“Tomas Vance's honesty is open to doubt,” said Ilse Berg.", True),
        (
            "“Tomas Vance's campaign can boast only that he has not been charged,” said Ilse Berg.",
            True,
        ),
        ("“I back Tomas Vance and his campaign,” said Ilse Berg.", False),
        ("Ilse Berg endorsed Tomas Vance's campaign on Friday.", False),
    ],
)
def test_backing_someone_named_needs_a_word_of_backing(said: str, fails: bool) -> None:
    """Seen on real articles: a congressman who cast doubt on a candidate's honesty,
    and a diplomat who mocked her campaign, each got a line saying they support her.
    Backing a named person is a claim of its own, so the sources must back someone."""
    for line in ("Ilse Berg supports Tomas Vance.", "Ilse Berg supports Tomas Vance's campaign."):
        problems = support_problems(line, [said], names=BERG)
        assert bool(problems) is fails, (line, problems)


@pytest.mark.parametrize(
    ("said", "fails"),
    [
        ("Ilse Berg said she hoped the two families would find a way out.", True),
        ("“Will the two families find a way out?” Ilse Berg asked.", True),
        # asked if they would, or a condition: neither says they will
        (
            "When Ilse Berg was asked during a lunch held by the paper if the two families "
            "would find a way out, she laughed and said, “We’ll see.”",
            True,
        ),
        ("Ilse Berg said she would resign if the two families find a way out.", True),
        ("Ilse Berg said the two families would find a way out.", False),
        # a question with a wh-word is often a claim put as one, left to coverage
        ("“Who doubts that the two families will find a way out?” Ilse Berg asked.", False),
    ],
)
def test_what_the_speaker_only_hopes_for_or_asks_is_not_stated(said: str, fails: bool) -> None:
    """Seen on real articles: a mayor who said he hoped two siblings would find a solution
    got a line saying he believes they will (the lemmatizer read "hoped" as "hop"), and a
    host who asked a guest whether an official wants to indict two people got a line
    saying she believes he does; a campaign manager asked if his candidate would hold a
    press conference, who laughed it off, got a line saying he believes she will."""
    line = "Ilse Berg believes the two families will find a way out."
    problems = support_problems(line, [said], names=BERG)
    assert bool(problems) is fails, problems


@pytest.mark.parametrize(
    ("line", "sources", "names"),
    [
        ("Moscow rejected the charge.", ["The Kremlin rejected the charge on Monday."], []),
        (
            "Ilse Berg supports closer trade with the EU.",
            ["“Closer trade with Brussels is our aim,” Ilse Berg said."],
            BERG,
        ),
    ],
)
def test_a_capital_or_seat_standing_for_its_country_is_the_same_name(
    line: str, sources: list[str], names: list[str]
) -> None:
    """Seen on our articles: a line that wrote "Moscow" where the text wrote "the Kremlin",
    or "the EU" for "Brussels", was failed as naming someone the text does not."""
    assert support_problems(line, sources, names=names) == []


GROUP_VIDEOS = [
    "The Northern Front has used Erik Lund in its drive for recruits, critics said.",
    "The Northern Front shows videos of Erik Lund to win recruits.",
]


@pytest.mark.parametrize(
    ("line", "sources", "fails"),
    [
        # the one a deed is done to made its doer: every word is in the sources
        ("Erik Lund uses videos to win recruits.", GROUP_VIDEOS, True),
        ("The Northern Front uses videos of Erik Lund to win recruits.", GROUP_VIDEOS, False),
        # a pronoun that stands for many is not one person
        (
            "Ola Dahl said Erik Lund wins recruits.",
            [
                "“They go to schools and show films of Erik Lund in order to win recruits,” "
                "Ola Dahl said."
            ],
            True,
        ),
        # a passive with no agent: the one it is done to is not its doer
        (
            "Ola Dahl said Erik Lund uses the war to win recruits.",
            ["Erik Lund will be used to win recruits in the war, Ola Dahl said."],
            True,
        ),
        (
            "Ola Dahl said Erik Lund used the war to win recruits.",
            ["Erik Lund has used the war to win recruits, Ola Dahl said."],
            False,
        ),
        # two doers where the sources have one
        (
            "Ada Berg and Tove Holm called the plan a trap.",
            ["Ada Berg and Tove Holm spoke on Monday.", "Berg called the plan a trap."],
            True,
        ),
        (
            "Ada Berg called the plan a trap.",
            ["Ada Berg and Tove Holm spoke on Monday.", "Berg called the plan a trap."],
            False,
        ),
        # a verb naming the same deed (data/deed_verbs.txt) is judged by who did that one
        (
            "Tove Holm hailed the harbour deal.",
            ["Ada Berg praised the harbour deal on Monday, as Tove Holm looked on."],
            True,
        ),
        (
            "Ada Berg hailed the harbour deal.",
            ["Ada Berg praised the harbour deal on Monday, as Tove Holm looked on."],
            False,
        ),
        # the object of "accused ... of" does the deed; a dateline parsed as a second
        # subject does not hide the one named
        (
            "President Ada Berg accused Norland of stalling the swap.",
            ["OSLO, May 4 - President Ada Berg accused Norland on Tuesday of stalling the swap."],
            False,
        ),
    ],
)
def test_the_doer_of_a_deed_is_the_one_the_text_has_do_it(
    line: str, sources: list[str], fails: bool
) -> None:
    """Seen on the tuning items: lines that keep every word of their sources and change
    who does what (a man shown in a group's videos said to recruit for it; two people
    named where one spoke). The verb's subject in the line must be its subject in the
    sources, or one the parse cannot rule out."""
    assert bool(support_problems(line, sources)) == fails


@pytest.mark.parametrize(
    ("line", "fails"),
    [
        ("Ada Berg said Tove Holm signed the deal on Monday.", True),
        ("Ada Berg said she signed the deal on Monday while Tove Holm watched.", False),
    ],
)
def test_what_the_speaker_did_in_their_own_words_is_not_given_to_another(
    line: str, fails: bool
) -> None:
    """In a stance line's sources, the speaker's own words, "I" is the speaker."""
    own = ["“I signed the deal on Monday, and Tove Holm watched,” Berg said."]
    assert bool(support_problems(line, own, names=["Ada Berg", "Berg"])) == fails


@pytest.mark.parametrize(
    ("line", "fails"),
    [
        ("Lars Vik thinks Oslo should run for mayor.", True),
        # "she" may be the woman he spoke of
        ("Lars Vik thinks Anna Lind should run for mayor.", False),
    ],
)
def test_a_she_in_the_text_is_no_town(line: str, fails: bool) -> None:
    """Seen on batch fd47a76: a voter from a town who said "she should have run" got a
    line that had his town run. A place the text names (and never as a person) is not
    the one a "he" or "she" stands for, however the tagger reads it alone in the line."""
    said = [
        "“I think she should have run for mayor,” said Lars Vik of Oslo, speaking of Anna Lind."
    ]
    assert bool(support_problems(line, said, names=["Lars Vik", "Vik"])) == fails


@pytest.mark.parametrize(
    ("line", "fails"),
    [
        ("Norland reported a $12 million rise in profit in the quarter.", True),
        ("Norland reported $12 million in profit in the quarter.", False),
        ("Norland reported a profit of $12 million in the quarter.", False),
    ],
)
def test_a_figure_keeps_what_it_counts(line: str, fails: bool) -> None:
    """Seen on batch fd47a76: a firm's sales for a quarter written up as a rise in sales
    of that size. The noun a number counts is part of the figure: missing, it weighs as
    much as a wrong number, not as one loose word."""
    said = ["Norland said it earned $12 million in profit in the quarter."]
    assert bool(support_problems(line, said)) == fails


@pytest.mark.parametrize(
    ("line", "vacuous"),
    [
        ("Ada Berg did not show up in person at the vote.", False),
        ("Ada Berg believes her firm is not in a rush.", False),
        # denying a stance or a belief says no more than holding one
        ("Ada Berg does not support her side's stance.", True),
        ("Ada Berg does not believe in the vote.", True),
        (
            "Ada Berg responded on Monday to reports that the mayor planned to sell the harbour.",
            True,
        ),
        ("Ada Berg commented on the mayor's plan to sell the harbour.", True),
        (
            "Ada Berg responded that selling the harbour would be theft from the town's children.",
            False,
        ),
        ("Ada Berg warned against the mayor's plan to sell the harbour.", False),
    ],
)
def test_a_denial_says_something_and_a_bare_verb_of_saying_does_not(
    line: str, vacuous: bool
) -> None:
    """Seen on the labelled items: that someone did not come in person, and that a firm
    "is not in a rush", both right, were failed as empty: their words are common ones, and what
    they say (that something did not happen, or is not so) sits in the "not". And seen
    on batch fd47a76: a candidate's line said only that he "responded Friday to reports
    that" a rival would be endorsed, copied from the author's telling, and left out what
    he said: a verb of saying with nothing said under it tells only what was spoken to."""
    said = [
        "Ada Berg did not show up in person at the vote on Monday, and her firm is not in "
        "a rush to sell, she said.",
        "Ada Berg responded on Monday to reports that the mayor planned to sell the harbour. "
        "“Selling the harbour would be theft from our children,” she said.",
    ]
    assert _says_nothing(line, said, ["Ada Berg", "Berg", "Ada"]) is vacuous


@pytest.mark.parametrize(
    ("line", "fails"),
    [
        ("The Northern Fishing Board (NHU) asked the ministry for a meeting.", True),
        ("The Nordic Harbour Union (NHU) asked the ministry for a meeting.", False),
        # the sources set the name beside the letters, whatever its capitals
        ("The Union of Dock Workers (NHU) dates from 1920.", False),
    ],
)
def test_letters_spelled_out_must_be_the_texts_or_their_initials(line: str, fails: bool) -> None:
    """Seen on batch fd47a76: a party committee's initials spelled out as its donors, so
    the donors did what the committee did. A name the line writes for a set of letters
    must have them as its capitals or stand beside them in the text."""
    said = [
        "Northern fishing board members met on Monday.",
        "The NHU asked the ministry for a meeting; the Nordic Harbour Union has 4,000 members.",
        "Its old name, the Union of Dock Workers (NHU), dates from 1920.",
    ]
    assert bool(support_problems(line, said)) == fails


@pytest.mark.parametrize(
    ("line", "fails"),
    [
        ("The two owners of the bakery are not in agreement on a sale.", False),
        ("The two owners of the bakery are in agreement on a sale.", True),
    ],
)
def test_what_a_denied_be_puts_someone_in_is_denied(line: str, fails: bool) -> None:
    """Seen on the tuning items: "her family members are not in agreement", right where
    the text says the siblings cannot agree, failed as turning it around: the "not" of
    "are not in" was read as no one's."""
    said = ["The two owners of the bakery cannot agree on a sale."]
    assert bool(support_problems(line, said)) == fails


LID = (
    "Norway's fisheries minister, Eva Lid, said on Monday she would not accept a cut to the "
    "herring quota."
)


@pytest.mark.parametrize(
    ("line", "fails"),
    [
        (
            "The author argues that Norway's fisheries minister, Eva Lid, will not accept a "
            "cut to the herring quota.",
            True,
        ),
        ("The author argues that Eva Lid will not accept a cut to the herring quota.", True),
        (
            "The author reports that Eva Lid said she would not accept a cut to the herring quota.",
            False,
        ),
        ("The fisheries minister said she would not accept a cut to the herring quota.", False),
        # a dateline the parse takes for a second subject is not the one who said it
        ("Eva Lid will not accept a cut to the herring quota.", False),
    ],
)
def test_what_someone_named_only_said_is_not_the_authors_argument(line: str, fails: bool) -> None:
    """Seen on the tuning items: "the author argues that <minister> will not accept" where
    the minister said so. Naming her as the one who will not accept does not say that she
    said it; the author is given a claim that is hers."""
    assert bool(support_problems(line, [f"BERGEN, May 4 - {LID}"])) == fails


JIBE = "“The harbour plan might as well be named Build Now, Pay Later,” Lars Vik told the radio."
BOARDS = "“Anyone who takes office has to resign from every board,” Lars Vik said."


@pytest.mark.parametrize(
    ("line", "sources", "fails"),
    [
        (
            "Lars Vik argued that the harbour plan should be named Build Now, Pay Later.",
            [JIBE, BOARDS],
            True,
        ),
        (
            "Lars Vik argued that the harbour plan should be scrapped.",
            ["“The harbour plan must be scrapped,” Lars Vik told the radio.", BOARDS],
            False,
        ),
        ("Lars Vik argued that officials should resign from every board.", [JIBE, BOARDS], False),
    ],
)
def test_what_ought_to_be_needs_a_source_that_asks_it_of_the_same_thing(
    line: str, sources: list[str], fails: bool
) -> None:
    """Seen on the tuning items: a jibe ("X might as well be named Y") written up as a
    proposal ("X should be named Y") passed because the speaker asked something else
    elsewhere. What the line says ought to be so must be asked of in the sources."""
    assert bool(support_problems(line, sources)) == fails


ROE = ["Jon Roe", "Roe"]


def _roe_sources(pronoun: str) -> list[str]:
    return [
        " ".join(
            [
                "Jon Roe is charged with setting fire to the depot in May.",
                "“Anger burns the one who keeps it,” she told the crowd.",
                "“I will not let anger burn me.”",
                "She also spoke of a gap in the rules that let Roe buy fuel before "
                f"{pronoun} permit was checked.",
            ]
        )
    ]


@pytest.mark.parametrize(
    ("line", "pronoun", "fails"),
    [
        ("Jon Roe believes anger burns the one who keeps it.", "his", True),
        # the quotation that goes on after "she told the crowd" is hers too
        ("Jon Roe says he will not let anger burn him.", "his", True),
        # where the text writes "her" after Roe's name, "she" may be Roe
        ("Jon Roe believes anger burns the one who keeps it.", "her", False),
        ("Jon Roe says he will not let anger burn him.", "her", False),
    ],
)
def test_words_a_pronoun_the_text_never_uses_for_the_speaker_says_are_not_theirs(
    line: str, pronoun: str, fails: bool
) -> None:
    """Seen on the tuning items: the accused was given what a survivor said ("“...,” she
    said"), because the positions took the quotation for his. Where the text sets only
    one kind of pronoun after the speaker's name, a verb of saying under the other kind
    is someone else's, with the quotation that goes on after it."""
    assert bool(support_problems(line, _roe_sources(pronoun), names=ROE)) == fails


@pytest.mark.parametrize(
    ("line", "sources", "fails"),
    [
        # a passive's subjects, two where the sources charge one
        (
            "Ida Berg and Tom Holm were charged with fraud.",
            [
                "Tom Holm was charged with fraud on Monday.",
                "His partner Ida Berg called it baseless.",
            ],
            True,
        ),
        # an active verb's objects, the same
        (
            "Prosecutors charged Ida Berg and Tom Holm with fraud.",
            [
                "Prosecutors charged Tom Holm with fraud.",
                "His partner Ida Berg called it baseless.",
            ],
            True,
        ),
        (
            "Ida Berg and Tom Holm were charged with fraud.",
            ["Tom Holm and Ida Berg were charged with fraud on Monday."],
            False,
        ),
        (
            "Tom Holm was charged with fraud.",
            [
                "Prosecutors charged Tom Holm with fraud.",
                "His partner Ida Berg called it baseless.",
            ],
            False,
        ),
    ],
)
def test_each_one_a_deed_is_done_to_is_one_the_text_has_it_done_to(
    line: str, sources: list[str], fails: bool
) -> None:
    """Found by reading briefs beside their articles: "A and B were charged" where only B
    was. Each conjunct of the line's subject or object must be one the sources have the
    deed done to, or one the parse cannot rule out (a pronoun, a use naming no one)."""
    assert bool(support_problems(line, sources)) == fails


@pytest.mark.parametrize(
    ("line", "said", "names", "fails"),
    [
        # "he" inside the speaker's own quotation is someone else
        (
            "Ilse Berg will resign by Friday.",
            "“He will resign by Friday,” said Ilse Berg.",
            BERG,
            True,
        ),
        (
            "Ilse Berg will resign by Friday.",
            "“I will resign by Friday,” said Ilse Berg.",
            BERG,
            False,
        ),
        (
            "Ilse Berg will resign by Friday.",
            "Ilse Berg said she would resign by Friday.",
            BERG,
            False,
        ),
        # the speaker a body the officials spoke to, the deed another body's
        (
            "Dock Union has lost half of its members since March.",
            "Officials who spoke to the Dock Union said the party has lost half of its members "
            "since March.",
            ["Dock Union"],
            True,
        ),
        (
            "Dock Union has lost half of its members since March.",
            "“We have lost half of our members since March,” the Dock Union said in a statement.",
            ["Dock Union"],
            False,
        ),
        (
            "Dock Union has lost half of its members since March.",
            "The Dock Union said in a statement that it has lost half of its members since March.",
            ["Dock Union"],
            False,
        ),
    ],
)
def test_a_deed_given_to_the_speaker_is_one_their_words_have_them_do(
    line: str, said: str, names: list[str], fails: bool
) -> None:
    """Found by reading briefs beside their articles: a speaker whose quotation says "he
    will resign" of someone else got a line saying they will resign. A line that has its
    speaker do a deed (not say, think or favour something) needs the speaker as that
    deed's doer where the sources say who does it: their name, "I" or "we" in their
    quotation, or the reporting clause."""
    assert bool(support_problems(line, [said], names=names)) == fails


@pytest.mark.parametrize(
    ("line", "said", "fails"),
    [
        # words that warn of the plan, none that back it
        (
            "Ilse Berg supports the plan to close the mill.",
            "“Closing the mill looks like the start of a slow decline for the town,” said "
            "Ilse Berg.",
            True,
        ),
        (
            "Ilse Berg supports the plan to close the mill.",
            "“We want the mill closed by spring, and the plan is a fair one,” said Ilse Berg.",
            False,
        ),
        # the praise in the sentence is for someone else
        (
            "Ilse Berg supports Tomas Vance.",
            "Ilse Berg attacked Tomas Vance on Friday while praising Ada Holm as a steady hand.",
            True,
        ),
        (
            "Ilse Berg supports Ada Holm.",
            "Ilse Berg attacked Tomas Vance on Friday while praising Ada Holm as a steady hand.",
            False,
        ),
        # undertaking it herself backs it, though she says no word of backing
        (
            "Ilse Berg supports the ferry checks.",
            "“We will check every ferry from June,” said Ilse Berg.",
            False,
        ),
        (
            "Ilse Berg supports the ferry checks.",
            "“I will not check any ferry this year,” said Ilse Berg.",
            True,
        ),
        (
            "Ilse Berg supports the ferry checks.",
            "“They will check every ferry from June,” said Ilse Berg.",
            True,
        ),
    ],
)
def test_favouring_something_needs_words_that_lean_for_it(
    line: str, said: str, fails: bool
) -> None:
    """Found by reading briefs beside their articles: a leader who warned that a bloc's
    moves looked like a run-up to war got a line saying he supports them; a spokesman who
    blamed the other side for a late change, one saying he supports it. The speaker's
    sentences about what the line has them favour must lean for it: a word of favour or
    backing there, not negated, and not one whose object is someone else; or their own
    undertaking of it ("we will patrol" backs the patrols: the packaged model's line for a
    minister announcing patrols failed for want of a word of backing)."""
    assert bool(support_problems(line, [said], names=["Ilse Berg", "Berg"])) == fails


@pytest.mark.parametrize(
    ("sources", "fails"),
    [
        (
            [
                "Tomas Vance has close ties to the Dock Union.",
                "A poll on Monday found that Tomas Vance is losing support across the city.",
            ],
            True,
        ),
        (
            [
                "A poll on Monday found that Tomas Vance is losing support across the city "
                "because of his ties to the Dock Union."
            ],
            False,
        ),
    ],
)
def test_a_cause_needs_the_text_to_give_one(sources: list[str], fails: bool) -> None:
    """Found by reading briefs beside their articles: "is losing support due to X" where
    the text says both things and joins them by no cause. Every word can be in the
    sources and the cause still the model's own."""
    line = "Tomas Vance is losing support due to his ties to the Dock Union."
    assert bool(support_problems(line, sources)) == fails

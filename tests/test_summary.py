"""Summary, stance lines and digest: draft → check → retry → labelled fallback.

`ScriptedGenerator` is a test double that replays fixed answers; it is used only where a
test needs controlled model output to drive the check/retry/fallback logic. The plumbing
test at the end runs the tiny random model for real.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import threading
import time
from types import SimpleNamespace

import pytest
from rounds import in_rounds
from standins import StandInModel, by_opening
from tiny_model import build_tiny_model

from bot.service import views
from storage import SpeakerMatch
from summarizer import digest
from summarizer.checks import check_output
from summarizer.dates import article_date
from summarizer.digest import stance_digest
from summarizer.loaded import find_loaded_phrases
from summarizer.model import drafting
from summarizer.model.base import GenerationInterrupted
from summarizer.model.loader import load_generator
from summarizer.stance import MAX_WORDS as STANCE_WORDS
from summarizer.stance import (
    own_words,
    speaker_sentences,
    stance_complete,
    stance_jobs,
    with_stances,
)
from summarizer.summary import (
    EVENT_SOURCE,
    FALLBACK_LABEL,
    LATE_LABEL,
    SOURCE_WORDS,
    check_event,
    compose_summary,
    event_job,
    event_source,
)
from summarizer.types import Position, Span, StanceRecord
from summarizer.writing import Written, write_brief, write_summary_and_stances

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

    def __init__(self, *answers: str, verdicts: tuple[float, ...] = ()) -> None:
        self.answers = list(answers)
        self.calls: list[list] = []
        self.verdicts = list(verdicts)  # p(Yes) for each question in turn; then Yes for all
        self.judged: list = []

    def judge(self, conversations, options=("Yes", "No")):
        """Replays the scripted verdicts (the chance of "Yes"; the rest goes to "No")."""
        self.judged += [list(c) for c in conversations]
        yes = [self.verdicts.pop(0) if self.verdicts else 1.0 for _ in conversations]
        return [dict(zip(options, (p, 1.0 - p), strict=True)) for p in yes]

    def generate(self, conversations, *, max_new_tokens, complete=None, follow_up=None, **_):
        return in_rounds(self._answer, conversations, follow_up)

    def interrupt(self) -> None:
        """Nothing to stop: the answers are already written."""

    def _answer(self, conversations):
        self.calls.append([list(c) for c in conversations])
        return [self.answers.pop(0) for _ in conversations]


def task_of(conversation) -> str:
    """The task message: the last user message (a stance prompt then opens the answer)."""
    return next(m["content"] for m in reversed(conversation) if m["role"] == "user")


EVENT = "Finland and Estonia agreed to share patrol boats in the Gulf of Finland."
VIRTANEN = "Anna Virtanen said joint patrols will start in May without weapons."
TAMM = "Karl Tamm said Estonia welcomes help at sea but warned costs could rise."


def test_one_batch_gives_summary_and_stance_lines():
    gen = ScriptedGenerator(EVENT, VIRTANEN, TAMM)
    summary, stanced = write_summary_and_stances(gen, ARTICLE, POSITIONS, LOADED)
    assert len(gen.calls) == 1 and len(gen.calls[0]) == 3  # event + two speakers, one batch
    assert summary.text == f"{EVENT} {VIRTANEN} {TAMM}"
    assert not summary.fallback and summary.model == "scripted"
    assert [p.stance for p in stanced] == [VIRTANEN, TAMM, None]  # nothing said, no line
    assert POSITIONS[0].stance is None  # copies, not mutated inputs
    event_prompt = " ".join(m["content"] for m in gen.calls[0][0])
    assert "Finland and Estonia agreed" in event_prompt
    assert "reckless" not in event_prompt  # the loaded lead sentence is not fed to the model


@pytest.mark.parametrize(
    "lines",
    [
        {},  # every stance line failed its checks, or the model ran out of time for them
        {0: None, 1: None},
        {0: EVENT.replace("agreed", "has agreed")},  # the one line says the event again
        {0: "Anna Virtanen said " + "that the patrols would start in May " * 12 + "."},  # long
    ],
    ids=["none asked", "all failed", "restates", "too long"],
)
def test_one_true_event_sentence_with_no_stance_line_beside_it_is_the_summary(lines):
    """The summary needed two sentences: an event sentence that passed with no stance line
    fitting beside it made the whole summary the labelled extract, though a reader would
    rather have the one checked sentence. Whatever kept the lines out, it stands alone."""
    stanced = with_stances(POSITIONS, lines)
    summary = compose_summary(EVENT, stanced, ARTICLE, model="m")
    assert (summary.text, summary.fallback) == (EVENT, False)


def test_a_pass_at_its_deadline_keeps_the_sentences_it_finished(
    monkeypatch: pytest.MonkeyPatch,
):
    """A long article's pass ran past the analysis limit and lost every checked sentence;
    now the model stops at the deadline, what it finished stays, each sentence is reported
    as it is checked, and the one it had no time for is a stand-in, counted. The pass's
    clock is the test's and passes the deadline once two sentences are checked: a real 4 s
    had to hold their checks, however loaded the host."""
    gen = StandInModel(
        "trickle",
        answer=by_opening(event=EVENT, lines={"Anna Virtanen": VIRTANEN, "Karl Tamm": None}),
        row_s=0.0,
    )
    now = [100.0]
    monkeypatch.setattr(drafting, "time", SimpleNamespace(monotonic=lambda: now[0]))
    heard: list[Written] = []

    def hear(written: Written) -> None:
        heard.append(written)
        if len(heard) == 2:
            now[0] += 10.0

    written = write_brief(gen, ARTICLE, POSITIONS, LOADED, deadline=now[0] + 5.0, progress=hear)
    summary, stanced = written.brief(ARTICLE, POSITIONS, model=gen.name)
    assert gen.interrupted
    assert summary.text == f"{EVENT} {VIRTANEN}" and not summary.fallback
    assert summary.unfinished == 1
    assert [(p.stance, p.stance_fallback, p.stance_unfinished) for p in stanced] == [
        (VIRTANEN, False, False),
        (None, True, True),  # no time: the quotes stand in, as for a line that failed
        (None, False, False),
    ]
    assert [(w.event_done, dict(w.lines)) for w in heard] == [
        (True, {}),
        (True, {0: VIRTANEN}),
    ]
    shown, lines = heard[0].shown(POSITIONS, model=gen.name)
    assert shown is not None and shown.text == EVENT
    assert [p.stance for p in lines] == [None, None, None]  # nothing yet to stand in


def test_an_event_sentence_not_finished_in_time_is_an_extract_labelled_so():
    gen = StandInModel(
        "trickle",
        answer=by_opening(event=None, lines={"Anna Virtanen": VIRTANEN, "Karl Tamm": TAMM}),
        row_s=0.0,
    )
    written = write_brief(gen, ARTICLE, POSITIONS, LOADED, deadline=time.monotonic() + 1.0)
    summary, stanced = written.brief(ARTICLE, POSITIONS, model=gen.name)
    assert summary.fallback and summary.text.startswith(LATE_LABEL)
    assert summary.unfinished == 3  # the event row blocks the ones after it
    assert all(p.stance_fallback and p.stance_unfinished for p in stanced[:2])


def test_the_event_source_labels_a_headline_that_states_something():
    assert event_source(ARTICLE).startswith("Headline: Border talks in Helsinki\nFinland")
    body = ARTICLE.split("\n", 1)[1]
    for headline in ("Is a border deal coming?", "Reckless border deal in Helsinki"):
        source = event_source(f"{headline}\n{body}")
        assert headline not in source and source.startswith("Finland and Estonia agreed")


@pytest.mark.parametrize(
    ("tamm_said", "first"),
    [
        (["welcomes any help at sea"], "Anna Virtanen"),  # fewer spans than Virtanen's two
        (["welcomes any help at sea", "costs could rise"], "Anna Virtanen"),  # a tie: first
        (["welcomes any help at sea", "costs could rise", "Tamm warned"], "Karl Tamm"),
    ],
)
def test_stance_jobs_are_asked_in_prominence_order_whatever_the_order_of_appearance(
    tamm_said: list[str], first: str
) -> None:
    """The jobs went to the model in the order the speakers came, while the summary ranks
    lines by prominence: at the analysis limit the most quoted speaker's line could be the
    one the model had no time for. Whatever order the positions come in, the most quoted
    and paraphrased speaker is asked first, a tie going to the first to speak."""
    virtanen, tamm, nobody = POSITIONS
    tamm = tamm.model_copy(update={"quotes": [_span(t) for t in tamm_said], "paraphrases": []})
    for order in itertools.permutations([virtanen, tamm, nobody]):
        asked = [order[i].speaker for i, _ in stance_jobs(ARTICLE, list(order))]
        assert asked[0] == first and sorted(asked) == ["Anna Virtanen", "Karl Tamm"], order


def test_a_stance_line_stops_once_nothing_it_could_become_would_pass():
    [doomed] = [job.hopeless for i, job in stance_jobs(ARTICLE, POSITIONS) if i == 1]
    assert doomed is not None
    assert any("reckless" in p for p in doomed("Karl Tamm called the reckless plan a"))
    assert doomed("Karl Tamm told Brussels that") and not doomed("Karl Tamm told Bru")
    assert not doomed("Karl Tamm called it a “reckless plan")  # the quote may be attributed
    assert not doomed("Karl Tamm said that costs could rise")
    run_on = (
        "Karl Tamm said that costs could rise as the boats would need new engines and "
        "more crews while the budget for the coming years would have to grow well beyond"
    )
    assert doomed(run_on) == [f"It runs past {STANCE_WORDS} words; use at most {STANCE_WORDS}."]
    # a clause break within the limit can still end the line there
    assert not doomed(run_on.replace("rise as", "rise, adding"))


def test_an_event_answer_stops_once_its_first_sentence_cannot_pass():
    doomed = event_job(ARTICLE, LOADED).hopeless
    assert doomed is not None
    assert doomed("Who acted: Finland and")  # the prompt's labelled form, seen on h08
    assert doomed("Headline: Border talks")
    assert any("reckless" in p for p in doomed("The reckless plan was"))
    assert not doomed("Finland and Estonia agreed on")
    # a second sentence may yet be dropped for running past the budget, problems and all
    assert not doomed("Finland and Estonia agreed to share boats. The reckless plan was")


def test_a_doomed_answer_is_retried_for_what_doomed_it():
    stopped = "Karl Tamm called the reckless plan a"  # where the model stopped it
    gen = ScriptedGenerator(EVENT, VIRTANEN, stopped, TAMM)
    _, stanced = write_summary_and_stances(gen, ARTICLE, POSITIONS, LOADED)
    retry = gen.calls[1][0]
    task = task_of(retry)
    assert "reckless" in task and "unfinished" not in task  # not an artefact of the stop
    assert retry[-1] == {"role": "assistant", "content": "Karl Tamm"}  # opened as before
    assert stanced[1].stance == TAMM


def test_failing_drafts_are_retried_with_their_problems_listed():
    loaded_event = "The reckless plan was agreed in Tallinn in 2019."
    loaded_stance = "Karl Tamm called the reckless plan a disaster costing 90 million."
    gen = ScriptedGenerator(loaded_event, VIRTANEN, loaded_stance, EVENT, TAMM)
    summary, stanced = write_summary_and_stances(gen, ARTICLE, POSITIONS, LOADED)
    assert [len(c) for c in gen.calls] == [3, 2]  # the stand-in sends retries as one batch
    retry_event, retry_stance = gen.calls[1]
    first_event = gen.calls[0][0]
    # The same request again, its problems added to the task; the failed answer itself is not
    # replayed (the model copies it), and the article text is the same message as before.
    assert retry_event[:-1] == first_event[:-1]
    assert retry_event[-1]["content"].startswith(first_event[-1]["content"])
    assert "reckless" in retry_event[-1]["content"] and "Tallinn" in retry_event[-1]["content"]
    assert loaded_event not in retry_event[-1]["content"]
    assert "90" in task_of(retry_stance)
    assert summary.text.startswith(EVENT) and stanced[1].stance == TAMM


def test_summary_takes_the_stance_lines_that_fit_in_90_words():
    event = (
        "On Tuesday, Finland and Estonia agreed to share patrol boats in the Gulf of Finland, "
        "and both governments said that their joint patrols would begin in May, would carry "
        "no weapons at all, and would cost money that neither of them has set aside."
    )
    # each says only what the speaker said (the support check holds them to it)
    virtanen = (
        "Anna Virtanen said that they will patrol together from May, and then she also added "
        "that the boats would carry no weapons at all."
    )
    tamm = (
        "Karl Tamm said that Estonia welcomes any help at sea, but he also warned that the "
        "costs of all of this could rise yet again."
    )
    assert len((event + virtanen + tamm).split()) > 90
    gen = ScriptedGenerator(event, virtanen, tamm)
    summary, stanced = write_summary_and_stances(gen, ARTICLE, POSITIONS, LOADED)
    assert stanced[1].stance == tamm  # a good line, only too long for the summary
    assert summary.text == f"{event} {virtanen}" and not summary.fallback


def test_two_failures_give_a_labelled_neutral_extract():
    noise = "Loop loop loop loop loop loop loop loop loop."
    gen = ScriptedGenerator(noise, "x", "y", "Bad bad bad.", "x", "y")
    summary, stanced = write_summary_and_stances(gen, ARTICLE, POSITIONS, LOADED)
    assert summary.fallback
    assert summary.text.startswith(FALLBACK_LABEL)
    body = summary.text.removeprefix(FALLBACK_LABEL)
    assert "reckless" not in body and "Virtanen" in body
    assert len(body.split()) <= 90
    # A failed stance line is a flag, never text that could pass for the model's words.
    assert stanced[0].stance is None and stanced[0].stance_fallback


def test_a_news_outlet_quoted_as_a_speaker_is_said_to_report_not_to_believe():
    article = "Reuters reported that “the talks will resume in May,” citing two officials.\n"
    start = article.index("the talks")
    quote = Span(text="the talks will resume in May", start=start, end=start + 28)
    outlet = Position(speaker="Reuters", kind="organization", quotes=[quote])
    [(_, job)] = stance_jobs(article, [outlet])
    assert job.prompt[-1] == {"role": "assistant", "content": "Reuters reported"}
    assert "Reuters's position" not in task_of(job.prompt)
    [(_, job)] = stance_jobs(article, [outlet.model_copy(update={"kind": "person"})])
    assert job.prompt[-1] == {"role": "assistant", "content": "Reuters"}  # a person so named


def test_stance_prompts_hold_only_the_speakers_own_sentences():
    virtanen = " ".join(speaker_sentences(ARTICLE, POSITIONS[0]))
    assert "Virtanen" in virtanen and "Tamm" not in virtanen and "reckless" not in virtanen


ENTRIES = [
    StanceRecord(
        article_id=12,
        title="Costs",
        date=dt.date(2024, 5, 2),
        stance="Karl Tamm said costs could rise.",
    ),
    StanceRecord(
        article_id=7,
        title="Patrols",
        date=dt.date(2024, 3, 1),
        stance="Karl Tamm backed joint patrols.",
        quotes=["welcome"],
    ),
]


def test_digest_cites_ids_in_order_or_is_left_out():
    good = (
        "Karl Tamm backed joint patrols (#7, 2024-03-01) and later said costs could rise "
        "(#12, 2024-05-02)."
    )
    gen = ScriptedGenerator(good)
    assert stance_digest(gen, "Karl Tamm", ENTRIES) == good
    prompt = task_of(gen.calls[0][0])
    assert prompt.index("#7") < prompt.index("#12")

    gen = ScriptedGenerator("Tamm changed his mind (#99, 2025-01-01).", "No citations here.")
    assert stance_digest(gen, "Karl Tamm", ENTRIES) is None  # the dated list stands alone


def test_a_digest_that_fails_its_checks_is_not_written_a_second_time():
    """A retry costs a whole second answer: 145 decode steps and 617 s instead of 47 and
    197 s at the same load, and the retried digest repeated the false sentence it was
    retried for. The dated list stands alone instead."""
    good = "Karl Tamm backed joint patrols (#7, 2024-03-01)."
    gen = ScriptedGenerator("Karl Tamm, a journalist, changed his mind (#99, 2025-01-01).", good)
    assert stance_digest(gen, "Karl Tamm", ENTRIES) is None
    assert len(gen.calls) == 1


def test_digest_prompt_is_short_and_one_article_gets_none():
    """The digest that took 335 s was given every line with two quotes each, eight deep."""
    long_quote = " ".join(["word"] * 60)
    many = [
        StanceRecord(
            article_id=i,
            title=f"Article {i}",
            date=dt.date(2024, 1, i),
            stance_fallback=True,
            quotes=[long_quote, "second quote"],
        )
        for i in range(1, 10)
    ]
    gen = ScriptedGenerator("Karl Tamm spoke (#9, 2024-01-09).")
    stance_digest(gen, "Karl Tamm", many)
    prompt = task_of(gen.calls[0][0])
    assert "#4," not in prompt and "#5," in prompt and "#9," in prompt  # the newest five
    assert "second quote" not in prompt and prompt.count("word") <= 5 * 26
    gen = ScriptedGenerator()
    assert stance_digest(gen, "Karl Tamm", ENTRIES[:1]) is None and not gen.calls


def test_digest_over_articles_without_dates_tells_no_development_and_no_paste_day():
    """Three pasted articles gave no date of their own: the prompt tagged each with the day
    it was pasted, all the same day, and asked how the position developed, oldest first."""
    pasted = [
        e.model_copy(update={"date": dt.date(2026, 11, 28), "own_date": False}) for e in ENTRIES
    ]
    gen = ScriptedGenerator("Karl Tamm backed joint patrols (#7) and said costs could rise (#12).")
    assert stance_digest(gen, "Karl Tamm", pasted) is not None
    prompt = "\n".join(m["content"] for m in gen.calls[0][0])  # the task is in the system
    assert "2026-11-28" not in prompt and "(#7, no date)" in prompt
    assert "oldest" not in prompt and "developed" not in prompt
    gen = ScriptedGenerator("Karl Tamm backed joint patrols (#7, 2024-03-01).")
    stance_digest(gen, "Karl Tamm", ENTRIES)
    dated = "\n".join(m["content"] for m in gen.calls[0][0])
    assert "oldest first" in dated  # dated articles keep their order


def test_the_stance_list_and_digest_quote_a_sentence_not_a_word_in_quote_marks():
    """A real article's first quote of a senator was one scare-quoted word; the list showed
    it, and a digest without a stance line would have been written from it."""
    said = "The middle class has been in decline for forty years and we stand with workers"
    quoted = [
        StanceRecord(article_id=n, title=f"Story {n}", date=dt.date(2024, 1, n), quotes=q)
        for n, q in ((1, ["progressive", said]), (2, ["we will win"]))
    ]
    match = SpeakerMatch(id=1, name="Karl Tamm", kind="person", aliases=[], article_count=2)
    shown = views.stance(match, quoted, None).plain()
    assert f"“{said}”" in shown and "“progressive”" not in shown
    gen = ScriptedGenerator("Karl Tamm spoke of workers (#1, 2024-01-01).")
    stance_digest(gen, "Karl Tamm", quoted)
    assert "decline" in task_of(gen.calls[0][0])


def test_a_digest_that_cites_nothing_is_cited_by_the_line_each_sentence_restates():
    """Told to cite, the real model never did on the console: every digest, true or not,
    failed on that alone. Each uncited sentence now gets the tag of the line it restates;
    one that restates none still cites nothing and fails, as before."""
    gen = ScriptedGenerator("Karl Tamm backed joint patrols. He said costs could rise.")
    assert stance_digest(gen, "Karl Tamm", ENTRIES) == (
        "Karl Tamm backed joint patrols (#7, 2024-03-01)."
        " He said costs could rise (#12, 2024-05-02)."
    )
    gen = ScriptedGenerator("Karl Tamm spoke about weather.", "Karl Tamm was quiet.")
    assert stance_digest(gen, "Karl Tamm", ENTRIES) is None
    # sharing words with a line is not restating it: an invented trade, a reason added
    invented = (
        "Karl Tamm, a retired farmer, backed joint patrols. He said costs could rise. ",
        "Karl Tamm backed joint patrols. He said costs could rise, which would help farmers.",
    )
    assert stance_digest(ScriptedGenerator(*invented), "Karl Tamm", ENTRIES) is None


def test_the_digest_task_is_a_system_message_of_its_own_and_the_last_message_the_lines():
    """The backend keeps a system message once read: in the last message, the wording made
    a two-line digest read 149 tokens after the system message instead of 62."""
    other = [
        e.model_copy(update={"stance": (e.stance or "").replace("Karl Tamm", "Anna Virtanen")})
        for e in ENTRIES
    ]
    asked = []
    for speaker, entries in (("Karl Tamm", ENTRIES), ("Anna Virtanen", other)):
        gen = ScriptedGenerator(f"{speaker} backed joint patrols.")
        stance_digest(gen, speaker, entries)
        asked.append(gen.calls[0][0])
    assert asked[0][0] == asked[1][0] and asked[0][0]["role"] == "system"
    lines = task_of(asked[0]).splitlines()
    assert lines == [
        "What Karl Tamm said:",
        "- (#7, 2024-03-01) Karl Tamm backed joint patrols.",
        "- (#12, 2024-05-02) Karl Tamm said costs could rise.",
    ]


def test_a_digest_opens_with_the_name_and_not_with_who_the_speaker_is():
    """Left to itself, the model opened with "<name>, a prominent political figure, has
    expressed several opinions": no line holds that, and the paragraph failed on it."""
    options = {}

    class Recording(ScriptedGenerator):
        def generate(self, conversations, **kw):
            options.update(kw)
            return super().generate(conversations, **kw)

    gen = Recording("Karl Tamm backed joint patrols.")
    stance_digest(gen, "Karl Tamm", ENTRIES)
    assert gen.calls[0][0][-1] == {"role": "assistant", "content": "Karl Tamm"}
    [banned] = options["avoid_first"]
    assert {"Karl Tamm,", "Karl Tamm is", "Karl Tamm (", "Karl Tamm's"} <= set(banned)


def test_a_quote_standing_in_for_a_stance_line_is_the_speakers_sentence_not_a_label():
    """Given a quote as "Quoted: “…”", the model copied the label into the digest, and the
    checks let it through: the label was in the lines it was checked against."""
    said = "Estonia will pay for the new patrol boats from its own budget"
    boats = StanceRecord(
        article_id=9, title="Boats", date=dt.date(2024, 6, 1), quotes=[f"{said}, and soon."]
    )
    quoted = [ENTRIES[1], boats]
    prompt = digest.digest_prompt("Karl Tamm", quoted)
    (line,) = [ln for ln in task_of(prompt).splitlines() if ln.startswith("- (#9")]
    copied = line.removeprefix("- (#9, 2024-06-01) ")  # what the model wrote: the line
    shown = stance_digest(ScriptedGenerator(copied), "Karl Tamm", quoted)
    assert shown is not None and shown.startswith("Karl Tamm said “Estonia will pay")
    assert not re.search(r"\b[A-Z][a-z]+: ", shown)


def test_a_digest_may_restate_a_stance_line_word_for_word_but_not_a_quote():
    """The stance lines are sentences the model wrote and the checks passed: a digest that
    restated two of them, each cited, failed as "copies 21 words in a row". A quote is
    the speaker's own words, and stays inside quote marks."""
    line = "Karl Tamm said the two navies should share patrol boats in the gulf from May onwards."
    said = "we will keep the sea lanes open for every ship that sails in the gulf this year"
    entries = [
        ENTRIES[1].model_copy(update={"stance": line}),
        StanceRecord(article_id=9, title="Boats", date=dt.date(2024, 6, 1), quotes=[said]),
    ]
    restated = f"{line} He said “{said}”."
    assert stance_digest(ScriptedGenerator(restated), "Karl Tamm", entries) is not None
    unquoted = f"{line} He said {said}."
    assert stance_digest(ScriptedGenerator(unquoted), "Karl Tamm", entries) is None


class StreamingGenerator(ScriptedGenerator):
    """Writes each answer a word at a time and stops where the caller's test says, as the
    real backend does after every token."""

    written: list[str]

    def generate(self, conversations, *, max_new_tokens, complete=None, follow_up=None, **_):
        tests = list(complete) if complete is not None else [None] * len(conversations)
        self.written = []

        def written(batch):
            self.calls.append([list(c) for c in batch])
            out = []
            for test in tests:
                text = ""
                for word in self.answers.pop(0).split():
                    text = f"{text} {word}".strip()
                    if test is not None and test(text):
                        break
                out.append(text)
            self.written += out
            return out

        return in_rounds(written, conversations, follow_up)


def test_a_digest_stops_at_its_first_sentence_that_cannot_pass():
    """A paragraph that fails is dropped, not retried: every word after its first failing
    sentence is a decode step spent for nothing."""
    doomed = (
        "Karl Tamm, a retired farmer, backed joint patrols. " + "He said costs could rise. " * 8
    )
    gen = StreamingGenerator(doomed)
    assert stance_digest(gen, "Karl Tamm", ENTRIES) is None
    assert gen.written == ["Karl Tamm, a retired farmer, backed joint patrols. He said"]
    fine = "Karl Tamm backed joint patrols. He said costs could rise."
    assert stance_digest(StreamingGenerator(fine), "Karl Tamm", ENTRIES) == (
        "Karl Tamm backed joint patrols (#7, 2024-03-01)."
        " He said costs could rise (#12, 2024-05-02)."
    )


def test_the_digest_checks_stop_at_the_deadline_before_the_next_parse(
    monkeypatch: pytest.MonkeyPatch,
):
    """The support check parses with spaCy, which no interrupt reaches: a digest past its
    deadline spent up to 4.1 s in it on a loaded host. Neither the test for a doomed
    paragraph (run first on a finished answer) nor the checks may parse once it has passed.
    The digest's clock is the test's: it passes the deadline exactly when the answer is
    done, however loaded the host (a real 0.3 s sleep against a 0.2 s deadline failed once)."""
    parsed = []

    def counted(*args: object, **kw: object) -> list[str]:
        parsed.append(args)
        return []

    monkeypatch.setattr(digest, "support_problems", counted)
    digest._sentence_problems.cache_clear()  # an earlier test's verdicts would hide a parse
    now = [100.0]
    monkeypatch.setattr(digest, "time", SimpleNamespace(monotonic=lambda: now[0]))

    class Late(ScriptedGenerator):
        def generate(self, conversations, **options):
            now[0] += 1.0  # the answer is done just past the deadline
            return super().generate(conversations, **options)

    late = Late("Karl Tamm backed joint patrols. He said costs could rise.")
    assert stance_digest(late, "Karl Tamm", ENTRIES, deadline=now[0] + 0.5) is None
    assert not parsed
    on_time = Late("Karl Tamm backed joint patrols. He said costs could rise.")
    assert stance_digest(on_time, "Karl Tamm", ENTRIES, deadline=now[0] + 5) is not None
    assert parsed  # the same answer in time is parsed: the count above can see a parse


class HangingGenerator(ScriptedGenerator):
    """Decodes until interrupted, as the real backend does when told to stop."""

    def __init__(self) -> None:
        super().__init__()
        self.stop = threading.Event()

    def interrupt(self) -> None:
        self.stop.set()

    def generate(self, conversations, **_):
        if not self.stop.wait(timeout=10):
            raise AssertionError("never interrupted")
        raise GenerationInterrupted("generation interrupted")


def test_digest_past_its_deadline_interrupts_the_model_and_is_left_out():
    gen = HangingGenerator()
    started = time.monotonic()
    assert stance_digest(gen, "Karl Tamm", ENTRIES, deadline=started + 0.2) is None
    assert gen.stop.is_set() and time.monotonic() - started < 5
    late = ScriptedGenerator()
    assert stance_digest(late, "Karl Tamm", ENTRIES, deadline=time.monotonic() - 1) is None
    assert not late.calls  # waited behind an article for its whole budget: not started


def test_article_date_is_read_from_the_head_only():
    assert article_date("Talks resume\nBy A. Writer, March 4, 2025\nText.") == dt.date(2025, 3, 4)
    assert article_date("Kyiv, 4 Mar. 2025 — Text.") == dt.date(2025, 3, 4)
    assert article_date("Posted 2024-11-30 09:00\nText.") == dt.date(2024, 11, 30)
    assert article_date("On 17 December the general spoke.") is None  # no year: an event
    assert article_date("Head\n" + "x " * 300 + "on 4 March 2025.") is None  # in the body
    assert article_date("Dated 31 February 2025.") is None


def test_tiny_model_end_to_end_never_shows_raw_noise(tmp_path):
    model_dir = build_tiny_model(tmp_path / "tiny")
    gen = load_generator(str(model_dir), cache_dir=tmp_path)
    summary, stances = write_summary_and_stances(gen, ARTICLE, POSITIONS, LOADED)
    assert summary.fallback  # random weights cannot pass the checks
    assert [p.stance for p in stances] == [None, None, None]
    # the two speakers a line was asked for are marked; the one with nothing said is not
    assert [p.stance_fallback for p in stances] == [True, True, False]
    assert check_output(f"{EVENT} {TAMM}", ARTICLE, max_words=90, min_sentences=2) == []


def test_an_event_answer_that_runs_on_is_cut_to_its_lead_sentences():
    second = "Anna Virtanen and Karl Tamm both spoke."
    run_on = f"{EVENT} {second} They met again later, and talked for hours about boats."
    gen = ScriptedGenerator(run_on, VIRTANEN, TAMM)
    summary, _ = write_summary_and_stances(gen, ARTICLE, POSITIONS, LOADED)
    assert summary.text == f"{EVENT} {second} {VIRTANEN} {TAMM}"


def test_a_fragment_after_the_event_sentence_is_dropped():
    # the model copied the heading "Trump y Putin." of shared seed 003 after its sentence
    gen = ScriptedGenerator(f"{EVENT} Gulf patrols.", VIRTANEN, TAMM)
    summary, _ = write_summary_and_stances(gen, ARTICLE, POSITIONS, LOADED)
    assert summary.text == f"{EVENT} {VIRTANEN} {TAMM}"


def test_a_stance_line_that_restates_the_event_is_left_out():
    said = "Anna Virtanen said joint patrols will start in May."
    gen = ScriptedGenerator(f"{EVENT} {said}", VIRTANEN, TAMM)
    summary, stanced = write_summary_and_stances(gen, ARTICLE, POSITIONS, LOADED)
    assert summary.text == f"{EVENT} {said} {TAMM}"
    assert stanced[0].stance == VIRTANEN  # still the speaker's line, only not said twice


def test_an_event_sentence_may_share_a_clause_with_the_lead_but_not_be_it():
    lead = (
        "Katarina Ekdahl resigned as energy minister in October after six years in the job, "
        "two days after the government signed a new gas contract with a Norwegian supplier."
    )
    article = f"{lead}\nShe said the contract was not in the country's interest.\n"
    clause = "Katarina Ekdahl resigned as energy minister in October after six years in the job."
    assert check_event(clause, article=article, loaded=[]) == []
    copied = check_event(lead, article=article, loaded=[])
    assert any("copies" in p for p in copied)


def test_a_stance_line_the_event_already_says_is_not_repeated():
    gen = ScriptedGenerator(f"{EVENT} {VIRTANEN}", VIRTANEN, TAMM)
    summary, _ = write_summary_and_stances(gen, ARTICLE, POSITIONS, LOADED)
    assert summary.text == f"{EVENT} {VIRTANEN} {TAMM}" and not summary.fallback


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        (
            "Who acted: Finland and Estonia. What happened: They agreed to share patrol boats.",
            "labelled parts",
        ),
        (
            "Who acted? Finland and Estonia agreed to share patrol boats in the Gulf of Finland.",
            "labelled parts",
        ),
        (
            f"{EVENT_SOURCE} Finland and Estonia agreed to share patrol boats.",
            "repeats the request",
        ),
    ],
)
def test_an_event_in_the_prompt_s_own_form_is_retried(answer, problem):
    gen = ScriptedGenerator(answer, VIRTANEN, TAMM, EVENT)
    summary, _ = write_summary_and_stances(gen, ARTICLE, POSITIONS, LOADED)
    assert problem in task_of(gen.calls[1][0])
    assert summary.text.startswith(EVENT)


def test_a_bare_name_is_not_a_stance_line():
    gen = ScriptedGenerator(EVENT, "Anna Virtanen.", TAMM, "Anna Virtanen.")
    _, stanced = write_summary_and_stances(gen, ARTICLE, POSITIONS, LOADED)
    assert stanced[0].stance is None and stanced[0].stance_fallback
    assert "too short" in task_of(gen.calls[1][0])


@pytest.mark.parametrize(
    "line",
    [
        "Anna Virtanen is the Finnish Interior Minister.",
        "Anna Virtanen is a Finnish interior minister.",  # the role's own words, any case
        "Virtanen was the Interior Minister of Finland.",
        "Anna Virtanen as the Interior Minister of Finland.",  # no verb at all
        "Anna Virtanen serves as the minister in charge of the border guard.",
        "Virtanen holds the position of minister of the interior.",
        "Anna Virtanen has a position as Minister.",
        "Anna Virtanen holds the position in the interior ministry.",
        "Anna Virtanen speaks on behalf of the Finnish government.",
        "Anna Virtanen serves in the Finnish government.",
    ],
)
def test_who_a_speaker_is_is_not_a_stance_line(line):
    gen = ScriptedGenerator(EVENT, line, TAMM, VIRTANEN)
    _, stanced = write_summary_and_stances(gen, ARTICLE, POSITIONS, LOADED)
    assert "says who Anna Virtanen is" in task_of(gen.calls[1][0])
    assert stanced[0].stance == VIRTANEN


@pytest.mark.parametrize(
    "line",
    [
        "Anna Virtanen is a firm backer of joint patrols that carry no weapons.",
        "Anna Virtanen holds the position that joint patrols will carry no weapons.",
    ],
)
def test_a_position_put_as_what_a_speaker_is_passes(line):
    gen = ScriptedGenerator(EVENT, line, TAMM)
    _, stanced = write_summary_and_stances(gen, ARTICLE, POSITIONS, LOADED)
    assert stanced[0].stance == line and len(gen.calls) == 1


def test_a_run_on_stance_line_ends_at_a_clause_break_and_is_still_checked():
    run_on = (
        "Karl Tamm said Estonia welcomes help at sea but warned costs could rise, adding that "
        "the boats would need new crews and a harbour of their own before any patrol"
    )  # over 25 words and cut off by the token limit
    gen = ScriptedGenerator(EVENT, VIRTANEN, run_on)
    _, stanced = write_summary_and_stances(gen, ARTICLE, POSITIONS, LOADED)
    assert stanced[1].stance == TAMM and len(gen.calls) == 1  # no retry needed

    # "and that" opens a second reported clause: the line ends before it, and the model may
    # stop there, since every later break would leave a line past the limit
    second_clause = (
        "Karl Tamm said Estonia welcomes help at sea but warned costs could rise and that the "
        "boats would need new crews and a harbour of their own before"
    )
    gen = ScriptedGenerator(EVENT, VIRTANEN, second_clause)
    _, stanced = write_summary_and_stances(gen, ARTICLE, POSITIONS, LOADED)
    assert stanced[1].stance == TAMM and len(gen.calls) == 1
    assert stance_complete(second_clause) and not stance_complete(second_clause[:100])

    as_well_as = (  # ', as well as' joins parts of one clause: cutting there would garble it
        "Karl Tamm said that the only guarantee of safety for Estonia, as well as a check on "
        "smugglers at sea in every season, is a fleet that Finland and Estonia share."
    )
    gen = ScriptedGenerator(EVENT, VIRTANEN, as_well_as, TAMM)
    _, stanced = write_summary_and_stances(gen, ARTICLE, POSITIONS, LOADED)
    assert len(gen.calls) == 2 and stanced[1].stance == TAMM  # too long, so it was retried


def test_the_event_source_keeps_a_title_with_its_sentence():
    text = "Gov. Ray Holt signed the budget on Monday. It takes effect in May."
    assert (
        event_source(text) == "Gov. Ray Holt signed the budget on Monday.\nIt takes effect in May."
    )


# A long report (invented): a lead about a visit, asides, and a later part whose main claim
# (the harbour deal) the rest of the article keeps coming back to.
_ASIDES = [
    "Reporters waited outside the terminal for most of the afternoon.",
    "A brass band played near the ferry gates before the ceremony began.",
    "Local shops stayed open late for visitors from the islands.",
    "The weather was cold but dry, with a light wind from the east.",
    "Schoolchildren waved small flags along the road into the old town.",
    "Traffic on the coast road was slow until early evening.",
    "Several cafes near the square offered free coffee to the crowd.",
    "Police closed two streets near the parliament building for an hour.",
    "Tourists photographed the ships anchored in the bay all day.",
    "The visit was the first of its kind in almost four years.",
]
LONG_REPORT = (
    "Harbour deal in Tallinn\n"
    "Finnish Prime Minister Liisa Aho arrived in Tallinn on Monday for a two-day visit. "
    "She was met at the ferry terminal by Estonian officials.\n"
    + " ".join(_ASIDES[:5])
    + "\nThe harbour deal lets Finnish and Estonian patrol boats share the Tallinn harbour "
    "berths from May, and costs 40 million euros over five years.\n"
    + " ".join(_ASIDES[5:])
    + "\nOfficials said the harbour deal would be signed in June. Patrol boats from both "
    "navies already use the harbour in winter. Fishermen asked whether the berths shared "
    "by patrol boats would leave room for their own boats in the harbour.\n"
)


def test_a_long_article_s_event_source_holds_a_later_main_claim_within_its_budget():
    source = event_source(LONG_REPORT)
    assert source.startswith("Headline: Harbour deal in Tallinn\nFinnish Prime Minister")
    assert "share the Tallinn harbour berths from May" in source  # past the opening
    assert len(source.split()) <= SOURCE_WORDS + len("Headline:".split())


OPINION = (
    "The warmongers of the alliance have learned nothing. Their reckless plan to arm the "
    "junta is propaganda dressed as policy. The imperialist capitals pretend to want peace "
    "while their lapdogs in the press cheer every new shipment. Ordinary people pay for it.\n"
)


def test_only_an_opinion_piece_is_summarised_as_what_the_author_argues():
    report = event_job(ARTICLE, LOADED)
    assert "author" not in task_of(report.prompt).casefold()
    assert "The author" in report.avoid_first  # a report's author only reports
    essay = event_job(OPINION, find_loaded_phrases(OPINION))
    assert "what the author argues" in task_of(essay.prompt)
    assert "The author" not in essay.avoid_first


REPORTED = (
    "Talks in Vienna\n"
    "The talks ended on Friday with an agreement to meet again in June. "
    "Chief negotiator Ivan Petrenko demanded that the border crossing be reopened before any "
    "new round, a demand that no serious diplomat could accept. "
    "In a move that surprised no one, Petrenko also insisted that observers leave the region, "
    "which would only prolong the war.\n"
)


def test_a_paraphrased_speaker_s_line_is_written_from_the_reported_clause_only():
    """The speaker has no quotation, only reported speech, and the author comments in the
    same sentences: the model and the support check get what the speaker said."""
    first = REPORTED.index("Chief negotiator")
    second = REPORTED.index("In a move")
    petrenko = Position(
        speaker="Ivan Petrenko",
        aliases=["Petrenko"],
        paraphrases=[
            Span(text=REPORTED[first : second - 1], start=first, end=second - 1),
            Span(text=REPORTED[second:-1], start=second, end=len(REPORTED) - 1),
        ],
    )
    expected = [
        "Chief negotiator Ivan Petrenko demanded that the border crossing be reopened before "
        "any new round",
        "Petrenko also insisted that observers leave the region",
    ]
    assert speaker_sentences(REPORTED, petrenko) == expected
    assert [REPORTED[s:e] for s, e in own_words(REPORTED, petrenko)] == expected
    [(_, job)] = stance_jobs(REPORTED, [petrenko])
    prompt = " ".join(m["content"] for m in job.prompt)
    assert "Petrenko demanded that the border crossing" in prompt
    assert (
        "serious diplomat" not in prompt and "prolong" not in prompt and "surprised" not in prompt
    )


FRAMED = (
    "Ferry crisis\n"
    "The week had the air of a scramble to make sure the island “keeps its ferries running” "
    "(Lena Morkel dixit) before the autumn storms close the harbour for good.\n"
    "As Morkel has pointed out, the boats are “the only road the island has”.\n"
    "According to Morkel, the old pier is “safe for another ten years”.\n"
)


def test_a_quoted_fragment_in_the_author_s_sentence_is_all_the_speaker_s_line_is_written_from():
    """Only the quoted words of the first sentence are the speaker's: the scramble and the
    storms are the author's, and a line that gives them to her must not pass. Where a verb
    of saying ("has pointed out") or "according to" holds the sentence, it is hers whole."""
    morkel = Position(
        speaker="Lena Morkel",
        aliases=["Morkel"],
        quotes=[
            Span(text=q, start=(at := FRAMED.index(q)), end=at + len(q))
            for q in (
                "keeps its ferries running",
                "the only road the island has",
                "safe for another ten years",
            )
        ],
    )
    expected = [
        "“keeps its ferries running”",
        "As Morkel has pointed out, the boats are “the only road the island has”.",
        "According to Morkel, the old pier is “safe for another ten years”.",
    ]
    assert speaker_sentences(FRAMED, morkel) == expected
    assert [" ".join(FRAMED[s:e].split()) for s, e in own_words(FRAMED, morkel)] == expected
    [(_, job)] = stance_jobs(FRAMED, [morkel])
    prompt = " ".join(m["content"] for m in job.prompt)
    assert "scramble" not in prompt and "storms" not in prompt
    framed = (
        "Lena Morkel wants the island's ferries kept running before the storms close the harbour."
    )
    assert job.check(framed)
    assert not job.check("Lena Morkel says the boats are the only road the island has.")


def test_a_short_line_that_names_what_the_speaker_backs_passes_and_an_empty_one_does_not():
    """ "<name> endorsed <name>." states a position in five words; a line with nothing after
    the name but a verb states none, and the support check says so."""
    text = "Council vote\nCouncillor Maija Koskinen said on Monday that she endorsed Pekka Salo.\n"
    start = text.index("Councillor")
    koskinen = Position(
        speaker="Maija Koskinen",
        aliases=["Koskinen"],
        paraphrases=[Span(text=text[start:-1], start=start, end=len(text) - 1)],
    )
    [(_, job)] = stance_jobs(text, [koskinen])
    assert job.check("Maija Koskinen endorsed Pekka Salo.") == []
    assert job.check("Maija Koskinen agrees.")
    assert job.check("Maija Koskinen.")


ASIDE = (
    "Harbour dispute\n"
    "The port was described as “a lifeline” by harbour master Olli Rask, for whom “no ferry may be "
    "cut without the islanders' consent”—a rule the port itself broke last winter by selling "
    "two boats.\n"
)


def test_the_author_s_aside_after_the_speaker_s_quotation_is_not_in_the_prompt():
    """The aside behind the dash is the author's: the model was shown it as the speaker's
    and wrote it as his view, and the support check, which had it cut, failed the line
    twice. The prompt and the check read the same words."""
    rask = Position(
        speaker="Olli Rask",
        aliases=["Rask"],
        quotes=[
            Span(text=q, start=(at := ASIDE.index(q)), end=at + len(q))
            for q in ("a lifeline", "no ferry may be cut without the islanders' consent")
        ],
    )
    [said] = speaker_sentences(ASIDE, rask)
    assert said.endswith("consent”") and "broke" not in said
    assert [" ".join(ASIDE[s:e].split()) for s, e in own_words(ASIDE, rask)] == [said]
    [(_, job)] = stance_jobs(ASIDE, [rask])
    prompt = " ".join(m["content"] for m in job.prompt)
    assert "consent" in prompt and "broke" not in prompt and "selling" not in prompt


TERM = (
    "Border talks\n"
    "Chief negotiator Ivan Petrenko demanded that 500 guards be posted to a ‘buffer zone’ "
    "along the river, and rejected what Mayor Anna Berg called ‘a fair deal’.\n"
)


def test_a_term_the_author_sets_in_quotation_marks_stays_in_the_speaker_s_words():
    """Cut out as someone else's quotation, the marked term left the demand without its
    object, and the true line that named it failed the support check twice. A term filed
    under another speaker stays out."""
    start = TERM.index("Chief")
    petrenko = Position(
        speaker="Ivan Petrenko",
        aliases=["Petrenko"],
        paraphrases=[Span(text=TERM[start:-1], start=start, end=len(TERM) - 1)],
    )
    at = TERM.index("a fair deal")
    berg = Position(speaker="Anna Berg", quotes=[Span(text="a fair deal", start=at, end=at + 11)])
    own = " ".join(TERM[s:e] for s, e in own_words(TERM, petrenko, others=[berg]))
    assert "buffer zone" in own and "fair deal" not in own
    [job] = [job for i, job in stance_jobs(TERM, [petrenko, berg]) if i == 0]
    assert job.check("Ivan Petrenko demanded 500 guards for a buffer zone along the river.") == []


def test_the_stance_task_asks_for_the_reported_act_not_what_the_speaker_thinks_or_wants():
    """Asked for "what they think, want or call for", the model wrote "<name> supports ..."
    and "<name> believes ..." for a warning, a sarcastic remark or a question."""
    start = TERM.index("Chief")
    petrenko = Position(
        speaker="Ivan Petrenko",
        paraphrases=[Span(text=TERM[start:-1], start=start, end=len(TERM) - 1)],
    )
    [(_, job)] = stance_jobs(TERM, [petrenko])
    system = job.prompt[0]["content"]
    assert "said, demanded, warned of or rejected" in system
    assert "think" not in system and "want" not in system


def test_a_sentence_where_the_speaker_is_not_the_main_clause_s_subject_stays_whole():
    text = (
        "After Petrenko demanded a new round, the agency reported that talks would resume, "
        "a step few expected.\n"
    )
    petrenko = Position(
        speaker="Ivan Petrenko",
        aliases=["Petrenko"],
        paraphrases=[Span(text=text.strip(), start=0, end=len(text) - 1)],
    )
    assert speaker_sentences(text, petrenko) == [text.strip()]


def test_a_stance_line_the_event_says_in_other_words_is_left_out():
    # shared seed 001: "Mark Rutte supports military aid for Ukraine." after an event
    # sentence that had him advocate more military aid; no copied run is long enough
    said = "Virtanen said the joint patrols begin in May and the boats carry no weapons."
    gen = ScriptedGenerator(f"{EVENT} {said}", VIRTANEN, TAMM)
    summary, stanced = write_summary_and_stances(gen, ARTICLE, POSITIONS, LOADED)
    assert summary.text == f"{EVENT} {said} {TAMM}"
    assert stanced[0].stance == VIRTANEN  # still the speaker's line, only not said twice

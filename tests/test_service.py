"""The service core's commands and error replies, over a real SQLite file and real NLP.

The language model is off here (positions and loaded phrases are real); the model's path is
covered by the model tests. Nothing is mocked but the scheduler port, recorded instead.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3

import pytest
from support import CHAT, demo, settings_for, sqlite_of, text_of

from bot.runtime import open_service
from bot.service import COMMANDS, ChatRef


async def test_help_lists_every_command_the_router_answers(service):
    """One registry: each listed command is in /help as `/name usage — help`, and answered."""
    shown = await text_of(await service.handle(CHAT, "/help"))
    listed = [c for c in COMMANDS if c.in_help]
    assert len(listed) >= 12
    for command in listed:
        assert command.line in shown
        answer = await text_of(await service.handle(CHAT, f"/{command.name}"))
        assert answer and "I don't know" not in answer, command.name


async def test_help_and_unknown_command(service):
    assert "/stance NAME" in await text_of(await service.handle(CHAT, "/help"))
    assert "/stance NAME" in await text_of(await service.handle(CHAT, "/start@briefbot"))
    reply = await text_of(await service.handle(CHAT, "/frobnicate now"))
    assert "I don't know /frobnicate" in reply and "/help" in reply


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("", "empty"),
        ("   \n\t ", "empty"),
        ("hello", "too short"),
        (
            "El Kremlin aprovecha el paréntesis entre la victoria de Donald Trump y su investidura "
            * 8,
            "only read English",
        ),
    ],
)
async def test_bad_messages_get_a_clear_reply_and_store_nothing(service, message, expected):
    assert expected in await text_of(await service.handle(CHAT, message))
    assert "No articles stored yet" in await text_of(await service.handle(CHAT, "/articles"))


async def test_huge_paste_is_refused_politely(service):
    reply = await text_of(await service.handle(CHAT, "word " * 50_000))
    assert "up to 100,000" in reply


async def test_paste_is_stored_briefed_and_listed(service):
    final = await text_of(await service.handle(CHAT, demo("01_alliance")))
    assert "Who said what" in final
    assert "Ingrid Halvorsen" in final
    assert "Warmongers gather in Brussels" in final  # the headline line became the title
    assert "reckless" in final  # the loaded phrase is reported as the author's slant
    listing = await text_of(await service.handle(CHAT, "/articles"))
    assert "#1 Warmongers gather in Brussels" in listing
    again = await text_of(await service.handle(CHAT, demo("01_alliance")))
    assert "#1" in again and "Ingrid Halvorsen" in again  # answered from storage, not re-queued


async def test_scare_quotes_are_shown_with_their_own_marks_only(service):
    final = await text_of(await service.handle(CHAT, demo("02_ceasefire")))
    assert "'referendum'" in final and "‘'referendum'’" not in final


async def test_article_ids_are_checked(service):
    assert "No articles stored yet" in await text_of(await service.handle(CHAT, "/summary"))
    await text_of(await service.handle(CHAT, demo("02_ceasefire")))
    assert "no article #999" in await text_of(await service.handle(CHAT, "/summary 999"))
    assert "not an article number" in await text_of(await service.handle(CHAT, "/positions abc"))
    other = ChatRef(chat_id=1000, user_id=8)
    assert "no article #1" in await text_of(await service.handle(other, "/quotes 1"))
    assert "Which article?" in await text_of(await service.handle(CHAT, "/delete"))


async def test_quotes_shown_are_verbatim(service):
    text = demo("02_ceasefire")
    await text_of(await service.handle(CHAT, text))
    shown = await text_of(await service.handle(CHAT, "/quotes 1"))
    quotes = [line.strip()[1:-1] for line in shown.splitlines() if line.startswith("    “")]
    assert quotes, shown
    assert all(q in text for q in quotes)


# A speaker whose first quote is someone else's words set inside their reporting clause.
ECHOED_FIRST = """Harbour plan splits the council.

Mayor Lena Ford said she would not back the harbour plan because the council chair cast her \
budget as “costly and late” during the debate on Tuesday.
The council will vote on the plan next month, and the port authority wants an answer soon.
“We cannot build a harbour on borrowed money and borrowed time, and I will vote against \
it,” Ford told reporters after the session.
"""


async def test_the_quote_shown_for_a_speaker_is_their_main_one_not_their_first(service):
    """Wherever one quote stands for a speaker (the brief, /positions, the briefing), it
    is the one the dated list and the digest use (`types.main_quote`): a fragment echoing
    another's words, first in the text, is not shown as the speaker's."""
    brief = await text_of(await service.handle(CHAT, ECHOED_FIRST))
    positions = await text_of(await service.handle(CHAT, "/positions 1"))
    analysis = await service.store.get_analysis(1)
    assert analysis is not None
    unlined = [p.model_copy(update={"stance": None}) for p in analysis.positions]
    await service.store.save_analysis(1, analysis.model_copy(update={"positions": unlined}))
    briefing = await text_of(await service.handle(CHAT, "/briefing"))
    assert "Lena Ford: “We cannot build a harbour" in briefing
    for shown in (brief, positions, briefing):
        assert "“We cannot build a harbour" in shown and "“costly and late”" not in shown, shown
    everything = await text_of(await service.handle(CHAT, "/quotes 1"))
    assert "“costly and late”" in everything  # still filed: only the choice shown changed


@pytest.mark.parametrize(
    ("unfinished", "why"),
    [
        (False, "No stance line passed the checks"),
        (True, "The model ran out of time for a stance line"),  # at the analysis limit
    ],
)
async def test_a_failed_stance_line_is_shown_as_one_not_as_the_models_words(
    service, unfinished: bool, why: str
):
    """The flag is turned into the marked stand-in by the views: in the article's reply and
    in /stance, saying why, for a line the model had no time for read as one that failed
    its checks. The briefing, one line per speaker, gives the speaker's quote instead."""
    await text_of(await service.handle(CHAT, demo("02_ceasefire")))
    analysis = await service.store.get_analysis(1)
    assert analysis is not None
    first = analysis.positions[0]
    analysis.positions[0] = first.model_copy(
        update={"stance": None, "stance_fallback": True, "stance_unfinished": unfinished}
    )
    await service.store.save_analysis(1, analysis)
    times = "once" if len(first.quotes) == 1 else f"{len(first.quotes)} times"
    summary = await text_of(await service.handle(CHAT, "/summary 1"))
    assert f"{first.speaker}" in summary
    assert f"[{why}; quoted {times}, see the quotes.]" in summary
    history = await text_of(await service.handle(CHAT, f"/stance {first.speaker}"))
    assert f"[{why};" in history
    briefing = await text_of(await service.handle(CHAT, "/briefing"))
    assert f"{first.speaker}: “" in briefing and "No stance line" not in briefing


async def test_stance_unknown_ambiguous_and_variants(service):
    await text_of(await service.handle(CHAT, demo("02_ceasefire")))
    await text_of(await service.handle(CHAT, demo("03_energy")))
    assert "Whose stance?" in await text_of(await service.handle(CHAT, "/stance"))
    unknown = await text_of(await service.handle(CHAT, "/stance Sorokn"))
    assert "No one called “Sorokn”" in unknown and "Dmitry Sorokin" in unknown
    ambiguous = await text_of(await service.handle(CHAT, "/stance Weber"))
    assert "Anna Weber" in ambiguous and "Karl Weber" in ambiguous
    variant = await text_of(await service.handle(CHAT, "/stance Lisovsky"))
    assert "Taras Lisovskiy" in variant and "#1" in variant
    assert "Lisovskiy" in await text_of(await service.handle(CHAT, "/speakers"))


async def test_stance_says_a_date_is_the_day_stored_where_the_article_gives_none(service):
    """Real news pasted without a dateline was listed under the day it was pasted, shown as
    if it were the article's date (one with a dateline keeps its own: test_faults)."""
    await text_of(await service.handle(CHAT, demo("02_ceasefire")))
    history = await text_of(await service.handle(CHAT, "/stance Lisovsky"))
    assert re.search(r"• stored \d{4}-\d\d-\d\d · #1 ", history), history


async def test_a_headline_split_over_two_lines_is_listed_without_its_separator(service):
    """A real article's headline ran over two lines, the first ending in ';': the lists and
    /stance showed "<headline>;" (and "momentum;:" before a speaker's line)."""
    text = demo("02_ceasefire")
    headline, body = text.split("\n", 1)
    await text_of(await service.handle(CHAT, f"{headline};\nTalks go on\n{body}"))
    listing = await text_of(await service.handle(CHAT, "/articles"))
    assert f"#1 {headline}\n" in listing, listing
    assert f"{headline} (" in await text_of(await service.handle(CHAT, "/stance Lisovsky"))


async def test_search(service):
    await text_of(await service.handle(CHAT, demo("03_energy")))
    assert "#1" in await text_of(await service.handle(CHAT, "/search gas cap"))
    assert "Nothing in your articles" in await text_of(await service.handle(CHAT, "/search zebra"))
    assert "Search for what?" in await text_of(await service.handle(CHAT, "/search"))


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ("", "Usage: /subscribe"),
        ("25:00", "not a time of day"),
        ("07:30 Mars/Olympus", "I don't know the time zone"),
        ("07:30 Europe/Rome extra", "Usage: /subscribe"),
    ],
)
async def test_subscribe_rejects_bad_input(service, args, expected):
    assert expected in await text_of(await service.handle(CHAT, f"/subscribe {args}"))
    assert service.test_scheduler.scheduled == []


async def test_subscribe_schedules_and_unsubscribe_cancels(service):
    reply = await text_of(await service.handle(CHAT, "/subscribe 7:05 Europe/Rome"))
    assert "every day at 07:05 Europe/Rome" in reply and "next one comes" in reply
    (sub,) = service.test_scheduler.scheduled
    assert (sub.chat_id, sub.tz) == (42, "Europe/Rome")
    assert "Unsubscribed" in await text_of(await service.handle(CHAT, "/unsubscribe"))
    assert service.test_scheduler.cancelled == [42]
    assert "no subscription" in await text_of(await service.handle(CHAT, "/unsubscribe"))


async def test_briefing_covers_new_articles_once(service):
    await service.handle(CHAT, "/subscribe 08:00 UTC")
    await text_of(await service.handle(CHAT, demo("04_frontline")))
    first = await text_of(await service.handle(CHAT, "/briefing"))
    assert "Kharkiv region braces" in first and "next briefing" in first
    second = await text_of(await service.handle(CHAT, "/briefing"))
    assert "No new articles since the last briefing" in second


async def test_unconfirmed_briefing_keeps_its_window(service):
    """A briefing that failed to send is composed again next time, not skipped."""
    await service.handle(CHAT, "/subscribe 08:00 UTC")
    await text_of(await service.handle(CHAT, demo("04_frontline")))
    undelivered, _ = await service.compose_briefing(CHAT.chat_id)
    retry, covered_until = await service.compose_briefing(CHAT.chat_id)
    assert "Kharkiv region braces" in undelivered.plain()
    assert "Kharkiv region braces" in retry.plain()
    assert "Tkachuk" in retry.plain()
    await service.confirm_briefing(CHAT.chat_id, covered_until)
    after, _ = await service.compose_briefing(CHAT.chat_id)
    assert "No new articles" in after.plain()


async def test_documents_obey_the_allow_list(tmp_path):
    async with open_service(settings_for(tmp_path, allowed_user_ids=[1]), use_model=False) as svc:
        refused = await svc.submit_document(ChatRef(5, user_id=2), "a.txt", b"text " * 100)
        assert "private" in await text_of(refused)


async def test_delete(service):
    await text_of(await service.handle(CHAT, demo("04_frontline")))
    assert "Deleted #1" in await text_of(await service.handle(CHAT, "/delete 1"))
    assert "No articles stored yet" in await text_of(await service.handle(CHAT, "/articles"))


async def test_allow_list(tmp_path):
    async with open_service(settings_for(tmp_path, allowed_user_ids=[1]), use_model=False) as svc:
        assert "private" in await text_of(await svc.handle(ChatRef(5, user_id=2), "/help"))
        assert "/stance" in await text_of(await svc.handle(ChatRef(5, user_id=1), "/help"))


async def test_submission_rate_limit(tmp_path):
    async with open_service(settings_for(tmp_path, submissions_per_hour=1), use_model=False) as svc:
        await text_of(await svc.handle(CHAT, demo("01_alliance")))
        assert "please wait" in await text_of(await svc.handle(CHAT, demo("02_ceasefire")))


async def test_locked_database_refuses_clearly_and_keeps_data(tmp_path):
    settings = settings_for(tmp_path)
    async with open_service(settings, use_model=False) as svc:
        await text_of(await svc.handle(CHAT, demo("01_alliance")))
        # The service may be inside a transaction of its own, which needs the event loop to
        # finish: waiting for the lock on the loop deadlocked until the timeout (1 run in ~10).
        locker = sqlite3.connect(settings.database, timeout=5, check_same_thread=False)
        await asyncio.to_thread(locker.execute, "BEGIN EXCLUSIVE")
        try:
            await sqlite_of(svc)._db.execute("PRAGMA busy_timeout=50")
            reply = await text_of(await svc.handle(CHAT, demo("02_ceasefire")))
        finally:
            locker.rollback()
            locker.close()
        assert "database is unavailable" in reply
        listing = await text_of(await svc.handle(CHAT, "/articles"))
        assert "#1" in listing and "#2" not in listing


async def test_articles_survive_restart(tmp_path):
    settings = settings_for(tmp_path)
    async with open_service(settings, use_model=False) as svc:
        await text_of(await svc.handle(CHAT, demo("03_energy")))
    async with open_service(settings, use_model=False) as svc:
        assert "#1 EU ministers split" in await text_of(await svc.handle(CHAT, "/articles"))

"""Hostile and odd input: each gets a clear reply, and the bot keeps serving afterwards.

Only what other test files do not already cover (see the module list in each test's
docstring): huge pastes and bad documents through the real Telegram path, hostile HTML,
odd quotation marks, and the same article arriving twenty times at once. The language
model is off (`use_model=False`); positions, quotes and storage are real.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from botapi_stub import BotApiStub, PageServer, article_html, page, redirect
from telegram.ext import Application
from test_fetch import CONSENT_PAGE, PAYWALL_PAGE, SLOW_HTML, _big, _encoded, _gzip
from test_service import CHAT, demo, service, settings_for, text_of  # noqa: F401 (fixture)
from test_telegram import (  # noqa: F401 (fixtures)
    bot,
    make_app,
    running,
    settings,
    showing,
    site,
    stub,
)

from bot.fetch.pool import ExtractionPool
from bot.fetch.safe import SafeFetcher
from bot.runtime import open_service
from bot.service import ChatRef
from bot.service.core import MAX_ARTICLE_CHARS, MAX_DOCUMENT_BYTES
from bot.service.ports import FetchedPage
from bot.settings import Settings

OTHER = ChatRef(chat_id=43, user_id=8)

# ---------------------------------------------------------------------------------------
# through the real Telegram path (PTB Application + Bot API stand-in on 127.0.0.1)


async def test_200k_paste_is_refused_and_the_bot_keeps_serving(
    bot: Application,  # noqa: F811
    stub: BotApiStub,  # noqa: F811
) -> None:
    paste = ("The minister said the plan would work. " * 5200)[:200_000]
    assert len(paste) == 200_000
    stub.message(paste)
    await stub.wait_for(showing(stub, "200,000 characters", f"{MAX_ARTICLE_CHARS:,}"))
    stub.message("/help")
    await stub.wait_for(showing(stub, "/subscribe HH:MM"))
    assert not stub.sent("getFile")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\xff\xfe\x00\x00\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40, "not UTF-8 text"),
        (b"The council met. " * 20 + b"\xc3\x28 broken \xe2\x82", "not UTF-8 text"),
        (b"\x00\x01\x02 ELF-ish but valid UTF-8 \x00" * 50, "looks binary"),
        (b"", "empty"),
    ],
    ids=["binary", "invalid-utf8", "nul-bytes", "empty"],
)
async def test_bad_txt_documents_get_a_clear_reply(
    bot: Application,  # noqa: F811
    stub: BotApiStub,  # noqa: F811
    data: bytes,
    expected: str,
) -> None:
    stub.document("article.txt", data, mime="text/plain")
    await stub.wait_for(showing(stub, expected))
    stub.message("/articles")
    await stub.wait_for(showing(stub, "No articles stored yet"))


def _nested(depth: int) -> str:
    return article_html().replace(
        "<article>", "<article>" + "<div><span>" * depth + "deep" + "</span></div>" * depth
    )


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10 if n > 1 else "&lol;" * 10}">'
        for n in range(1, 10)
    )
    + "]>"
)

HOSTILE_HTML = {
    "scripts": article_html().replace(
        "<article>",
        "<article><script>document.cookie='x';" + "x=1;" * 100_000 + "</script>"
        "<style>p{display:none}</style><iframe src='javascript:alert(1)'></iframe>"
        "<img src=x onerror=alert(1)><noscript>enable javascript</noscript>",
    ),
    "nested-10000": _nested(10_000),
    "unclosed-10000": article_html().replace("<article>", "<article>" + "<b><i>" * 10_000),
    "amp-bomb": article_html().replace("<article>", "<article><p>" + "&amp;" * 300_000 + "</p>"),
    "numeric-bomb": article_html().replace(
        "<article>", "<article><p>" + "&#128512;&#x26;&#0;&#xFFFFFF;" * 60_000 + "</p>"
    ),
    "billion-laughs": BILLION_LAUGHS
    + article_html().replace("<article>", "<article><p>&lol9;</p>"),
}


@pytest.mark.parametrize("name", list(HOSTILE_HTML))
async def test_hostile_html_documents_answered_in_bounded_time(
    bot: Application,  # noqa: F811
    stub: BotApiStub,  # noqa: F811
    name: str,
) -> None:
    """Through PTB: scripts are dropped, deep nesting and entity bombs neither hang nor
    crash, and whatever comes out is either a brief or one clear sentence."""
    data = HOSTILE_HTML[name].encode()
    assert len(data) < 2 * 1024 * 1024  # the handler's own size limit is tested elsewhere
    started = time.monotonic()
    stub.document(f"{name}.html", data, mime="text/html")
    answer = await stub.wait_for(
        lambda: next(
            (
                t
                for t in stub.texts()
                if "Who said what" in t
                or "only a few lines" in t
                or "up to 100,000" in t
                or "no article text" in t
            ),
            None,
        ),
        seconds=30,
    )
    assert time.monotonic() - started < 30
    assert "<script" not in answer and "alert(1)" not in answer and "lollol" not in answer
    stub.message("/help")
    await stub.wait_for(showing(stub, "/subscribe HH:MM"))


async def test_html_document_over_the_article_limit_is_refused(tmp_path: Path) -> None:
    """An HTML file under the 2 MB file limit can still carry far more than one article:
    it gets the same size refusal as a paste, and nothing is stored or analysed."""
    async with open_service(settings_for(tmp_path), use_model=False) as svc:
        reply = await text_of(
            await svc.submit_document(CHAT, "bomb.html", HOSTILE_HTML["amp-bomb"].encode())
        )
        assert f"up to {MAX_ARTICLE_CHARS:,}" in reply
        assert "No articles stored yet" in await text_of(await svc.handle(CHAT, "/articles"))


# ---------------------------------------------------------------------------------------
# odd quotation marks: whatever is shown is verbatim

ODD_QUOTES = (
    "Harbour strike enters second week\n\n"
    "Dock workers in the northern port stayed out for an eighth day on Monday, and the"
    " union said talks with the port authority had stalled over pay and night shifts.\n\n"
    "“We are not going back until the night rota is fixed, said union leader Maria"
    " Santos at the gates, where several hundred workers had gathered since dawn.\n\n"
    'The port authority’s director, Paul Brandt, said: "The offer on the table is fair'
    ' and it is final." He added that ships were already being diverted » to other ports'
    " along the coast.\n\n"
    "Santos replied that the director 'does not understand what a night shift costs a"
    " family’ and that the union’s members were ‘ready to wait’.\n\n"
    "«Nobody wants this to last,» said transport minister Eva Lind, who offered to"
    " mediate. “Both sides must come back to the table by Friday,” Lind said.\n\n"
    'Shipping firms said the strike had already cost them millions, and that "customers'
    " are losing patience."
)


async def test_odd_and_unbalanced_quote_marks_only_show_verbatim_quotes(tmp_path: Path) -> None:
    """test_service covers verbatim quotes on a clean article; here an opening “ is never
    closed, a » stands alone, ' and ’ are mixed and a \" runs off the end of the text."""
    async with open_service(settings_for(tmp_path), use_model=False) as svc:
        brief = await text_of(await svc.handle(CHAT, ODD_QUOTES))
        assert "Who said what" in brief, brief
        shown = [brief]
        for command in ("/quotes 1", "/positions 1", "/summary 1", "/stance Lind"):
            shown.append(await text_of(await svc.handle(CHAT, command)))
        quotes = [
            line.strip()[1:-1]
            for reply in shown
            for line in reply.splitlines()
            if line.startswith("    “") and line.endswith("”")
        ]
        assert quotes, shown
        for quote in quotes:
            assert quote in ODD_QUOTES, quote
        analysis = await svc.store.get_analysis(1)
        assert analysis is not None
        for position in analysis.positions:
            for span in position.quotes:
                assert ODD_QUOTES[span.start : span.end] == span.text


# ---------------------------------------------------------------------------------------
# the same article, twenty times at once


def _rows(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


@pytest.mark.parametrize("one_chat", [False, True], ids=["20-chats", "one-chat"])
async def test_same_article_twenty_times_at_once_is_stored_and_analysed_once(
    tmp_path: Path, one_chat: bool
) -> None:
    config = settings_for(tmp_path)
    text = demo("02_ceasefire")
    async with open_service(config, use_model=False) as svc:
        chats = [
            ChatRef(chat_id=CHAT.chat_id if one_chat else 1000 + i, user_id=500 + i)
            for i in range(20)
        ]
        drafts = 0
        real_draft = svc.analyzer.draft

        async def counting_draft(*args, **kwargs):  # type: ignore[no-untyped-def]
            nonlocal drafts
            drafts += 1
            return await real_draft(*args, **kwargs)

        svc.analyzer.draft = counting_draft  # type: ignore[method-assign]
        responses = await asyncio.wait_for(
            asyncio.gather(*(svc.handle(chat, text) for chat in chats)), timeout=60
        )
        finals = await asyncio.wait_for(
            asyncio.gather(*(text_of(r) for r in responses)), timeout=60
        )
    assert len(finals) == 20
    for final in finals:
        assert "#1" in final and "Who said what" in final, final
    assert drafts == 1
    db = config.database
    assert _rows(db, "SELECT id, state, attempts FROM articles") == [(1, "done", 1)]
    assert _rows(db, "SELECT COUNT(*) FROM analyses") == [(1,)]
    links = _rows(db, "SELECT COUNT(*) FROM chat_articles")
    assert links == [(1 if one_chat else 20,)]
    positions = _rows(db, "SELECT COUNT(*), COUNT(DISTINCT speaker_id) FROM positions")
    assert positions[0][0] == positions[0][1] > 0


# ---------------------------------------------------------------------------------------
# links that fail in every way, several to a message, through the real bot

GERMAN = [
    "Der Stadtrat hat am Dienstag mit sieben zu zwei Stimmen beschlossen, das Netz der"
    " Nachtbusse zu erweitern, und damit einen Streit beendet, der ein ganzes Jahr dauerte.",
    "„Busse sind das Rückgrat dieser Stadt, und wer spät arbeitet, verdient einen sicheren"
    " Heimweg“, sagte Bürgermeisterin Jana Dorn nach der Abstimmung im Rathaus.",
    "Stadtrat Johann Rau, der gegen den Plan stimmte, sagte, das Geld sei nicht vorhanden und"
    " die Fahrpreise würden für alle steigen, um die neuen Linien zu bezahlen.",
    "Die Erweiterung bringt ab März sechs neue Linien. Die Kosten sollen in den ersten zwei"
    " Jahren aus der Parkabgabe gedeckt werden, und die Fahrgastzahlen werden jedes Quartal"
    " geprüft, bevor weitere Linien genehmigt werden.",
]


async def test_bad_links_each_get_one_sentence_and_nothing_is_stored(
    settings: Settings,  # noqa: F811
    stub: BotApiStub,  # noqa: F811
) -> None:
    """test_fetch proves each refusal at the fetcher; here twelve bad links arrive five to a
    message through PTB, each is answered on its own, none reaches the private network, no
    article is stored, and the bot answers the next command."""
    victim = PageServer({"/": page("internal admin page")})
    routes = {
        "/gone": page("<h1>Gone</h1>", status=404),
        "/loop-a": redirect("/loop-b"),
        "/loop-b": redirect("/loop-a"),
        "/to-loopback": redirect(victim.url("/")),
        "/to-v6-loopback": redirect(f"http://[::1]:{victim.host_port.split(':')[1]}/"),
        "/to-private": redirect("http://10.0.0.1/"),
        "/to-metadata": redirect("http://169.254.169.254/latest/meta-data/"),
        "/big": _big(with_length=False),
        "/report.pdf": page(b"%PDF-1.7\n...", "application/pdf"),
        "/photo.png": page(b"\x89PNG\r\n\x1a\n", "image/png"),
        "/paywall": page(PAYWALL_PAGE),
        "/consent": page(CONSENT_PAGE),
        "/de": page(article_html(title="Nachtbusse", paragraphs=GERMAN, outlet="Stadtblatt")),
    }
    expected = {
        "/gone": "doesn't exist",
        "/loop-a": "redirects in a loop",
        "/to-loopback": "private network",
        "/to-v6-loopback": "private network",
        "/to-private": "private network",
        "/to-metadata": "private network",
        "/big": "too large",
        "/report.pdf": "not a web page",
        "/photo.png": "not a web page",
        "/paywall": "paywall",
        "/consent": "cookie-consent page",
        "/de": "only read English",
    }
    bad = PageServer(routes)
    try:
        async with running(make_app(settings, bad)):
            paths = list(expected)
            for start in range(0, len(paths), 5):
                stub.message(" ".join(bad.url(p) for p in paths[start : start + 5]))
            for path, words in expected.items():
                prefix = f"{bad.url(path)}: "
                await stub.wait_for(
                    lambda p=prefix, w=words: any(t.startswith(p) and w in t for t in stub.texts()),
                    seconds=30,
                )
            stub.message("/articles")
            await stub.wait_for(showing(stub, "No articles stored yet"))
        assert len(stub.texts()) == len(expected) + 1
        assert victim.requests == []
    finally:
        bad.close()
        victim.close()


# ---------------------------------------------------------------------------------------
# commands with wrong arguments


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("/summary 99999999999999999999999", "not an article number"),
        ("/delete 99999999999999999999999", "Which article?"),
        ("/quotes ١", "not an article number"),  # an Arabic-Indic one: isdigit() says yes
        ("/delete ²", "Which article?"),
        ("/positions #", "not an article number"),
        ("/search \x00", "Nothing in your articles matches"),
        ("/search referendum\x00Geneva", "#1"),
        ("/stance \x00", "No one called"),
        ("/subscribe 07:30 ../../etc/passwd", "I don't know the time zone"),
        ("/subscribe 7:30:00", "not a time of day"),
        ("/subscribe -1:30", "not a time of day"),
        ("/", "I don't know /"),
    ],
)
async def test_wrong_arguments_get_a_sentence_and_change_nothing(
    service,  # noqa: F811
    command: str,
    expected: str,
) -> None:
    """A number too long for SQLite, a digit that is not ASCII, a NUL inside a search:
    each once escaped as an exception (the user saw only 'something went wrong')."""
    await text_of(await service.handle(CHAT, demo("02_ceasefire")))
    assert expected in await text_of(await service.handle(CHAT, command))
    assert "#1 Kyiv rejects" in await text_of(await service.handle(CHAT, "/articles"))
    assert service.test_scheduler.scheduled == []


# ---------------------------------------------------------------------------------------
# issue 16: documents parsed off the event loop under a real time limit


async def test_other_chats_are_answered_while_a_document_is_parsed(tmp_path: Path) -> None:
    """A 1.1 MB document that trafilatura reads for seconds: it was parsed on the event loop,
    so no other chat got an answer until it was done."""
    async with open_service(settings_for(tmp_path), use_model=False) as svc:
        reading = asyncio.create_task(svc.submit_document(CHAT, "slow.html", SLOW_HTML.encode()))
        answered = 0
        while not reading.done():
            assert "/subscribe HH:MM" in await text_of(await svc.handle(OTHER, "/help"))
            answered += 1
            await asyncio.sleep(0.01)
        await text_of(await reading)
    assert answered >= 20


async def test_slow_document_gets_a_sentence_at_the_time_limit(tmp_path: Path) -> None:
    async with open_service(settings_for(tmp_path), use_model=False) as svc:
        svc.extractor = quick = ExtractionPool(workers=1, time_limit_s=0.3)
        try:
            reply = await text_of(await svc.submit_document(CHAT, "slow.html", SLOW_HTML.encode()))
            assert "takes me too long to read" in reply
            assert "No articles stored yet" in await text_of(await svc.handle(CHAT, "/articles"))
            good = await svc.submit_document(CHAT, "buses.html", article_html().encode())
            assert "Who said what" in await text_of(good)
        finally:
            await asyncio.to_thread(quick.close)


async def test_document_over_the_byte_limit_is_refused_before_decoding(tmp_path: Path) -> None:
    """The 2 MB limit lived only in the Telegram skin; the core decoded whatever it got."""
    async with open_service(settings_for(tmp_path), use_model=False) as svc:
        data = b"The minister said. " * (MAX_DOCUMENT_BYTES // 19 + 1)
        reply = await text_of(await svc.submit_document(CHAT, "big.txt", data))
        assert "too large; I read files up to 2 MB" in reply


async def test_document_of_unstated_size_is_not_downloaded(
    bot: Application,  # noqa: F811
    stub: BotApiStub,  # noqa: F811
) -> None:
    """Telegram may leave file_size out; a local Bot API server serves files of any size."""
    stub.files["big"] = ("documents/big.txt", b"x" * (MAX_DOCUMENT_BYTES + 1))
    unstated = {"file_id": "big", "file_unique_id": "ubig", "file_name": "big.txt"}
    stub.message(document=unstated)
    await stub.wait_for(showing(stub, "too large"))
    assert not stub.sent("getFile")


# ---------------------------------------------------------------------------------------
# issue 16: hostile links among good ones, and the submission limit


async def test_hostile_links_among_good_ones_each_get_their_answer(
    settings: Settings,  # noqa: F811
    stub: BotApiStub,  # noqa: F811
) -> None:
    """A redirect to data:/javascript: and a page in 'rot13' raised out of the fetcher: the
    user saw one generic 'Sorry', and the good links of the message, already stored, were
    never answered."""
    routes = {
        "/good": page(article_html()),
        "/to-data": redirect("data:text/html,<p>an article</p>"),
        "/rot13": page(article_html(title="Harbour strike").encode(), "text/html; charset=rot13"),
        "/to-js": redirect("javascript:alert(1)"),
        "/bomb": _encoded(_gzip(_gzip(b"\0" * 1_000_000)), "gzip, gzip"),
    }
    links = PageServer(routes)
    try:
        async with running(make_app(settings, links)):
            stub.message(" ".join(links.url(p) for p in routes))
            await stub.wait_for(showing(stub, "Council expands night buses", "Who said what"))
            await stub.wait_for(showing(stub, "Harbour strike", "Who said what"))
            for path, words in [
                ("/to-data", "only http:// and https://"),
                ("/to-js", "only http:// and https://"),
                ("/bomb", "packed in a way I don't read"),
            ]:
                await stub.wait_for(showing(stub, links.url(path), words))
            assert not any("Sorry, something went wrong" in t for t in stub.texts())
    finally:
        links.close()


class _FaultyFetcher:
    """A fetcher with a bug for one link: no real fetcher can be made to have one on cue."""

    def __init__(self, real: SafeFetcher, bad: str) -> None:
        self._real, self._bad = real, bad

    async def fetch(self, url: str) -> FetchedPage:
        if url == self._bad:
            raise RuntimeError("a bug in the fetcher")
        return await self._real.fetch(url)


async def test_a_fault_in_the_fetcher_costs_only_its_own_link(tmp_path: Path) -> None:
    links = PageServer({"/good": page(article_html()), "/bad": page(article_html())})
    real = SafeFetcher(allow_private_for_tests={links.host_port})
    fetcher = _FaultyFetcher(real, links.url("/bad"))
    try:
        async with open_service(settings_for(tmp_path), fetcher=fetcher, use_model=False) as svc:
            reply = await text_of(
                await svc.handle(CHAT, f"{links.url('/bad')} {links.url('/good')}")
            )
    finally:
        await real.aclose()
        links.close()
    assert f"{links.url('/bad')}: Sorry, I couldn't read that page." in reply
    assert "Council expands night buses" in reply and "Who said what" in reply


async def test_links_are_counted_against_the_limit_before_they_are_fetched(
    tmp_path: Path,
) -> None:
    """Only stored articles were counted, after fetching: 20 links that fail (or that the
    user knows will be refused) were 20 fetches with a limit of 3."""
    links = PageServer({f"/gone{i}": page("<h1>Gone</h1>", status=404) for i in range(20)})
    fetcher = SafeFetcher(allow_private_for_tests={links.host_port})
    limited = settings_for(tmp_path, submissions_per_hour=3)
    try:
        async with open_service(limited, fetcher=fetcher, use_model=False) as svc:
            replies = [
                await text_of(
                    await svc.handle(
                        CHAT, " ".join(links.url(f"/gone{i}") for i in range(n, n + 5))
                    )
                )
                for n in range(0, 20, 5)
            ]
    finally:
        await fetcher.aclose()
        links.close()
    assert len(links.requests) == 3
    assert all("please wait" in reply for reply in replies)


async def test_one_user_reads_one_link_at_a_time_and_others_are_not_held(
    tmp_path: Path,
) -> None:
    """Several messages of slow links at once held every extraction worker (bench/hostile.py:
    the other chats' p99 went from 1 s to 14 s); one user's links now queue behind each
    other, while another user's link is fetched alongside."""
    in_flight: dict[str, int] = {"a": 0, "b": 0}
    most: dict[str, int] = {"a": 0, "b": 0, "both": 0}
    lock = threading.Lock()

    def slow(handler):  # type: ignore[no-untyped-def]
        who = handler.path[len("/slow-")]
        with lock:
            in_flight[who] += 1
            most[who] = max(most[who], in_flight[who])
            most["both"] = max(most["both"], sum(in_flight.values()))
        time.sleep(0.5)
        with lock:
            in_flight[who] -= 1
        handler.reply(200, b"<p>short</p>", "text/html")

    paths = ["/slow-a1", "/slow-a2", "/slow-a3", "/slow-b"]
    links = PageServer(dict.fromkeys(paths, slow))
    fetcher = SafeFetcher(allow_private_for_tests={links.host_port})
    try:
        async with open_service(settings_for(tmp_path), fetcher=fetcher, use_model=False) as svc:
            await asyncio.gather(
                *(svc.handle(CHAT, links.url(p)) for p in paths[:3]),
                svc.handle(OTHER, links.url(paths[3])),
            )
    finally:
        await fetcher.aclose()
        links.close()
    assert sorted(links.requests) == sorted(paths)
    assert most == {"a": 1, "b": 1, "both": 2}

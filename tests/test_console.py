"""The console as a user runs it: `briefbot` as a process, fed through stdin."""

from __future__ import annotations

import asyncio
import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pexpect
import pytest
from support import rows
from tiny_model import build_tiny_model

from bot.console import ConsoleScheduler, show
from bot.runtime import open_service
from bot.service import ChatRef, Reply, Response, views
from bot.settings import Settings, load_settings
from seeds import demo_articles
from storage import SpeakerMatch
from summarizer.model.quantize import snapshot_path
from summarizer.summary import FALLBACK_LABEL
from summarizer.types import StanceRecord

ROOT = Path(__file__).resolve().parents[1]


def console_env(tmp_path: Path, **env_overrides: str) -> dict[str, str]:
    env = {
        **os.environ,
        "BRIEFBOT_DATABASE": str(tmp_path / "console.db"),
        "BRIEFBOT_MODEL_CACHE": str(tmp_path / "models"),
    }
    for name in list(env):
        if name.startswith("BRIEFBOT_") and name not in {
            "BRIEFBOT_DATABASE",
            "BRIEFBOT_MODEL_CACHE",
        }:
            env.pop(name)
    env.update(env_overrides)
    return env


def briefbot(
    tmp_path: Path, *args: str, stdin: str = "", **env_overrides: str
) -> subprocess.CompletedProcess[str]:
    env = console_env(tmp_path, **env_overrides)
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,  # no stray .env from the repo is read
        timeout=180,
    )


def test_help_from_a_pipe(tmp_path):
    done = briefbot(tmp_path, "console", "--no-model", stdin="/help\n")
    assert done.returncode == 0, done.stderr
    assert "/stance NAME" in done.stdout
    # the console's own commands, from its registry, after the service's help
    assert "/file PATH — store an article from a .txt or .html file" in done.stdout
    assert "/quit — leave" in done.stdout


def test_exit_is_quit(tmp_path):
    done = briefbot(tmp_path, "console", "--no-model", stdin="/exit\n/help\n")
    assert done.returncode == 0, done.stderr
    assert "/stance NAME" not in done.stdout  # it left before the /help


def test_paste_then_restart_still_lists_it(tmp_path):
    _, article = demo_articles()[1]
    first = briefbot(tmp_path, "console", "--no-model", stdin=article + "\n.\n/quit\n")
    assert first.returncode == 0, first.stderr
    assert "Stored as #1" in first.stdout
    assert "Who said what" in first.stdout and "Taras Lisovskiy" in first.stdout
    second = briefbot(tmp_path, "console", "--no-model", stdin="/articles\n")
    assert second.returncode == 0, second.stderr
    assert "#1 Kyiv rejects Moscow's 'referendum' offer" in second.stdout


def test_bad_setting_is_one_clear_line(tmp_path):
    done = briefbot(tmp_path, "run", BRIEFBOT_TELEGRAM_TOKEN="not-a-token")
    assert done.returncode != 0
    assert done.stderr.strip().splitlines() == [
        "briefbot: bad setting BRIEFBOT_TELEGRAM_TOKEN: Value error, does not look like a Bot API"
        " token (expected '123456:ABC…')"
    ]


def test_run_without_token_says_how_to_set_one(tmp_path):
    done = briefbot(tmp_path, "run")
    assert done.returncode == 2
    assert "BRIEFBOT_TELEGRAM_TOKEN=" in done.stderr and "briefbot console" in done.stderr


def test_analyze_json_contract_without_model(tmp_path):
    article = tmp_path / "a.txt"
    article.write_text(demo_articles()[0][1], encoding="utf-8")
    done = briefbot(tmp_path, "analyze", str(article), "--json", "--no-model")
    assert done.returncode == 0, done.stderr
    (line,) = done.stdout.splitlines()
    record = json.loads(line)
    assert set(record) == {
        "file",
        "title",
        "summary",
        "summary_fallback",
        "positions",
        "loaded_phrases",
        "timings",
    }
    assert record["file"] == "a.txt" and record["summary"] is None
    assert record["summary_fallback"] is False
    assert set(record["timings"]) == {"positions_s", "summary_s"}
    text = article.read_text(encoding="utf-8")
    assert record["positions"], record
    for position in record["positions"]:
        assert set(position) == {"speaker", "role", "stance", "stance_fallback", "quotes"}
        assert position["stance"] is None and position["stance_fallback"] is False
        assert all(q in text for q in position["quotes"])


def test_analyze_with_a_model_writes_a_checked_brief(tmp_path):
    article = tmp_path / "a.txt"
    article.write_text(demo_articles()[0][1], encoding="utf-8")
    model = str(build_tiny_model(tmp_path / "tiny"))
    done = briefbot(tmp_path, "analyze", str(article), "--json", BRIEFBOT_MODEL=model)
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    # the tiny model writes noise, so the checks put labelled extracts in its place
    assert record["summary"].startswith(FALLBACK_LABEL) and record["summary_fallback"] is True
    # and every stance line asked for is marked as failed, in a field, not in the text
    assert all(p["stance"] is None for p in record["positions"])
    assert any(p["stance_fallback"] for p in record["positions"])


def test_analyze_with_a_missing_model_is_one_clear_line(tmp_path):
    article = tmp_path / "a.txt"
    article.write_text("Text.", encoding="utf-8")
    done = briefbot(tmp_path, "analyze", str(article), BRIEFBOT_MODEL="/nowhere/m.gguf")
    assert done.returncode == 2
    assert done.stderr.strip() == "briefbot: BRIEFBOT_MODEL=/nowhere/m.gguf: no such GGUF file"


def pasted(article: str) -> str:
    """An article as people paste one: its paragraphs separated by blank lines."""
    return "\n\n".join(article.splitlines())


def stored_titles(tmp_path: Path) -> list[str]:
    listed = briefbot(tmp_path, "console", "--no-model", stdin="/articles\n")
    assert listed.returncode == 0, listed.stderr
    return [line for line in listed.stdout.splitlines() if line.startswith("• #")]


def test_a_bracketed_paste_in_a_terminal_is_one_article(tmp_path):
    _, article = demo_articles()[1]
    child = pexpect.spawn(
        sys.executable,
        ["-m", "bot.cli", "console", "--no-model"],
        cwd=str(tmp_path),
        env=console_env(tmp_path, PROMPT_TOOLKIT_NO_CPR="1", TERM="xterm"),
        encoding="utf-8",
        dimensions=(50, 200),
        timeout=90,
    )
    child.logfile_read = transcript = io.StringIO()
    bracketed_paste_on = "\x1b[?2004h"  # what the console asks the terminal for
    try:
        child.expect_exact(bracketed_paste_on)
        child.send("\x1b[200~" + pasted(article) + "\x1b[201~")
        child.send("\r")
        child.expect_exact("Stored as #1")
        child.expect_exact("Taras Lisovskiy")
        child.expect_exact(bracketed_paste_on)  # the next prompt
        child.send("/quit\r")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert "too short" not in transcript.getvalue()
    assert transcript.getvalue().count("Stored as #") == 1
    assert stored_titles(tmp_path) == [
        "• #1 Kyiv rejects Moscow's 'referendum' offer as talks stall in Geneva"
    ]


def test_a_piped_article_with_blank_lines_is_one_article_and_one_brief(tmp_path):
    _, article = demo_articles()[1]
    done = briefbot(tmp_path, "console", "--no-model", stdin=pasted(article) + "\n.\n/articles\n")
    assert done.returncode == 0, done.stderr
    assert "too short" not in done.stdout
    assert done.stdout.count("Stored as #") == 1
    # the interim brief (positions, summary pending) is not printed before the final one
    assert done.stdout.count("Who said what") == 1
    assert "• #1 Kyiv rejects Moscow's 'referendum' offer" in done.stdout


def test_the_end_of_the_input_ends_an_article(tmp_path):
    _, article = demo_articles()[0]
    done = briefbot(tmp_path, "console", "--no-model", stdin="/help\n\n" + pasted(article))
    assert done.returncode == 0, done.stderr
    assert "Stored as #1" in done.stdout and "too short" not in done.stdout
    assert len(stored_titles(tmp_path)) == 1


def test_files_are_stored_by_the_console_and_by_add(tmp_path):
    _, first = demo_articles()[0]
    _, second = demo_articles()[2]
    _, third = demo_articles()[3]
    (tmp_path / "a.txt").write_text(pasted(first), encoding="utf-8")
    head, *paragraphs = second.splitlines()
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    (tmp_path / "b.html").write_text(
        f"<html><head><title>{head}</title></head><body><nav>Home | World</nav>"
        f"<article><h1>{head}</h1>{body}</article></body></html>",
        encoding="utf-8",
    )
    (tmp_path / "c.txt").write_text(third, encoding="utf-8")
    done = briefbot(
        tmp_path, "console", "--no-model", stdin="/file a.txt\n/file b.html\n/file nope.txt\n"
    )
    assert done.returncode == 0, done.stderr
    assert "Stored as #1" in done.stdout and "Stored as #2" in done.stdout
    assert "I can't read nope.txt: No such file or directory." in done.stdout
    added = briefbot(tmp_path, "add", "c.txt", "--no-model")
    assert added.returncode == 0, added.stderr
    assert "Stored as #3" in added.stdout
    titles = stored_titles(tmp_path)
    assert len(titles) == 3
    assert f"• #2 {head}" in titles


def test_an_untitled_article_is_listed_by_its_first_words_cut_at_a_word(tmp_path):
    _, article = demo_articles()[2]
    body = article.split("\n", 1)[1]  # no headline: the first line is a long sentence
    done = briefbot(tmp_path, "console", "--no-model", stdin=body + "\n.\n/articles\n")
    assert done.returncode == 0, done.stderr
    (listed,) = [line for line in done.stdout.splitlines() if line.startswith("• #1 ")]
    shown = listed.removeprefix("• #1 ")
    assert shown.endswith("…") and len(shown) <= 80
    kept = shown.removesuffix("…")
    assert body.startswith(kept) and body[len(kept)] in " ,;:"


def test_quit_right_after_start_does_not_wait_for_the_model_load(tmp_path):
    """A model load that never ends (the kept int8 file is a pipe nobody writes) stands in
    for the real one's minute: /quit must leave anyway."""
    model = build_tiny_model(tmp_path / "tiny")
    snapshot = snapshot_path(str(model), tmp_path / "models")
    snapshot.mkdir(parents=True)
    os.mkfifo(snapshot / "rest.pt")
    try:
        done = briefbot(tmp_path, "console", stdin="/quit\n", BRIEFBOT_MODEL=str(model))
    except subprocess.TimeoutExpired:
        pytest.fail("/quit waited for the model load")
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("leave", ["/quit\r", "\x04", "\x03"], ids=["quit", "ctrl-d", "ctrl-c"])
def test_a_terminal_leaves_at_once_while_a_brief_is_written(tmp_path, leave):
    """In a terminal nothing typed was read until the brief was printed: on a cold, busy
    host that was minutes, and /quit and Ctrl-D with it. The brief now prints when it
    comes and the prompt stays; leaving keeps the article queued for the next start. The
    model's load never ends here (its kept int8 file is a pipe nobody writes). Ctrl-C
    leaves too (it cleared the line, and the prompt came back)."""
    _, article = demo_articles()[1]
    model = build_tiny_model(tmp_path / "tiny")
    snapshot = snapshot_path(str(model), tmp_path / "models")
    snapshot.mkdir(parents=True)
    os.mkfifo(snapshot / "rest.pt")
    child = pexpect.spawn(
        sys.executable,
        ["-m", "bot.cli", "console"],
        cwd=str(tmp_path),
        env=console_env(
            tmp_path, PROMPT_TOOLKIT_NO_CPR="1", TERM="xterm", BRIEFBOT_MODEL=str(model)
        ),
        encoding="utf-8",
        dimensions=(50, 200),
        timeout=90,
    )
    child.logfile_read = transcript = io.StringIO()
    bracketed_paste_on = "\x1b[?2004h"
    try:
        child.expect_exact(bracketed_paste_on)
        child.send("\x1b[200~" + pasted(article) + "\x1b[201~")
        child.send("\r")
        child.expect_exact("Stored as #1")
        child.expect_exact(bracketed_paste_on)  # the prompt is back, the brief still to come
        child.send(leave)
        child.expect(pexpect.EOF, timeout=30)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0, transcript.getvalue()[-2000:]
    assert "Traceback" not in transcript.getvalue()
    [(state,)] = rows(tmp_path / "console.db", "SELECT state FROM articles")
    assert state in {"queued", "running"}  # re-queued at the next start


LEAVE_WITH_TORCH_BUSY = """
import sys, threading, time
import torch
from bot.cli import _leave

def model_at_work():  # a daemon thread deaf to the interrupt, inside torch's kernels
    a = torch.randn(400, 400)
    while True:
        a = (a @ a).tanh()

threading.Thread(target=model_at_work, daemon=True).start()
time.sleep(0.5)
sys.exit(_leave(0))
"""


def test_leaving_while_a_daemon_thread_is_inside_torch_exits_cleanly(tmp_path):
    """/quit after an abandoned digest printed "terminate called without an active
    exception" and the process died of SIGABRT: the interpreter tore torch down under the
    analysis thread, a daemon, which the exit did not count as busy."""
    done = subprocess.run(
        [sys.executable, "-c", LEAVE_WITH_TORCH_BUSY],
        env=console_env(tmp_path),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "terminate called" not in done.stderr


def test_a_failing_model_is_one_log_line_on_stderr_not_a_traceback(tmp_path):
    _, article = demo_articles()[1]
    done = briefbot(tmp_path, "console", stdin=article + "\n.\n", BRIEFBOT_MODEL="/nowhere/m.gguf")
    assert done.returncode == 0, done.stderr
    assert "Sorry: the model could not be loaded, so there is no summary" in done.stdout
    assert "Traceback" not in done.stderr
    assert "no such GGUF file" in done.stderr
    assert all(line.startswith("briefbot: ") for line in done.stderr.splitlines())


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TELEGRAM_API_URL", "api.telegram.org"),
        ("MODEL_THREADS", "-1"),
        ("ANALYSIS_QUEUE_SIZE", "0"),
        ("ANALYSIS_TIMEOUT_S", "soon"),
        ("ALLOWED_USER_IDS", "alice,bob"),
        ("SUBMISSIONS_PER_HOUR", "0"),
        ("WEBHOOK_URL", "example.org/hook"),
        ("WEBHOOK_PORT", "70000"),
        ("LOG_LEVEL", "LOUD"),
    ],
)
def test_each_bad_setting_is_one_line_and_exit_1(tmp_path, name, value):
    done = briefbot(tmp_path, "console", "--no-model", **{f"BRIEFBOT_{name}": value})
    assert done.returncode == 1
    (line,) = done.stderr.strip().splitlines()
    assert line.startswith(f"briefbot: bad setting BRIEFBOT_{name}: ")


@pytest.mark.parametrize(
    ("value", "ids"), [("1,2", [1, 2]), ("[1, 2]", [1, 2]), ("7", [7]), (" 3 , 4 ", [3, 4])]
)
def test_allowed_user_ids_take_a_comma_list_json_or_one_id(tmp_path, monkeypatch, value, ids):
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("BRIEFBOT_ALLOWED_USER_IDS", value)
    assert load_settings().allowed_user_ids == ids


def test_logs_default_to_warnings(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BRIEFBOT_LOG_LEVEL", raising=False)
    assert load_settings().log_level == "WARNING"


async def test_the_console_prints_a_daily_briefing_when_it_is_due(tmp_path):
    printed: list[str] = []
    due = asyncio.Event()

    def write(text: str) -> None:
        printed.append(text)
        due.set()

    today = datetime.now(UTC).date()
    just_before = datetime.combine(today, time(8, 0), tzinfo=UTC) - timedelta(milliseconds=50)
    scheduler = ConsoleScheduler(write, clock=lambda: just_before)
    settings = Settings(database=tmp_path / "c.db", model_cache=tmp_path / "models")
    async with open_service(settings, scheduler=scheduler, use_model=False) as service:
        scheduler.service = service
        (reply,) = await service.handle(ChatRef(0), "/subscribe 08:00 UTC")
        assert "Subscribed" in reply.reply.plain()
        await asyncio.wait_for(due.wait(), timeout=30)
        scheduler.close()
    assert printed[0].startswith("Your briefing")


JANE = SpeakerMatch(id=1, name="Jane Doe", kind="person", aliases=[], article_count=2)
JANE_LINES = [
    StanceRecord(
        article_id=n, title=f"Story {n}", date=datetime(2025, 3, n).date(), stance=f"Line {n}."
    )
    for n in (1, 2)
]
JANE_DIGEST = "Jane Doe said line 1 (#1, 2025-03-01) and line 2 (#2, 2025-03-02)."


async def test_the_console_prints_a_stance_list_once_and_then_only_the_digest() -> None:
    """A terminal cannot replace what it printed: /stance's update is the dated list again
    with the digest in it, and the console printed the whole list a second time."""
    match, history, digest = JANE, JANE_LINES, JANE_DIGEST

    async def later():
        yield views.stance(match, history, digest)

    printed: list[str] = []
    await show([Response(views.stance(match, history, None), later())], printed.append)
    shown = "\n".join(printed)
    assert shown.count("Line 1.") == 1 and shown.count("Jane Doe: stance across") == 1, shown
    assert printed[-1] == digest


async def test_the_console_goes_on_while_a_digest_is_written_and_prints_it_when_it_comes():
    """The console waited for /stance's digest before it read the next message: with a
    limit long enough for the digest to finish on a loaded host, the prompt was gone for
    minutes. The list is whole without it, so the digest is printed when it comes."""
    written = asyncio.Event()

    async def later():
        await written.wait()
        yield views.stance(JANE, JANE_LINES, JANE_DIGEST)

    printed: list[str] = []
    pending: set[asyncio.Task[None]] = set()
    listed = views.stance(JANE, JANE_LINES, note=views.DIGEST_PENDING)
    await show([Response(listed, later(), late=True)], printed.append, pending)
    await show([Response(Reply.say("The next answer."))], printed.append, pending)
    written.set()
    await asyncio.wait_for(asyncio.gather(*pending), timeout=10)
    assert printed[1] == "The next answer.", printed
    assert printed[-1] == JANE_DIGEST

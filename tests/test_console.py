"""The console as a user runs it: `briefbot console` as a process, fed through stdin."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from seeds import demo_articles

ROOT = Path(__file__).resolve().parents[1]


def console(tmp_path: Path, stdin: str, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "BRIEFBOT_DATABASE": str(tmp_path / "console.db"),
        "BRIEFBOT_MODEL_CACHE": str(tmp_path / "models"),
    }
    env.pop("BRIEFBOT_TELEGRAM_TOKEN", None)
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "console", "--no-model", *extra],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=180,
    )


def test_help_from_a_pipe(tmp_path):
    done = console(tmp_path, "/help\n")
    assert done.returncode == 0, done.stderr
    assert "/stance NAME" in done.stdout


def test_paste_then_restart_still_lists_it(tmp_path):
    _, article = demo_articles()[1]
    first = console(tmp_path, article + "\n\n/quit\n")
    assert first.returncode == 0, first.stderr
    assert "Stored as #1" in first.stdout
    assert "Who said what" in first.stdout and "Taras Lisovskiy" in first.stdout
    second = console(tmp_path, "/articles\n")
    assert second.returncode == 0, second.stderr
    assert "#1 Kyiv rejects Moscow's 'referendum' offer" in second.stdout


def test_bad_setting_is_one_clear_line(tmp_path):
    env = {**os.environ, "BRIEFBOT_TELEGRAM_TOKEN": "not-a-token"}
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode != 0
    assert done.stderr.strip().splitlines() == [
        "briefbot: bad setting BRIEFBOT_TELEGRAM_TOKEN: Value error, does not look like a Bot API"
        " token (expected '123456:ABC…')"
    ]


def test_run_without_token_says_how_to_set_one(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "BRIEFBOT_TELEGRAM_TOKEN"}
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert done.returncode == 2
    assert "BRIEFBOT_TELEGRAM_TOKEN=" in done.stderr and "briefbot console" in done.stderr

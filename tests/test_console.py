"""The console as a user runs it: `briefbot` as a process, fed through stdin."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tiny_model import build_tiny_model

from seeds import demo_articles
from summarizer.summary import FALLBACK_LABEL

ROOT = Path(__file__).resolve().parents[1]


def briefbot(
    tmp_path: Path, *args: str, stdin: str = "", **env_overrides: str
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "BRIEFBOT_DATABASE": str(tmp_path / "console.db"),
        "BRIEFBOT_MODEL_CACHE": str(tmp_path / "models"),
    }
    env.pop("BRIEFBOT_TELEGRAM_TOKEN", None)
    env.update(env_overrides)
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


def test_paste_then_restart_still_lists_it(tmp_path):
    _, article = demo_articles()[1]
    first = briefbot(tmp_path, "console", "--no-model", stdin=article + "\n\n/quit\n")
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
    assert set(record) == {"file", "title", "summary", "positions", "loaded_phrases", "timings"}
    assert record["file"] == "a.txt" and record["summary"] is None
    assert set(record["timings"]) == {"positions_s", "summary_s"}
    text = article.read_text(encoding="utf-8")
    assert record["positions"], record
    for position in record["positions"]:
        assert set(position) == {"speaker", "role", "stance", "quotes"}
        assert position["stance"] is None
        assert all(q in text for q in position["quotes"])


def test_analyze_with_a_model_writes_a_checked_brief(tmp_path):
    article = tmp_path / "a.txt"
    article.write_text(demo_articles()[0][1], encoding="utf-8")
    model = str(build_tiny_model(tmp_path / "tiny"))
    done = briefbot(tmp_path, "analyze", str(article), "--json", BRIEFBOT_MODEL=model)
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    # the tiny model writes noise, so the checks put labelled extracts in its place
    assert record["summary"].startswith(FALLBACK_LABEL)
    assert all(p["stance"] is None or p["stance"].startswith("[") for p in record["positions"])


def test_analyze_with_a_missing_model_is_one_clear_line(tmp_path):
    article = tmp_path / "a.txt"
    article.write_text("Text.", encoding="utf-8")
    done = briefbot(tmp_path, "analyze", str(article), BRIEFBOT_MODEL="/nowhere/m.gguf")
    assert done.returncode == 2
    assert done.stderr.strip() == "briefbot: BRIEFBOT_MODEL=/nowhere/m.gguf: no such GGUF file"

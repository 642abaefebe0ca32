"""No run of an article's wording in the repository.

`../shared/realnews/` and `../shared/seeds/` are third-party text we may read but not copy:
an example in a comment, a docstring or a synthetic test sentence has to be written in our
own words, not lifted from the article it was found in. A copied passage is caught as a run
of seven words shared with a shared article (shorter runs are common English). The model's
stored sentences in `tests/faithful/` are exempt: they are the model's own output, kept
verbatim (see the README there), and a model that copies its source is what the support
check is about. Article file names are references, not text, so they are left out.
"""

from __future__ import annotations

import re
import subprocess
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
ARTICLE_DIRS = (SHARED / "realnews" / "polnear-train" / "texts", SHARED / "seeds")
RUN = 7
MODEL_OUTPUT = {
    "tests/faithful/labelled.json",
    "tests/faithful/restated.json",
    "tests/faithful/shown_after.json",
}
WORD = re.compile(r"[a-z0-9']+")


def _words(text: str) -> list[str]:
    return WORD.findall(text.lower().replace("\u2019", "'"))


def _runs(words: list[str]) -> list[str]:
    return [" ".join(words[i : i + RUN]) for i in range(len(words) - RUN + 1)]


def _articles() -> list[Path]:
    return sorted(p for d in ARTICLE_DIRS if d.is_dir() for p in d.glob("*.txt"))


@cache
def _shared_runs() -> dict[str, str]:
    """Each seven-word run of the shared articles, with the first article it is in."""
    runs: dict[str, str] = {}
    for path in _articles():
        for run in _runs(_words(path.read_text(errors="ignore"))):
            runs.setdefault(run, path.name)
    return runs


def _tracked_texts() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if listed.returncode != 0:
        pytest.skip("not a git checkout: the tracked files are unknown")
    paths = [p for p in listed.stdout.split("\0") if p and p not in MODEL_OUTPUT]
    texts = []
    for name in paths:
        path = ROOT / name
        if path.is_file() and b"\0" not in path.read_bytes()[:4096]:
            texts.append(path)
    return texts


def test_no_tracked_file_shares_a_run_of_words_with_a_shared_article() -> None:
    if not _articles():
        pytest.skip("../shared (realnews texts and seeds) is not beside the clone")
    shared = _shared_runs()
    names = re.compile("|".join(re.escape(p.name) for p in _articles()))
    found = []
    for path in _tracked_texts():
        text = names.sub(" ", path.read_text(errors="ignore"))
        for run in dict.fromkeys(_runs(_words(text))):
            if run in shared:
                found.append(f"{path.relative_to(ROOT)}: '{run}' (as in {shared[run]})")
    assert not found, "copied from ../shared:\n" + "\n".join(found)

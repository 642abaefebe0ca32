"""Demo articles written for briefbot: fictional people, real-world style and slant.

They carry what the analysis must survive (loaded language, split quotes, pronoun and title
attribution, spelling variants, scare quotes, two people with one surname) without copying
anyone's journalism. `briefbot seed` stores them for a chat.
"""

from __future__ import annotations

from importlib import resources


def demo_articles() -> list[tuple[str, str]]:
    folder = resources.files("seeds")
    return sorted(
        (entry.name, entry.read_text(encoding="utf-8"))
        for entry in folder.iterdir()
        if entry.name.endswith(".txt")
    )

"""Word lists kept as data in `summarizer/data/`: one list per concept, one word or phrase a
line, `#` starts a comment. Rules read them here, so changing a list never means editing code.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files


@cache
def data_lines(name: str) -> tuple[str, ...]:
    text = (files("summarizer") / "data" / name).read_text(encoding="utf-8")
    lines = (line.strip() for line in text.splitlines())
    return tuple(line for line in lines if line and not line.startswith("#"))

"""The date a pasted article gives itself, in its dateline or byline.

`/stance` lists a speaker's lines by date; a pasted article has no page metadata, and the
day it was pasted says nothing about when the speaker spoke. Only the article's head is
read (headline, byline, dateline), and only a full date with a year counts: "on 17
December" in the body is an event's day, not the article's.
"""

from __future__ import annotations

import datetime as dt
import re

HEAD_CHARS = 400

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = "(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_FORMS = (
    re.compile(r"\b(?P<year>(?:19|20)\d\d)-(?P<month>[01]\d)-(?P<day>[0-3]\d)\b"),
    re.compile(rf"\b{_MONTH}\s+{_DAY},?\s+{_YEAR}\b", re.IGNORECASE),  # March 4, 2025
    re.compile(rf"\b{_DAY}\s+{_MONTH},?\s+{_YEAR}\b", re.IGNORECASE),  # 4 March 2025
)


def article_date(text: str) -> dt.date | None:
    """The first full date in the article's head, or None."""
    head = text.strip()[:HEAD_CHARS]
    found: list[tuple[int, dt.date]] = []
    for form in _FORMS:
        for m in form.finditer(head):
            month = m.group("month")
            number = int(month) if month.isdigit() else _MONTHS[month.casefold()]
            try:
                found.append(
                    (m.start(), dt.date(int(m.group("year")), number, int(m.group("day"))))
                )
            except ValueError:  # "31 February 2025"
                continue
    return min(found)[1] if found else None

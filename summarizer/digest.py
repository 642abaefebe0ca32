"""`/stance NAME`: how one speaker's stated position ran across stored articles.

The model gets only the stored stance lines and quotes (never whole articles), oldest
first, each tagged with its article id and date so the paragraph can cite them; the
checks then insist the citations and names are ones it was given.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from summarizer.checks import check_output
from summarizer.model.base import ChatMessage, TextGenerator
from summarizer.model.drafting import Job, draft_checked
from summarizer.stance import SYSTEM

MAX_WORDS = 110
MAX_ENTRIES = 8  # the newest ones; older history is summarised by the fallback list
MAX_NEW_TOKENS = 170
FALLBACK_LABEL = "Stance lines, oldest to newest (no model digest passed our checks):"


@dataclass(frozen=True)
class StanceEntry:
    article_id: int
    date: dt.date | str
    title: str | None
    stance: str | None
    quotes: list[str] = field(default_factory=list)

    @property
    def day(self) -> str:
        return self.date.isoformat() if isinstance(self.date, dt.date) else str(self.date)[:10]

    @property
    def tag(self) -> str:
        return f"#{self.article_id}, {self.day}"


def _ordered(entries: Sequence[StanceEntry]) -> list[StanceEntry]:
    return sorted(entries, key=lambda e: (e.day, e.article_id))


def _entry_body(e: StanceEntry) -> str:
    quotes = " ".join("“" + q.strip('“”" ') + "”" for q in e.quotes[:2])
    stance = e.stance if e.stance and not e.stance.startswith("[") else "(no stance line)"
    return stance + (f" Quotes: {quotes}" if quotes else "")


def _entry_text(e: StanceEntry) -> str:
    return f"({e.tag}) {_entry_body(e)}"


def digest_prompt(speaker: str, entries: Sequence[StanceEntry]) -> list[ChatMessage]:
    body = "\n".join(f"- {_entry_text(e)}" for e in entries)
    return [
        {"role": "system", "content": SYSTEM},
        {
            "role": "user",
            "content": f"What {speaker} said in news articles, oldest first; each line starts "
            f"with (#article id, date):\n{body}\n\n"
            f"Write one neutral paragraph of at most {MAX_WORDS - 20} words on how {speaker}'s "
            "stated position developed, oldest to newest. Cite each point as (#id, date). "
            "Say where the position changed, or that it stayed the same. Use only what the "
            "lines say. Reply with the paragraph only.",
        },
    ]


def check_digest(answer: str, *, speaker: str, entries: Sequence[StanceEntry]) -> list[str]:
    source = "\n".join(_entry_text(e) for e in entries)
    problems = check_output(
        answer, source, max_words=MAX_WORDS, max_sentences=8, allowed=[speaker], max_copied=14
    )
    cited = {int(n) for n in re.findall(r"#(\d+)", answer)}
    known = {e.article_id for e in entries}
    if not cited & known:
        problems.append("It cites no article; cite each point as (#id, date).")
    elif cited - known:
        problems.append(f"It cites articles that are not listed: {sorted(cited - known)}.")
    return problems


def fallback_digest(speaker: str, entries: Sequence[StanceEntry]) -> str:
    lines = [FALLBACK_LABEL.replace("Stance lines", f"{speaker}'s stance lines")]
    for e in _ordered(entries):
        title = f" {e.title}:" if e.title else ""
        lines.append(f"• ({e.tag}){title} {_entry_body(e)}")
    return "\n".join(lines)


def stance_digest(gen: TextGenerator, speaker: str, entries: Sequence[StanceEntry]) -> str:
    """A cited paragraph over the speaker's stance lines, or the plain list if it fails."""
    ordered = _ordered(entries)
    if len(ordered) < 2:
        return fallback_digest(speaker, ordered)
    recent = ordered[-MAX_ENTRIES:]
    job = Job(
        prompt=digest_prompt(speaker, recent),
        check=lambda answer: check_digest(answer, speaker=speaker, entries=recent),
        max_new_tokens=MAX_NEW_TOKENS,
    )
    [draft] = draft_checked(gen, [job])
    return draft.text if draft.text is not None else fallback_digest(speaker, ordered)

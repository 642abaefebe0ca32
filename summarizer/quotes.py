"""Direct-quote spans in article text, found by a small state machine over quote marks.

No spaCy here: quote marks are typographic facts, and a scanner is faster and more
predictable than a model on the broken punctuation that scraped news is full of (curly
marks used backwards, a closing mark glued to the next word, a second opening mark where
the closing one should be).

Offsets always point into the original text; the only normalisation is trimming whitespace
and a trailing comma from the inside of the marks, so `text[q.start:q.end]` is the quote.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DOUBLE_OPEN = "“„«"
DOUBLE_CLOSE = "”»"
SINGLE_OPEN = "‘"
SINGLE_CLOSE = "’"

# Single marks are mostly scare quotes ('aid', 'peace') in the author's voice; a quotation
# in single marks is a clause, so we ask for a few words before treating it as speech.
MIN_SINGLE_WORDS = 4
# Double-marked fragments this short are often scare quotes too; positions only attribute
# them when the speaker is named in the same sentence.
FRAGMENT_MAX_WORDS = 3

# Masking character: not a word character, not whitespace, not punctuation rules look for.
FILL = "¤"
_WORD = re.compile(r"[^\W_]+(?:[’'\-][^\W_]+)*")
_OPEN_CONTEXT = set(" \t\n([{—–-/“‘\"'")


@dataclass(frozen=True)
class Quote:
    """One quoted stretch; `group` ties together the paragraphs of one multi-paragraph quote."""

    start: int
    end: int
    outer_start: int
    outer_end: int
    kind: str  # "double" | "single"
    group: int

    def words(self, text: str) -> int:
        return len(_WORD.findall(text[self.start : self.end]))

    def is_title(self, text: str) -> bool:
        """A few words in title case ('Sunday Morning Futures', 'Cake Boss.'): as often the
        name of a show, a book or a slogan as anyone's words (in the real-news training
        split, 49 of the 117 such quotes given a speaker by the parse alone matched no
        annotated quotation), so only a reporting clause next to it makes it speech."""
        words = _WORD.findall(text[self.start : self.end])
        return 0 < len(words) <= FRAGMENT_MAX_WORDS and all(w[0].isupper() for w in words)

    def is_fragment(self, text: str) -> bool:
        """A few words without sentence punctuation: maybe a scare quote, maybe a sound bite."""
        inner = text[self.start : self.end]
        return self.words(text) <= FRAGMENT_MAX_WORDS and not re.search(r"[.!?…]", inner)


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] == ","):
        end -= 1
    return start, end


def _prev(text: str, i: int) -> str:
    return text[i - 1] if i > 0 else " "


def _next(text: str, i: int) -> str:
    return text[i + 1] if i + 1 < len(text) else " "


def _next_paragraph_opens(text: str, i: int) -> int | None:
    """If the paragraph after position i starts with an opening double mark, its index."""
    j = i
    while j < len(text) and text[j].isspace():
        j += 1
    if j < len(text) and text[j] in DOUBLE_OPEN + '"':
        return j
    return None


def _strict_closer(text: str, i: int) -> str | None:
    """The only mark that may close the quote opened at i, when its paragraph pairs its
    marks cleanly: inside «…» or “…” a straight "…" is a quote within the quote, not the
    end of it. Straight openers and unbalanced paragraphs keep the lenient rules."""
    c = text[i]
    pairs = {"«": ("«", "»"), "“": ("“„", "”"), "„": ("“„", "”")}
    if c not in pairs:
        return None
    end = text.find("\n", i)
    end = len(text) if end < 0 else end
    opens, close = pairs[c]
    n_open = sum(text.count(o, i, end) for o in opens)
    return close if n_open == text.count(close, i, end) else None


def _double_quotes(text: str) -> list[tuple[int, int, int, int, int]]:
    """(inner_start, inner_end, outer_start, outer_end, group) for double-marked quotes."""
    out: list[tuple[int, int, int, int, int]] = []
    group = 0
    open_at: int | None = None
    strict: str | None = None
    pending: list[tuple[int, int, int, int, int]] = []  # earlier paragraphs of an open quote
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if open_at is None:
            opens = c in DOUBLE_OPEN or (
                c in '"”' and _prev(text, i) in _OPEN_CONTEXT and not _next(text, i).isspace()
            )
            if opens and not _next(text, i).isspace():
                open_at = i
                strict = _strict_closer(text, i)
                group += 1
        else:
            closes = c in DOUBLE_CLOSE or c == '"'
            # A backwards opening mark used as a closer: glued to the word before it.
            if c == "“" and not _prev(text, i).isspace() and not _next(text, i).isalnum():
                closes = True
            if strict is not None:
                closes = c == strict
            if closes:
                s, e = _trim(text, open_at + 1, i)
                if e > s:
                    out.extend(pending)
                    out.append((s, e, open_at, i + 1, group))
                pending = []
                open_at = None
            elif c == "\n":
                nxt = _next_paragraph_opens(text, i)
                if nxt is not None and nxt > open_at:
                    # Typographic convention: an unclosed paragraph continued by a paragraph
                    # that reopens the quote is one multi-paragraph quotation.
                    s, e = _trim(text, open_at + 1, i)
                    if e > s:
                        pending.append((s, e, open_at, i, group))
                    open_at = nxt
                    strict = _strict_closer(text, nxt)
                    i = nxt
                else:
                    # Unbalanced mark: safer to drop it than to swallow the next paragraph.
                    pending = []
                    open_at = None
        i += 1
    return out


def _single_quotes(text: str, blocked: list[tuple[int, int]]) -> list[tuple[int, int, int, int]]:
    """Single-marked quotations of a clause or longer, outside double-marked regions."""
    masked = list(text)
    for a, b in blocked:
        for k in range(a, b):
            if masked[k] not in "\n":
                masked[k] = "x"
    m = "".join(masked)
    out = []
    for para in re.finditer(r"[^\n]+", m):
        i, end = para.start(), para.end()
        open_at = None
        while i < end:
            c = m[i]
            if open_at is None:
                if (
                    c in SINGLE_OPEN + "'"
                    and _prev(m, i) in _OPEN_CONTEXT
                    and not _next(m, i).isspace()
                ):
                    open_at = i
            elif c in SINGLE_CLOSE + "'" and not _prev(m, i).isspace():
                nxt = _next(m, i) if i + 1 < end else " "
                if not nxt.isalnum():
                    s, e = _trim(text, open_at + 1, i)
                    if len(_WORD.findall(text[s:e])) >= MIN_SINGLE_WORDS:
                        out.append((s, e, open_at, i + 1))
                    open_at = None
            i += 1
    return out


# Two apostrophes stand for a double mark in some papers' house style (''Wow,'' she said).
# The scanners see them as one straight double mark and a placeholder, so offsets stay those
# of the article; `_widen` then gives each quote both apostrophes of its marks.
TWO_APOSTROPHES = "''"
_PLACEHOLDER = "\x00"


def _as_double_marks(text: str) -> str:
    return text.replace(TWO_APOSTROPHES, '"' + _PLACEHOLDER)


def _widen(text: str, q: tuple[int, int, int, int, int]) -> tuple[int, int, int, int, int]:
    """Inner and outer bounds of a quote whose marks may be two apostrophes."""
    s, e, os_, oe, g = q
    if text.startswith(TWO_APOSTROPHES, os_):
        s, e = _trim(text, max(s, os_ + 2), e)
    if oe > 0 and text.startswith(TWO_APOSTROPHES, oe - 1):
        oe += 1
    return s, e, os_, oe, g


def find_quotes(text: str) -> list[Quote]:
    """Every direct quote, in text order; quotes nested inside another quote are not listed."""
    scan = _as_double_marks(text)
    doubles = [_widen(text, d) for d in _double_quotes(scan)]
    doubles = [d for d in doubles if d[1] > d[0]]
    singles = _single_quotes(scan, [(d[2], d[3]) for d in doubles])
    quotes = [Quote(s, e, os_, oe, "double", g) for s, e, os_, oe, g in doubles]
    base = (max((d[4] for d in doubles), default=0)) + 1
    quotes += [
        Quote(s, e, os_, oe, "single", base + k) for k, (s, e, os_, oe) in enumerate(singles)
    ]
    quotes.sort(key=lambda q: (q.outer_start, -q.outer_end))
    kept: list[Quote] = []
    for q in quotes:
        if any(k.outer_start <= q.outer_start and q.outer_end <= k.outer_end for k in kept):
            continue
        kept.append(q)
    return kept


def mask_quotes(text: str, quotes: list[Quote], fill: str = FILL) -> str:
    """The text with every quote (marks included) overwritten, offsets unchanged.

    Attribution looks for reporting verbs and names in the author's words only; a name
    inside a quote is someone being talked about, not the speaker.
    """
    chars = list(text)
    for q in quotes:
        for k in range(q.outer_start, min(q.outer_end, len(chars))):
            if chars[k] != "\n":
                chars[k] = fill
    return "".join(chars)

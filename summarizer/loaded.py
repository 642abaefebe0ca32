"""Loaded language in the author's own voice: the article's slant, and a check on the model.

The lexicon lives in `data/loaded_lexicon.txt` so editors can extend it without touching
code. Two rules cannot be a word list and live here: scare quotes (‘aid’, a lone word set
in quote marks to mock it) and anything inside a real quotation, which is the speaker's
voice, not the author's, and so is never reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

from summarizer.segment import Quote, quote_marks, quote_spans, sentence_at
from summarizer.types import Span

ATTRIBUTION = re.compile(
    r"(?i)\b(?:said|says|say|stated?|states|told|tells|argued?|argues|claim(?:s|ed)?|"
    r"warn(?:s|ed)?|call(?:s|ed|ing)?|explain(?:s|ed)|agree(?:s|d)|confirm(?:s|ed)|"
    r"threaten(?:s|ed)|reiterat(?:es|ed)|vow(?:s|ed)|pledg(?:es|ed)|promis(?:es|ed)|"
    r"urg(?:es|ed)|add(?:s|ed)|according to|insist(?:s|ed)?|"
    r"wr(?:ote|ites)|declared?|declares|announc(?:es|ed)|reveal(?:s|ed)|not(?:es|ed)|"
    r"assert(?:s|ed)?|accus(?:es|ed)|describ(?:es|ed)|suggest(?:s|ed)?|stress(?:es|ed)|"
    r"emphasi[sz](?:es|ed)|maintain(?:s|ed)?|acknowledg(?:es|ed)|admit(?:s|ted)|"
    r"repl(?:ies|ied)|ask(?:s|ed)|believes?|contends?|put it|in (?:his|her|their) words)\b"
)


@dataclass(frozen=True)
class LexiconEntry:
    category: str
    pattern: re.Pattern[str]
    source: str


def compile_phrase(phrase: str) -> re.Pattern[str]:
    """A phrase matches in any inflection of its last word ("blackmail" in "blackmailed",
    "cabal" in "cabals", "sabotage" in "sabotaging"): a speaker's word restated in another
    form is still the speaker's word. A stem (`warmonger*`) matches any ending."""
    if phrase.startswith("re:"):
        return re.compile(phrase[3:])
    stem = phrase.endswith("*")
    *head, last = phrase.rstrip("*").split()
    if stem:
        tail = re.escape(last) + r"[\w-]*"
    elif last.endswith("e"):
        tail = re.escape(last[:-1]) + r"(?:e[sd]?|ing)(?![\w-])"
    else:
        tail = re.escape(last) + r"(?:s|es|ed|ing)?(?![\w-])"
    body = r"\s+".join([*(re.escape(w) for w in head), tail])
    return re.compile(r"(?i)(?<![\w-])" + body)


def parse_lexicon(lines: Iterable[str]) -> list[LexiconEntry]:
    entries = []
    for number, raw in enumerate(lines, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        category, _, phrase = line.partition(" ")
        phrase = phrase.strip()
        if not phrase:
            raise ValueError(f"lexicon line {number}: expected '<category> <phrase>': {raw!r}")
        try:
            entries.append(LexiconEntry(category, compile_phrase(phrase), phrase))
        except re.error as exc:
            raise ValueError(f"lexicon line {number}: bad pattern {phrase!r}: {exc}") from None
    return entries


@lru_cache(maxsize=4)
def load_lexicon(path: Path | None = None) -> tuple[LexiconEntry, ...]:
    resource = path or files("summarizer") / "data" / "loaded_lexicon.txt"
    return tuple(parse_lexicon(resource.read_text(encoding="utf-8").splitlines()))


def _inside(start: int, end: int, spans: Iterable[tuple[int, int]]) -> bool:
    return any(s <= start and end <= e for s, e in spans)


def _scare_quotes(text: str, marks: list[Quote], attributed: list[tuple[int, int]]):
    """A word or two in quote marks that nobody is reported as saying is the author mocking it."""
    for q in marks:
        start, end = q.outer_start, q.outer_end
        inner = text[q.start : q.end]
        words = inner.split()
        # the positions' spans are the words inside the marks, as `q.start:q.end` is
        if not 1 <= len(words) <= 3 or _inside(q.start, q.end, attributed):
            continue
        line_start = text.rfind("\n", 0, start) + 1
        line_end = text.find("\n", end) % (len(text) + 1)
        line = text[line_start:line_end].strip()
        bare = line.strip("‘’“”\"' ") == inner
        if bare or (len(line.split()) < 10 and not line.endswith((".", "!", "?", "”", "’", '"'))):
            continue  # a heading such as ‘Preparation’ names a section, it mocks nothing
        s_start, s_end = sentence_at(text, start)
        if inner[:1].isupper() and inner.endswith((".", "!", "?")) and s_start == start:
            continue  # a quoted sentence of its own ('“This must end.”') is speech, not a sneer
        # Single marks around one lowercase word are the classic sneer (‘aid’) even in a
        # reported sentence; double marks there are usually the speaker's own words.
        sneer = text[start] == "‘" and len(words) == 1 and inner[:1].islower()
        if sneer or not ATTRIBUTION.search(text[s_start:s_end]):
            yield start, end


def lexicon_phrases(text: str) -> list[str]:
    """Every lexicon hit in `text`, in quotation marks or not: the loaded words a model
    reading the text may repeat in its own voice."""
    found = (m.group() for e in load_lexicon() for m in e.pattern.finditer(text) if m.group())
    return list(dict.fromkeys(" ".join(f.split()) for f in found))


def find_loaded_phrases(
    text: str, quoted: Sequence[Span] = (), *, lexicon: Sequence[LexiconEntry] | None = None
) -> list[str]:
    """Loaded phrases in the author's voice, deduped, in order of first appearance."""
    entries = load_lexicon() if lexicon is None else lexicon
    marks = quote_marks(text)
    attributed = [(q.start, q.end) for q in quoted]
    protected = [(q.outer_start, q.outer_end) for q in marks] + attributed
    hits: list[tuple[int, int]] = []
    for entry in entries:
        for m in entry.pattern.finditer(text):
            if m.end() > m.start() and not _inside(m.start(), m.end(), protected):
                hits.append(m.span())
    hits.extend(_scare_quotes(text, marks, attributed))
    chosen: list[tuple[int, int]] = []
    for start, end in sorted(hits, key=lambda h: (h[0], h[0] - h[1])):
        if not any(start < e and s < end for s, e in chosen):
            chosen.append((start, end))
    seen: set[str] = set()
    result = []
    for start, end in chosen:
        surface = " ".join(text[start:end].split())
        key = re.sub(r"\W+", " ", surface).strip().casefold()
        if key not in seen:
            seen.add(key)
            result.append(surface)
    return result


# An opinion piece holds at least this many loaded phrases in the author's voice, and this
# many per 1,000 of the author's words (those outside quote marks). Measured on the shared
# real news: 4 of the 480 articles from the four news outlets pass (one a column), 4 of the
# 360 from the three partisan ones; of the five shared seeds, the three essays pass and the
# two reports do not; of our own short slanted reports, none (3 phrases at most).
OPINION_PHRASES = 5
OPINION_PER_1000 = 8


def opinion_piece(text: str, loaded: Sequence[str]) -> bool:
    """The article is in the author's own voice, arguing, not reporting: its loaded phrases
    in the author's voice (`loaded`, as `find_loaded_phrases` gives them) are many and dense.
    Only there does a summary say what "the author argues"; a report says what happened."""
    quoted = sum(len(text[s:e].split()) for s, e in quote_spans(text))
    own = max(len(text.split()) - quoted, 1)
    return len(loaded) >= OPINION_PHRASES and len(loaded) * 1000 / own >= OPINION_PER_1000

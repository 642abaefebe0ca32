"""A stance line made by shortening one of the speaker's own sentences, and the check that
proves it was.

The packaged model cannot be trusted to paraphrase: its lines turned claims round, gave the
author's words to speakers and overstated, and checks that read a paraphrase after the fact
did not carry over to unseen articles. A line that is one of the speaker's sentences with
words deleted can be checked exactly: its words, in order, are that sentence's, so it says
nothing the speaker did not, held by the speaker. What deletion can still do wrong is drop a
"not" or join two sentences, and both are checked here.

Not wired into the briefs (s33): asked for such a line, the packaged model wrote one that
passes this check for too few speakers (on the seventh labelled batch 12 of 23 kept a line,
against 19 with the paraphrase; tests/faithful/README.md). Kept for a stronger model or a
next round's prompt.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import cache

from summarizer.segment import quote_marks, sentences
from summarizer.speakers import REPORTING_VERBS
from summarizer.support import NEGATORS
from summarizer.wordlists import data_lines

_TOKEN = re.compile(r"n't|'[a-z]+|[^\W_]+")
# The pieces a contraction splits into, spelt out, so "won't" matches "will not".
_SPELT = {
    "n't": "not",
    "'m": "am",
    "'re": "are",
    "'ve": "have",
    "'ll": "will",
    "wo": "will",
    "ca": "can",
}
_NEGATIONS = frozenset(_SPELT.get(w, w) for w in NEGATORS)
# How far before the first kept word a dropped negation still turns the line: "we did not
# say we would back it" shortened to "<name> would back it" keeps no word of "did not say".
NEGATION_REACH = 3
_ROLE_JOINERS = frozenset({"the", "of", "and", "for"})


def tokens(text: str) -> list[str]:
    """`text`'s words as a line and its source are compared: case, punctuation and the kind
    of apostrophe set aside, contractions spelt out."""
    plain = text.casefold().replace("’", "'").replace("‘", "'").replace("cannot", "can not")
    return [_SPELT.get(w, w) for w in _TOKEN.findall(plain.replace("n't", " n't"))]


@cache
def _shifts() -> Mapping[str, frozenset[str]]:
    """{a line's word: the speaker's words it may stand for} (`data/person_shifts.txt`)."""
    return {
        w: frozenset(rest)
        for w, *rest in (line.split() for line in data_lines("person_shifts.txt"))
    }


def _matches(line_word: str, source_word: str) -> bool:
    return line_word == source_word or source_word in _shifts().get(line_word, ())


def _reporting_words() -> frozenset[str]:
    return frozenset(v for v in REPORTING_VERBS if " " not in v)


def kept_words(line: str, names: Sequence[str], role: str | None) -> list[str]:
    """The line's words that must come from the source sentence: all but the speaker's
    names (and a possessive after one) anywhere, and, at the opening, their role and one
    verb of saying with its "that" ("<name>, the mayor, said that ..."), which the line
    adds to a quotation to say whose it is."""
    name_words = {w for n in names for w in tokens(n)}
    role_words = set(tokens(role or "")) | _ROLE_JOINERS
    found = tokens(line)
    kept: list[str] = []
    stage = "who"  # then "said" after a verb of saying, then "what"
    for i, w in enumerate(found):
        if w in name_words or (w == "'s" and i and found[i - 1] in name_words):
            continue
        if stage == "who" and w in role_words:
            continue
        if stage == "who" and w in _reporting_words():
            stage = "said"
            continue
        if stage == "said" and w == "that":
            stage = "what"
            continue
        stage = "what"
        kept.append(w)
    return kept


def _align(kept: Sequence[str], source: Sequence[str]) -> list[int]:
    """Where the kept words stand in `source`, each at the earliest place after the one
    before: all of them when the line is the sentence shortened, else those up to the first
    that is not there in order."""
    at, found = 0, []
    for w in kept:
        j = next((j for j in range(at, len(source)) if _matches(w, source[j])), None)
        if j is None:
            break
        found.append(j)
        at = j + 1
    return found


def compression_problems(
    line: str, own: Sequence[str], *, names: Sequence[str], role: str | None = None
) -> list[str]:
    """What keeps `line` from being one of the speaker's sentences (the `own` stretches,
    split into sentences) shortened by deleting words: a word not in any one sentence in
    that order, a negation dropped from the stretch it keeps, or quotation marks around
    words that are not a run of that sentence. Empty when some sentence passes all three."""
    kept = kept_words(line, names, role)
    if not kept:
        return []  # nothing past the name: the length and vacuity checks speak for it
    candidates = [s for piece in own for s in sentences(piece)]
    problems: list[str] = []
    best, missing = -1, kept[0]
    for sentence in candidates:
        source = tokens(sentence)
        where = _align(kept, source)
        if len(where) < len(kept):
            if len(where) > best and not problems:
                best, missing = len(where), kept[len(where)]
            continue
        found = _sentence_problems(line, source, where)
        if not found:
            return []
        problems = problems or found
    if problems:
        return problems
    return [
        f'It is not one of the sentences above shortened: "{missing}" is not in any one of '
        f"them in that order. Copy one sentence and only delete words from it."
    ]


def _sentence_problems(line: str, source: Sequence[str], where: Sequence[int]) -> list[str]:
    """What the deletion did wrong, where the kept words stand in `source` at `where`: a
    negation it left out turns the claim, and a quotation must be the speaker's own run."""
    kept_at = set(where)
    start = max(0, where[0] - NEGATION_REACH)
    dropped = [
        source[k]
        for k in range(start, where[-1] + 1)
        if source[k] in _NEGATIONS and k not in kept_at
    ]
    if dropped:
        return [
            f'It drops "{dropped[0]}" from the sentence it shortens, which turns it round; '
            "keep every negation."
        ]
    for quote in quote_marks(line):
        inner = tokens(line[quote.start : quote.end])
        if inner and not _run_in(inner, source):
            return [
                "Its quotation marks enclose words the sentence does not have in a row: "
                f"{line[quote.outer_start : quote.outer_end]}. Quote exactly or leave out "
                "the marks."
            ]
    return []


def _run_in(run: Sequence[str], source: Sequence[str]) -> bool:
    n = len(run)
    return any(list(source[i : i + n]) == list(run) for i in range(len(source) - n + 1))

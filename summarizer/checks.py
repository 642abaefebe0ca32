"""Checks run on every model output before a user sees it.

The packaged model is a weak writer: it adopts the author's framing, invents or moves
names, loops, and copies. Each check returns human-readable problems (empty = pass); the
same sentences go back into the retry prompt, so they are written as instructions a model
can act on.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from functools import lru_cache

from summarizer.loaded import ATTRIBUTION, compile_phrase, find_loaded_phrases, lexicon_phrases
from summarizer.segment import quote_marks, quote_spans, sentence_at, sentences

_WORD = re.compile(r"[\w’'-]+")
_CAPITALISED = re.compile(r"\b[A-Z][\w’'-]*")
_POSSESSIVE = re.compile(r"[’']s?$")
_NAME_RUN = re.compile(r"\b[A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*)+")
_ACRONYM = re.compile(r"\b(?:[A-Z]\.?){2,5}(?!\w)")
_NUMBER = re.compile(r"\d[\d,.]*\d|\d")
# Words that may open a sentence without naming anyone or anything.
_FUNCTION_WORDS = frozenset(
    {
        "a",
        "an",
        "the",
        "this",
        "that",
        "these",
        "those",
        "it",
        "its",
        "he",
        "she",
        "they",
        "his",
        "her",
        "their",
        "we",
        "our",
        "you",
        "i",
        "in",
        "on",
        "at",
        "after",
        "before",
        "as",
        "by",
        "for",
        "from",
        "of",
        "to",
        "with",
        "while",
        "when",
        "where",
        "which",
        "who",
        "but",
        "and",
        "or",
        "yet",
        "so",
        "if",
        "although",
        "though",
        "despite",
        "according",
        "meanwhile",
        "however",
        "both",
        "each",
        "one",
        "some",
        "several",
        "many",
        "there",
        "here",
        "no",
        "not",
        "also",
        "moreover",
        "furthermore",
        "instead",
        "still",
    }
)


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def check_length(
    text: str, *, max_words: int, min_sentences: int = 1, max_sentences: int | None = None
) -> list[str]:
    problems = []
    n_words, n_sents = len(words(text)), len(sentences(text))
    if n_words == 0:
        return ["The answer is empty."]
    if n_words > max_words:
        problems.append(f"It has {n_words} words; use at most {max_words}.")
    if n_sents < min_sentences:
        problems.append(f"It has {n_sents} sentence(s); write at least {min_sentences}.")
    if max_sentences is not None and n_sents > max_sentences:
        problems.append(f"It has {n_sents} sentences; write at most {max_sentences}.")
    if not text.rstrip().endswith((".", "!", "?", "”", '"', "’")):
        problems.append("The last sentence is unfinished; end every sentence with a full stop.")
    return problems


# A sentence that opens with one of these has named its speaker in the sentence before.
_BACK_REFERENCES = frozenset({"He", "She"})


def _attributed_quotes(text: str, names: Collection[str]) -> list[tuple[int, int]]:
    """The quotations in `text` whose sentence says who said them: a reporting verb and a
    name outside the quotation (one of `names`, or a capitalised word past the sentence's
    first, or "He"/"She" opening it). Quote marks alone are no neutral ground: the words in
    'which is “blackmail by warmongers”' or 'critics call it “blackmail”' are the
    answer's own."""
    spans = []
    for start, end in quote_spans(text):
        s_start, s_end = sentence_at(text, start)
        before = _CLAUSE_CUT.split(text[s_start:start])[-1]
        after = _CLAUSE_CUT.split(text[end : max(s_end, end)])[0]
        clause = f"{before} {after}"
        if ATTRIBUTION.search(clause) and _names_someone(clause, names):
            spans.append((start, end))
    return spans


# Where the clause that holds a quotation begins or ends: the reporting verb and the speaker
# of "X agreed to Y, which is “...”" are not the quotation's.
_CLAUSE_CUT = re.compile(r";|\s[—–]\s|,\s+(?:which|while|but|and|whereas)\b")


def _names_someone(clause: str, names: Collection[str]) -> bool:
    found = [_POSSESSIVE.sub("", m.group()) for m in _CAPITALISED.finditer(clause)]
    first = found[0] if found and clause.lstrip(" “‘\"'").startswith(found[0]) else None
    return any(
        w in names
        or w in _BACK_REFERENCES
        or (w is not first and w.casefold() not in _FUNCTION_WORDS)
        for w in found
    )


@lru_cache(maxsize=256)
def proper_nouns(source: str) -> frozenset[str]:
    """The capitalised words `source` uses past a sentence's first word: its names, which a
    quotation in an answer may be attributed to."""
    found = set()
    for sentence in sentences(source):
        for i, m in enumerate(_CAPITALISED.finditer(sentence)):
            if i or m.start() > _first_word_start(sentence):
                found.add(_POSSESSIVE.sub("", m.group()))
    return frozenset(found)


def loaded_to_avoid(source: str, article_loaded: Iterable[str]) -> tuple[str, ...]:
    """What an answer drawn from `source` must not say in its own voice and is likely to
    copy: the article's loaded phrases, and the lexicon's wherever they stand in the source,
    a speaker's quoted words included."""
    return tuple(dict.fromkeys([*_unquoted_loaded(article_loaded), *lexicon_phrases(source)]))


def _unquoted_loaded(article_loaded: Iterable[str]) -> list[str]:
    """The article's loaded phrases an answer may not use in its own voice, bare of marks. A
    scare-quoted one is left out: plain use of the word is neutral."""
    return [
        bare
        for phrase in article_loaded
        if phrase[:1] not in "‘“\"'" and (bare := phrase.strip("‘’“”\"'.,;:!? "))
    ]


def check_loaded(
    text: str, article_loaded: Iterable[str] = (), names: Collection[str] = ()
) -> list[str]:
    """Loaded words in the output's own voice: lexicon hits plus the article's own slant,
    in any inflection, anywhere but inside a quotation whose speaker the sentence names
    (`names`: the names the output may use; see `_attributed_quotes`)."""
    from summarizer.types import Span

    attributed = _attributed_quotes(text, names)
    quoted = [Span(text=text[s:e], start=s, end=e) for s, e in attributed]
    found = find_loaded_phrases(text, quoted)
    for start, end in quote_spans(text):
        if (start, end) not in attributed:  # `find_loaded_phrases` passes any quotation
            found += lexicon_phrases(text[start:end])
    outside = _strip_spans(text, attributed).casefold()
    for bare in _unquoted_loaded(article_loaded):
        if _inflected(bare).search(outside):
            found.append(bare)
    seen: dict[str, None] = {}
    for phrase in found:
        seen.setdefault(phrase.casefold(), None)
    if not seen:
        return []
    listed = ", ".join(f"“{p}”" for p in seen)
    return [
        f"It uses loaded wording outside a quotation with its speaker named: {listed}. "
        "Use neutral words."
    ]


def _inflected(phrase: str) -> re.Pattern[str]:
    """`phrase` in any inflection of its last word, as the lexicon matches its phrases."""
    return compile_phrase(phrase.casefold())


def _strip_spans(text: str, spans: Sequence[tuple[int, int]]) -> str:
    out, last = [], 0
    for s, e in sorted(spans):
        out.append(text[last:s])
        out.append(" ")
        last = e
    out.append(text[last:])
    return "".join(out)


def _spelt_out(text: str) -> set[str]:
    """The initials of every run of capitalised words in `text`: "European Union" → "EU"."""
    found: set[str] = set()
    for run in _NAME_RUN.findall(text):
        heads = "".join(w[0] for w in run.split())
        found.update(heads[i:j] for i in range(len(heads)) for j in range(i + 2, len(heads) + 1))
    return found


def _abbreviated(word: str, sentence: str, acronyms: set[str]) -> bool:
    """`word` belongs to a run of capitalised words in `sentence` that spells out one of
    `acronyms`: "United" in "the United States", where the source says "U.S."."""
    for run in _NAME_RUN.findall(sentence):
        names = [_POSSESSIVE.sub("", w) for w in run.split()]
        for at in (i for i, name in enumerate(names) if name == word):
            heads = "".join(n[0] for n in names)
            if any(
                heads[i:j] in acronyms for i in range(at + 1) for j in range(at + 1, len(heads) + 1)
            ):
                return True
    return False


def _normalise_number(raw: str) -> str:
    return raw.replace(",", "").rstrip(".").removesuffix(".0")


def check_grounded(text: str, source: str, *, allowed: Iterable[str] = ()) -> list[str]:
    """Names, numbers and dates the output uses must all occur in the source, or stand for
    a name in it: "EU" for "European Union", "United States" for "U.S."."""
    allowed_text = " ".join(allowed)
    spelt_out = _spelt_out(source + " " + allowed_text)
    acronyms = {a.replace(".", "") for a in _ACRONYM.findall(source + " " + allowed_text)}
    source_words = {_POSSESSIVE.sub("", w) for w in words(source + " " + allowed_text)}
    source_lower = {w.casefold() for w in source_words}
    stems = {w[:5] for w in source_words if len(w) >= 5 and w[:1].isupper()}
    unknown: list[str] = []
    for sentence in sentences(text):
        for i, m in enumerate(_CAPITALISED.finditer(sentence)):
            word = _POSSESSIVE.sub("", m.group()).strip("’'-")
            if not word or word in source_words:
                continue
            parts = [p for p in word.split("-") if p]
            if parts and all(p in source_words or p.casefold() in source_lower for p in parts):
                continue
            if (i == 0 and m.start() == _first_word_start(sentence)) and (
                word.casefold() in _FUNCTION_WORDS or word.casefold() in source_lower
            ):
                continue
            if len(word) >= 5 and word[:5] in stems:  # Russia → Russian, Ukraine → Ukrainian
                continue
            if word.replace(".", "") in spelt_out or _abbreviated(word, sentence, acronyms):
                continue
            unknown.append(word)
    source_numbers = {_normalise_number(n) for n in _NUMBER.findall(source + " " + allowed_text)}
    unknown += [n for n in _NUMBER.findall(text) if _normalise_number(n) not in source_numbers]
    unknown = list(dict.fromkeys(unknown))
    if not unknown:
        return []
    listed = ", ".join(unknown[:8])
    return [f"It mentions names or numbers that are not in the text: {listed}. Remove them."]


def _first_word_start(sentence: str) -> int:
    m = _WORD.search(sentence)
    return m.start() if m else 0


def check_repetition(text: str, *, ngram: int = 4, limit: int = 2) -> list[str]:
    """Catches the greedy-decoding loop: the same phrase or sentence over and over."""
    tokens = [w.casefold() for w in words(text)]
    grams = Counter(tuple(tokens[i : i + ngram]) for i in range(len(tokens) - ngram + 1))
    looping = [" ".join(g) for g, n in grams.items() if n > limit]
    sents = Counter(s.casefold() for s in sentences(text))
    if looping or any(n > 1 for n in sents.values()):
        return ["It repeats itself; say each thing once."]
    return []


def longest_copied_run(text: str, source: str) -> int:
    """Longest run of consecutive words the text shares with the source, quotes excluded."""
    own = [w.casefold() for w in words(_strip_spans(text, quote_spans(text)))]
    src = [w.casefold() for w in words(source)]
    if not own or not src:
        return 0
    positions: dict[str, list[int]] = {}
    for j, w in enumerate(src):
        positions.setdefault(w, []).append(j)
    best = 0
    prev: dict[int, int] = {}
    for w in own:
        cur = {j: prev.get(j - 1, 0) + 1 for j in positions.get(w, ())}
        if cur:
            best = max(best, *cur.values())
        prev = cur
    return best


_MARKS = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"'})


def _plain(text: str) -> str:
    """Text as quoted words are compared: case, spacing and the kind of quotation mark or
    apostrophe set aside, and the punctuation at either end."""
    return " ".join(text.translate(_MARKS).casefold().split()).strip(" .,;:!?")


def check_quoted(text: str, source: str) -> list[str]:
    """Words the answer sets in quotation marks are the source's own: a quotation the
    speaker never said, passed off as theirs, is the worst thing a stance line can hold."""
    source_plain = _plain(source)
    made_up = [
        text[q.outer_start : q.outer_end]
        for q in quote_marks(text)
        if _plain(text[q.start : q.end]) not in source_plain
    ]
    if made_up:
        return [
            f"It quotes words the text does not have: {made_up[0]}. Quote exactly, or leave "
            "out the quotation marks."
        ]
    return []


def check_copied(text: str, source: str, *, max_run: int) -> list[str]:
    run = longest_copied_run(text, source)
    if run > max_run:
        return [
            f"It copies {run} words in a row from the text; rephrase in your own words "
            "(exact words belong only inside quotation marks with the speaker named)."
        ]
    return []


def settled(answer: str) -> str:
    """An answer still being written, without the word being written (it may not be whole)."""
    return answer.rsplit(maxsplit=1)[0] if len(answer.split()) > 1 else ""


def quotes_closed(text: str) -> bool:
    """Every quotation opened in `text` is closed (straight or curly marks)."""
    return text.count('"') % 2 == 0 and text.count("“") == text.count("”")


def lasting_problems(
    text: str,
    source: str,
    *,
    article_loaded: Iterable[str] = (),
    allowed: Iterable[str] = (),
    max_copied: int = 12,
) -> list[str]:
    """The problems of an answer still being written (`text` ends after a complete word)
    that no continuation can remove: loaded words, names or numbers the source lacks, loops
    and long copied runs, all outside quotation marks, and quotations the source lacks.
    None while a quotation is open: it may yet turn out to be attributed."""
    if not quotes_closed(text):
        return []
    unquoted = _strip_spans(text, quote_spans(text))
    return [
        *check_repetition(unquoted),
        *check_loaded(unquoted, article_loaded),
        *check_grounded(unquoted, source, allowed=allowed),
        *check_quoted(text, source),
        *check_copied(unquoted, source, max_run=max_copied),
    ]


def _names_in(source: str, allowed: Iterable[str]) -> frozenset[str]:
    return proper_nouns(source) | {w for name in allowed for w in words(name)}


def check_output(
    text: str,
    source: str,
    *,
    max_words: int,
    min_sentences: int = 1,
    max_sentences: int | None = None,
    article_loaded: Iterable[str] = (),
    allowed: Iterable[str] = (),
    max_copied: int = 12,
) -> list[str]:
    """All checks at once; the order is the order a retry prompt should fix them in."""
    return [
        *check_length(
            text, max_words=max_words, min_sentences=min_sentences, max_sentences=max_sentences
        ),
        *check_repetition(text),
        *check_loaded(text, article_loaded, _names_in(source, allowed)),
        *check_grounded(text, source, allowed=allowed),
        *check_quoted(text, source),
        *check_copied(text, source, max_run=max_copied),
    ]

"""Folding keys for people's names, so spellings of one name meet across articles.

News transliterates Slavic names every which way (Zelensky, Zelenskiy, Zelenskyy;
Kiev, Kyiv; Volodymyr, Volodomir). The key is deliberately phonetic-ish: case, diacritics,
common digraphs and the vowel letters are folded, consonant skeletons are kept. It is a
lookup key, never shown to users; the display name stays whatever the article printed.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from summarizer.wordlists import data_lines

_PARTICLES = {"von", "van", "der", "den", "de", "del", "della", "di", "da", "la", "le", "bin", "al"}
_SUFFIXES = frozenset(data_lines("name_suffixes.txt"))
_DIGRAPHS = (("sch", "s"), ("kh", "h"), ("zh", "z"), ("ph", "f"), ("ck", "k"), ("w", "v"))
_TITLE_WORDS = {"mr", "mrs", "ms", "dr", "sir", "dame", "prof", "president", "minister"}


def _ascii_fold(s: str) -> str:
    s = s.replace("ß", "ss").replace("ø", "o").replace("ł", "l").replace("đ", "d")
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))


_NON_LETTER = re.compile(r"[^a-z]")
_VOWELS = re.compile(r"[aeiouy]+")
_DOUBLES = re.compile(r"(.)\1+")


@lru_cache(maxsize=8192)
def _fold_token(tok: str) -> str:
    t = _NON_LETTER.sub("", _ascii_fold(tok).lower())
    for a, b in _DIGRAPHS:
        t = t.replace(a, b)
    # Vowels (and y) fold to one class: transliterations differ mostly in vowel letters.
    t = _VOWELS.sub("a", t)
    return _DOUBLES.sub(r"\1", t)


_TITLE_KEYS = frozenset(_fold_token(w) for w in _TITLE_WORDS)


def tokens(name: str) -> list[str]:
    """Name words without possessives, punctuation or honorifics ('Jr.' stays: another man)."""
    name = re.sub(r"[’']s\b", "", name)
    toks = [t for t in re.split(r"[\s\u00a0]+", name.strip()) if t]
    toks = [t.strip('.,;:()[]"“”‘’') for t in toks]
    toks = [t for t in toks if t and _fold_token(t)]
    while toks and _fold_token(toks[0]) in _TITLE_KEYS:
        toks = toks[1:]
    return toks


@lru_cache(maxsize=8192)
def name_key(name: str) -> str:
    """Key equal for spelling variants of the same name: 'Zelenskiy' and 'Zelensky' match."""
    return " ".join(_fold_token(t) for t in tokens(name))


def surname(name: str) -> str:
    """The family name as printed ('von der Leyen' keeps its particles)."""
    toks = tokens(name)
    while _suffix(toks):
        toks = toks[:-1]
    if not toks:
        return name.strip()
    i = len(toks) - 1
    while i > 0 and toks[i - 1].lower() in _PARTICLES:
        i -= 1
    return " ".join(toks[i:])


def without_suffix(name: str) -> str:
    """'Joseph R. Biden Jr.' -> 'Joseph R. Biden': the name as the article goes on to use it
    ('Mr. Biden'), for display where no relative in the article needs the suffix to be told
    apart. A lone given name keeps its numeral: in 'Charles III' it is a regnal number, so
    the suffix goes only after two name words (honorifics do not count)."""
    toks = tokens(name)
    if not generation(name) or len(toks) < 3:
        return name
    return name[: name.rfind(toks[-1])].rstrip(" ,\u00a0")


def generation(name: str) -> str:
    """A full name's generational suffix ('jr', 'iii'), or '' where it has none: 'Donald
    Trump' and 'Donald Trump Jr.' are father and son, never one person."""
    return _suffix(tokens(name))


def _suffix(toks: list[str]) -> str:
    """The last of a name's words as a generational suffix ('jr'), or '' where it is none.
    The one test for a suffix, so surname, display name and father/son splitting agree; a
    lone word is never one ('Jr' alone is no name with a suffix)."""
    last = toks[-1].lower() if len(toks) > 1 else ""
    return last if last in _SUFFIXES else ""


def surname_key(name: str) -> str:
    return name_key(surname(name))


def same_person_name(a: str, b: str) -> bool:
    """True if one name could be the other's short form ('Rutte' vs 'Mark Rutte').

    Full names with different given names ('Joe Biden' vs 'Hunter Biden') stay apart.
    """
    ka, kb = name_key(a).split(), name_key(b).split()
    if not ka or not kb:
        return False
    if ka[-1] != kb[-1]:
        return False
    if len(ka) > 1 and len(kb) > 1:
        return ka[0] == kb[0] and generation(a) == generation(b)
    return True

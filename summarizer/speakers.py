"""Who can speak in an article: people and speaking bodies, their surface forms and titles.

spaCy's small English model finds people well enough but with systematic errors on news
about Eastern Europe: capitals tagged as people ("Kyiv" as PERSON), people tagged as
organisations ("Trump", "Stoltenberg" as ORG) and names glued to the next word by bad
HTML extraction ("Mark Ruttereaffirmed"). Everything here exists to correct those errors
with generic rules, then to fold every surface form of one person into one entity.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from summarizer.names import (
    generation,
    name_key,
    same_person_name,
    surname,
    surname_key,
    without_suffix,
)
from summarizer.types import SpeakerKind
from summarizer.wordlists import data_lines, word_set


def _words(text: str) -> list[str]:
    return text.split()


# Reporting verbs, base forms (a data list). Inflections are generated; irregular ones listed.
REPORTING_BASES = data_lines("reporting_verbs.txt")
_IRREGULAR = {
    "say": ["said", "says", "saying"],
    "tell": ["told", "tells", "telling"],
    "write": ["wrote", "writes", "writing", "written"],
}


def _inflect(base: str) -> list[str]:
    verb, _, particle = base.partition(" ")
    if particle:  # 'point out': the verb inflects, the particle stays ('pointed to' is no saying)
        return [f"{form} {particle}" for form in _inflect(verb)]
    if base in _IRREGULAR:
        return [base, *_IRREGULAR[base]]
    stem = base[:-1] if base.endswith("e") else base
    past = base + "d" if base.endswith("e") else base + "ed"
    if base.endswith("y") and base[-2] not in "aeiou":
        past = base[:-1] + "ied"
        third = base[:-1] + "ies"
    else:
        third = base + ("es" if base.endswith(("s", "sh", "ch", "x")) else "s")
    if base in {"admit", "regret"}:
        past, stem = base + "ted", base + "t"
    return [base, past, third, stem + "ing"]


# Bare base forms and -s forms that double as common nouns ('a call', 'member states',
# 'reports') would read as reporting verbs without a tagger; only unambiguous ones stay.
_BASE_OK = {
    "say",
    "tell",
    "insist",
    "argue",
    "warn",
    "add",
    "explain",
    "admit",
    "acknowledge",
    "agree",
    "suggest",
    "stress",
    "urge",
    "deny",
    "reiterate",
    "confirm",
    "concede",
}
_NOUNISH_S = {
    "states",
    "reports",
    "calls",
    "notes",
    "claims",
    "comments",
    "demands",
    "promises",
    "posts",
    "signals",
    "points",
    "counters",
    "estimates",
    "repeats",
    "highlights",
    "replies",
    "vows",
    "pledges",
    "welcomes",
    "responds",
    "writes",
    "asks",
    "shouts",
    "chants",
    "protests",
    "jokes",
    "boasts",
    "laments",
    "quips",
    "retorts",
    "echos",
    "presses",
    "questions",
}
REPORTING_VERBS = (
    {"continued"}
    | {
        form
        for b in REPORTING_BASES
        for form in _inflect(b)
        if (form != b or b in _BASE_OK) and form not in _NOUNISH_S
    }
    | {"dixit"}
)
# The forms left out above because they double as nouns ('notes', 'writes', 'the states'):
# verbs of saying only where a tagger reads them as verbs (summarizer/positions.py).
NOUN_LIKE_FORMS = (
    frozenset(form for b in REPORTING_BASES for form in _inflect(b) if " " not in form)
    - REPORTING_VERBS
)
PARTICIPLES = {v for v in REPORTING_VERBS if v.split()[0].endswith("ing")}
VERB_RE = re.compile(r"\b(" + "|".join(sorted(REPORTING_VERBS, key=len, reverse=True)) + r")\b")

# Title heads: a title phrase must contain one of these.
ROLE_HEADS = set(data_lines("role_heads.txt"))
_ABBREV_TITLES = {
    "sen.",
    "rep.",
    "gov.",
    "gen.",
    "col.",
    "lt.",
    "maj.",
    "capt.",
    "adm.",
    "prof.",
    "amb.",
    "sgt.",
    "cmdr.",
}
ROLE_HEADS |= _ABBREV_TITLES
_ROLE_MODIFIERS = {
    "of",
    "the",
    "for",
    "new",
    "former",
    "deputy",
    "foreign",
    "prime",
    "vice",
    "defence",
    "defense",
    "policy",
    "state",
    "interior",
    "finance",
    "top",
    "high",
    "acting",
    "outgoing",
    "incoming",
    "senior",
    "military",
    "press",
    "economy",
    "energy",
    "justice",
    "health",
    "army",
    "staff",
    "affairs",
    "security",
    "national",
    "first",
    "chief",
    "general",
    "same",
} | ROLE_HEADS
# Words that mean "the top person of this body", for resolving "the Alliance leader".
_TOP_HEADS = {"leader", "head", "chief", "president", "premier", "chancellor", "secretary-general"}
_SYNONYMS = {
    "alliance": "nato",
    "bloc": "nato",
    "kremlin": "russia",
    "kyiv": "ukraine",
    "kiev": "ukraine",
    "moscow": "russia",
    "washington": "us",
    "u.s.": "us",
    "american": "us",
    "united": "us",
    "brussels": "eu",
    "european": "eu",
}
_ROLE_STOP = {"the", "of", "for", "and", "new", "former", "same", "a", "an", "acting"}

# Capitals and countries spaCy's small model tags as people or organisations. A data list,
# not tuned to any article: these names are never speakers in their own right here.
PLACES = frozenset(
    _words("""
kyiv kiev moscow washington brussels london paris berlin rome madrid warsaw budapest beijing
tokyo seoul pyongyang tehran minsk vilnius riga tallinn helsinki stockholm oslo copenhagen
ankara istanbul kharkiv odesa odessa donetsk luhansk crimea zaporizhzhia zaporizhia kursk
transnistria gaza jerusalem tel aviv riyadh doha cairo damascus baghdad kabul delhi taipei
ukraine russia china iran israel poland germany france italy spain hungary slovakia georgia
moldova belarus europe america taiwan syria turkey britain england caucasus donbas siberia
""")
)

_COMPASS = {"north", "south", "east", "west", "northern", "southern", "eastern", "western"}
_NAME_TOKEN = r"[A-ZÀ-ÖØ-Þ][\w’'\-]*"
_GLUE_WORDS = sorted(
    {v for v in REPORTING_VERBS if len(v) >= 4}
    | {"this", "which", "that", "recently", "specifically", "signed", "deliver", "reaffirmed"},
    key=len,
    reverse=True,
)
_TITLED_BEFORE = re.compile(
    r"(?i:\b(?:" + "|".join(sorted(map(re.escape, ROLE_HEADS), key=len, reverse=True)) + r"))\s+$"
)
_SPEAKS_BEFORE = re.compile(r"(?:\b[Aa]ccording to|" + VERB_RE.pattern + r")\s+$")
_SPEAKS_AFTER = re.compile(r"\s+(?:\w+ly\s+)?" + VERB_RE.pattern)
# Words a run of capitalised words before a name may open with that belong to no title:
# 'the', 'of', and a conjunction opening the sentence ('But Sen. X', 'When Gov. Y').
_NOT_TITLE_LEAD = (
    {"the", "of", "for", "to"} | word_set("coordinators.txt") | word_set("subordinators.txt")
)
# 'former Obama adviser X', 'Former federal prosecutor X': a 'former' the title's run stopped
# short of (at the boss's name, at a word no list holds) still says the title is past.
# ('a former aide to Sen. X': the former title is the aide's, not X's.)
_FORMER_BEFORE = re.compile(r"\b[Ff]ormer\s+(?:(?!(?:to|for|of|with|at)\s)[\w’'\-]+\s+){1,3}$")
# How an unnamed source's speaker field reads ('unnamed: senior administration official').
UNNAMED_PREFIX = "unnamed: "
HONORIFIC_GENDER = {"mr": "m", "mrs": "f", "ms": "f", "miss": "f"}
_HONORIFIC_BEFORE = re.compile(r"\b(Mr|Mrs|Ms|Miss)\.?\s+$")
# Nouns that give a person's gender when they stand in apposition to the name
# ('Her younger brother, Tomas Brandt'; 'Anna Berg, a spokeswoman for ...').
GENDER_NOUNS = {
    **dict.fromkeys(
        _words("""brother son husband father uncle nephew grandson grandfather
        boyfriend spokesman chairman businessman congressman councilman king prince
        sportsman fisherman"""),
        "m",
    ),
    **dict.fromkeys(
        _words("""sister daughter wife mother aunt niece granddaughter
        grandmother girlfriend spokeswoman chairwoman businesswoman congresswoman
        councilwoman queen princess sportswoman widow"""),
        "f",
    ),
}
# A name ends at a word boundary, a possessive, or a common word glued on by bad extraction.
_FORM_END = re.compile(r"(?:[’']s)?(?![\w])|(?:" + "|".join(_GLUE_WORDS) + r")\b")


@dataclass
class Entity:
    """One person or speaking body, with every surface form the article uses."""

    id: int
    name: str
    kind: SpeakerKind
    forms: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)

    @property
    def role(self) -> str | None:
        current = [r for r in self.roles if not r.lower().startswith("former")]
        chosen = current or self.roles
        role = chosen[0] if chosen else None
        return re.sub(r"^(?:the|a|an)\s+", "", role, flags=re.I) if role else None

    def role_tokens(self) -> set[str]:
        out: set[str] = set()
        for r in self.roles:
            out |= role_tokens(r)
        return out


@dataclass
class Mention:
    start: int
    end: int
    kind: str  # "name" | "org" | "role" | "pronoun"
    entity: int | None  # resolved entity for names/orgs; None for roles and pronouns
    text: str
    shared: bool = False  # a surname two people of the article have ('Brandt')


def role_tokens(phrase: str) -> set[str]:
    toks = re.findall(r"[\w.]+", phrase.lower().replace("’s", "").replace("'s", ""))
    out = set()
    for t in toks:
        for part in t.split("-") if t not in ROLE_HEADS else [t]:
            part = _SYNONYMS.get(part, part)
            if part.endswith("ian") and len(part) > 5:
                part = part[:-3] + "ia" if part[:-3].endswith("ss") else part
            if part and part not in _ROLE_STOP:
                out.add(part)
    return out


def _fold5(tokens: set[str]) -> set[str]:
    # 'Italian' ~ 'Italy', 'Ukrainian' ~ 'Ukraine': compare on a 5-letter prefix.
    return {t[:5] for t in tokens}


def role_match(phrase: str, entity: Entity) -> float:
    """How well a stand-in like 'the Italian vice-premier' fits a person's known titles.

    Shared qualifiers (nationality, body) and shared title words count one each; a 'leader'
    or 'head' fits any top title with half a point. Former titles only count when the
    phrase itself says 'former'.
    """
    words = set(re.findall(r"[\w\-]+", phrase.lower()))
    want_former = "former" in words
    p_tokens = role_tokens(phrase)
    p_heads = {t for t in words if t in ROLE_HEADS}
    best = 0.0
    for r in entity.roles:
        if r.lower().startswith("former") and not want_former:
            continue
        r_words = set(re.findall(r"[\w\-]+", r.lower()))
        r_heads = {t for t in r_words if t in ROLE_HEADS}
        quals = _fold5(p_tokens - ROLE_HEADS) & _fold5(role_tokens(r) - ROLE_HEADS)
        score: float = len(quals) + len(p_heads & r_heads)
        if p_heads & _TOP_HEADS and r_heads & (_TOP_HEADS | {"secretary", "general"}):
            score += 0.5
        best = max(best, score)
    return best


def _strip_title(name: str) -> str:
    """'Mayor Oleg Petrov' (NER sometimes includes the title) -> 'Oleg Petrov'."""
    toks = name.split()
    while len(toks) > 1 and re.sub(r"[’']s$", "", toks[0].lower()) in _ROLE_MODIFIERS | {
        "mr",
        "mr.",
        "mrs",
        "mrs.",
        "ms",
        "ms.",
        "dr",
        "dr.",
    }:
        toks = toks[1:]
    return " ".join(toks)


_GENERIC_ORG_WORDS = {"state", "ministry", "government", "defence", "defense", "foreign", "army"}


def _unglue(name: str, known: set[str], counts: dict[str, int]) -> str:
    """'Mark Ruttereaffirmed' -> 'Mark Rutte', by known surnames or a glued common word."""
    toks = name.split()
    last = toks[-1]
    if counts.get(last, 0) > 1:
        return name  # the word stands alone elsewhere: it is the name itself
    for k in sorted(known, key=lambda k: (-len(k), k)):
        if last != k and last.startswith(k) and last[len(k) :].islower() and len(last) > len(k):
            return " ".join([*toks[:-1], k])
    if len(toks) >= 2:
        for w in _GLUE_WORDS:
            stem = last[: -len(w)]
            if len(w) >= 4 and last.endswith(w) and len(stem) >= 3 and stem[-1].isalpha():
                return " ".join([*toks[:-1], last[: -len(w)]])
    return name


# spaCy takes a region's adjective before an acronym into an organisation's name: "European
# NATO countries" gave the speaker "European NATO" for "NATO warns ..." (shared seed 002).
_ADJECTIVE_ACRONYM = re.compile(
    r"^(?:European|Western|Eastern|Northern|Southern|Central|Baltic|Nordic|Atlantic|Asian|"
    r"African|Arab|American|Russian|Ukrainian|British|French|German|Chinese|Polish)\s+([A-Z]{2,})$"
)


def _clean_name(raw: str) -> list[str]:
    out = []
    for part in re.split(r"[\n\]\[()]+", raw):
        part = re.sub(r"[’']s$", "", part.strip(" \t,.;:—–-"))
        part = re.sub(r"^(?:the|The)\s+", "", part)
        if part:
            out.append(part)
    return out


def _is_plausible_person(name: str, place_texts: set[str]) -> bool:
    toks = name.split()
    if not toks or len(toks) > 5 or re.search(r"\d|/|@", name):
        return False
    if not all(
        t[0].isupper() or t.lower() in {"von", "van", "der", "de", "bin", "al", "la"} for t in toks
    ):
        return False
    low = name.lower()
    # 'Navy Capt.', 'Army Gen.': NER ends an organisation on the title of the name after
    # it; a name never ends on an abbreviated title.
    if toks[-1].lower() + "." in _ABBREV_TITLES:
        return False
    # 'Steve Israel', 'Denzel Washington': a surname may be a place; a name whose other words
    # are places too ('Tel Aviv', 'East Jerusalem' tagged as people) is the place.
    others = [t.lower() for t in toks[:-1]]
    place_end = toks[-1].lower() in PLACES and (
        not others or any(t in PLACES or t in _COMPASS for t in others)
    )
    return low not in PLACES and low not in place_texts and not place_end


class SpeakerIndex:
    """Entities and their mentions for one article, built from NER plus string search."""

    def __init__(self, text: str, masked: str, ents: list[tuple[str, int, int, str]]):
        self.text = text
        self.masked = masked
        self.entities: list[Entity] = []
        self.mentions: list[Mention] = []
        place_texts = self._place_like(ents)
        self.word_counts = Counter(re.findall(r"[\w\-]+", text))
        self._build_people(ents, place_texts)
        self._build_orgs(ents, place_texts)
        self._find_roles()
        self._find_role_mentions()
        self._find_pronouns()
        self.mentions.sort(key=lambda m: (m.start, -m.end))
        self._drop_overlaps()

    @staticmethod
    def _place_like(ents) -> set[str]:
        """Names the model calls a place more often than a person, and never part of a
        full name: a capital mis-tagged as a person, not a person once mis-tagged as a place."""
        place: dict[str, int] = {}
        person: dict[str, int] = {}
        in_full: set[str] = set()
        for t, _s, _e, lab in ents:
            low = t.lower()
            if lab in {"GPE", "LOC", "NORP", "FAC"}:
                place[low] = place.get(low, 0) + 1
            elif lab == "PERSON":
                person[low] = person.get(low, 0) + 1
                if " " in t:
                    in_full.update(w.lower() for w in t.split())
        return {k for k, v in place.items() if v > person.get(k, 0) and k not in in_full}

    # -- people -----------------------------------------------------------------------------
    def _build_people(self, ents, place_texts) -> None:
        raw: list[str] = []
        for t, _s, _e, lab in ents:
            if lab == "PERSON":
                raw.extend(_clean_name(t))
        # NER often calls a person an ORG or GPE in one sentence and a PERSON in the next:
        # a short capitalised entity sharing a surname with a PERSON is that person.
        person_keys = {surname_key(n) for n in raw}
        titled = re.compile(
            r"\b(?:" + "|".join(sorted(ROLE_HEADS, key=len, reverse=True)) + r")\s+$", re.I
        )
        for t, s, _e, lab in ents:
            if (
                lab == "ORG"
                and titled.search(self.text[max(0, s - 30) : s])
                and re.fullmatch(_NAME_TOKEN + r"(?:\s+" + _NAME_TOKEN + r"){1,2}", t)
            ):
                person_keys.add(surname_key(t))  # 'spokesman Dmitry Orlov' is a person
        for t, _s, _e, lab in ents:
            if lab in {"ORG", "GPE", "NORP", "LOC"}:
                for n in _clean_name(t):
                    toks = n.split()
                    if (
                        1 <= len(toks) <= 3
                        and all(w[:1].isupper() for w in toks)
                        and surname_key(n) in person_keys
                        and n.lower() not in PLACES
                    ):
                        raw.append(n)
        raw = [n for n in raw if not self._company_like(n, raw, ents)]
        behaving = self._people_by_behaviour(ents)
        place_texts -= {n.lower() for n in behaving}
        raw += behaving
        raw = [t for t in (_strip_title(n) for n in raw) if t.strip()]
        known = {n for n in raw if " " not in n}
        names = [_unglue(n, known, self.word_counts) for n in raw]
        names = [n for n in names if _is_plausible_person(n, place_texts)]
        # Full names first so surnames attach to them.
        full = sorted(
            {n for n in names if len(n.split()) > 1}, key=lambda n: (-len(n), self.text.find(n), n)
        )
        single = sorted({n for n in names if len(n.split()) == 1})
        for n in full:
            if any(n in e.forms for e in self.entities):
                continue
            # "Volodomir Zelensky" and "Volodymyr Zelensky" are one man; "Donald Trump" and
            # "Donald Trump Jr." are father and son.
            same = [
                e
                for e in self.entities
                if generation(n) == generation(e.name)
                and (
                    name_key(e.name) == name_key(n)
                    or (name_key(n) in name_key(e.name) and surname_key(n) == surname_key(e.name))
                )
            ]
            if same:
                same[0].forms.append(n)
            else:
                self.entities.append(Entity(len(self.entities), n, "person", [n]))
        # A full name's surname is a form of it even where NER called it an ORG or a GPE.
        for e in list(self.entities):
            sn = surname(e.name)
            toks = e.name.split()
            # (a surname that is a place, 'Israel', stands alone for the place, not the person)
            if (
                len(toks) > 1
                and not generation(e.name)
                and sn not in single
                and sn.lower() not in PLACES
            ):
                single.append(sn)
        for n in single:
            hits = [
                e
                for e in self.entities
                if e.kind == "person" and any(same_person_name(n, f) for f in e.forms)
            ]
            # A word of one person's full name that is not its last ('Ms. Gao' after 'Gao
            # Lin', family name first; 'Ms. Acosta' after 'Rosa Acosta Vidal', two surnames;
            # 'Mr. Verdery' after 'Tom Verdery Jr.') is that person, not nobody. A word two
            # full names share stays no one's: it could be either.
            inside = {
                e.id
                for e in self.entities
                if e.kind == "person" and any(n in f.split() for f in e.forms)
            }
            if not hits and len(inside) == 1:
                hits = [self.entities[inside.pop()]]
            if hits:
                for h in hits:
                    if n not in h.forms:
                        h.forms.append(n)
            elif not inside:
                self.entities.append(Entity(len(self.entities), n, "person", [n]))
        self._scan_forms("name")

    def _company_like(self, n: str, raw: list[str], ents) -> bool:
        """A lone word NER calls both a person and an organisation, no person's surname, never
        titled or speaking ('the supermarket chain Fjordmart', 'a spokeswoman for
        Fjordmart'), is a company, not a person."""
        if " " in n or not any(t == n and lab == "ORG" for t, _s, _e, lab in ents):
            return False
        if any(" " in f and surname_key(f) == surname_key(n) for f in raw):
            return False
        for m in re.finditer(r"\b" + re.escape(n) + r"\b", self.masked):
            before = self.masked[max(0, m.start() - 40) : m.start()]
            if _TITLED_BEFORE.search(before) or _SPEAKS_BEFORE.search(before):
                return False
            if _SPEAKS_AFTER.match(self.masked, m.end()):
                return False
        return True

    def _people_by_behaviour(self, ents) -> list[str]:
        """Full names NER filed under another label (“Lars Eide” as a FAC, an unfamiliar
        surname as a GPE) that the article treats as a person: their surname used on its own
        elsewhere, and either the full name followed by ', who' or the surname alone next to
        a verb of saying ('said Eide', 'Eide said'). A body's name is seldom cut to its last
        word on its own."""
        out = []
        for t, _s, e, lab in ents:
            if lab not in {"FAC", "ORG", "GPE", "LOC", "NORP", "PRODUCT", "WORK_OF_ART"}:
                continue
            for n in _clean_name(t):
                toks = n.split()
                if not 2 <= len(toks) <= 3 or not all(re.fullmatch(_NAME_TOKEN, w) for w in toks):
                    continue
                if n.lower() in PLACES:
                    continue
                who = re.match(r",\s*who\b", self.text[e : e + 8]) is not None
                alone = re.compile(
                    r"(?<!" + re.escape(toks[-2]) + r" )\b" + re.escape(toks[-1]) + r"\b"
                )
                hits = [m for m in alone.finditer(self.masked) if m.start() != e - len(toks[-1])]
                if any(who or self._speaks_alone(m.start(), m.end()) for m in hits):
                    out.append(n)
        return out

    def _speaks_alone(self, start: int, end: int) -> bool:
        """The word at start:end stands alone as the one who speaks: a verb of saying just
        before it, or after it where no preposition governs it ('on Facebook writing' is a
        place to write), no capitalised word glued to it ('Fox News said' is another body's
        'News', 'said House Speaker Ryan' another man), and no acronym ('European NATO' is
        not a person because 'NATO warns')."""
        before = self.masked[max(0, start - 40) : start]
        if self.masked[start:end].isupper():
            return False
        if re.search(r"[A-Z][\w’'\-]*\s+$", before) or re.match(r"\s+[A-Z]", self.masked[end:]):
            return False
        if _SPEAKS_BEFORE.search(before):
            return True
        governed = re.search(r"\b(?:on|in|at|to|from|for|of|with|by|about|via)\s+$", before)
        return not governed and bool(_SPEAKS_AFTER.match(self.masked, end))

    def _scan_forms(self, kind: str) -> None:
        """Every occurrence of every form outside quotes, whatever NER labelled it there."""
        forms = sorted(
            {
                (f, e.id)
                for e in self.entities
                if e.kind == ("person" if kind == "name" else "organization")
                for f in e.forms
            },
            key=lambda x: (-len(x[0]), x),
        )
        taken: list[tuple[int, int]] = []
        for form, _ in forms:
            owners = [e for e in self.entities if form in e.forms]
            pat = re.compile(r"(?<![\w’'])" + re.escape(form))
            for m in pat.finditer(self.masked):
                if not _FORM_END.match(self.masked, m.end()):
                    continue
                if any(a <= m.start() < b for a, b in taken):
                    continue
                taken.append((m.start(), m.end()))
                ent = owners[0].id if len(owners) == 1 else None
                self.mentions.append(
                    Mention(m.start(), m.end(), kind, ent, form, shared=len(owners) > 1)
                )
        self.assign_shared(kind)

    def owners_of(self, form: str) -> list[int]:
        return [e.id for e in self.entities if form in e.forms]

    def assign_shared(self, kind: str, gender: dict[int, str] | None = None) -> None:
        """A bare surname shared by two people: 'Mr.'/'Ms.' picks the one of that gender
        (or the only one not known to be of the other), else whoever was named last."""
        gender = gender or {}
        for mn in sorted(self.mentions, key=lambda m: m.start):
            if not mn.shared or mn.kind != kind:
                continue
            owners = self.owners_of(mn.text)
            h = _HONORIFIC_BEFORE.search(self.masked, max(0, mn.start - 6), mn.start)
            if h:
                g = HONORIFIC_GENDER[h.group(1).lower()]
                fit = [o for o in owners if gender.get(o) == g] or [
                    o for o in owners if gender.get(o) is None
                ]
                if len(fit) == 1:
                    mn.entity = fit[0]
                    continue
            prev = [
                m
                for m in self.mentions
                if m.end <= mn.start and m.entity is not None and m.entity in owners
            ]
            prev.sort(key=lambda m: m.start)
            mn.entity = prev[-1].entity if prev else owners[0]

    # -- organisations ----------------------------------------------------------------------
    _ORG_PATTERNS = re.compile(
        r"(?:\b(?:the|The)\s+)?(?:Kremlin|White House|Pentagon|Elys[ée]e Palace|Downing Street)"
        r"|\b(?:[A-Z][\w]+(?:[’']s)?\s+)?(?:Foreign|Defen[cs]e|Interior|Finance|Economy|Justice)"
        r"\s+(?:Ministry|Office|Department)"
    )

    def _build_orgs(self, ents, place_texts) -> None:
        people_keys = {surname_key(f) for e in self.entities for f in e.forms}
        name_tokens = {name_key(w) for e in self.entities for f in e.forms for w in f.split()}
        glue_known = {p.title() for p in PLACES} | {t for t, *_ in ents if " " not in t}
        cands: list[str] = []
        for t, _s, _e, lab in ents:
            if lab != "ORG":
                continue
            for n in _clean_name(t):
                n = _unglue(n, glue_known, self.word_counts)
                n = _ADJECTIVE_ACRONYM.sub(r"\1", n)
                low = n.lower()
                if low in _GENERIC_ORG_WORDS:
                    continue
                if (
                    surname_key(n) in people_keys
                    or name_key(n) in name_tokens
                    or low in PLACES
                    or low in place_texts
                ):
                    continue
                if not n[:1].isupper() or len(n) < 2 or re.search(r"\d", n):
                    continue
                cands.append(n)
        cands += [
            re.sub(r"^(?:the|The)\s+", "", m.group(0))
            for m in self._ORG_PATTERNS.finditer(self.masked)
        ]
        for n in sorted(set(cands), key=lambda n: (-len(n), n)):
            if any(name_key(n) == name_key(f) for e in self.entities for f in e.forms):
                continue
            # 'the Commission' after 'the European Commission': the head word is a short form.
            longer = [
                e
                for e in self.entities
                if e.kind == "organization" and " " not in n and e.name.endswith(" " + n)
            ]
            if len(longer) == 1:
                longer[0].forms.append(n)
                continue
            self.entities.append(Entity(len(self.entities), n, "organization", [n]))
        self._scan_forms("org")

    # -- titles -----------------------------------------------------------------------------
    def _title_before(self, pos: int) -> tuple[int, str] | None:
        """Title words directly before a name: 'Kremlin spokesman' in 'Kremlin spokesman Dmitry'."""
        words = list(re.finditer(r"[\w’'\-.]+", self.masked[max(0, pos - 120) : pos]))
        base = max(0, pos - 120)
        start = pos
        taken: list[str] = []
        end_expected = pos
        for w in reversed(words):
            gap = self.masked[base + w.end() : end_expected]
            if gap.strip() or "\n" in gap:
                break  # (a title never runs back across a paragraph break)
            tok = w.group(0)
            if (
                tok.endswith(".")
                and tok.count(".") == 1
                and len(tok) > 3
                and tok.lower() not in _ABBREV_TITLES
            ):
                break  # 'Russia.' ends the previous sentence; 'U.S.' does not
            low = re.sub(r"[’']s$", "", tok.lower())
            if not (tok[0].isupper() or low in _ROLE_MODIFIERS) or low in self._name_words:
                break
            if low in {"for", "of", "to"} and any(
                re.sub(r"[’']s$", "", t.lower()) in ROLE_HEADS for t in taken
            ):
                break  # 'a spokesman for President X': X's title is 'President'
            if low in {"a", "an"}:
                break
            taken.insert(0, tok)
            start = base + w.start()
            end_expected = start
        while taken and taken[0].lower() in _NOT_TITLE_LEAD:
            start += len(taken[0]) + 1
            taken = taken[1:]
        if taken and taken[-1].lower() in {"of", "for", "to"}:
            return None  # 'a spokeswoman for Fjordmart': the title is someone else's
        if not taken or not any(re.sub(r"[’']s$", "", t.lower()) in ROLE_HEADS for t in taken):
            return None
        former = _FORMER_BEFORE.search(self.masked, max(0, start - 60), start)
        # (the name's mention still starts at the title: the words between may be the boss's)
        phrase = self.text[former.start() if former else start : pos].strip()
        return start, phrase

    def _find_roles(self) -> None:
        self._name_words = {
            w.lower()
            for e in self.entities
            if e.kind == "person"
            for f in e.forms
            for w in f.split()
        }
        for mn in list(self.mentions):
            if mn.kind != "name" or mn.entity is None:
                continue
            ent = self.entities[mn.entity]
            direct = self._title_before(mn.start)
            if direct:
                ent.roles.append(direct[1])
                mn.start = direct[0]
            comma = re.search(r",\s*$", self.masked[max(0, mn.start - 4) : mn.start])
            if comma:
                before = self._title_before(mn.start - len(comma.group(0)))
                if before:
                    ent.roles.append(before[1])
            after = re.match(
                r",\s*((?:the\s+|a\s+|an\s+|[A-Z][\w’']*\s+|"
                r"(?:" + "|".join(ROLE_HEADS) + r")\b)[^,.;:()—\n“”]{2,70}?)"
                r"\s*(?=[,.;(—\n])",
                self.masked[mn.end : mn.end + 90],
            )
            if (
                after
                and self._has_head(after.group(1))
                and len(after.group(1).split()) <= 8
                and not VERB_RE.search(after.group(1))
                and not after.group(1).startswith(("who", "which", "for his", "for her"))
            ):
                ent.roles.append(after.group(1).strip())

    @staticmethod
    def _has_head(phrase: str) -> bool:
        return any(
            re.sub(r"[’']s$", "", t) in ROLE_HEADS for t in re.findall(r"[\w’'\-]+", phrase.lower())
        )

    _HEADS_RE = "|".join(sorted((re.escape(h) for h in ROLE_HEADS), key=len, reverse=True))
    _ROLE_NP = re.compile(
        r"\b[Tt]he\s+(?:[\w’'\-.]+\s+){0,3}?(?i:" + _HEADS_RE + r")(?:[\s-]+General)?(?![\w-])"
        r"(?:\s+of\s+(?:the\s+)?" + _NAME_TOKEN + r"(?:\s+" + _NAME_TOKEN + r")*)?"
    )

    def _find_role_mentions(self) -> None:
        for m in self._ROLE_NP.finditer(self.masked):
            after = self.masked[m.end() : m.end() + 40]
            if re.match(r",?\s*" + _NAME_TOKEN + r"\s+" + _NAME_TOKEN, after) or re.match(
                r"\s+" + _NAME_TOKEN, after
            ):
                continue  # a title introducing a name, not a stand-in for one
            if any(
                p.kind == "name" and re.fullmatch(r",\s*", self.masked[p.end : m.start()])
                for p in self.mentions
            ):
                continue  # 'Kaja Kallas, the EU’s foreign policy chief': a title, not a mention
            words = re.findall(r"[\w’'\-]+", m.group(0).lower())
            if any(w in {"its", "his", "her", "their"} for w in words):
                continue
            self.mentions.append(Mention(m.start(), m.end(), "role", None, m.group(0)))

    def _find_pronouns(self) -> None:
        for m in re.finditer(r"\b([Hh]e|[Ss]he)\b", self.masked):
            self.mentions.append(Mention(m.start(), m.end(), "pronoun", None, m.group(0)))
        # 'it said in a statement': a body speaking; only before a reporting verb, since
        # 'it' is mostly not a speaker.
        for m in re.finditer(
            r"\b[Ii]t(?=\s+(?:also\s+|later\s+|\w+ly\s+)?"
            + VERB_RE.pattern.removeprefix(r"\b")
            + ")",
            self.masked,
        ):
            self.mentions.append(Mention(m.start(), m.end(), "it", None, m.group(0)))

    def _drop_overlaps(self) -> None:
        """Overlapping mentions keep the first; but a person's mention whose title reaches
        back into a body's name ('The Acme Union National Executive Director Jo Park', where
        NER ends the body at 'Executive') keeps its name part after the body."""
        kept: list[Mention] = []
        for m in self.mentions:
            if kept and m.start < kept[-1].end:
                if m.kind != "name" or kept[-1].kind != "org" or m.end <= kept[-1].end:
                    continue
                m.start = m.end - len(self.masked[kept[-1].end : m.end].lstrip())
            kept.append(m)
        self.mentions = kept

    def person(self, name: str) -> int:
        """The entity of a person the parse names where NER found nobody: an existing one
        with that name or surname form, else a new one."""
        for e in self.entities:
            if e.kind == "person" and any(same_person_name(name, f) for f in e.forms):
                return e.id
        self.entities.append(Entity(len(self.entities), name, "person", [name]))
        return len(self.entities) - 1

    def body(self, name: str) -> int:
        """The entity of a body the article cites as a source where NER found none (a
        paper, a broadcaster): an existing organisation of that name, else a new one."""
        for e in self.entities:
            if e.kind == "organization" and any(name_key(f) == name_key(name) for f in e.forms):
                return e.id
        self.entities.append(Entity(len(self.entities), name, "organization", [name]))
        return len(self.entities) - 1

    def unnamed(self, label: str) -> int:
        """The entity of an unnamed source, one per label in an article; it has no surface
        forms to search for, so no later mention can fold it into a named person."""
        name = UNNAMED_PREFIX + label
        for e in self.entities:
            if e.kind == "unnamed" and e.name.casefold() == name.casefold():
                return e.id
        self.entities.append(Entity(len(self.entities), name, "unnamed", [label]))
        return len(self.entities) - 1

    def entity(self, i: int) -> Entity:
        return self.entities[i]

    def canonical(self, e: Entity) -> str:
        """The name a position is filed under: a person's longest full form, without a
        'Jr.' or 'III' where the article also names him without it, unless another person
        of the article shares the surname. Articles print the suffix once and then say
        'Mr. Biden', and readers (and annotators) know the man as 'Joseph R. Biden'; a man
        the article names only with the suffix is known by it, and the suffix matters
        beside a relative."""
        if e.kind != "person":
            return e.name
        full = [f for f in e.forms if len(f.split()) > 1]
        name = max(full, key=len) if full else e.name
        relatives = [
            o
            for o in self.entities
            if o.id != e.id and o.kind == "person" and surname_key(o.name) == surname_key(name)
        ]
        if relatives or all(generation(f) for f in e.forms):
            return name
        return without_suffix(name)

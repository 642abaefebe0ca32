"""Named positions: who is quoted in an article, saying exactly what.

This is the part of the analysis the bot can show within a second, before the language
model has written anything, so it is rules over quote marks plus spaCy's entities and
never guesses: a quote whose speaker cannot be pinned down by a reporting pattern is
dropped, and every span is re-checked against the article before it leaves this module.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from summarizer.names import surname
from summarizer.nlp import NBSP, Parsed, Token
from summarizer.segment import FILL, Quote, find_quotes, mask_quotes, sentence_spans
from summarizer.segment import NEGATED as _NEGATED
from summarizer.speakers import (
    GENDER_NOUNS,
    HONORIFIC_GENDER,
    NOUN_LIKE_FORMS,
    PARTICIPLES,
    PLACES,
    REPORTING_BASES,
    REPORTING_VERBS,
    ROLE_HEADS,
    VERB_RE,
    Mention,
    SpeakerIndex,
    role_match,
)
from summarizer.types import Position, Span
from summarizer.wordlists import data_lines, word_set

_ADVERBS = (
    r"(?:(?:also|then|later|earlier|already|still|again|further|has|have|had|was|is|"
    r"once|even|only|too|never|not|\w+ly)\s+)*"
)
_ADJACENT = re.compile(r"^\s*" + _ADVERBS + r"$")
_CLAUSE_LEAD = re.compile(r"[\s,.;:!?—–\-(]*")
_TO_REPORTERS = re.compile(r"\s*(?:to reporters\s+)?")
_PARTY_TAG = re.compile(r"\((?:[DRI]|Dem|Rep|Ind)\.?\s*[-–]\s*[A-Z][A-Za-z. ]{1,15}\)")
# A wire dateline opening a paragraph ('SALEM, Ore., May 3 (AP) — '): the agency wrote the
# story, it never says what follows, and the sentence's subject is the name after the dash.
_DATELINE = re.compile(r"^[A-Z][\w.’', ]{0,50}\([A-Z][A-Za-z]{1,15}\)[^\S\n]*[-–—]+", re.M)
# ', the NATO chief, said', ', the NATO chief said'; not ', had said' ('Mr. Holm, asked about
# Ms. Ford, had said'): what follows the comma must hold more than auxiliaries and adverbs.
# It is matched inside one sentence, so a full stop in it is an abbreviation's, which real
# appositions are full of ('Jr., the harbour master,', ', Mr. Holm's deputy,', ', who served
# under Dana K. Whitlow,'), and a place may carry its state after a comma (', now retired in
# Salem, Ore.,').
_APPOSITION = re.compile(
    r"^\.?\s*,\s*(?!"
    + _ADVERBS
    + r"$)[^,;:!?\s](?:[^,;:!?]|,\s*[A-Z][\w.]*(?=,)){0,160},?\s*"
    + _ADVERBS
    + r"$"
)
# How far after a name its verb of saying may stand, an apposition between them: 60
# characters cut off 'Tom Reyes, who chaired the harbour board under Mayor Whitlow, told'.
_APPOSITION_REACH = 170
_LEAD_ADVERBIAL = re.compile(
    r"^[\s\W]*(?:(?:(?:On|In|At|During|After|Before|Earlier|Later|Last|Yesterday|Today|"
    r"Meanwhile|However|Furthermore|Moreover|Also|Then|Now|For|Thus|But|And|So|Still|Instead|"
    r"Previously|Separately|Speaking|Asked|Near|Towards?|By|With|Without|Despite|Under|Within|"
    r"Shortly|Soon|When|While|Once|As|Until|Since|Although|Though)\b[^,;:]{0,60},\s*)|"
    r"(?:But|And|So|Yet)\s+)?$"
)
_GLUED_VERB = re.compile(VERB_RE.pattern.removeprefix(r"\b"))
# "in response to the comment that “...”": the quote is what someone else asked or said.
_NOUN_COMPLEMENT = re.compile(
    r"\b(?:comment|question|remark|suggestion|claim|assertion|headline|slogan|title)s?"
    r"\s+(?:that\s+|of\s+)?$"
)
_PREP_BEFORE = re.compile(
    r"\b(?:for|of|to|with|from|by|about|against|toward|towards|behind|near)\s+(?:the\s+)?"
    r"(?:(?:Mr|Mrs|Ms|Miss|Dr)\.?\s+)?$"
)
# '..., one skipper in Ålesund said': a name after a preposition is not the subject.
# "’s top foreign policy aide ", " campaign spokesman ": a title between two names; empty
# where the second name's mention already begins with its title ('Obama adviser David Axelrod').
_TITLE_BETWEEN = re.compile(r"(?:[’']s)?\s+((?:[a-z][\w’'\-]*\s+){0,5})")
_WORD = r"[a-z][\w’'\-]*"
_POSSESSED_APPOSITION = re.compile(
    r"[’']s\s+(?:" + _WORD + r"\s+){0,4}" + _WORD + r",\s*(?:" + _WORD + r"\s+){0,3}"
)
# 'a spokeswoman for Acme Hotels', 'an aide to the senator': the body named is the employer.
_EMPLOYER_BEFORE = re.compile(r"\b(?:for|of|at|to|with)\s+(?:the\s+)?$")
# 'X accuses Y of “…” and Z says …', 'X said he was “…” until Z said …': after a
# conjunction a second clause with its own subject begins; it is no reporting clause of
# the quote before it. ('“…,” as Z put it' is Z's: 'as' is not one of them.)
# ('“…” only because Z agreed' too: the conjunction may follow an adverb.)
_CONJUNCTION_LEAD = re.compile(
    r"\b(?:and|but|while|whereas|or|until|unless|because|since|after|before|when|whenever|if|"
    r"although|though)\s"
)
_SUBORDINATORS = word_set("subordinators.txt")
_SUBORDINATOR = r"(?:" + "|".join(sorted(w.capitalize() for w in _SUBORDINATORS)) + r")\s"
_SUBORDINATE_LEAD = re.compile(r"[\s\W]*" + _SUBORDINATOR + r"[^,;:!?" + FILL + r"]*,\s*")
# A sentence that opens with a subordinate clause, whatever it holds.
_SUBORDINATE_START = re.compile(r"[\s\W]*" + _SUBORDINATOR)
# 'After Lena Ford said that pupils would fare better at “smaller island schools,” Brenner said':
# the sentence opens a subordinate clause that the quote ends; what follows is the main clause.
_SUBORDINATE_OPEN = re.compile(r"[\s\W]*" + _SUBORDINATOR + r"[^,;:!?" + FILL + r"]*$")
# 'Rosalind Pembrake', 'Okafor': one to three capitalised words, as a clause may open.
_NAME_WORDS = re.compile(r"[A-Z][a-z][\w’'\-]*(?: [A-Z][a-z][\w’'\-]*){0,2}(?=[\s,])")
_PREP_BEFORE_ANY = re.compile(r"\b(?:in|at|near|of|for|from|to|with|by|about)\s+(?:the\s+)?$")
_HONORIFIC = r"(?:(?:Mr|Mrs|Ms|Miss|Dr)\.?\s+)?"
# What may stand between an inverted verb of saying and the name of the one who speaks: a
# title, lower case or not ('said the Italian vice-premier', 'said Coast Guard 1st Lt.').
_INVERTED_TITLE = re.compile(r"(?:[Tt]he\s+)?(?:[\w’'\-]+\.?\s+){0,4}(?:\w+,\s*)?" + _HONORIFIC)
# 'Ford delivered a blunt message to Reyes: “…”': the one a message goes to or is aimed at,
# named last before the colon, is the listener; the clause's subject speaks.
_ADDRESSEE_BEFORE = re.compile(
    r"\b(?:to|at|against|toward|towards|with|about|for|on)\s+(?:the\s+)?" + _HONORIFIC + "$"
)
# 'was asked by', 'had been told by': a reporting verb in the passive.
_PASSIVE_AUX = re.compile(r"\b(?:was|were|been|being|is|are|be)\s+" + _ADVERBS + "$")
# 'said Tom Reyes', 'said Sen. Ann Lee': nothing but an abbreviated title between an inverted
# verb of saying and the name of the one speaking.
_INVERTED_GAP = re.compile(r"\s+(?:[A-Z][a-z]{1,4}\.\s+)?")
_TERMINAL = re.compile(r"[.!?…]['\"”’»)]*$")
# "“…” The words came from X": the next sentence names the speaker of a bare quote.
_BACK_REFERENCE = re.compile(
    r"\s*(?:The|Those|These|That|This|Such)\s+(?:words|remarks?|comments?|warning|verdict|"
    r"message|assessment|quote)\s+(?:came|come|were|was|are|is)\s+(?:from|by)\s+"
)

_SIGNATURE = re.compile(r"\s*[-–—]\s*")
_SIGNED_NAME = re.compile(r"([A-Z][\w’'\-]*(?:\s[A-Z]\.)?(?:\s[A-Z][\w’'\-]*){0,2})[\s.,]*")

# A source the author cites for a whole sentence: 'According to the Harbour Gazette, …' at its
# start, '…, according to Channel 9.' or '…, the Gazette reported.' at its end. The words
# reach the article through that source, and annotators file them under it, even where a
# person inside the sentence said them ('Ford said “…”, according to Channel 9').
_CITED_NAME = (
    r"(?:the\s+|The\s+)?([A-Z](?:[\w&'’-]|\.(?=\w))*(?:\s+[A-Z](?:[\w&'’-]|\.(?=\w))*){0,4})"
)
# 'According to a court filing by state attorney Dana Whitlow', 'according to a 2013 study by
# economists Ana Ruiz and Tom Reyes': the work cited is its author's words, and the author,
# after the role words that may open the name, is the source. ('a letter from the head of the
# Harbour Board' names the board's head, not the board: no 'of' before the name.)
_CITED_WORK = (
    r"(?:(?:a|an|the)\s+)?(?:[a-z0-9][\w’'\-]*\s+){1,5}?(?:by|from)\s+"
    r"(?:(?!of\b)[a-z][\w’'\-]*\s+){0,3}?"
)
# '…, according to Dana Whitlow of the Harbour Institute.': where the source works follows
# the name, and a second author after 'and' ('by Ana Ruiz and Tom Reyes') leaves it the first's.
_CITED_AFFILIATION = (
    r"(?:\s+and\s+[A-Z][\w’'\-]*(?:\s+[A-Z][\w’'\-]*){0,3})?"
    r"(?:,?\s+(?:of|at)\s+(?:the\s+)?[A-Z][\w’'\-]*(?:\s+(?:of\s+)?[A-Z][\w’'\-]*)*)?"
)
# 'As <paper> reported, …', 'As the Gazette's Dana Whitlow puts it, …': the same, set as
# an aside before the sentence.
_CITED_LEAD = re.compile(
    r"\s*(?:According to\s+(?:"
    + _CITED_WORK
    + r")?"
    + _CITED_NAME
    + _CITED_AFFILIATION
    + r"|As\s+"
    + _CITED_NAME
    + r"\s+(?:reported|reports|wrote|writes|noted|notes|put|puts|observed|explained)(?:\s+it)?)"
    r"\s*,"
)
# ('… said in a statement according to <paper>.' drops the comma; '“<a show's title>”
# <paper> first reported.' has the comma inside the title's marks.)
_CITED_TAIL = re.compile(
    r"(?:(?:,\s*|\s+)according to\s+(?:"
    + _CITED_WORK
    + r")?"
    + _CITED_NAME
    + _CITED_AFFILIATION
    + r"|(?:,|^|"
    + FILL
    + r")\s*"
    + _CITED_NAME
    + r"\s+(?:first\s+|also\s+|has\s+|had\s+)?(?:reported|reports|is reporting)\b[^,;:]{0,40}?)"
    r"\s*[.!]?\s*$"
)

# The attribution rules, in the order they are tried; each quote in the output names the one
# that gave its speaker (`briefbot analyze --explain`).
RULE_CITED = "source cited"  # 'According to X, …', '…, according to X.', '…, X reported.'
RULE_CLAUSE = "reporting clause"  # '“…,” Rutte said', 'said the minister', 'according to X'
RULE_PARSE = "parse: subject of the verb"  # the quote hangs from a verb whose subject speaks
RULE_GROUP = "same quotation"  # a later paragraph of one multi-paragraph quote
RULE_SENTENCE = "same sentence"  # another quote of the sentence has a speaker
RULE_CONTEXT = "context"  # the sentence's subject, the previous quote's speaker, an interview
RULES = (RULE_CITED, RULE_CLAUSE, RULE_PARSE, RULE_GROUP, RULE_SENTENCE, RULE_CONTEXT)
_HEADLINE_WORDS = 25
_DEMONSTRATIVES = {"this", "that", "these", "those"}


def _headline_end(masked: str) -> int:
    """Where a headline ends, else 0: a short first paragraph set off by a blank line, with
    no reporting clause of its own ('Ford: Mayor’s ‘Plan Is In Trouble.’')."""
    first = re.match(r"\s*([^\n]+)\n[^\S\n]*\n\s*\S", masked)
    if (
        first
        and len(first.group(1).split()) <= _HEADLINE_WORDS
        and not VERB_RE.search(first.group(1))
    ):
        return first.end(1)
    return 0


# Verbs of saying or thinking as the parse sees them: the tagger has told the verb 'call'
# from the noun, so the forms that double as nouns ('call', 'notes') count here too.
_SPEECH_VERBS = (
    REPORTING_VERBS | NOUN_LIKE_FORMS | set(REPORTING_BASES) | set(data_lines("thought_verbs.txt"))
)
_SPEECH_NOUNS = set(data_lines("speech_nouns.txt"))

# Words before a common noun that belong in an unnamed source's label ('senior
# administration official', 'the newspaper's editors'); articles and numbers do not.
_LABEL_LEFT = {"amod", "compound", "poss", "nmod", "case"}
# ... and the body they speak for ('spokeswoman for the campaign', 'aide to the governor').
_LABEL_PREPOSITIONS = {"for", "of", "at", "to", "with"}
# ... and what a one-word label needs after it to tell a reader anything ('source familiar
# with the talks', 'person close to the senator', 'official briefed on the plan').
_LABEL_RIGHT = {"amod", "acl"}
_STAND_INS = word_set("source_stand_ins.txt")
_PLACE_PREPOSITIONS = word_set("place_prepositions.txt")
# Determiners that introduce someone new, as a description does ('a senior aide', 'one aide').
_INDEFINITE = {"a", "an", "another", "one"}
_NOUN_TAGS = {"NN", "NNS", "NNP", "NNPS"}
# 'the editorial board ', 'a young woman ': a described subject, in lower case, before its verb.
_DESCRIPTION_BEFORE_VERB = re.compile(
    r"(?:[Tt]he|[Aa]n?|[Aa]nother|[Oo]ne)\s+(?:[a-z0-9][\w’'\-]*\s+){0,3}"
)


@dataclass
class _Attr:
    entity: int | None = None
    blocked: bool = False  # a reporting clause names someone we cannot identify
    scare: bool = False  # the author's scare quote or a quoted name: nobody's speech


class _Resolver:
    """Attribution for one article, in order of how much evidence each rule needs.

    1. A reporting clause touching the quote ("...,” Rutte said", "said the minister",
       "X told reporters: “", "according to X") decides alone.
    2. Otherwise a quote borrows the speaker of another quote in its sentence or of the
       paragraphs of the same multi-paragraph quote ("“…,” he continued, “…”").
    3. Otherwise, for quotes longer than a scare-quote fragment: the sentence's subject,
       then the speaker of the previous sentence's quote, then a speaker named at the start
       of the next sentence. A fragment takes only the sentence's subject, if a person.
    A reporting clause whose subject is unknown ("one source told Reuters") blocks steps
    2-3: the quote has a speaker, just not one we can name, so it is dropped.
    """

    def __init__(self, text: str, quotes: list[Quote], index: SpeakerIndex, tokens: list[Token]):
        self.text = text
        self.tokens = tokens
        self.children: list[list[int]] = [[] for _ in tokens]
        for k, t in enumerate(tokens):
            if t.head != k:
                self.children[t.head].append(k)
        self.token_at = {t.start: k for k, t in enumerate(tokens)}
        self._token_starts = [t.start for t in tokens]
        self.quotes = quotes
        self.idx = index
        self.masked = index.masked
        # Quotes attributed so far, as (quote end, speaker): 'he' or 'the minister' with no
        # better antecedent points to the speaker of the last quote before it.
        self.owners: dict[int, int] = {}
        # Unnamed sources by the position of their noun: 'the source' joins the last one.
        self.unnamed_at: dict[int, int] = {}
        self.verbs = self._verbs()
        self.sentences = list(sentence_spans(text))
        self.gender = self._genders()
        self.idx.assign_shared("name", self.gender)

    def _verbs(self) -> list[tuple[int, int, str]]:
        """Reporting verbs outside quotes, including ones glued to a name by bad extraction
        ('Zakharovastated'), as (start, end, verb)."""
        found = {
            (m.start(), m.end(), m.group(1))
            for m in VERB_RE.finditer(self.masked)
            if not _NEGATED.search(self.masked[max(0, m.start() - 20) : m.start()])
        }
        for mn in self.idx.mentions:
            g = _GLUED_VERB.match(self.masked, mn.end)
            if g and mn.kind == "name":
                found.add((g.start(), g.end(), g.group(1)))
        # '“…,” Dana writes.', 'the ministry notes in its paper': a form that doubles as a
        # noun is a verb of saying where the tagger reads it as a verb.
        for k, t in enumerate(self.tokens):
            if (
                self._tagged_saying(k)
                and self.masked[t.start] != FILL
                and not _NEGATED.search(self.masked[max(0, t.start - 20) : t.start])
            ):
                found.add((t.start, t.end, self._word(k)))
        return sorted(found)

    def _tagged_saying(self, k: int) -> bool:
        """A verb of saying that doubles as a noun ('notes', 'writes', 'asks'), tagged as a
        verb in the third person singular, outside a relative clause ('a note, which states
        that …' is the note's author's). A bare 'ask' or 'state' after a plural is too often
        a headline's ('Harbour towns ask for more ferries as …') to count."""
        tok = self.tokens[k]
        return tok.tag == "VBZ" and tok.dep != "relcl" and self._word(k) in NOUN_LIKE_FORMS

    def verbs_in(self, a: int, b: int) -> list[tuple[int, int, str]]:
        return [v for v in self.verbs if a <= v[0] and v[1] <= b]

    # -- sentences --------------------------------------------------------------------------
    def sentence_of(self, pos: int) -> tuple[int, int]:
        for a, b in self.sentences:
            if a <= pos < b:
                return a, b
        return pos, pos

    # -- gender -----------------------------------------------------------------------------
    def _genders(self) -> dict[int, str]:
        """'m'/'f' for people the article genders: strong cues (Mr/Ms, 'her brother, X',
        'spokeswoman') win; otherwise the first he/she/his/her after a person who opens a
        sentence, before anyone else is named. Conflicting cues leave the person ungendered."""
        strong: dict[int, set[str]] = {}
        weak: dict[int, set[str]] = {}
        people = {e.id for e in self.idx.entities if e.kind == "person"}
        names = [m for m in self.idx.mentions if m.kind == "name" and m.entity in people]
        for mn in names:
            if mn.shared:
                continue
            before = self.masked[max(0, mn.start - 40) : mn.start]
            h = re.search(r"\b(Mr|Mrs|Ms|Miss)\.?\s+$", before)
            noun = re.search(r"\b([a-z]+)\s*,\s*$", before)
            after = re.match(
                r"\s*,\s*(?:(?:his|her|the|a|an)\s+)?(?:[a-z]+\s+){0,2}?([a-z]+)\b",
                self.masked[mn.end : mn.end + 60],
            )
            cues = [HONORIFIC_GENDER[h.group(1).lower()]] if h else []
            cues += [
                GENDER_NOUNS[w.group(1)] for w in (noun, after) if w and w.group(1) in GENDER_NOUNS
            ]
            for e in self.idx.entities:
                if e.id == mn.entity:
                    cues += [
                        GENDER_NOUNS[t]
                        for r in e.roles
                        for t in re.findall(r"[a-z]+", r.lower())
                        if t in GENDER_NOUNS
                    ]
            if mn.entity is not None:
                strong.setdefault(mn.entity, set()).update(cues)
        for a, b in self.sentences:
            subj = self.clause_subject(a, b)
            if subj is None or subj.kind != "name" or subj.shared or subj.entity not in people:
                continue
            k = self.sentences.index((a, b))
            end = self.sentences[k + 1][1] if k + 1 < len(self.sentences) else b
            others = [
                m.start for m in names if subj.end <= m.start < end and m.entity != subj.entity
            ]
            stop = min(others, default=end)
            p = re.search(r"\b(he|she|his|her|him)\b", self.masked[subj.end : stop], re.I)
            if p:
                g = "f" if p.group(1).lower() in {"she", "her"} else "m"
                weak.setdefault(subj.entity, set()).add(g)
        out = {}
        for ent in people:
            for votes in (strong.get(ent, set()), weak.get(ent, set())):
                if len(votes) == 1:
                    out[ent] = next(iter(votes))
                    break
                if votes:
                    break
        return out

    # -- mentions ---------------------------------------------------------------------------
    def mentions_in(self, a: int, b: int) -> list[Mention]:
        return [m for m in self.idx.mentions if a <= m.start and m.end <= b]

    def resolve(self, m: Mention) -> int | None:
        if m.entity is not None:
            return m.entity
        if m.kind == "pronoun":
            g = "f" if m.text.lower() == "she" else "m"
            bound = self._sentence_subject_for(m, g)
            if bound is None:
                bound = self._previous_speaker_for(m, g)
            if bound is None:
                bound = self._previous_subject_for(m, g)
            if bound is not None:
                return bound
            prev = [
                p
                for p in self.idx.mentions
                if p.end <= m.start
                and p.kind == "name"
                and m.start - p.end < 600
                and p.entity is not None
                and self.gender.get(p.entity, g) == g
                and not self._place_object(p)
            ]
            if prev:
                return prev[-1].entity
            # a he or she is someone, never the paper the last quote was cited from
            return self.speaker_before(m.start, cited_body=False)
        if m.kind == "it":
            orgs = [
                p
                for p in self.idx.mentions
                if p.kind == "org" and p.end <= m.start and m.start - p.end < 300
            ]
            return orgs[-1].entity if orgs else None
        if m.kind == "role":
            before = {p.entity for p in self.idx.mentions if p.end <= m.start and p.kind == "name"}
            people = [e for e in self.idx.entities if e.kind == "person" and e.id in before]
            scored = [(role_match(m.text, e), self._last_seen(e.id, m.start), e.id) for e in people]
            scored = [s for s in scored if s[0] > 0]
            if scored:
                return max(scored)[2]
            described = self._described_before(m)
            if described is not None:
                return described
            last = self.speaker_before(m.start)
            if last is not None:
                return last
            titled = [
                p
                for p in self.idx.mentions
                if p.end <= m.start
                and p.kind == "name"
                and p.entity is not None
                and self.idx.entity(p.entity).roles
            ]
            return titled[-1].entity if titled else None
        return None

    def _place_object(self, m: Mention) -> bool:
        """A name the parse makes the object of a preposition: where or through what
        something happened ('in Ho Chi Minh City', 'took to Twitter', 'On Fox News, she
        said'), whom someone works for ('an analyst at Acme Consulting') or what an award
        is called ('with the Rockstar award'). NER calls many such names people, but no
        he or she that follows stands for one. A source cited ('according to a post from
        Ford'), an agent ('was named by Ford'), a name given ('known as Bob') or a name that
        a finite verb follows ('with that Ford broke off', misparsed) may be someone who
        speaks, and stays."""
        toks = self.tokens
        k = bisect_right(self._token_starts, m.end - 1) - 1
        if k < 0 or (k + 1 < len(toks) and toks[k + 1].tag in {"VBD", "VBZ", "VBP", "MD"}):
            return False
        while toks[k].dep == "compound" and toks[k].head != k:
            k = toks[k].head
        if toks[k].dep != "pobj" or self._word(toks[k].head) not in _PLACE_PREPOSITIONS:
            return False
        before = self.masked[self.sentence_of(m.start)[0] : m.start]
        return not re.search(r"\baccording to\b[^,;:]*$", before)

    def _sentence_subject_for(self, m: Mention, gender: str) -> int | None:
        """A he/she later in a sentence whose subject is a named person refers to that
        person, not to whoever was named last: 'Brenner said he would expose the mayor, Lena
        Ford, whom he called “reckless”' is Brenner's, although Ford stands nearer."""
        a, _ = self.sentence_of(m.start)
        subj = self.clause_subject(a, m.start)
        if subj is None or subj.kind != "name":
            return None
        # 'Holt spokesman Tom Reyes said …, he said': the titled person, not the boss
        subj = self._titled_name_after(subj)
        if subj.entity is None:
            return None
        if self.idx.entity(subj.entity).kind != "person":
            return None
        if self.gender.get(subj.entity, gender) != gender:
            return None
        return subj.entity

    def _previous_speaker_for(self, m: Mention, gender: str) -> int | None:
        """A he/she opening a sentence continues the one who spoke in the sentence before:
        '“…,” said Tom Whitlow, who named Mr. Reyes. He called the plan “…”' is Whitlow's,
        although Reyes was named last."""
        sentence = self.sentence_of(m.start)
        a = sentence[0]
        if self.masked[a : m.start].strip(" \t“”\"'‘’") or sentence not in self.sentences:
            return None
        k = self.sentences.index(sentence)
        if k == 0:
            return None
        pa, pb = self.sentences[k - 1]
        if "\n\n" in self.text[pb:a]:
            return None
        ends = [e for e in self.owners if pa < e <= pb + 1]
        if not ends:
            return None
        ent = self.owners[max(ends)]
        if self.idx.entity(ent).kind != "person" or self.gender.get(ent, gender) != gender:
            return None
        # an ungendered speaker who named someone else ('X told Y …. She said') may not be meant
        others = {p.entity for p in self.mentions_in(pa, pb) if p.kind == "name"} - {ent}
        if ent not in self.gender and any(
            o is not None and self.idx.entity(o).kind == "person" for o in others
        ):
            return None
        return ent

    def _previous_subject_for(self, m: Mention, gender: str) -> int | None:
        """A he/she with no words of the author's before it in its sentence ('“…,” he
        said' opening a paragraph) continues the named person who is the subject of the
        sentence before and of its verb of saying, even across a paragraph break: 'Tom
        Reyes, who ran Carl Brenner's campaign, said …. ¶ “…,” he said' is Reyes's, although
        Brenner was named last."""
        sentence = self.sentence_of(m.start)
        if sentence not in self.sentences or re.search(r"\w", self.masked[sentence[0] : m.start]):
            return None
        k = self.sentences.index(sentence)
        if k == 0:
            return None
        pa, pb = self.sentences[k - 1]
        ent = self._sentence_sayer(pa, pb)
        if ent is None:
            return None
        if self.idx.entity(ent).kind != "person" or self.gender.get(ent, gender) != gender:
            return None
        return ent

    def _sentence_sayer(self, a: int, b: int) -> int | None:
        """The named person a sentence of the author's reports as saying something: its
        subject when that is also the subject of its verb of saying, or the name right after
        an inverted verb ('…, said Tom Reyes, an aide to Presidents Ford and Lee.'), whose
        apposition may name others who say nothing there."""
        subj = self.clause_subject(a, b)
        if subj is not None and subj.kind == "name" and subj.entity is not None:
            # … and is the one saying it there ('Trump, Reyes said, has …' is Reyes's sentence)
            verbs = self.verbs_in(subj.end, b)
            sayer = self.subject_of(verbs[0][0], a) if verbs else None
            if sayer is None or sayer.entity != subj.entity:
                return None
            # ('X told Y …. She said' may be Y answering: the one spoken to is named there too)
            listener = [p for p in self.mentions_in(verbs[0][1], b) if p.kind == "name"]
            if listener and not self.masked[verbs[0][1] : listener[0].start].strip():
                return None
            return subj.entity
        for _, v_end, _ in self.verbs_in(a, b):
            after = next((m for m in self.mentions_in(v_end, b)), None)
            if (
                after is not None
                and after.kind == "name"
                and _INVERTED_GAP.fullmatch(self.masked, v_end, after.start)
            ):
                return after.entity
        return None

    def speaker_before(self, pos: int, cited_body: bool = True) -> int | None:
        """The speaker of the last quote before `pos`; without `cited_body`, not a body the
        article names only as a source it cites ('…, the Gazette reported'), which no he
        or she can stand for (NER calls some people organisations, so the kind alone
        cannot tell)."""
        ends = [e for e in self.owners if e <= pos and (cited_body or self._named(self.owners[e]))]
        return self.owners[max(ends)] if ends else None

    def _named(self, ent: int) -> bool:
        """A person, or a body the article names in its own words (it has a mention)."""
        return self.idx.entity(ent).kind != "organization" or any(
            m.entity == ent for m in self.idx.mentions
        )

    def _last_seen(self, ent: int, pos: int) -> int:
        seen = [p.start for p in self.idx.mentions if p.entity == ent and p.end <= pos]
        return seen[-1] if seen else -1

    def subject_of(self, verb_start: int, floor: int) -> Mention | None:
        """The mention that is the grammatical subject of a reporting verb, by adjacency:
        'Rutte said', 'Rutte, the NATO chief, said', 'Russia's negotiator, Dmitry Sorokin,
        accused', 'Jana Petrakova of the Defence Forum said'."""
        cands = self.mentions_in(floor, verb_start)
        for m in list(reversed(cands))[:3]:
            between = self.masked[m.end : verb_start]
            ok = (
                _ADJACENT.match(between)
                or _APPOSITION.match(between)
                or (
                    re.fullmatch(r"\s*,\s*", between)
                    and re.search(r",\s*$", self.masked[max(0, m.start - 3) : m.start])
                )
            )
            if not ok:
                continue
            before = self.masked[max(floor, m.start - 40) : m.start]
            if m.kind != "org" and _PREP_BEFORE.search(before):
                continue  # 'a spokesman for Smith said': Smith is not the one speaking
            if m.kind == "org":
                of = re.search(r"\s+(?:of|from|at)\s+(?:the\s+)?$", self.masked[floor : m.start])
                if of:
                    person = [p for p in cands if p.kind == "name" and p.end == floor + of.start()]
                    if person:
                        return person[-1]
            if re.search(r"\b(?:in|at|near)\s+(?:the\s+)?$", before):
                continue  # 'one skipper in Ålesund said': a place, whatever NER called it
            if not _ADJACENT.match(between) or m.kind == "org":
                parsed = self._parsed_person_subject(verb_start, floor)
                if parsed is not None and parsed.end <= m.start:
                    return parsed
            return m
        return None

    def _parsed_person_subject(self, verb_start: int, floor: int) -> Mention | None:
        """The named person the parser makes the verb's subject, for a candidate that sits
        inside an apposition: 'Dana Whitlow, director of the Harbour Trust, a local charity,
        said' is Whitlow speaking, not the trust her title names."""
        k = self.token_at.get(verb_start)
        if k is None:
            return None
        for c in self.children[k]:
            if self.tokens[c].dep != "nsubj":
                continue
            m = self._mention_at(self.tokens[c].start)
            if m is None or m.kind != "name" or m.entity is None or m.start < floor:
                return None
            return m if self.idx.entity(m.entity).kind == "person" else None
        return None

    def sentence_subject(self, a: int, b: int) -> Mention | None:
        for m in self.mentions_in(a, b):
            if _LEAD_ADVERBIAL.match(self.masked[a : m.start]):
                return m
            break
        return None

    def clause_subject(self, a: int, b: int) -> Mention | None:
        """The first mention of a sentence that opens its main clause, looking past names
        inside a leading adverbial ('Asked whether she would meet them, Achterberg …') and
        past the employer or boss before a titled person ('Iowa State University's Dianne
        Bystrom agreed')."""
        for m in self.mentions_in(a, b):
            if _LEAD_ADVERBIAL.match(self.masked[a : m.start]):
                return self._titled_name_after(m)
        return None

    def colon_speaker(self, s_a: int, colon: int) -> _Attr:
        """A colon introducing a quote: 'Scholz, asked about it, was cautious: “…”' gives
        the clause's subject; 'Our question: “…”' names nobody, so the quote is dropped."""
        subj = self.clause_subject(s_a, colon)
        if subj is not None:
            return _Attr(self.resolve(subj))
        return _Attr(None, blocked=bool(re.search(r"\w", self.masked[s_a:colon])))

    # -- attribution ------------------------------------------------------------------------
    def direct(self, q: Quote) -> _Attr:
        s_a, s_b = self.sentence_of(q.outer_start)
        prev_q = max([p.outer_end for p in self.quotes if p.outer_end <= q.outer_start], default=0)
        next_q = min(
            [p.outer_start for p in self.quotes if p.outer_start >= q.outer_end],
            default=len(self.text),
        )
        # Tail: the reporting clause after the quote ("...,” Rutte said / said Rutte), unless
        # the quote closes a subordinate clause that reports someone's words: the clause after
        # it is the main one, with a speaker of its own.
        tail_end = min(s_b, next_q)
        if (
            "," in self.text[q.end - 1 : q.outer_end + 1]
            and _SUBORDINATE_OPEN.match(self.masked, s_a, q.outer_start)
            and self.verbs_in(s_a, q.outer_start)
        ):
            tail_end = q.outer_end
        tail = self.masked[q.outer_end : tail_end]
        lead_match = _CLAUSE_LEAD.match(tail)
        lead = lead_match.end() if lead_match else 0
        t0 = q.outer_end + lead
        # The reporting clause may open with a lowercase descriptor before the name
        # ("...,” farmer union head Piotr Zielinski said).
        head_mention = next(
            (
                m
                for m in self.mentions_in(t0, tail_end)
                if m.start <= t0 + 40
                and re.fullmatch(
                    r"(?:[a-z][\w’'\-]*\s+){0,4}" + _HONORIFIC, self.masked[t0 : m.start]
                )
                and not _PREP_BEFORE_ANY.search(self.masked[t0 : m.start])
                and not _CONJUNCTION_LEAD.search(self.masked[t0 : m.start])
                and not self.verbs_in(t0, m.start)
            ),
            None,
        )
        vm = VERB_RE.match(self.masked, t0)
        if re.search(r"\bso-called\s*$", self.masked[max(0, q.outer_start - 12) : q.outer_start]):
            return _Attr(None, blocked=True, scare=True)  # the author's, whoever coined it
        if _NOUN_COMPLEMENT.search(self.masked[max(s_a, prev_q) : q.outer_start]):
            return _Attr(None, blocked=True, scare=True)
        # Inverted: 'said the Italian vice-premier'. A participle never inverts, and no
        # subject follows 'that': '..., adding that it's why Lena Ford “...”' is not Ford's.
        if (
            vm
            and vm.group(1) not in PARTICIPLES
            and not re.match(r"\s+that\b", self.masked[vm.end() :])
        ):
            to_reporters = _TO_REPORTERS.match(self.masked, vm.end())
            after = to_reporters.end() if to_reporters else vm.end()
            # 'said Rutte', 'said the Italian vice-premier', 'said the embattled mayor, Petra
            # Holm'; the title may hold capitalised words NER made nothing of ('mused Harbour
            # Radio co-host Tom Reyes', 'said Coast Guard 1st Lt. Jo Park').
            m = next(
                (
                    m
                    for m in self.mentions_in(after, min(tail_end, after + 60))
                    if _INVERTED_TITLE.fullmatch(self.masked[after : m.start])
                    and not VERB_RE.search(self.masked[after : m.start])
                ),
                None,
            )
            # ('told X' and 'asked X' name the one spoken to, except that after a question
            # the one named asks it: '“…?” asked Mr. Reyes'.)
            question = self.text[q.start : q.end].rstrip().endswith("?")
            listener = vm.group(1) == "told" or (vm.group(1) == "asked" and not question)
            if m and not listener:
                if _EMPLOYER_BEFORE.search(self.masked[after : m.start]):
                    # 'said a spokeswoman for Acme Hotels, Jo Park': the person, not the
                    # employer; with no name given, the parse labels the spokeswoman.
                    person = self._appositive_name(m)
                    return _Attr(person) if person is not None else _Attr(None, blocked=True)
                person = self._parsed_person_after(vm.start(), m, q)
                if person is not None:
                    return _Attr(person)
                titled = self._titled_name_after(m)
                described = self._described_source(m) if titled is m else None
                if described is not None:
                    return _Attr(described)
                return _Attr(self.resolve(titled))
            if m is None and not listener:
                described = self._indefinite_after(after, tail_end)
                if described is not None:
                    return _Attr(described)
        if head_mention is not None:
            # '...,” Acme campaign spokeswoman Jo Park said': the employer or boss named
            # first is no subject; the verb follows the titled person, who speaks.
            subject = self._titled_name_after(head_mention)
            vs = self.verbs_in(subject.end, min(tail_end, subject.end + _APPOSITION_REACH))
            if (
                vs
                and (
                    _ADJACENT.match(self.masked[subject.end : vs[0][0]])
                    or _APPOSITION.match(self.masked[subject.end : vs[0][0]])
                )
                and not self._reports_other_words(q, vs[0])
            ):
                return _Attr(self.resolve(subject))
        if head_mention is None:
            person = self._unknown_name_before_verb(t0, tail_end, q)
            if person is not None:
                return _Attr(person)
        acc = re.match(r"[\s,]*(?:according to|in the words of)\s+", tail)
        if acc:
            m = next(
                (
                    m
                    for m in self.mentions_in(q.outer_end, tail_end)
                    if m.start == q.outer_end + acc.end()
                ),
                None,
            )
            if m:
                return _Attr(self.resolve(self._titled_name_after(m)))
        # 'was called “a disgrace” by X' names X; 'those “terrified” by X' does not: a quote
        # that ends in a participle takes the 'by' into its own words.
        by = re.match(r"\s*by\s+", tail)
        if by and not re.search(r"\w+ed\W*$", self.text[q.start : q.end]):
            m = next(
                (
                    m
                    for m in self.mentions_in(q.outer_end, tail_end)
                    if m.start == q.outer_end + by.end()
                ),
                None,
            )
            if m:
                return _Attr(self.resolve(m))
        tv = self.verbs_in(q.outer_end, min(tail_end, q.outer_end + 50))
        tail_blocked = False
        if tv:
            v_s, v_e, v_w = tv[0]
            introduces_next = re.match(
                r"\s*:|\s*,?\s*(?:" + FILL + r"|$)", self.masked[v_e : tail_end + 1]
            )
            tail_blocked = (
                v_w not in PARTICIPLES
                and not introduces_next
                and not re.search(r"[,;:]\s*$", self.masked[q.outer_end : v_s])
            )
            described = self._described_before_verb(q, t0, v_s) if tail_blocked else None
            if described is not None:
                return _Attr(described)
        # Head: the reporting clause before the quote, within its sentence. A leading
        # subordinate clause has a subject and verb of its own ('When Reyes suggested that …,
        # Ford fired back: “…”'): the quote's reporting clause is the main clause after it.
        sub = _SUBORDINATE_LEAD.match(self.masked, s_a, q.outer_start)
        if sub is not None:
            s_a = sub.end()
        h_a = max(s_a, prev_q)
        head = self.masked[h_a : q.outer_start]
        colon = re.search(r":\s*$", head)
        dashed = re.search(r"\s[-–—]\s+[^-–—]*$", head) if colon else None
        if dashed and colon:
            # 'Pollsters agree - Carl Bialik: “…”': a roundup's line is a headline, a dash and
            # the source; the headline's verb reports nobody
            signed = self._signature(h_a + dashed.start(), h_a + colon.start())
            if signed is not None:
                return _Attr(signed)
        # "Reuters quoted Peskov as saying: “...”": the one quoted is the speaker.
        as_saying = re.search(
            r"\s+as\s+(?:saying|telling|stating|writing)\b[^" + FILL + r"]{0,40}$", head
        )
        if as_saying:
            end = h_a + as_saying.start()
            ending = [m for m in self.mentions_in(h_a, end) if m.end == end]
            if ending:
                return _Attr(self.resolve(ending[-1]))
        verbs = self.verbs_in(h_a, q.outer_start)
        if verbs:
            v = verbs[-1]
            # ('Reyes said he was told by Ford that …' stays Reyes's account; a title-case
            # fragment, 'was launched by the party under the “Harbour Pledge.”', names a thing.)
            by_agent = not verbs[:-1] and not q.is_title(self.text)
            agent = self._passive_agent(v, s_a, q.outer_start) if by_agent else None
            if agent is not None:
                return _Attr(self.resolve(self._titled_name_after(agent)))
            subj = self.subject_of(v[0], s_a)
            if (
                subj is not None
                and v[2] in PARTICIPLES
                and not _ADJACENT.match(self.masked[subj.end : v[0]])
            ):
                # A participle set off by a comma has no subject of its own ('Lind attacked
                # Reyes, with whom she argued, calling him “…”'): the name before the comma
                # is whoever the clause ended on. ('Carl Brenner saying he was “…”' has one.)
                subj = None
            if subj is not None:
                outer = self._reporting_speaker(v[0], verbs[:-1], s_a)
                return _Attr(outer if outer is not None else self.resolve(subj))
            inv = re.match(r"\s+", self.masked[v[1] : q.outer_start])
            if inv and re.fullmatch(r"[\s,]*", self.masked[h_a : v[0]]):
                # "...,” repeated Eastport's Ferry Office in a letter, which ...: “..."
                m = next(
                    (
                        m
                        for m in self.mentions_in(v[1], q.outer_start)
                        if m.start == v[1] + inv.end()
                    ),
                    None,
                )
                if m is not None and v[2] not in {"told", "asked"}:
                    return _Attr(self.resolve(m))
            passive = re.match(r"\s+as\b", self.masked[v[1] : v[1] + 5])
            coordinated = re.search(
                r"\b(?:and|but)\s+(?:also\s+|then\s+)?$", self.masked[s_a : v[0]]
            )
            if v[2] in PARTICIPLES or v[2] in {"added", "continued"} or coordinated or passive:
                for earlier in reversed(verbs[:-1]):
                    k = self.token_at.get(earlier[0])
                    if k is not None and self.tokens[k].dep == "relcl":
                        # 'Lind attacked Reyes, with whom she argued …, calling him “…”':
                        # a relative clause's subject is not the one who goes on speaking
                        continue
                    subj = self.subject_of(earlier[0], s_a)
                    if subj is not None:
                        return _Attr(self.resolve(subj))
                if v[2] in PARTICIPLES:
                    ent = self._participle_subject(v[0], q)
                    if ent is not None:
                        return _Attr(ent)
                subj = self.sentence_subject(s_a, v[0])
                if subj is not None:
                    return _Attr(self.resolve(subj))
                if colon:
                    return self.colon_speaker(s_a, h_a + colon.start())
                return _Attr(None, blocked=False)
            if colon:
                return self.colon_speaker(s_a, h_a + colon.start())
            return _Attr(None, blocked=True)
        if colon:
            before_colon = [
                m
                for m in self.mentions_in(h_a, q.outer_start)
                if re.fullmatch(r"\s*:\s*", self.masked[m.end : q.outer_start])
                and not _ADDRESSEE_BEFORE.search(self.masked[h_a : m.start])
            ]
            if before_colon:
                return _Attr(self.resolve(before_colon[-1]))
        acc_h = list(re.finditer(r"\b(?:[Aa]ccording to|[Ii]n the words of)\s+", head))
        if acc_h:
            pos = h_a + acc_h[-1].end()
            m = next((m for m in self.mentions_in(pos, q.outer_start) if m.start == pos), None)
            if m:
                # 'according to Ford's former budget director Tom Reyes': the
                # titled person speaks, not the boss
                return _Attr(self.resolve(self._titled_name_after(m)))
        if colon and h_a == s_a:
            return self.colon_speaker(s_a, h_a + colon.start())
        if tail_blocked:
            return _Attr(None, blocked=True)
        return _Attr(None)

    def _reports_other_words(self, q: Quote, verb: tuple[int, int, str]) -> bool:
        """'“… right away.” Dana Whitlow, the firm's owner, said the campaign never called
        back': a quote closed by its own full stop, then a clause whose verb of saying has
        an object or a clause of its own outside any quote, is a new sentence about other
        words, not the quote's reporting clause ('“… right away.” Whitlow said.' is one).
        'told' and 'asked' take the listener as their object, so only a clause counts. So
        for a quote that a verb of saying with a subject of its own stands right before ('in
        a clip that Judge X called “…,” Y expressed a wish to …'): it has its reporting
        clause, and the clause after it is the sentence's main one."""
        if not re.search(r"[.!]\W*$", self.text[q.start : q.end]) and not self._said_before(q):
            return False
        k = self.token_at.get(verb[0])
        if k is None:
            return False
        deps = {"ccomp"} if verb[2] in {"told", "asked"} else {"ccomp", "dobj"}
        return any(
            self.tokens[c].dep in deps
            and self.tokens[c].start >= verb[1]
            and self.masked[self.tokens[c].start] != FILL
            and not self._points_back(c)
            for c in self.children[k]
        )

    def _said_before(self, q: Quote) -> bool:
        """A verb of saying right before the quote ('called “', 'described as “') whose
        subject the rules name."""
        s_a = self.sentence_of(q.outer_start)[0]
        verbs = self.verbs_in(s_a, q.outer_start)
        return bool(
            verbs
            and re.fullmatch(r"\s*(?:as\s+)?", self.masked[verbs[-1][1] : q.outer_start])
            and self.subject_of(verbs[-1][0], s_a) is not None
        )

    def _points_back(self, k: int) -> bool:
        """An object that points back at the quote ('wrote those words', 'said it'): the
        clause reports the quote itself."""
        return self._word(k) in _DEMONSTRATIVES | {"it"} or any(
            self.tokens[c].dep == "det" and self._word(c) in _DEMONSTRATIVES
            for c in self.children[k]
        )

    def _unknown_name_before_verb(self, t0: int, tail_end: int, q: Quote) -> int | None:
        """'“…,” Rosalind Pembrake, a harbour spokeswoman, said' where NER found nobody (or
        called the name a nationality or a place) and the parse, thrown by the quote, gave
        the verb no subject: proper nouns that open the clause after a quote and stand right
        before its verb of saying, or before an aside that ends at it, name a person. Not a
        word the article also writes in lower case ('Police'), a place, a news outlet, or
        the speaker of a fragment."""
        m = _NAME_WORDS.match(self.masked, t0)
        if m is None or q.is_fragment(self.text) or self.mentions_in(m.start(), m.end()):
            return None
        vs = self.verbs_in(m.end(), min(tail_end, m.end() + _APPOSITION_REACH))
        gap = self.masked[m.end() : vs[0][0]] if vs else ""
        if not vs or not (_ADJACENT.match(gap) or _APPOSITION.match(gap)):
            return None
        words = m.group().split()
        starts = [m.start() + w.start() for w in re.finditer(r"\S+", m.group())]
        if (
            any(
                k not in self.token_at or self.tokens[self.token_at[k]].tag != "NNP" for k in starts
            )
            or (m.group().lower() in PLACES and not self._surname_of_someone(m.group()))
            or any(re.search(rf"\b{re.escape(w.lower())}\b", self.text) for w in words)
            or any(w.casefold() in word_set("news_outlets.txt") for w in words)
        ):
            return None
        return self.idx.person(m.group())

    def _surname_of_someone(self, word: str) -> bool:
        """A place's name is a person's where the article names someone in full with it as
        surname ('Jeremy Paris moved here …. "…," Paris, who …, said')."""
        return any(
            e.kind == "person" and " " in e.name and surname(e.name) == word
            for e in self.idx.entities
        )

    def _participle_subject(self, start: int, q: Quote) -> int | None:
        """The named subject of the verb a participle hangs from, by the parse: 'Brenner's
        aide, Eva Lind, defended him on the radio, saying: “…”' is Lind's, not her boss's,
        who is named first."""
        k = self.token_at.get(start)
        if k is None or self.tokens[k].dep not in {"advcl", "xcomp", "conj"}:
            return None
        head = self.tokens[k].head
        if self.masked[self.tokens[head].start] == FILL or self.tokens[head].dep == "ccomp":
            return None  # a verb inside a quote or inside reported speech is someone else's
        ent = self._subject(head, (q.outer_start, q.outer_end))
        return ent if ent is not None and self.idx.entity(ent).kind != "unnamed" else None

    def _passive_agent(self, v: tuple[int, int, str], floor: int, end: int) -> Mention | None:
        """'Reyes was asked by radio host Lena Ford, “…”': in the passive the subject is the
        one spoken to or about, and the one named after 'by' speaks."""
        if not _PASSIVE_AUX.search(self.masked[floor : v[0]]):
            return None
        by = re.match(r"\s+by\s+", self.masked[v[1] : end])
        if by is None:
            return None
        pos = v[1] + by.end()
        return next(
            (
                m
                for m in self.mentions_in(pos, end)
                if m.kind == "name"
                and re.fullmatch(
                    r"(?:[Tt]he\s+)?(?:[a-z][\w’'\-]*\s+){0,3}" + _HONORIFIC,
                    self.masked[pos : m.start],
                )
            ),
            None,
        )

    def _reporting_speaker(
        self, verb_start: int, earlier: list[tuple[int, int, str]], floor: int
    ) -> int | None:
        """'Ross said Obama had told the leaders that there would be “no daylight”': the verb
        nearest the quote reports what someone else said inside another person's reported
        speech, and the quote is the outer speaker's account. Walks up the parse from that
        verb through clausal complements to an earlier reporting verb of the sentence; its
        named subject speaks."""
        k = self.token_at.get(verb_start)
        starts = {v[0]: v for v in earlier}
        seen: set[int] = set()
        while k is not None and k not in seen and self.tokens[k].dep == "ccomp":
            seen.add(k)
            k = self.tokens[k].head
            if self.tokens[k].start in starts:
                subj = self.subject_of(self.tokens[k].start, floor)
                if subj is not None and subj.kind == "name":
                    return self.resolve(subj)
        return None

    def _titled_name_after(self, m: Mention) -> Mention:
        """'said Marquette pollster Charles Franklin', 'Clinton’s top aide Jake Sullivan':
        a body or a person before a title and a name is the employer or the boss; the
        named person with the title speaks. A name's mention may begin with the last word
        of its title ('said Harbour Gazette bureau chief Dana Whitlow'), so those words count."""
        nxt = next((n for n in self.idx.mentions if n.start >= m.end), None)
        if nxt is None or nxt.kind != "name":
            return m
        between = self.masked[m.end : nxt.start]
        # 'Brenner told radio host Lena Ford': a verb between them makes the second one
        # the listener, not the speaker.
        title = None if VERB_RE.search(between) else _TITLE_BETWEEN.fullmatch(between)
        inside = re.match(r"(?:[a-z][\w’'\-]*\s+)*", self.masked[nxt.start : nxt.end])
        words = (title.group(1).split() if title else []) + (
            inside.group().split() if inside else []
        )
        if title and any(w.lower() in ROLE_HEADS for w in words):
            return nxt
        # 'urged Ford's campaign chair, actor Tom Reyes': the possessor's noun has
        # a name in apposition; the one named speaks, whatever the noun.
        if not VERB_RE.search(between) and _POSSESSED_APPOSITION.fullmatch(between):
            return nxt
        # 'Harbour State University's Dana Whitlow': the body's or the boss's person
        if re.fullmatch(r"[’']s\s+", between) and nxt.entity is not None:
            return nxt if self.idx.entity(nxt.entity).kind == "person" else m
        return m

    def _parsed_person_after(self, verb_start: int, m: Mention, q: Quote) -> int | None:
        """'said another Twitter user, Johanna Bayer', 'said Senate Minority Whip Dick Durbin':
        the first name after an inverted verb is often the employer, the boss or the platform
        of the one who speaks, with title words no list can hold between them. The parser
        makes the person the verb's subject; a person it names later in the same clause wins
        over the nearer name."""
        k = self.token_at.get(verb_start)
        if k is None:
            return None
        ent = self._subject(k, (q.outer_start, q.outer_end))
        if ent is None or ent == m.entity or self.idx.entity(ent).kind != "person":
            return None
        _, s_b = self.sentence_of(m.start)
        named = (
            any(
                n.entity == ent and m.end <= n.start < min(s_b, m.end + 80)
                for n in self.idx.mentions
            )
            or any(  # a person the parse named where NER found nobody has no mentions
                f in self.masked[m.end : min(s_b, m.end + 80)] for f in self.idx.entity(ent).forms
            )
        )
        return ent if named else None

    def _appositive_name(self, m: Mention) -> int | None:
        """The person named right after a mention and a comma ('Acme Hotels, Jo Park')."""
        gap = re.match(r",\s*", self.masked[m.end :])
        if gap is None:
            return None
        pos = m.end + gap.end()
        nxt = next((n for n in self.idx.mentions if n.start == pos and n.kind == "name"), None)
        return self.resolve(nxt) if nxt is not None else None

    # -- the parse ---------------------------------------------------------------------------
    def _mention_at(self, pos: int) -> Mention | None:
        return next((m for m in self.idx.mentions if m.start <= pos < m.end), None)

    def parsed_speaker(self, q: Quote, said_only: bool = False) -> int | None:
        """The subject of the verb a quote hangs from, by the dependency parse: 'Ford
        attacked Reyes, calling him “a failed candidate”', 'Reyes thought some of the
        “Friends Of The Harbour” buzz was artificial', 'said the senator's communications
        director, Ana Ruiz'. Walks up from the quote through the verbs in the author's
        words: the nearest verb of saying or thinking with a subject wins, else the topmost
        verb with one. A common-noun subject of a verb of saying ('a senior official')
        becomes an unnamed speaker, never a guess at a named one. With `said_only`, a
        subject that no verb or noun of saying backs is no answer: the caller holds better
        evidence."""
        toks = self.tokens
        inside = [k for k, t in enumerate(toks) if q.start <= t.start and t.end <= q.end]
        if not inside:
            return None
        outer = (q.outer_start, q.outer_end)
        sent = self.sentence_of(q.outer_start)

        def out(k: int) -> bool:
            """In the author's words (outside this quote and any other: a verb inside another
            quote is that speaker's), and inside the quote's sentence: the parser may run a
            sentence on across a paragraph break, which no reporting clause does."""
            start = toks[k].start
            outside = not (outer[0] <= start < outer[1]) and self.masked[start] != FILL
            return outside and sent[0] <= start < sent[1]

        # the quote's tokens whose heads lie outside it: where it attaches to the sentence
        attach = [toks[k].head for k in inside if out(toks[k].head)]
        if not attach:
            # the quote holds the root: "“We are alive,” he said" parsed with 'said' as a
            # parataxis of the quote's verb
            attach = [
                c
                for k in inside
                for c in self.children[k]
                if out(c) and toks[c].dep in {"parataxis", "ccomp", "advcl"}
            ]
            cands = [self._subject(c, outer) for c in attach]
            return next((c for c in cands if c is not None), None)
        # Every verb on the way up with a subject outside the quote. 'Ford said Reyes is
        # “not ready”': the quote hangs from 'is' (Reyes), but it is Ford's words, so
        # the nearest verb of saying or thinking wins; with none, the main clause's subject.
        chain: list[tuple[int, int]] = []
        path: list[int] = []
        # The speakers of verbs of saying on the way up, nearest first, and the owner of a
        # noun of saying: 'Ms. Ford's suggestion that he was “out of his depth”', 'Ford's
        # claim is that the board is “a disgrace”' are Ford's words.
        speech: list[int] = []
        # A verb of saying without a subject of its own ('with Brenner taking to the radio
        # to call it “a pack of lies”'): the subject of the verb it depends on says it.
        controlled = False
        # The subject of the first relative clause on the way up ('a sale Reyes singled out
        # as “…”'): with no verb of saying above it, the quote is that subject's words,
        # not those of the main clause the relative clause hangs in ('Ford reopened the case
        # of the pier, a sale Reyes singled out as “…”' is no word of Ford's).
        relative: int | None = None
        cur, seen, below = attach[0], set(), -1
        while cur not in seen:
            seen.add(cur)
            if toks[cur].tag.startswith("VB") and out(cur):
                path.append(cur)
                found = self._subject(cur, outer)
                saying = self._word(cur) in _SPEECH_VERBS
                if found is None and saying:
                    found = self._said_by(cur, sent[0])
                if found is not None:
                    if toks[cur].dep == "relcl" and relative is None and not speech:
                        relative = found
                    chain.append((cur, found))
                    if saying or (controlled and toks[cur].dep != "ccomp"):
                        speech.append(found)
                    controlled = False
                elif saying:
                    controlled = toks[cur].dep == "advcl" or (
                        toks[cur].dep == "xcomp"
                        and not any(toks[c].dep == "dobj" for c in self.children[toks[cur].head])
                    )
                if chain and not speech and self._subordinate(cur):
                    # 'When Brenner sought to defend his comments calling the fare “fair”, Ford
                    # differed': a quote inside a subordinate clause with a subject of its own
                    # is that subject's, not the main clause's
                    break
            if below >= 0 and self._complement(below) and out(cur):
                owner = self._owner_of_saying(cur)
                if owner is not None:
                    speech.append(owner)
            below, cur = cur, toks[cur].head
        if not speech:
            # 'Mayor Ford, Reyes said, had spent “…” and passed “…”': a verb of saying set
            # into the clause as an aside speaks for all of it; the clause's own subject
            # is the one talked about.
            aside = [
                found
                for verb in path
                for c in self.children[verb]
                if toks[c].dep == "parataxis" and out(c) and self._word(c) in _SPEECH_VERBS
                for found in [self._subject(c, outer)]
                if found is not None
            ]
            if aside:
                return aside[0]
        # 'a source said the files that were taken suggested “…”': a common noun that
        # 'suggests' inside what someone said is part of their words, not a second source
        if len(speech) > 1 and self.idx.entity(speech[0]).kind == "unnamed":
            return speech[1]
        if speech:
            return speech[0]
        if relative is not None:
            return relative
        return chain[-1][1] if chain and not said_only else None

    def _subordinate(self, k: int) -> bool:
        """A verb heading a subordinate clause that leads its sentence ('When he tried …,
        Kasich differed'); the parser files 'when' as an adverb of the verb, 'after' as its
        marker. A clause after the main verb ('Ford said Reyes is “…” while Lind is “…”') may
        sit inside someone's reported words, so it does not count."""
        return (
            self.tokens[k].dep == "advcl"
            and k < self.tokens[k].head
            and any(
                self.tokens[c].dep in {"mark", "advmod"} and self._word(c) in _SUBORDINATORS
                for c in self.children[k]
            )
        )

    def _said_by(self, verb: int, floor: int) -> int | None:
        """The named subject of a finite verb of saying that the parse left without one:
        'Brenner, in Ohio, said that Reyes was “…”' after a line the parser ran on into
        this one; by adjacency, as in the reporting clause."""
        if self.tokens[verb].tag not in {"VBD", "VBZ", "VBP"}:
            return None
        m = self.subject_of(self.tokens[verb].start, floor)
        return self.resolve(m) if m is not None and m.kind == "name" else None

    def _complement(self, k: int) -> bool:
        """A clause that states what a noun or a copula holds ('the claim that …'); the
        parser sometimes files one that opens with 'that' as a relative clause."""
        dep = self.tokens[k].dep
        return dep in {"acl", "ccomp"} or (
            dep == "relcl" and any(self.tokens[c].dep == "mark" for c in self.children[k])
        )

    def _owner_of_saying(self, k: int) -> int | None:
        """Whose words a clause reports when it hangs from a noun of saying: the noun's
        possessor ('Ford's accusation that …'), or, for a copula whose subject is such a
        noun ('Ford's claim is that …'), that subject's possessor."""
        toks = self.tokens
        noun = k
        if toks[k].tag.startswith("VB"):
            subj = [c for c in self.children[k] if toks[c].dep == "nsubj"]
            if self._word(k) not in {"is", "was", "are", "were"} or not subj:
                return None
            noun = subj[0]
        if self._word(noun) not in _SPEECH_NOUNS:
            return None
        for c in self.children[noun]:
            if toks[c].dep == "poss":
                m = self._mention_at(toks[c].start)
                if m is not None and m.kind in {"name", "org"}:
                    return self.resolve(m)
        return None

    def _word(self, k: int) -> str:
        """A token's text in lower case, as the word lists hold verbs."""
        return self.text[self.tokens[k].start : self.tokens[k].end].lower()

    def _subject(self, verb: int, outer: tuple[int, int]) -> int | None:
        toks = self.tokens
        sent = self.sentence_of(outer[0])
        verb_word = self._word(verb)
        reporting = verb_word in REPORTING_VERBS or self._tagged_saying(verb)
        kids = self.children[verb]
        if verb_word in _SPEECH_VERBS:
            # 'The loss of the ferry signals “…” for the island, said Dana Whitlow': the
            # parser may read the sentence's own verb as a noun and give the inverted 'said'
            # two subjects, the topic before it and the speaker after it; the one after an
            # inverted verb of saying is the one who speaks.
            kids = sorted(kids, key=lambda c: c < verb)
        for c in kids:
            if toks[c].dep != "nsubj" or self.masked[toks[c].start] in (FILL, " "):
                continue  # a subject inside a quote is someone's words; a blanked one no one
            if not sent[0] <= toks[c].start < sent[1]:
                return None
            appos = [a for a in self.children[c] if toks[a].dep == "appos"]
            for k in [c, *appos]:
                m = self._mention_at(toks[k].start)
                if m is not None:
                    return self.resolve(m)
            for a in appos:
                # 'the senator's communications director, Ana Ruiz' where NER missed the name
                name = [k for k in self.children[a] if k < a and toks[k].dep == "compound"]
                if toks[a].tag == "NNP" and all(toks[k].tag == "NNP" for k in name):
                    first = min([a, *name])
                    return self.idx.person(self.text[toks[first].start : toks[a].end])
            titled = self._name_after_title(c)
            if titled is not None:
                return self.idx.person(titled)
            # '“…,” Jo Marlow, a spokeswoman, said' where NER missed the name (or called it a
            # nationality): a proper-noun subject of a verb of saying, in two capitalised
            # words or more, is a person; 'an Iowa Democrat said' is a description.
            name = [k for k in self.children[c] if k < c and toks[k].dep == "compound"]
            if (
                name
                and not any(toks[k].dep in {"det", "nummod"} for k in self.children[c])
                and reporting
                and all(
                    toks[k].tag == "NNP" and self.text[toks[k].start].isupper() for k in [c, *name]
                )
            ):
                full = self.text[toks[min(name)].start : toks[c].end]
                if "\n" not in full:
                    return self.idx.person(full)
            if self._lone_surname(c, reporting, outer):
                return self.idx.person(self.text[toks[c].start : toks[c].end])
            # 'the danger was “...”' names no source: only a verb of saying makes a common
            # noun ('a senior official said') a speaker, and so does a proper noun that an
            # article, 'another' or 'one' makes a description ('an Iowa Democrat said').
            described = toks[c].tag in {"NNP", "NNPS"} and any(
                toks[k].dep == "det" or self._word(k) == "one" for k in self.children[c]
            )
            if (toks[c].tag in {"NN", "NNS"} or described) and reporting:
                author = self._author(c)
                return author if author is not None else self.unnamed(c)
            return None
        return None

    def _author(self, head: int) -> int | None:
        """The named author of a document that speaks ('a forecast by the harbour trust
        predicted', 'a campaign letter sent out by Ford warned'): its words are the
        author's, as annotators file them, not an unnamed source's."""
        toks = self.tokens
        kids = self.children[head]
        by = [c for c in kids if toks[c].dep == "prep" and self._word(c) == "by"]
        by += [a for c in kids if toks[c].dep == "acl" for a in self.children[c]]
        for k in by:
            if toks[k].dep not in {"prep", "agent"} or self._word(k) != "by":
                continue
            for o in self.children[k]:
                if toks[o].dep != "pobj":
                    continue
                # 'by the research group <Name>': the name stands in apposition to its noun
                for a in [o, *(a for a in self.children[o] if toks[a].dep == "appos")]:
                    m = self._mention_at(toks[a].start)
                    if m is not None and m.kind in {"name", "org"}:
                        return self.resolve(m)
        return None

    def _lone_surname(self, k: int, reporting: bool, outer: tuple[int, int]) -> bool:
        """'“…,” Okafor said' where NER found nobody: articles name a person by surname
        alone, often after a full name NER also missed. A capitalised proper noun with no
        words of its own, subject of a verb of saying, is that person, unless the article
        writes the word in lower case too ('Police said' is a common noun at a sentence's
        start) or it is a news outlet (an outlet reports; it is no person). Only for a quote
        longer than a fragment: a city in a headline 'warns of “consequences”', and NER,
        which knows the city elsewhere, cannot tell it from a surname it also tags a place."""
        toks = self.tokens
        word = self.text[toks[k].start : toks[k].end]
        return (
            reporting
            and not any(x.outer_start == outer[0] and x.is_fragment(self.text) for x in self.quotes)
            and toks[k].tag == "NNP"
            and re.fullmatch(r"[A-Z][a-z]+(?:-[A-Z][a-z]+)?", word) is not None
            and not any(toks[c].dep != "punct" for c in self.children[k])
            and re.search(rf"\b{word.lower()}\b", self.text) is None
            and word.casefold() not in word_set("news_outlets.txt")
        )

    def _name_after_title(self, head: int) -> str | None:
        """'said United Auto Workers Secretary-Treasurer Gary Casteel' where NER found no one:
        the capitalised words the parse compounds onto the subject after its last title
        word are a person's name ('Gary Casteel'), and the body before the title is the
        employer."""
        toks = self.tokens
        if toks[head].tag != "NNP":
            return None
        left = sorted(k for k in self.children[head] if k < head and toks[k].dep == "compound")
        title = [k for k in left if self._word(k) in ROLE_HEADS]
        if not title:
            return None
        name = [k for k in left if k > title[-1]] + [head]
        if not 2 <= len(name) <= 3 or any(toks[k].tag != "NNP" for k in name):
            return None
        if name[-1] - name[0] != len(name) - 1:
            return None
        return self.text[toks[name[0]].start : toks[head].end]

    def unnamed(self, head: int) -> int | None:
        """An unnamed or descriptive source ('a senior administration official', 'the
        newspaper's editors') as a speaker of its own, labelled as unnamed: a user wants to
        know what 'a senior official' said too, and it must never merge into a named person.
        A label of one word takes the words after it ('source familiar with the talks'):
        'unnamed: source' tells a reader nothing. 'The source' or 'the person' alone is the
        unnamed source quoted last, not a new vague one."""
        toks = self.tokens
        left = [k for k in self.children[head] if k < head and toks[k].dep in _LABEL_LEFT]
        first = min([head, *(min(self._subtree(k)) for k in left)])
        label = self.text[toks[first].start : toks[head].end]
        right = [k for k in self.children[head] if k > head]
        lone = first == head
        if lone and not right:
            earlier = self._earlier_unnamed(head)
            if earlier is not None:
                return earlier
        for k in right:
            word = self.text[toks[k].start : toks[k].end]
            if (toks[k].dep == "prep" and word in _LABEL_PREPOSITIONS) or (
                lone
                and toks[k].dep in _LABEL_RIGHT
                and not self.text[toks[head].end : toks[k].start].strip()
            ):
                end = max(self._subtree(k))
                if end - first <= 8 and self._whole_words(toks[head].end, toks[end].end):
                    label = self.text[toks[first].start : toks[end].end]
                break
        article = re.match(r"(?:the|a|an|one|another|some)\s+", label, flags=re.I)
        start = toks[first].start + (article.end() if article else 0)
        label = label[article.end() :].strip() if article else label.strip()
        if not re.search(r"[a-z]", label) or FILL in label:
            return None
        # The label keeps the article's capitals but a sentence's first word's: 'Senior
        # officials said' is 'senior officials', 'a senior Cruz adviser' keeps 'Cruz'.
        opening = next((k for k in range(first, head + 1) if toks[k].start >= start), head)
        if toks[opening].tag not in {"NNP", "NNPS"}:
            label = label[:1].lower() + label[1:]
        ent = self.idx.unnamed(label)
        self.unnamed_at[toks[head].start] = ent
        return ent

    def _whole_words(self, a: int, b: int) -> bool:
        """Words a label may take after its noun: on its line, in the author's words (not
        into a quote: 'a website called “…'), and ending where a word ends (not 'co' of
        'co-written')."""
        return (
            "\n" not in self.text[a:b]
            and FILL not in self.masked[a:b]
            and not re.search(r"[\"“”«»]", self.text[a:b])
            and not re.match(r"[\w\-’']", self.text[b : b + 1])
        )

    def _earlier_unnamed(self, head: int) -> int | None:
        """The unnamed source a definite one-word description points back to: the last one
        before it that the article described with that word ('the source said' after 'a
        source close to him said', quoted or not) or quoted under a label holding it ('said
        the adviser' after 'a senior Cruz adviser'); a word that stands for any source ('the
        person') takes the last one described or quoted with any such word."""
        toks = self.tokens
        if not any(toks[c].dep == "det" and self._word(c) == "the" for c in self.children[head]):
            return None
        word, pos = self._word(head), toks[head].start
        words = _STAND_INS if word in _STAND_INS else {word}
        described = [k for w in words for k in [self._description_before(w, pos)] if k is not None]
        quoted = [
            (at, ent)
            for at, ent in self.unnamed_at.items()
            if at < pos and (word in _STAND_INS or word in self.idx.entity(ent).name.split())
        ]
        last_described = max(described, key=lambda k: toks[k].start, default=None)
        last_quoted = max(quoted, default=None)
        if last_described is not None and (
            last_quoted is None or toks[last_described].start > last_quoted[0]
        ):
            return self.unnamed(last_described)
        return last_quoted[1] if last_quoted is not None else None

    def _described_before(self, m: Mention) -> int | None:
        """'the aide said' after 'A Republican committee aide blasted the statement', 'the
        spokesman said' after 'the prime minister's spokesman said': with no named person
        of that title, the definite title points back to the unnamed one the article
        described with it, not to whoever spoke last."""
        k = self._description_before(m.text.split()[-1].casefold(), m.start)
        return self.unnamed(k) if k is not None else None

    def _description_before(self, word: str, pos: int) -> int | None:
        """The last noun `word` before `pos` that introduces someone unnamed: with 'a',
        'an', 'another' or 'one', or a possessor ('the prime minister's spokesman'), and no
        name in apposition ('a spokesman, Tom Reyes')."""
        toks = self.tokens
        for k in range(len(toks) - 1, -1, -1):
            t = toks[k]
            if t.end > pos or t.tag not in {"NN", "NNS"} or self._word(k) != word:
                continue
            if self.masked[t.start] == FILL or t.dep == "compound":
                continue
            kids = self.children[k]
            if any(toks[c].dep == "appos" for c in kids):
                continue
            if any(toks[c].dep == "poss" or self._word(c) in _INDEFINITE for c in kids):
                return k
        return None

    def _described_source(self, m: Mention) -> int | None:
        """A name inside a description of someone else ('a senior Cruz adviser', 'the
        governor's spokesman', 'a Clinton campaign aide'): the parse makes the name a
        modifier of a common noun after it, and that noun's person speaks, unnamed. A
        reader takes words filed under Cruz for Cruz's own. With a name in apposition to
        the noun ('Clinton's spokesman, Brian Fallon') that name speaks, so not here."""
        toks = self.tokens
        inside = [k for k, t in enumerate(toks) if m.start <= t.start < m.end]
        if not inside:
            return None
        k = inside[-1]
        while toks[k].dep in {"compound", "poss"} and toks[k].head > k:
            k = toks[k].head
            if toks[k].tag in {"NN", "NNS"} and toks[k].dep != "compound":
                if any(toks[c].dep == "appos" for c in self.children[k]):
                    return None
                return self.unnamed(k)
        return None

    def _described_before_verb(self, q: Quote, start: int, verb: int) -> int | None:
        """'“Where is the ferry?” the harbour master asked.': a question or an exclamation
        followed by a described subject and its verb of saying. The parser ends a sentence
        at the quote's own '?' or '!', so the clause after it hangs from nothing and only
        blocked the quote; its subject, the noun right before the verb, speaks, unnamed."""
        if not re.search(r"[?!]\W*$", self.text[q.start : q.end]):
            return None
        if not _DESCRIPTION_BEFORE_VERB.fullmatch(self.masked[start:verb]):
            return None
        k = self.token_at.get(verb)
        if k is None or k == 0 or self.tokens[k - 1].tag not in {"NN", "NNS"}:
            return None
        return self.unnamed(k - 1)

    def _indefinite_after(self, pos: int, end: int) -> int | None:
        """An inverted reporting clause whose subject is someone new, described and not
        named ('“…,” added a Nevada Democrat', 'wrote a man calling himself Tom'): that
        person speaks, unnamed. The parse often reads the noun as the verb's object, and
        with no name after the verb the clause would only block the quote."""
        k = self.token_at.get(pos)
        if k is None or self._word(k) not in _INDEFINITE or self.tokens[k].dep != "det":
            return None
        head = self.tokens[k].head
        if head <= k or self.tokens[head].end > end or self.tokens[head].tag not in _NOUN_TAGS:
            return None
        return self.unnamed(head)

    def _subtree(self, k: int) -> list[int]:
        out, todo = [k], [k]
        while todo:
            kids = self.children[todo.pop()]
            out += kids
            todo += kids
        return out

    def attribute(self) -> list[tuple[int, str] | None]:
        """(speaker, the rule that named them) per quote, or None: the rules in order."""
        n = len(self.quotes)
        attrs: list[_Attr] = []
        rules: list[str] = []
        headline = _headline_end(self.masked)
        for q in self.quotes:
            # A headline's quote is the editor's shorthand of one the body gives in full; a
            # title-case fragment names a show or a slogan; a work's name is nobody's words.
            blocked = q.outer_end <= headline or q.names_work(self.text)
            cited = None if blocked else self.cited_source(q)
            if blocked:
                a = _Attr(None, blocked=True, scare=True)
            elif cited is not None:
                a = _Attr(cited)
            else:
                a = self.direct(q)
                if a.entity is None and q.is_title(self.text):
                    a.scare = True
            if a.entity is not None:
                self.owners[q.outer_end] = a.entity
            attrs.append(a)
            rules.append(
                RULE_CITED if cited is not None else RULE_CLAUSE if a.entity is not None else ""
            )
        result: list[int | None] = [a.entity for a in attrs]
        for i, q in enumerate(self.quotes):
            if result[i] is not None or attrs[i].scare:
                continue
            # 'Ford said Reyes would sell the docks, his plan is “wrong” and he is a “bully”':
            # the parse may hang a later quote of the sentence from a clause of its own
            # whose subject is the one talked about; another quote of the sentence that a
            # reporting clause gives a speaker tells whose words the sentence reports.
            reported = self._reported_in_sentence(i, rules)
            parsed = self.parsed_speaker(q, said_only=reported is not None)
            if parsed is not None:
                result[i], rules[i] = parsed, RULE_PARSE
                self.owners[q.outer_end] = parsed
                continue
            if reported is not None:
                result[i], rules[i] = reported, RULE_SENTENCE
                self.owners[q.outer_end] = reported
                continue
            if attrs[i].blocked:
                continue
            sent = self.sentence_of(q.outer_start)
            same = [
                j
                for j in range(n)
                if j != i
                and result[j] is not None
                and self.sentence_of(self.quotes[j].outer_start) == sent
                and not attrs[j].blocked
            ]
            group = [
                j
                for j in range(n)
                if j != i and self.quotes[j].group == q.group and result[j] is not None
            ]
            if group:
                result[i], rules[i] = result[group[0]], RULE_GROUP
            elif same:
                j = min(same, key=lambda j: (j > i, abs(j - i)))
                result[i], rules[i] = result[j], RULE_SENTENCE
            elif not q.is_fragment(self.text):
                result[i], rules[i] = self._fallback(i, q, sent, result, attrs), RULE_CONTEXT
            else:
                result[i], rules[i] = self._fragment_speaker(q, sent), RULE_CONTEXT
            owner = result[i]
            if owner is not None:
                self.owners[q.outer_end] = owner
        return [
            (ent, rule) if ent is not None else None
            for ent, rule in zip(result, rules, strict=True)
        ]

    def _reported_in_sentence(self, i: int, rules: list[str]) -> int | None:
        """The speaker that a reporting clause gives another quote of quote `i`'s sentence,
        the nearest before it first; none where the sentence opens with a subordinate clause
        ('While X proclaims it “…,” Y fixates on the “…” line'): each clause has a subject of
        its own."""
        sent = self.sentence_of(self.quotes[i].outer_start)
        if _SUBORDINATE_START.match(self.masked, sent[0]):
            return None
        named = [
            j
            for j, q in enumerate(self.quotes)
            if j != i and rules[j] == RULE_CLAUSE and sent[0] <= q.outer_start < sent[1]
        ]
        if not named:
            return None
        j = min(named, key=lambda j: (j > i, abs(j - i)))
        return self.owners.get(self.quotes[j].outer_end)

    def cited_source(self, q: Quote) -> int | None:
        """The source the author cites for the quote's whole sentence ('According to the
        Harbour Gazette, …', '…, according to Channel 9.', '…, the Gazette reported.'), else
        None. A body the article names nowhere else (NER often misses a paper's name) becomes
        an organisation of its own."""
        s_a, s_b = self.sentence_of(q.outer_start)
        # (searched in a slice: '^' anchors at the slice's start, just after the quote)
        found, offset = _CITED_LEAD.match(self.masked[s_a : q.outer_start]), s_a
        if found is None:
            found, offset = _CITED_TAIL.search(self.masked[q.outer_end : s_b]), q.outer_end
        if found is None:
            return None
        k = next(g for g in range(1, found.re.groups + 1) if found.group(g))
        start, name = offset + found.start(k), found.group(k)
        # 'the Gazette's Dana Whitlow': the person after a possessive, not the paper
        mention = next(
            (
                m
                for m in reversed(self.mentions_in(start, offset + found.end(k)))
                if m.kind in {"name", "org"}
            ),
            None,
        )
        if mention is not None:
            return self.resolve(mention)
        if "\n" in name or FILL in name:
            return None
        return self.idx.body(name)

    def _fragment_speaker(self, q: Quote, sent: tuple[int, int]) -> int | None:
        """A fragment woven into a sentence whose subject is a person ('In March, Ford
        blasted the harbour board for its “reckless plans”') is that person's words even when the
        parse misses it: the sentence's opening name or pronoun, and nothing further afield
        (the previous or next sentence's speaker is how a scare quote gets misread as
        speech). On the real-news training split: 15 more quotes found, 4 more unmatched."""
        subj = self.sentence_subject(sent[0], q.outer_start)
        if subj is None or subj.kind not in {"name", "pronoun"}:
            return None
        return self.resolve(subj)

    def _interview_answer(self, q: Quote, rest: str) -> int | None:
        """Q&A layout: a paragraph that is one quote, after a paragraph that ends with an
        unquoted question, is the interviewee's answer."""
        if rest or not (q.outer_start == 0 or self.text[q.outer_start - 1] == "\n"):
            return None
        prev_par = self.text[: q.outer_start].rstrip("\n ").rsplit("\n", 1)[-1]
        if not prev_par.rstrip().endswith("?") or re.search(r"[\"“”«»]", prev_par):
            return None
        if not hasattr(self, "_interviewee"):
            self._interviewee = _interview(self)
        return self._interviewee

    def _paragraph_speaker(self, i: int, q: Quote, result: list[int | None]) -> int | None:
        """A quote standing alone as a sentence goes on the speech of the paragraph's last
        speaker while the sentences since name nobody else as their subject: '“…,” said
        Tom Reyes. He has run the yard for years. “…”' is still Reyes, however long the
        author's aside. A reporter gives a paragraph one voice, so this comes before the
        speaker who opens the next sentence, which may be the next paragraph's."""
        par = self.text.rfind("\n", 0, q.outer_start) + 1
        earlier = [
            j for j in range(i) if result[j] is not None and self.quotes[j].outer_start >= par
        ]
        if not earlier:
            return None
        j = earlier[-1]
        owner = result[j]
        a, b = self.sentence_of(q.outer_start)
        head = self.masked[max(a, self.quotes[j].outer_end) : q.outer_start]
        tail = self.masked[q.outer_end : b]
        if re.search(r"\w", tail) or not re.fullmatch(r"(?:.*[.!?])?[\s\W]*", head, re.S):
            return None  # the quote shares its sentence with words of the author's
        for sa, sb in self.sentences:
            if sb <= self.quotes[j].outer_end or sa >= q.outer_start:
                continue
            subj = self.clause_subject(max(sa, self.quotes[j].outer_end), min(sb, q.outer_start))
            if subj is not None and subj.kind != "pronoun" and self.resolve(subj) != owner:
                return None
        return owner

    def _fallback(self, i, q, sent, result, attrs) -> int | None:
        a, b = sent
        subj = self.sentence_subject(a, q.outer_start)
        if subj is not None:
            return self.resolve(subj)
        rest = self.masked[a:b].replace(FILL, "").strip(' \n,.;:—–-“”"')
        heading = not rest and not _TERMINAL.search(self.text[q.start : q.end])
        if heading:
            return None
        k = self.sentences.index(sent) if sent in self.sentences else -1
        qa = self._interview_answer(q, rest)
        if qa is not None:
            return qa
        if 0 <= k < len(self.sentences) - 1 and not rest:
            na, nb = self.sentences[k + 1]
            back = _BACK_REFERENCE.match(self.masked, na, nb)
            if back:
                m = next(
                    (m for m in self.mentions_in(back.end(), nb) if m.start - back.end() < 30), None
                )
                if m is not None:
                    return self.resolve(m)
            signed = self._signature(na, nb)
            if signed is not None:
                return signed
        if k > 0:
            pa, pb = self.sentences[k - 1]
            if len(rest) > 40 and "\n" in self.text[pb - 1 : a + 1]:
                return None  # a long author's sentence opening a paragraph: not a continuation
            prev = [
                j
                for j in range(i)
                if result[j] is not None and pa <= self.quotes[j].outer_start < pb
            ]
            if prev:
                return result[prev[-1]]
            # "Solbakk was frank. “We are not saints.”": a short sentence of the same
            # paragraph, without a quote of its own, introduces a quote that stands alone.
            lone = not rest and "\n" not in self.text[pa:a]
            if (
                lone
                and not any(pa <= p.outer_start < pb for p in self.quotes)
                and len(self.masked[pa:pb].split()) <= 16
            ):
                subj = self.clause_subject(pa, pb)
                if subj is not None and subj.kind != "pronoun":
                    return self.resolve(subj)
            # "Kalnina spoke for forty minutes. Near the end, she put her notes aside.
            # ¶“I have heard every reason …": a paragraph that is one quote, opened right after
            # a short sentence about a person that ends the paragraph before; a blank line
            # between the two, as most papers set paragraphs ('Ford went on: ¶ ¶ “…”'),
            # is the same layout.
            opens_par = not rest and self.text[pb - 1 : a].count("\n") >= 1
            if (
                opens_par
                and not any(pa <= p.outer_start < pb for p in self.quotes)
                and len(self.masked[pa:pb].split()) <= 12
                and re.search(r"[.:]\s*$", self.masked[pa:pb])
            ):
                subj = self.clause_subject(pa, pb)
                if subj is not None and subj.kind in {"name", "pronoun"}:
                    return self.resolve(subj)
            # "Brenner said that for years critics had predicted the harbour would close.
            # ¶“That is because …”": a quote that is a sentence of its own (opening a
            # paragraph or not) goes on the reported speech of the sentence before it, however
            # long, when the person it opens with reports it ('Brenner, Ford and Reyes argued
            # that …' names no one speaker). A sentence that ends in a colon hands the quote to
            # the subject of its last verb of saying, wherever the sentence began ('70-year-old
            # Ann Lee, a farmer who …, said when asked: ¶“…”').
            said = self.verbs_in(pa, pb)
            if (
                (opens_par or lone)
                and said
                and not any(pa <= p.outer_start < pb for p in self.quotes)
            ):
                subj = self.subject_of(said[0][0], pa)
                if subj is not None and subj.kind == "name" and subj == self.clause_subject(pa, pb):
                    return self.resolve(subj)
                # ('… said when asked: ¶“…”': a reduced clause's verb has no subject of its own)
                main = [
                    v
                    for v in said
                    if not re.search(r"\b(?:when|if|as|once)\s+$", self.masked[pa : v[0]])
                ]
                subj = self.subject_of(main[-1][0], pa) if main else None
                if (
                    subj is not None
                    and subj.kind == "name"
                    and re.search(r":\s*$", self.masked[pa:pb])
                ):
                    return self.resolve(subj)
        held = self._paragraph_speaker(i, q, result)
        if held is not None:
            return held
        if 0 <= k < len(self.sentences) - 1:
            na, nb = self.sentences[k + 1]
            vs = self.verbs_in(na, nb)
            if vs and len(rest) <= 40:
                subj = self.subject_of(vs[0][0], na)
                if subj is not None and subj.start - na < 40:
                    return self.resolve(subj)
        return None

    def _signature(self, a: int, b: int) -> int | None:
        """'“…” ¶ - Hillary Clinton.': a line that is a dash and a name signs the quote above
        it, as fact-check and roundup pages set a quote and its source."""
        dash = _SIGNATURE.match(self.masked, a, b)
        if dash is None:
            return None
        named = self.mentions_in(dash.end(), b)
        if named and named[0].start == dash.end() and named[0].kind in {"name", "org"}:
            if not re.fullmatch(r"[\s.,]*", self.masked[named[0].end : b]):
                return None
            return self.resolve(named[0])
        # a name NER missed: a person in two words or more, else a body ('HuffPollster')
        words = _SIGNED_NAME.fullmatch(self.masked, dash.end(), b)
        if words is None:
            return None
        name = words.group(1)
        return self.idx.person(name) if " " in name else self.idx.body(name)


def _interview(self_: _Resolver) -> int | None:
    """The person interviewed: subject of the article's sentence about the interview."""
    for a, b in self_.sentences:
        if re.search(r"\b(?:interview|interviewed)\b", self_.masked[a:b]):
            subj = self_.clause_subject(a, b)
            if subj is not None and subj.kind in {"name", "pronoun"}:
                return self_.resolve(subj)
    return None


def _paraphrases(res: _Resolver, quotes: list[Quote]) -> list[tuple[int, int, int]]:
    """Sentences without quote marks whose named subject reports a view ('Rutte insisted')."""
    out = []
    for a, b in res.sentences:
        if any(a <= q.outer_start < b for q in quotes):
            continue
        vs = res.verbs_in(a, b)
        if not vs or vs[0][2] in PARTICIPLES or vs[0][2] in {"asked", "called"}:
            continue
        subj = res.subject_of(vs[0][0], a)
        if subj is None or subj.kind not in {"name", "org"}:
            continue
        ent = res.resolve(subj)
        s, e = a, b
        while s < e and res.text[s].isspace():
            s += 1
        while e > s and res.text[e - 1].isspace():
            e -= 1
        if ent is not None and e > s:
            out.append((ent, s, e))
    return out


def extract_positions(text: str, parsed: Parsed | None = None) -> list[Position]:
    """Speakers of an article with their verbatim quotes and paraphrased positions.

    `parsed` lets a caller that already parsed the text pass the parse; otherwise the
    shared spaCy pipeline runs here. Positions are ordered by the speaker's first quote or
    paraphrase in the article.
    """
    quotes = find_quotes(text)
    # 'Rep. Carl Brenner II (D-Ohio) said': the party-state tag is blanked, offsets kept, so
    # the name stands next to its verb as in any other reporting clause. A no-break space
    # is a space to the rules too, as to the parse ('mused co-host Dana<NBSP>Whitlow').
    masked = _PARTY_TAG.sub(lambda m: " " * len(m.group()), mask_quotes(text, quotes))
    masked = _DATELINE.sub(lambda m: " " * len(m.group()), masked)
    masked = masked.replace(NBSP, " ")
    if parsed is None:
        from summarizer.nlp import parse

        parsed = parse(text)
    index = SpeakerIndex(text, masked, parsed.ents)
    res = _Resolver(text, quotes, index, parsed.tokens)
    owners = res.attribute()

    by_ent: dict[int, Position] = {}
    first: dict[int, int] = {}

    def position(ent_id: int) -> Position:
        if ent_id not in by_ent:
            e = index.entity(ent_id)
            by_ent[ent_id] = Position(
                speaker=index.canonical(e),
                kind=e.kind,
                role=e.role,
                aliases=list(dict.fromkeys(e.forms)),
            )
        return by_ent[ent_id]

    for q, attributed in zip(quotes, owners, strict=True):
        if attributed is None:
            continue
        owner, rule = attributed
        span = Span(text=text[q.start : q.end], start=q.start, end=q.end, rule=rule)
        if not span.is_verbatim_in(text):
            continue  # never show a quote we cannot point to in the article
        position(owner).quotes.append(span)
        first.setdefault(owner, q.start)
    for ent_id, s, e in _paraphrases(res, quotes):
        span = Span(text=text[s:e], start=s, end=e)
        if span.is_verbatim_in(text):
            position(ent_id).paraphrases.append(span)
            first.setdefault(ent_id, s)
    return [by_ent[k] for k in sorted(by_ent, key=lambda k: first[k])]

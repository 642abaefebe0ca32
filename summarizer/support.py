"""Is what a model sentence says in the sentences it was written from?

Every other check passes a sentence that is fluent, neutral and false: "The author argues
that Russia's actions are a clear violation of international law" over an article that
argues the opposite, a negotiator who *demanded* a concession said to believe it "should
not be demanded", "Halvorsen supports her side's stance". No entailment model installs
here (../shared/MODELS.md), so the check is built from spaCy's parse of the sentence and
of its sources (a few short sentences; milliseconds):

* coverage: the sentence's content words (lemmas, less the speaker's names and the words
  in `data/generic_words.txt`, which only say that someone spoke or held a view) must be in
  the sources, as a lemma or a word of the same stem, or as a name that stands for the
  same country or body (`data/seats.txt`: "Moscow" for "the Kremlin");
* polarity: a word the sentence negates the sources must negate, and the reverse; a word
  whose opposite (`data/antonyms.txt`) the sources use instead turns the claim around; a
  speaker said to favour a thing ("supports the plan") their own sentences speak against
  ("an ultimatum", `data/polarity_words.txt`) is turned around too; so is a verb stated
  as settled that the sources leave open ("hoped", "decide whether", "asked if", a
  condition, a yes-or-no question); and a speaker said
  to back someone named needs a word of backing in the sources;
* holder: a claim the sources only report someone as saying ("<claim>, <name> predicted")
  must not be stated as fact; "the author argues X" needs X in the author's own voice (a
  source sentence with no quotation, no reporting verb and no named subject), "Putin
  believes X" needs X where Putin is named, and an event's named actor must be the one
  the sources have do it; the named doer of any verb of a line (its subject, a passive's
  agent, the subject a subjectless clause takes over) must not be one the parse of the
  sources rules out as that verb's doer (another name, "they" for one person, the one the
  deed is done to), the verb's own lemma or one of its group in `data/deed_verbs.txt`;
  a view given to a stance line's speaker must be in their own
  words, not in the author's telling about them ("Clinton has responded with ads") nor in
  someone else's words they pass on ("She said that ..."), nor in a quotation under a
  pronoun the text never uses for them ("“...,” she said" where it writes "his"); a
  name the line spells out for a set of initials must have them for capitals or stand
  beside them in the sources;
* vacuity: a sentence with fewer than MIN_CONTENT content words says nothing (a full name
  is one word of content, "supports X's leadership" only backs X, and a denial's "not"
  is one), nor does a stance line that only has the speaker speak ("responded to
  reports that ...") with nothing said under the verb;
* verdicts and causes: a judgement word (`data/judgement_words.txt`: "a mistake", "illegal")
  the sources do not use weighs as much as a wrong figure, and a named actor said to bring
  something about (`data/causal_words.txt`: "which led to") must be named where the sources
  themselves speak of a cause;
* reasons: a reason or an end the sources give none of ("because ...", "necessary for
  the country's security") must have every word in them, "security" too;
* modality: a sentence that says what ought to be ("should", "must", "is necessary";
  `data/obligation_words.txt`) needs a source sentence that says so too, or asks for it,
  of the same thing (a noun of the obliged clause).

Measured on hand-judged model sentences (tests/faithful/): it misses inversions that keep
every word where the sources give the doer no name the parse can read ("the region
prepares an offensive" where "they" in a quotation prepare one).

The problems are written as instructions, like the other checks', for the retry prompt.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from summarizer.loaded import ATTRIBUTION
from summarizer.nlp import get_nlp
from summarizer.segment import quote_spans, sentence_spans
from summarizer.wordlists import data_lines, word_groups, word_kinds, word_set

CONTENT_POS = frozenset({"NOUN", "PROPN", "VERB", "ADJ", "NUM", "ADV"})
MIN_CONTENT = 2  # "One side was upbeat." has one
# A sentence is unsupported when more than this share of its content words, and at least
# MIN_UNCOVERED of them, are in no source sentence. Tuned on the tuning half of
# tests/faithful/labelled.json (see bench/faithful.py).
MAX_UNCOVERED_SHARE = 0.2
MIN_UNCOVERED = 1.5
STEM = 5  # "expansion" and "expand", "Europe" and "European"; shorter words match whole
_NEGATORS = frozenset({"not", "n't", "never", "no", "nor", "neither", "without"})
# "failed to agree" is "did not agree"
_FAILING = frozenset({"fail", "refuse", "decline", "cease", "stop"})
_AUTHOR = frozenset({"author", "writer", "columnist", "article", "piece", "editorial"})


def generic_words() -> frozenset[str]:
    return word_set("generic_words.txt")


def judgement_words() -> frozenset[str]:
    return word_set("judgement_words.txt")


def causal_words() -> frozenset[str]:
    return word_set("causal_words.txt")


def polarity_words() -> Mapping[str, frozenset[str]]:
    """{"favour": verbs that put a speaker for their object, "against": words that, in a
    sentence about that object, put them against it, "backs": other words that lean for
    it there}."""
    return word_kinds("polarity_words.txt", "favour", "against", "backs")


def obligation_words() -> Mapping[str, frozenset[str]]:
    """{"must": words that make a claim say what ought to be, "asks": source words that
    say what the speaker wants done}: `data/obligation_words.txt`."""
    return word_kinds("obligation_words.txt", "must", "asks")


@lru_cache(maxsize=1)
def antonyms() -> dict[str, frozenset[str]]:
    pairs: dict[str, set[str]] = {}
    for line in data_lines("antonyms.txt"):
        left, right = line.casefold().split()
        pairs.setdefault(left, set()).add(right)
        pairs.setdefault(right, set()).add(left)
    return {k: frozenset(v) for k, v in pairs.items()}


def _key(token: Any) -> str:
    return (token.lemma_ if token.pos_ != "PROPN" else token.text).casefold().strip("’'.")


def _has_negator(token: Any) -> bool:
    return any(c.dep_ == "neg" or c.lower_ in _NEGATORS for c in token.children)


def _negated(token: Any) -> bool:
    """A verb or adjective negated itself ("did not demand"), the complement of a negated
    saying or wanting verb ("does not want Kyiv to join") or of a failing one ("failed to
    agree"); a noun only by "no" ("no weapons"): a "not" near a noun mostly belongs to
    something else ("want peace, not another winter of war")."""
    head = token.head
    if head.lower_ == "without" and head is not token:  # "without agreeing", "without weapons"
        return True
    if token.dep_ in ("attr", "acomp") and _has_negator(head):  # "this is not the only way"
        return True
    if (  # "are not in agreement", "is not in favour": what a denied "be" puts them in
        token.dep_ == "pobj"
        and head.dep_ == "prep"
        and head.head.lemma_ == "be"
        and _has_negator(head.head)
    ):
        return True
    if token.pos_ in ("NOUN", "PROPN"):  # "no weapons", "without weapons", "neither war"
        return head.lower_ == "without" or any(
            c.lower_ in ("no", "neither") for c in token.children
        )
    if _has_negator(token):
        return True
    if token.dep_ not in ("xcomp", "ccomp") or head is token:
        return False
    lemma = head.lemma_.casefold()
    return lemma in _FAILING or (lemma in generic_words() and _has_negator(head))


# "hoped they would find a solution"; inflected forms too, as the lemmatizer reads "hoped"
# as "hop"
_OPENING = frozenset(
    {"hope", "hopes", "hoped", "hoping", "wonder", "wonders", "wondered", "wondering"}
    | {"ask", "asks", "asked", "asking"}
)
_WH = frozenset({"what", "why", "how", "who", "whom", "whose", "when", "where", "which"})


def _asked(token: Any) -> bool:
    """The token is in a yes-or-no question ("You think he would like to indict her?"),
    which asks whether, and says nothing is so. A question with a wh-word is left to
    coverage: it is often a claim put as a question ("why should we trust her with the
    harbour?")."""
    sent = token.sent
    return sent.text.strip().rstrip("”\"’'» ").endswith("?") and not any(
        t.lower_ in _WH for t in sent
    )


def _open(token: Any) -> bool:
    """Left open, not stated: "decide whether to strike", "hoped they would find one",
    "You think he would indict her?", and a clause under "if", asked ("was asked if she
    would hold one") or set as a condition ("if the shells come"): neither says it is so."""
    head = token.head
    return (
        any(
            c.lower_ == "whether" or (c.lower_ == "if" and c.dep_ == "mark") for c in token.children
        )
        or (
            head is not token
            and token.dep_ in ("ccomp", "xcomp")
            and (head.lemma_ in _OPENING or head.lower_ in _OPENING)
        )
        or _asked(token)
    )


@dataclass(frozen=True)
class _Source:
    keys: frozenset[str]
    stems: frozenset[str]
    polarity: dict[str, frozenset[bool]]  # key → negated in some use / not negated in some
    open: dict[str, frozenset[bool]]  # key → left open in some use / stated in some


def _source(docs: Iterable[Any]) -> _Source:
    keys: set[str] = set()
    polarity: dict[str, set[bool]] = {}
    opened: dict[str, set[bool]] = {}
    for doc in docs:
        for token in doc:
            if token.is_punct or token.is_space:
                continue
            key = _key(token)
            keys.update((key, token.lower_))
            if token.pos_ in CONTENT_POS:
                polarity.setdefault(key, set()).add(_negated(token))
                opened.setdefault(key, set()).add(_open(token))
    stems = {k[:STEM] for k in keys if len(k) > STEM}
    for key, uses in list(polarity.items()):  # "agreement" is judged by "agreeing"
        if len(key) > STEM:
            polarity.setdefault(key[:STEM], set()).update(uses)
    return _Source(
        frozenset(keys),
        frozenset(stems),
        {k: frozenset(v) for k, v in polarity.items()},
        {k: frozenset(v) for k, v in opened.items()},
    )


def seats() -> Mapping[str, frozenset[str]]:
    """Each name of `data/seats.txt` → the names that stand for the same country or body."""
    return word_groups("seats.txt")


def _covered(key: str, source: _Source) -> bool:
    return any(
        k in source.keys or (len(k) > STEM and k[:STEM] in source.stems)
        for k in seats().get(key, (key,))
    )


@lru_cache(maxsize=2048)
def _parse(text: str) -> Any:
    return get_nlp()(text)


def _name_words(names: Iterable[str]) -> frozenset[str]:
    return frozenset(
        w.casefold().strip("’'.") for n in names for w in re.findall(r"[\w’'.-]+", n) if w
    )


def _content(doc: Any, names: frozenset[str], *, quoted: bool = False) -> list[Any]:
    """Content tokens of the doc, outside quotation marks unless `quoted` (a quotation is
    checked verbatim by `checks.check_quoted`, but it does say something)."""
    marks = [] if quoted else quote_spans(doc.text)
    out = []
    for token in doc:
        if any(s <= token.idx < e for s, e in marks):
            continue
        key = _key(token)
        if (
            token.pos_ in CONTENT_POS
            and not (token.is_stop and token.pos_ != "NUM")
            and key not in generic_words()
            and key not in names
            and token.lower_ not in names
            and any(c.isalnum() for c in key)
        ):
            out.append(token)
    return out


def _says(token: Any) -> int:
    """How much a content word says for vacuity: someone other than the speaker who is
    what the line is about ("Brandt is in favor of Vance") is a whole claim; one who only
    owns a word for a stance ("supports Norway's position") is not, nor is a common word
    alone ("One side was upbeat")."""
    if token.pos_ == "PROPN" and token.dep_ == "compound" and token.head.pos_ == "PROPN":
        return 0  # "Donald" in "Donald Trump": one person, counted at "Trump"
    return MIN_CONTENT if token.pos_ == "PROPN" and token.dep_ in ("dobj", "pobj") else 1


def _denies(doc: Any) -> int:
    """1 when the line denies a deed or a state ("did not show up in person", "is not in a
    rush"): that something did not happen is a claim of its own, which "not" carries
    where the words around it are common ones. A denied verb of holding a view ("does not
    believe") is not: it says no more than the verb."""
    return int(
        any(
            t.dep_ == "neg"
            and (
                t.head.pos_ == "AUX"
                or _key(t.head) not in generic_words() | polarity_words()["favour"]
            )
            for t in doc
        )
    )


# A word that cannot end a sentence: what it joins, governs or marks is still to come
_UNFINISHED_POS = frozenset({"CCONJ", "SCONJ", "DET", "ADP", "PART", "AUX"})


def _fragment(doc: Any) -> bool:
    """No verb at all ("Corey Lewandowski as a manager of the campaign", a headline taken
    for a line: "Clinton Slams Trump on Abortion Laws"), or cut off with no closing
    mark after a word that needs more ("telling CBS that", "our focus is on", "want
    to"): a piece of a sentence claims nothing whole, and what it seems to claim may turn
    on what is missing."""
    words = [t for t in doc if not (t.is_punct or t.is_space)]
    if not any(t.pos_ in ("VERB", "AUX") for t in words):
        return True
    ended = doc.text.rstrip().endswith((".", "!", "?", "”", '"', "’", "'", ")"))
    return not ended and words[-1].pos_ in _UNFINISHED_POS


def _only_spoke(doc: Any) -> bool:
    """The line's main verb is one of saying with nothing said under it: no clause, no
    object, no quotation ("Nehlen responded Friday to reports that ...", "commented on
    the deal"). However many words follow, they tell what was spoken to, not what the
    speaker said."""
    root = doc[:].root
    return (
        root.pos_ == "VERB"
        and root.lemma_.casefold() in word_set("reporting_verbs.txt")
        and not quote_spans(doc.text)
        and not any(
            c.dep_ in ("ccomp", "xcomp", "dobj", "oprd", "conj", "advcl")
            or (c.dep_ == "prep" and c.lower_ not in _SPOKEN_TO)
            for c in root.children
        )
    )


# "responded to", "commented on", "spoke about": what was spoken to, not what was said
_SPOKEN_TO = frozenset({"to", "on", "about"})


def _author_voice(sentence: str) -> bool:
    """No quotation, no reporting verb, and no named subject ("Petrenko demanded that
    ..."): what is left is the author speaking."""
    if quote_spans(sentence) or ATTRIBUTION.search(sentence):
        return False
    return not any(
        t.dep_ in ("nsubj", "nsubjpass") and t.head.dep_ == "ROOT" and t.pos_ == "PROPN"
        for t in _parse(sentence)
    )


def _holder(doc: Any) -> tuple[str, Any] | None:
    """("author" | a name, the verb) when the sentence opens "<holder> <says/believes> that
    ...": the claim after the verb is the holder's."""
    for token in doc:
        if token.dep_ != "ROOT":
            continue
        if token.lemma_.casefold() not in generic_words() or token.pos_ != "VERB":
            return None
        subjects = [c for c in token.children if c.dep_ in ("nsubj", "nsubjpass")]
        if not subjects:
            return None
        subject = subjects[0]
        if subject.lower_ in _AUTHOR:
            # "The author argues that Stoltenberg called for ...", "... that Abedin sent an
            # email": the author reports what a named actor said or did, and that actor is
            # then the one to check, named outright or beside a description ("the mayor's
            # aide, Ilse Berg, sent ...")
            for clause in (c for c in token.children if c.dep_ == "ccomp"):
                inner = [c for c in clause.children if c.dep_ == "nsubj"]
                named = [
                    *inner[:1],
                    *(c for i in inner[:1] for c in i.children if c.dep_ == "appos"),
                ]
                named = [n for n in named if n.pos_ == "PROPN"]
                if named:
                    return named[0].text, clause
            return "author", token
        if subject.pos_ == "PROPN":
            return subject.text, token
    return None


def support_problems(
    sentence: str, sources: Sequence[str], *, names: Iterable[str] = ()
) -> list[str]:
    """What in `sentence` its `sources` do not back; empty when all of it is backed.
    `names` are the speaker's names (and role): a stance line may say who without a source."""
    name_words = _name_words(names)
    doc = _parse(sentence)
    source_docs = [_parse(s) for s in sources if s.strip()]
    source = _source(source_docs)
    content = _content(doc, name_words)
    problems: list[str] = []
    if _fragment(doc):
        return ["It is not a whole sentence; write one sentence that says who did or said what."]
    said = sum(_says(t) for t in _content(doc, name_words, quoted=True))
    if said + _denies(doc) < MIN_CONTENT or (name_words and _only_spoke(doc)):
        return [
            "It says nothing concrete; say what was done, demanded, rejected or called for, "
            "as the text reports it."
        ]
    missing = [t for t in content if not _covered(_key(t), source)]
    if _too_many(missing, content):
        listed = ", ".join(dict.fromkeys(f"“{t.text}”" for t in missing[:6]))
        problems.append(
            f"It says what the text does not say ({listed}); say only what the text says."
        )
    problems += (
        _polarity_problems(content, source)
        or _leaning_problems(doc, source_docs, name_words)
        or _backing_problems(doc, source_docs, name_words)
    )
    holder = _holder(doc)
    if holder is not None and not problems:
        problems += _holder_problems(doc, holder, sources, name_words)
    if not problems and not name_words:
        problems += _actor_problems(doc, source_docs)
    if not problems:
        problems += _doer_problems(doc, source_docs, name_words)
    if not problems and name_words:
        problems += _own_deed_problems(doc, source_docs, name_words)
    if not problems:
        problems += _cause_problems(doc, source_docs)
    if not problems:
        problems += _modality_problems(doc, source_docs)
    if not problems:
        problems += _reason_problems(doc, source_docs, source, name_words)
    if not problems:
        problems += _fact_problems(doc, source_docs, name_words)
    if not problems:
        problems += _spelled_out_problems(sentence, sources)
    return problems


# "the Democratic National Committee (DNC)": a name, then its letters in brackets
_SPELLED_OUT = re.compile(r"((?:[A-Z][\w’'.&-]*\s+(?:(?:of|the|and|for|on)\s+)*)+)\(([A-Z]{2,6})\)")


def _spelled_out_problems(sentence: str, sources: Sequence[str]) -> list[str]:
    """A name the line spells out for a set of initials ("Democratic Campaign Donors
    (DNC)") whose capitals are not those letters, nor those letters theirs ("Islamic
    State (ISIS)" is fine), and that the sources do not set beside the letters: the
    model has guessed what the letters stand for, and so who the body is."""
    said = " ".join(" ".join(sources).split())
    for m in _SPELLED_OUT.finditer(sentence):
        name, letters = " ".join(m.group(1).split()), m.group(2)
        initials = "".join(w[0] for w in name.split() if w[0].isupper())
        beside = re.search(
            rf"{re.escape(name)}.{{0,12}}\b{letters}\b|\b{letters}\b.{{0,12}}{re.escape(name)}",
            said,
            re.IGNORECASE,
        )
        if not (_within(initials, letters) or _within(letters, initials) or beside):
            return [
                f"It spells out {letters} as “{name}”, which the text does not; name it as "
                "the text does."
            ]
    return []


def _within(short: str, long: str) -> bool:
    """Every letter of `short` is in `long`, in order."""
    rest = iter(long)
    return all(c in rest for c in short)


@lru_cache(maxsize=1)
def _speech_verbs() -> frozenset[str]:
    return frozenset(data_lines("reporting_verbs.txt") + data_lines("thought_verbs.txt"))


def _described(token: Any) -> list[Any]:
    """The token with its compounds and what is set beside it, and beside that, in turn."""
    out = [token, *(c for c in token.children if c.dep_ == "compound")]
    for c in token.children:
        if c.dep_ == "appos":
            out += _described(c)
    return out


def _reported(sentence: Any) -> tuple[list[Any], set[int]] | None:
    """(the holder's words, the token indices of what they are said to say) when the source
    sentence reports someone's words rather than stating them: "<claim>, predicted <name>",
    "<name> said <claim>", or a headline's "<holder>: <claim>"."""
    colon = next((t for t in sentence if t.text == ":"), None)
    if colon is not None:
        before = [t for t in sentence if t.i < colon.i]
        if 0 < len(before) <= 6 and not any(t.pos_ in ("VERB", "AUX") for t in before):
            holder = [t for t in before if t.pos_ in ("NOUN", "PROPN")]  # no pronoun
            return holder, {t.i for t in sentence if t.i > colon.i}
    root = sentence.root
    if root.lemma_.casefold() not in _speech_verbs() and root.lower_ not in _speech_verbs():
        return None
    subjects = [c for c in root.children if c.dep_ == "nsubj"]
    claims = [c for c in root.children if c.dep_ == "ccomp"]
    if not subjects or not claims:
        return None
    # the subject nearest the verb: in "OSLO, May 4 - The minister said ..." the parse
    # takes the dateline for a subject too, or sets the speaker beside it; with the name
    # set beside a description ("the minister, Eva Lid")
    named = _described(subjects[-1])
    holder = sorted((t for t in named if t.pos_ in ("NOUN", "PROPN")), key=lambda t: t.i)
    return holder, {t.i for c in claims for t in c.subtree}  # "she said": no holder


def _attributed(doc: Any) -> bool:
    """The sentence says whose its claim is: "according to", a quotation mark, a colon (as
    in a "<holder>: <claim>" opening), or a verb of saying or believing over a clause ("X
    said that ...")."""
    text = doc.text.casefold()
    if "according to" in text or any(c in text for c in '“”"«»:'):
        return True
    return not _authors(doc) and any(
        _saying(t) and any(c.dep_ in ("ccomp", "xcomp") for c in t.children) for t in doc
    )


def _holder_words(holder: list[Any], names: frozenset[str]) -> list[Any]:
    """The holder's words to look for in the line. For a stance line (`names` given) the
    speaker's own words are theirs whoever the positions found under a description ("the
    buyer said"): only a name that is not the speaker's makes them someone else's."""
    if names and any(_key(t) in names for t in holder):
        return []  # "Rep. Ola Brandt told the paper": the speaker, title and all
    if names:
        return [t for t in holder if t.pos_ == "PROPN"]
    return holder


_FUTURE = frozenset({"will", "would", "shall", "wo", "'ll", "’ll"})  # "wo" of "won't"


def _saying(token: Any) -> bool:
    return _key(token) in generic_words() or token.lemma_.casefold() in _speech_verbs()


def _authors(doc: Any) -> bool:
    """The line gives its claim to the author: "The author argues that ..."."""
    return any(
        _saying(t) and any(c.dep_ == "nsubj" and c.lower_ in _AUTHOR for c in t.children)
        for t in doc
    )


def _sayers(doc: Any) -> list[Any]:
    """The words of whoever the line has say or hold something other than the author: the
    subject, with its description, of each verb of saying or holding a view. A doer
    inside the claim is not its sayer."""
    return [
        w
        for t in doc
        if _saying(t)
        for c in t.children
        if c.dep_ == "nsubj" and c.lower_ not in _AUTHOR
        for w in c.subtree
    ]


def _fact_problems(doc: Any, source_docs: Sequence[Any], names: frozenset[str]) -> list[str]:
    """A claim stated as fact that the sentences it comes from (those sharing the most of
    its content words, at least half) only report someone as saying: "<A> will back <B>
    before the convention" where the text has a rival predict it. The sentence must name
    the holder or say that someone said it."""
    keys = {_key(t) for t in _content(doc, names)}
    if not keys or _attributed(doc):
        return []
    # a line that gives the author what someone will do must name its holder as the one
    # who says it: "the author argues that Haugland will not accept" for "Haugland said
    # she would not" (an intention is only their word); any other line may name them
    # anywhere ("The ministry offered" for "the minister said the ministry had offered",
    # "the author argues that Berg sent an email" for "“I sent an email,” said Berg")
    foretold = any(t.dep_ == "aux" and t.lower_ in _FUTURE for t in doc)
    said = {_key(t)[:STEM] for t in (_sayers(doc) if _authors(doc) and foretold else doc)}
    overlap = [(len(keys & {_key(t) for t in s}), s) for d in source_docs for s in d.sents]
    best = max(n for n, _ in overlap) if overlap else 0
    if best * 2 < len(keys):
        return []
    holders = []  # one a backing sentence; the first is named in the retry prompt
    for sentence in (s for n, s in overlap if n == best):
        reported = _reported(sentence)
        if reported is None:
            return []
        holder = _holder_words(reported[0], names)
        in_claim = keys & {_key(t) for t in sentence if t.i in reported[1]}
        # the holder's own words in the line are not the claim ("the minister, Eva Lid")
        about = best - len(keys & {_key(t) for t in reported[0]})
        if not holder or len(in_claim) * 2 < about or {_key(t)[:STEM] for t in holder} & said:
            return []
        holders.append(" ".join(t.text for t in holder))
    return [
        f"It states as fact what the text only reports {holders[0]} as saying; say who says it."
    ]


_BECAUSE = frozenset({"because", "due", "owing", "thanks"})  # "because of", "due to"


def _for_an_end(head: Any) -> bool:
    """A "for" on this head gives an end: "necessary for X", or "is necessary for X" where
    the parse hangs the "for" on the verb."""
    return any(
        _key(t) in obligation_words()["must"]
        for t in (head, *(c for c in head.children if c.dep_ == "acomp"))
    )


def _reasons(doc: Any) -> list[list[Any]]:
    """The clauses that give a reason or an end: "because ...", "so that ...", "due to
    ...", "in order to ...", "necessary for ...", and an infinitive of purpose ("cut
    rates to help exporters")."""
    out = []
    for token in doc:
        children = list(token.children)
        if (
            (token.dep_ == "prep" and token.lower_ in _BECAUSE)
            or any(c.dep_ == "mark" and c.lower_ in ("because", "so") for c in children)
            or (token.dep_ == "prep" and token.lower_ == "for" and _for_an_end(token.head))
            or (
                token.pos_ == "VERB"
                and any(c.dep_ == "aux" and c.lower_ == "to" for c in children)
                and (
                    token.dep_ == "advcl" or (token.dep_ == "acl" and token.head.lower_ == "order")
                )
            )
        ):
            out.append(list(token.subtree))
    return out


def _reason_problems(
    doc: Any, source_docs: Sequence[Any], source: _Source, names: frozenset[str]
) -> list[str]:
    """A reason or end the sources do not give: "believes the bases are necessary for the
    country's security" where the speaker only said the bases must be kept. A reason is a
    claim of its own, so every word of it must be in the sources, even a word that says
    little elsewhere ("security"); a cause ("because", "due to") needs the sources to
    give one, or to link events ("led to"), however well its words are covered: "is
    losing support due to her ties to the coalition" joins two things the text only sets
    side by side. The sources that give a reason of their own are judged by coverage, as
    a paraphrase of it."""
    if any(_reasons(d) for d in source_docs):
        return []
    linked = any(_key(t) in causal_words() for d in source_docs for t in d)
    for clause in _reasons(doc):
        cause = next((t for t in clause if t.lower_ in _BECAUSE | {"because"}), None)
        if cause is not None and not linked:
            return [
                f"It gives a cause (“{cause.text} …”) where the text gives none; say what "
                "happened without a cause of your own."
            ]
        missing = [
            t
            for t in clause
            if t.pos_ in CONTENT_POS
            and not t.is_stop
            and _key(t) not in names
            and any(c.isalnum() for c in t.text)
            and not _covered(_key(t), source)
        ]
        if any(t.pos_ in ("NOUN", "PROPN", "NUM") for t in missing) or len(missing) > 1:
            listed = ", ".join(dict.fromkeys(f"“{t.text}”" for t in missing[:4]))
            return [
                f"It gives a reason the text does not give ({listed}); say only why the text says."
            ]
    return []


# "need", "have" and "get" oblige only with a "to" after them: "needs to be prepared",
# "has to be found", "'s got to do it"; "gets what it needs" does not
_TO_OBLIGES = frozenset({"need", "have", "get"})


def _obliges(token: Any) -> bool:
    """The token makes its clause say what ought to be: "should focus", "is necessary",
    "has to be found"."""
    key = _key(token)
    if key in _TO_OBLIGES:
        return any(
            c.dep_ == "xcomp" and any(a.lower_ == "to" for a in c.children) for c in token.children
        )
    return key in obligation_words()["must"]


def _asks(token: Any) -> bool:
    """The source token says what its speaker wants done: a "must" word, a word of
    asking ("demanded", "wanted"), or a refusal until something happens ("we are not
    going back until the contract is signed")."""
    if _obliges(token) or _key(token) in obligation_words()["asks"]:
        return True
    return (
        token.dep_ == "advcl"
        and any(c.lower_ == "until" for c in token.children)
        and _has_negator(token.head)
    )


def _modality_problems(doc: Any, source_docs: Sequence[Any]) -> list[str]:
    """A sentence that says what ought to be ("believes the bank should focus on A")
    where its sources only say what is or will be ("A and B are the bank's new
    priorities"): the model has turned a description into a demand, or a jibe ("X might
    as well be named Y") into a proposal while the speaker asked something else. Words
    inside quotation marks are the speaker's own and checked verbatim elsewhere."""
    marks = quote_spans(doc.text)
    said = [t for t in doc if _obliges(t) and not any(s <= t.idx < e for s, e in marks)]
    if not said:
        return []
    # what ought to be so: the nouns of the clause the word of obligation is in ("the
    # slogan should be", "strikes are necessary to defend the bloc"), less quoted words
    clause = said[0].head if said[0].dep_ in ("aux", "auxpass", "acomp") else said[0]
    things = {
        _key(t)
        for t in clause.subtree
        if t.pos_ in ("NOUN", "PROPN")
        and not t.is_stop
        and not any(s <= t.idx < e for s, e in marks)
    }
    asking = [s for d in source_docs for s in d.sents if any(_asks(t) for t in s)]
    if not asking or (things and not any(things & {_key(t) for t in s} for s in asking)):
        return [
            f"It says what ought to be (“{said[0].text}”) where the text only says what is "
            "or will be; say it as the text does."
        ]
    return []


def _cause(verb: Any) -> Any | None:
    """Who a causing verb says brought it about: its subject, or for "..., which led to"
    the subject of the clause the "which" hangs on ("Reyes ended her bid, which led")."""
    subjects = [c for c in verb.children if c.dep_ == "nsubj"]
    if subjects and subjects[0].lower_ in ("which", "that") and verb.dep_ == "relcl":
        clause = verb.head
        while clause.dep_ not in _CLAUSES and clause.head is not clause:
            clause = clause.head
        subjects = [c for c in clause.children if c.dep_ == "nsubj"]
    return subjects[0] if subjects else None


_CLAUSES = frozenset({"ROOT", "ccomp", "xcomp", "advcl", "relcl", "conj"})


def _cause_problems(doc: Any, source_docs: Sequence[Any]) -> list[str]:
    """A named actor said to bring something about ("led to", "prompted") whom no source
    sentence that speaks of a cause names: the model has joined two reported events with a
    cause of its own ("Reyes quit, which led to Olsen's win" where Olsen's win led Dahl
    to quit)."""
    for verb in doc:
        if verb.pos_ != "VERB" or _key(verb) not in causal_words():
            continue
        cause = _cause(verb)
        if cause is None:
            continue
        names = {_key(t) for t in cause.subtree if t.pos_ == "PROPN"}
        linking = [d for d in source_docs if any(_key(t) in causal_words() for t in d)]
        if names and not any(names & {_key(t) for t in d} for d in linking):
            return [
                f"It says {cause.text} {verb.text} to something where the text gives no such "
                "cause; say what happened as the text links it."
            ]
    return []


def _actor_problems(doc: Any, source_docs: Sequence[Any]) -> list[str]:
    """An event sentence whose named actor does what the sources have someone else do:
    "Velderman voted to extend the strike" where the dock workers voted and Velderman
    spoke after the vote. Only a verb the sources use counts (another verb is the model's
    paraphrase, judged by coverage)."""
    for verb in (t for t in doc if t.dep_ == "ROOT" and t.pos_ == "VERB"):
        key = _key(verb)
        actors = [c for c in verb.children if c.dep_ == "nsubj" and c.pos_ == "PROPN"]
        if key in generic_words() or not actors:
            continue
        name = _key(actors[0])
        doing = [
            s
            for d in source_docs
            for s in d.sents
            if any(_key(t) == key and t.pos_ == "VERB" for t in s)
        ]
        if doing and not any(
            any(_key(t) in seats().get(name, (name,)) or _key(t)[:STEM] == name[:STEM] for t in s)
            for s in doing
        ):
            return [
                f"It has {actors[0].text} {verb.text} where the text has someone else do it; "
                "say who did what as the text does."
            ]
    return []


# Pronouns that stand for more than one, or for a thing: never for one named person ("we"
# may take in the one named beside the speaker, so it rules out no one).
_PLURAL = frozenset({"they", "them"})
_THING = frozenset({"it"})
_FIRST = frozenset({"i", "me"})
_RELATIVE = frozenset({"who", "that", "which"})
# Named things "he" or "she" never stands for: a town, a country, a region, a building
_PLACES = frozenset({"GPE", "LOC", "FAC"})


def deed_groups() -> Mapping[str, frozenset[str]]:
    """Each verb of `data/deed_verbs.txt` → the verbs that name the same deed."""
    return word_groups("deed_verbs.txt")


def _subjects(head: Any) -> list[Any]:
    """The subject and any subjects joined to it by "and"."""
    return [head, *(c for c in head.children if c.dep_ == "conj" and c.pos_ in ("PROPN", "NOUN"))]


def _doers(verb: Any) -> list[Any]:
    """Who does what `verb` says: its subject ("Berg and Holm called", both), the agent
    of a passive ("was used by the group"), the subject of the clause a subjectless verb
    hangs from ("using Islam to recruit": whoever uses; "in order to recruit" too), or its
    object where that one does it ("accused Moscow of stalling", "asked Kyiv to add"), a
    relative clause's noun ("the group that recruits"). Empty when the parse does not say
    (a passive with no agent)."""
    token = verb
    for _ in range(6):  # a chain of subjectless clauses; the parse never nests deeper here
        children = list(token.children)
        subjects = [c for c in children if c.dep_ == "nsubj"]
        if subjects:  # the parse may give two ("KYIV, May 4 - Olsen accused")
            if subjects[0].lower_ in _RELATIVE and token.dep_ == "relcl":
                return _subjects(token.head)
            return [t for s in subjects for t in _subjects(s)]
        if any(c.dep_ == "nsubjpass" for c in children):
            agents = [g for a in children if a.dep_ == "agent" for g in a.children]
            return _subjects(agents[0]) if agents else []
        head = token.head
        if token.dep_ == "acl" and head.lower_ == "order":  # "in order to recruit"
            token = head.head.head
            continue
        controlled = token.dep_ == "xcomp" or (
            token.dep_ == "pcomp" and head.lower_ in _OBJECT_PREPS
        )
        if token.dep_ not in ("xcomp", "advcl", "conj", "pcomp") or head is token:
            return []
        token = head if token.dep_ != "pcomp" else head.head
        objects = [c for c in token.children if c.dep_ == "dobj"]
        if controlled and objects:
            return _subjects(objects[0])
    return []


# "accused Moscow of stalling", "talked them into", "kept them from": the object does it
_OBJECT_PREPS = frozenset({"of", "into", "from"})


def _name_keys(token: Any, known: frozenset[str]) -> frozenset[str]:
    """The name words of a named doer, with its compounds and its apposition ("the
    Northern Front, or NF"), each with the names that stand for it
    (`data/seats.txt`); empty for a doer that is no name ("the region", "she"). A
    capitalised word the tagger took for a common noun is a name where it is one elsewhere
    in the line or its sources (`known`): "Berg called" at a sentence's start."""

    def named(t: Any) -> bool:
        return t.pos_ == "PROPN" or (t.text[:1].isupper() and t.lower_ in known)

    if not named(token):
        return frozenset()
    words = [token, *(c for c in token.children if c.dep_ in ("compound", "flat", "appos"))]
    words += [c for w in words[1:] if w.dep_ == "appos" for c in w.children if c.dep_ == "compound"]
    keys = {t.lower_.strip("’'.") for t in words if named(t)}
    return frozenset(k for key in keys for k in seats().get(key, (key,)))


def _same_name(ours: frozenset[str], theirs: frozenset[str]) -> bool:
    return any(a == b or (len(a) > STEM and a[:STEM] == b[:STEM]) for a in ours for b in theirs)


def _someone_other(
    doer: Any, other: Any, speaker: frozenset[str], known: frozenset[str], places: frozenset[str]
) -> bool:
    """The source's doer `other` is surely not the line's named doer: another name, or a
    pronoun that cannot stand for it ("they" for one person, "it" for a person, "she"
    for a town: "Cheyenne should run" where the speaker from Cheyenne said she should), or "I"
    in a stance line's sources (the speaker's own words) for someone not the speaker."""
    ours = _name_keys(doer, known)
    if other.lower_ in _FIRST and speaker:
        return not _same_name(ours, speaker)
    person = doer.ent_type_ == "PERSON"
    if other.lower_ in _PLURAL:
        return person and not any(c.dep_ == "conj" for c in doer.head.children)
    if other.lower_ in _THING:
        return person
    if other.lower_ in _GENDER:
        return bool(_name_keys(doer, known) & places)
    theirs = _name_keys(other, known)
    return bool(theirs) and not _same_name(ours, theirs)


def _done_by_another(
    doer: Any, use: Any, speaker: frozenset[str], known: frozenset[str], places: frozenset[str]
) -> bool:
    """The source's `use` of the verb surely has someone other than `doer` do it: each of
    its doers is someone else, or, where it names none, `doer` is the one it is done to
    ("Lund will be used to win recruits" for "Lund is using ...")."""
    ours = _name_keys(doer, known)
    done_to = [c for c in use.children if c.dep_ in ("nsubjpass", "dobj")]
    if any(_same_name(ours, _name_keys(t, known)) for t in done_to):
        return True
    doers = _doers(use)
    if not doers:
        return False
    # named anywhere in the subject ("Olsen's deputy"), the doer may be the one meant
    if any(_same_name(ours, _name_keys(t, known)) for d in doers for t in d.subtree):
        return False
    return all(_someone_other(doer, t, speaker, known, places) for t in doers)


def _doer_problems(doc: Any, source_docs: Sequence[Any], names: frozenset[str]) -> list[str]:
    """A named doer given a deed the sources have someone else do: for each verb of the
    line (saying and calling too: who called whom what), each of its named doers must be, in
    some source use of that verb or of one naming the same deed (`data/deed_verbs.txt`),
    the doer there, or one the parse cannot rule out. "Lund uses videos to win recruits"
    where a group shows videos of him to win them; "Berg and Holm forgave him" where only
    Berg did. The same holds for whom it is done to: "Berg and Holm were charged" where
    only Holm was. A stance line's speaker doing something is left to their own words."""
    known = frozenset(
        t.lower_.strip("’'.") for d in (doc, *source_docs) for t in d if t.pos_ == "PROPN"
    )
    # what the sources name as a place, and never as a person, is one in the line too,
    # where the tagger, reading it alone as a subject, may take it for a person
    tagged: dict[str, set[str]] = {}
    for t in (t for d in source_docs for t in d if t.ent_type_):
        tagged.setdefault(t.lower_.strip("’'."), set()).add(t.ent_type_)
    places = frozenset(
        k for k, kinds in tagged.items() if kinds & _PLACES and "PERSON" not in kinds
    )
    for verb in doc:
        key = _key(verb)
        if verb.pos_ != "VERB":
            continue
        deeds = deed_groups().get(key, frozenset({key}))
        uses = [
            t
            for d in source_docs
            for t in d
            if t.pos_ == "VERB" and t.dep_ not in ("amod", "compound") and _key(t) in deeds
        ]
        if not uses:
            continue
        for doer in _doers(verb):
            ours = _name_keys(doer, known)
            if not ours or (names and ours & names):
                continue
            if all(_done_by_another(doer, u, names, known, places) for u in uses):
                return [
                    f"It has {doer.text} {verb.text} where the text has someone else do it; "
                    "say who did what as the text does."
                ]
        for target in _done_to(verb):
            ours = _name_keys(target, known)
            if ours and all(_done_to_another(ours, u, known) for u in uses):
                return [
                    f"It has “{verb.lemma_}” done to {target.text} where the text has it done "
                    "to someone else; say who it was done to as the text does."
                ]
    return []


def _done_to(verb: Any) -> list[Any]:
    """Who `verb` is done to, with anyone joined to them by "and": a passive's subject
    ("Berg and Holm were charged"), an active verb's object ("charged Berg and Holm")."""
    return [t for c in verb.children if c.dep_ in ("nsubjpass", "dobj") for t in _subjects(c)]


def _done_to_another(ours: frozenset[str], use: Any, known: frozenset[str]) -> bool:
    """The source's `use` of the verb surely does it to others: each one it is done to is
    another name. A pronoun ("charged him") or a use that says no one rules out no one."""
    theirs = [_name_keys(t, known) for t in _done_to(use)]
    return bool(theirs) and all(k and not _same_name(ours, k) for k in theirs)


def _the_speaker(doer: Any, names: frozenset[str], known: frozenset[str]) -> bool | None:
    """Whether a source's doer is the stance line's speaker: their name or role, or "I"
    or "we" inside their quotation. False for anyone else: another name or noun, a third
    person inside their quotation; None where the doer could be either ("you", or a "he"
    or "it" in the reporting clause, which may tell of the speaker)."""
    quoted = any(s <= doer.idx < e for s, e in quote_spans(doer.doc.text))
    if _name_keys(doer, known) & names or _key(doer) in names:
        return True
    if doer.lower_ in _FIRST_PERSON:
        return quoted
    if doer.lower_ in _GENDER.keys() | _PLURAL | _THING:
        # inside the quotation a third person is someone else; outside, the reporting
        # clause may tell of the speaker ("it regrets" of a commission)
        return None if not quoted else False
    if doer.pos_ in ("NOUN", "PROPN"):
        return False
    return None


def _own_deed_problems(doc: Any, source_docs: Sequence[Any], names: frozenset[str]) -> list[str]:
    """A stance line that has its speaker do a deed ("Vik will resign", "the agency has
    become a shell") where the speaker's sentences have someone else do it: "he will
    resign" inside Vik's quotation is about another man, "officials said the
    organization has become" about the organization. A verb of saying, thinking or
    favouring is the speaker's view, checked as such; a deed needs the speaker as its
    doer in some use of the verb (or one naming the same deed) that says who does it."""
    known = frozenset(
        t.lower_.strip("’'.") for d in (doc, *source_docs) for t in d if t.pos_ == "PROPN"
    )
    words = polarity_words()
    views = generic_words() | _speech_verbs() | words["favour"] | words["against"]
    for verb in doc:
        key = _key(verb)
        if (
            verb.pos_ != "VERB"
            or any(_key(t) in views for t in (verb, *verb.ancestors))  # "supports reopening"
            or not any(_name_keys(d, known) & names for d in _doers(verb))
        ):
            continue
        deeds = deed_groups().get(key, frozenset({key}))
        uses = [t for d in source_docs for t in d if t.pos_ == "VERB" and _key(t) in deeds]
        found = [[_the_speaker(d, names, known) for d in _doers(u)] for u in uses]
        if found and all(told and not any(s is not False for s in told) for told in found):
            return [
                f"It has the speaker {verb.text} where their words have someone else do it; "
                "say who does what as they say it."
            ]
    return []


# How much a missing word weighs: a wrong figure or actor is the claim itself; a verb
# is most often the model's paraphrase of the source's ("start" for "from May"). A verdict
# the sources do not pass (`data/judgement_words.txt`) weighs as much as a figure.
WEIGHTS = {"NUM": 2.0, "PROPN": 1.5, "NOUN": 1.0, "ADJ": 0.5, "VERB": 0.5, "ADV": 0.5}
JUDGEMENT_WEIGHT = 2.0


def _weight(token: Any) -> float:
    """What a missing word weighs. A noun a number counts ("a $30 million increase", "12
    soldiers") says what the figure is, so it weighs as much as the figure: the same
    number made a rise where the text has it a total is a wrong figure."""
    if _key(token) in judgement_words():
        return JUDGEMENT_WEIGHT
    if token.pos_ == "NOUN" and any(c.dep_ == "nummod" for c in token.children):
        return WEIGHTS["NUM"]
    return WEIGHTS[token.pos_]


def _too_many(missing: Sequence[Any], content: Sequence[Any]) -> bool:
    """The content words missing from the sources weigh at least MIN_UNCOVERED and more
    than MAX_UNCOVERED_SHARE of the sentence's content."""
    weight = sum(map(_weight, missing))
    total = sum(map(_weight, content))
    return weight >= MIN_UNCOVERED and weight > MAX_UNCOVERED_SHARE * total


def _leaning_problems(doc: Any, source_docs: Sequence[Any], names: frozenset[str]) -> list[str]:
    """The sentence has someone favour a thing ("supports the plan") that the source speaks
    of only in a sentence leaning against it ("the so-called peace plan is an ultimatum"),
    or followed by one that turns it down ("... We will not let that happen.")."""
    words = polarity_words()
    for token in doc:
        if _key(token) not in words["favour"] or token.pos_ != "VERB" or _negated(token):
            continue
        things = _favoured(token, names)
        if not things:
            continue
        sents = [s for d in source_docs for s in d.sents]
        about = [i for i, s in enumerate(sents) if any(_key(t) in things for t in s)]
        if about and all(
            _leans_against(sents[i], things) or (i + 1 < len(sents) and _refuses(sents[i + 1]))
            for i in about
        ):
            return [
                f"It says the speaker favours what the text has them speak against "
                f"(“{token.text} … {' '.join(sorted(things))}”); say which way they lean as "
                "the text does."
            ]
    return []


def _backed(token: Any, names: frozenset[str]) -> str | None:
    """The person a favouring verb has the speaker back, named ("supports Clinton") or as
    the owner of what is backed ("supports Clinton's campaign"); never the speaker."""
    for obj in (c for c in token.children if c.dep_ in ("dobj", "pobj", "prep")):
        heads = [obj, *(c for c in obj.children if c.dep_ == "pobj")]
        for head in heads:
            for t in (head, *(c for c in head.children if c.dep_ == "poss")):
                if t.ent_type_ == "PERSON" and _key(t) not in names:
                    return t.text
    return None


def _favoured(token: Any, names: frozenset[str]) -> set[str]:
    """The keys of what a favouring verb has the speaker favour, with whose it is and what
    it does ("supports the agency's plan to cut pensions": agency, plan, cut, pension)."""
    objects = [c for c in token.children if c.dep_ in ("dobj", "pobj", "xcomp", "prep")]
    return {
        _key(t)
        for o in objects
        for t in o.subtree
        if t.pos_ in ("NOUN", "PROPN", "VERB")
        and not t.is_stop
        and _key(t) not in generic_words()
        and _key(t) not in names
    }


def _leans_for(word: Any, things: set[str], person: str | None) -> bool:
    """`word` in a source sentence leans for the favoured thing: a word of favour or
    backing (`data/polarity_words.txt`), not negated ("we don't want to run against her"
    leans nowhere), and, where the line backs someone named, not one whose object is
    someone else ("praising Clinton" backs no Trump)."""
    words = polarity_words()
    if (_key(word) not in words["favour"] | words["backs"]) or _negated(word):
        return False
    if person is None:
        return True
    named = {_key(t) for t in word.subtree if t.pos_ == "PROPN" and t is not word}
    return not named or bool(named & things)


def _commits_to(word: Any, things: set[str]) -> bool:
    """`word` is the speaker's own undertaking of the favoured thing: its verb, not
    negated, under a first-person subject ("We will patrol together" backs the patrols;
    "I will sign the bill", the bill's signing). Whoever says they will do it favours it,
    though no word of backing is said."""
    return (
        _key(word) in things
        and word.pos_ == "VERB"
        and not _negated(word)
        and any(c.dep_ == "nsubj" and c.lower_ in ("i", "we") for c in word.children)
    )


def _backing_problems(doc: Any, source_docs: Sequence[Any], names: frozenset[str]) -> list[str]:
    """A speaker said to favour something ("supports the plan", "backs Clinton") needs
    their own sentences about it to lean for it: a word of favour or backing there, not
    only words that warn of it, blame it or tell of it ("looks like warming up for a
    direct conflict" is no support for a conflict; "pummeled Trump ... while praising
    Clinton" is none for Trump). Backing someone named is a claim of its own (`_says`), so
    with no sentence about them the sources must still back someone. A favoured thing
    the sources never mention is left to coverage."""
    words = polarity_words()["favour"]
    sents = [s for d in source_docs for s in d.sents]
    for token in doc:
        if _key(token) not in words or token.pos_ != "VERB" or _negated(token):
            continue
        who = _backed(token, names)
        things = _favoured(token, names)
        about = [s for s in sents if any(_key(t) in things for t in s)]
        if not about and who is None:
            continue
        if not any(
            _leans_for(t, things, who) or (who is None and _commits_to(t, things))
            for s in about or sents
            for t in s
        ):
            return [
                f"It says the speaker backs {who or ' '.join(sorted(things))} where the text "
                "has no word of backing for it; say which way they lean as the text does."
            ]
    return []


def _refuses(sentence: Any) -> bool:
    """The sentence turns down what the one before it says: "We will not let that
    happen.", "This is not acceptable.": a "that"/"this" under a negated verb."""
    return any(
        t.lower_ in ("that", "this")
        and t.dep_ in ("nsubj", "nsubjpass", "dobj")
        and any(_has_negator(a) for a in t.ancestors)
        for t in sentence
    )


def _leans_against(sentence: Any, things: set[str]) -> bool:
    """The sentence speaks against one of `things`: a word against it and none for it, or
    a negated verb over it ("We will not sign a cap")."""
    words = polarity_words()
    if any(_key(t) in things and t.head is not t and _has_negator(t.head) for t in sentence):
        return True
    return any(t.lower_ in words["against"] or _key(t) in words["against"] for t in sentence) and (
        not any(_key(t) in words["favour"] for t in sentence)
    )


def _polarity_problems(content: Sequence[Any], source: _Source) -> list[str]:
    """A word negated the other way from the sources, stated where they leave it open, or
    put where they use its opposite. An opposite the line itself also uses is the other
    half of its own contrast ("criticized Trump while praising Clinton"), not a turn."""
    used = {_key(t) for t in content}
    for token in content:
        if token.pos_ not in ("VERB", "ADJ", "NOUN"):
            continue
        key, negated = _key(token), _negated(token)
        uses = source.polarity.get(key) or source.polarity.get(
            key[:STEM] if len(key) > STEM else ""
        )
        if uses and negated not in uses:
            said = f"not {token.text}" if negated else token.text
            meant = token.text if negated else f"not {token.text}"
            return [f"It turns the text around: it says “{said}” where the text says “{meant}”."]
        if token.pos_ == "VERB" and not _open(token) and source.open.get(key) == frozenset({True}):
            return [
                f"It states “{token.text}” as settled where the text leaves it open "
                "(hoped, asked if, or yet to decide whether); say it as the text does."
            ]
        if key in source.keys:
            continue
        for opposite in sorted(antonyms().get(key, frozenset()) - used):
            if negated in source.polarity.get(opposite, frozenset()):
                return [
                    f"It turns the text around: it says “{token.text}” where the text says "
                    f"“{opposite}”."
                ]
    return []


_PRONOUN = re.compile(r"^\W*(?:he|she|they|his|her|their)\b", re.IGNORECASE)


def _naming(sources: Sequence[str], who: str) -> list[str]:
    """The source sentences that name `who`, each with the ones after it that go on about
    them by pronoun ("She added that the boats would carry no weapons.")."""
    out, going_on = [], False
    for sentence in sources:
        going_on = who.casefold() in sentence.casefold() or (
            going_on and bool(_PRONOUN.match(sentence))
        )
        if going_on:
            out.append(sentence)
    return out


def _same_source(doc: Any, source: str) -> bool:
    """The sentence credits its claim "according to" something the source sentence credits
    it to as well ("..., according to a poll released on Thursday")."""
    credited = {
        _key(t)
        for a in doc
        if a.lower_ == "according"
        for t in a.subtree
        if t.pos_ in ("NOUN", "PROPN")
    }
    return (
        bool(credited)
        and "according to" in source.casefold()
        and (bool(credited & {_key(t) for t in _parse(source)}))
    )


def _holder_problems(
    doc: Any, holder: tuple[str, Any], sources: Sequence[str], names: frozenset[str]
) -> list[str]:
    who, verb = holder
    # what the verb says the holder holds: its clause ("believes [the war will end]"), not
    # an object ("insisted on a cap for Russian gas prices", whose details may come from
    # another sentence); a relative or adverbial clause inside it says more about a thing
    # ("a cap, which the ministers rejected") and may be someone else's
    aside = {t.i for t in doc if t.dep_ in ("relcl", "advcl") for t in t.subtree}
    clause = [c for c in verb.children if c.dep_ in ("ccomp", "xcomp")]
    held_words = {t.i for c in clause for t in c.subtree}
    claim = [t for t in _content(doc, names) if t.i in held_words - aside]
    if who == "author":
        # "..., according to a new survey": the line itself says whose the claim is
        own = [s for s in sources if _author_voice(s) or _same_source(doc, s)]
        fault = (
            "It gives the author a claim the author does not make; say who holds each "
            "view, and write 'the author argues' only for the author's own claims."
        )
    elif who.casefold() in names:
        if clause:
            return _own_words_problems(claim, sources, names)
        # "believes in a strong union": what the view is in, whose words may be the
        # author's telling of it ("his call to avoid elections"), so only where the
        # speaker gives them to someone else
        held_words = {t.i for c in verb.children if c.dep_ == "prep" for t in c.subtree}
        claim = [t for t in _content(doc, names) if t.i in held_words - aside]
        return _own_words_problems(claim, sources, names, weighed=False)
    else:
        own = _naming(sources, who)
        fault = f"It gives {who} a view the text does not give {who}; say who holds each view."
    held = _source(_parse(s) for s in own)
    missing = [t for t in claim if not _covered(_key(t), held)]
    if claim and _too_many(missing, claim):
        return [fault]
    return []


_OTHERS = frozenset({"he", "she", "they", "him", "her", "them"})


def _speaking(token: Any) -> bool:
    """A verb that has its subject say or think something: with what is said ("said he
    would", "accused the side of theatre"), set inside what it says (`_inserted`), or
    with a quotation beside it; not in the passive ("is accused of killing"), nor when it
    only tells of a deed ("responded with ads")."""
    return (
        token.pos_ in ("VERB", "AUX")
        and (token.lemma_.casefold() in _speech_verbs() or token.lower_ in _speech_verbs())
        and not any(c.dep_ in ("nsubjpass", "auxpass") for c in token.children)
        and (
            any(c.dep_ in ("ccomp", "xcomp", "dobj", "oprd") for c in token.children)
            or _inserted(token)
            or bool(quote_spans(token.doc.text))
        )
    )


def _inserted(verb: Any) -> bool:
    """A verb of saying set inside what it reports, which the parse hangs it from: "The
    port, Berg said, will close", "If she wins, Roe wrote on her page, the fees will
    fall"."""
    return (
        verb.dep_ in ("parataxis", "ccomp")
        and verb.head.pos_ in ("VERB", "AUX")
        and not any(c.dep_ in ("ccomp", "xcomp", "dobj") for c in verb.children)
    )


def _said(verb: Any) -> set[int]:
    """The token indices of what a verb of saying has its subject say: what is under it,
    or, for one set inside what it reports (`_inserted`), the clause it hangs from."""
    if _inserted(verb):
        return {t.i for t in verb.head.subtree} - {t.i for t in verb.subtree}
    return _held(verb)


def _someone_else(
    subject: Any, names: frozenset[str], *, quoted: bool, gender: str | None = None
) -> bool:
    """The subject of a verb of saying is someone other than the speaker: a person named
    but not theirs, or, inside the speaker's own quotation, a third person ("She said that
    ..."), or, outside it, a pronoun the text never uses for the speaker (`gender`: "she
    said" where the sources write "his" after the speaker's name). A country or body the
    speaker speaks for is not ("Tamm said Estonia welcomes any help")."""
    if subject.pos_ == "PROPN":
        return subject.ent_type_ == "PERSON" and not ({_key(t) for t in subject.subtree} & names)
    if quoted:
        return subject.lower_ in _OTHERS
    return gender is not None and _GENDER.get(subject.lower_, gender) != gender


_FIRST_PERSON = frozenset({"i", "me", "my", "we", "us", "our"})
_GENDER = {
    **dict.fromkeys(("he", "him", "his", "himself"), "he"),
    **dict.fromkeys(("she", "her", "hers", "herself"), "she"),
}


def _speaker_gender(sources: Sequence[str], names: frozenset[str]) -> str | None:
    """ "he" or "she" where every pronoun the sources set after the speaker's name, with no
    other person named between, is of that one kind ("... let Roe buy fuel before his
    permit was checked"); None where they use none or both."""
    found = set()
    for text in sources:
        marks = quote_spans(text)
        doc = _parse(text)
        for token in doc:
            kind = _GENDER.get(token.lower_)
            if kind is None or any(s <= token.idx < e for s, e in marks):
                continue
            before = [
                t
                for t in token.sent
                if t.i < token.i and (t.ent_type_ == "PERSON" or _key(t) in names)
            ]
            if before and _key(before[-1]) in names:
                found.add(kind)
    return found.pop() if len(found) == 1 else None


def _told(sent: Any, quoted: set[int], verbs: list[Any], names: frozenset[str]) -> bool:
    """The sentence is the author's telling about the speaker: it names them outside any
    quotation and has a verb, but none of saying or thinking and no first person
    ("Clinton has responded, with ads set to run in three markets")."""
    return (
        not verbs
        and not any(t.lower_ in _FIRST_PERSON for t in sent)
        and any(t.dep_ == "ROOT" and t.pos_ in ("VERB", "AUX") for t in sent)
        and any(_key(t) in names for t in sent if t.i not in quoted)
    )


def _own_words(sources: Sequence[str], names: frozenset[str]) -> tuple[set[str], set[str]]:
    """(the keys of the speaker's own words in their source sentences, the keys of what
    they give someone else to say or hold). Their own words are what they are
    quoted as saying, what a verb of saying or thinking has them say ("Vik said he hoped
    ..."), with the description that verb gives them ("Russia's chief negotiator"), and
    any other sentence but the author's telling about them (`_told`), of which only a
    quotation is theirs; less what they report someone else as saying ("She said that
    ..."), or to hold or want ("she has always valued ...", "he is willing to ..."). A
    sentence with no verb to read (a headline's "<name>: <claim>", a name run into its
    verb) is not telling."""
    keys: set[str] = set()
    given: set[str] = set()
    gender = _speaker_gender(sources, names)
    for text in sources:
        marks = quote_spans(text)
        theirs = False  # the sentence before is someone else's quotation
        for a, b in sentence_spans(text):
            piece = text[a:b]
            if not piece.strip():
                continue
            sent = _parse(piece)
            whole = sum(piece.count(c) for c in '“”"') % 2 == 1  # one paragraph of a quotation
            quoted = {t.i for t in sent if whole or any(s <= a + t.idx < e for s, e in marks)}
            if theirs and all(t.i in quoted or t.is_punct or t.is_space for t in sent):
                continue  # their quotation goes on: "“...,” she said. “I refuse ...”"
            verbs = [t for t in sent if _speaking(t)]
            theirs = False
            if _told(sent, quoted, verbs, names):
                keys |= {k for t in sent if t.i in quoted for k in (_key(t), t.lower_)}
                continue
            others: set[int] = set()
            for verb in verbs:
                subjects = [c for c in verb.children if c.dep_ == "nsubj"]
                if subjects and _someone_else(
                    subjects[0], names, quoted=verb.i in quoted, gender=gender
                ):
                    theirs = theirs or verb.i not in quoted
                    others |= _said(verb)
            for word, subject in _willing(sent):
                # a name the line may give the view to itself ("Reuters reported that
                # Putin wants ..."); a pronoun it cannot
                if subject.pos_ == "PRON" and _someone_else(
                    subject, names, quoted=word.i in quoted, gender=gender
                ):
                    others |= _held(word)
            keys |= {k for t in sent if t.i not in others for k in (_key(t), t.lower_)}
            given |= {k for t in sent if t.i in others for k in (_key(t), t.lower_)}
    return keys, given


def _keyed(keys: set[str]) -> _Source:
    """Keys as a source that coverage can read, with their stems."""
    return _Source(frozenset(keys), frozenset(k[:STEM] for k in keys if len(k) > STEM), {}, {})


def _held(word: Any) -> set[int]:
    """The token indices of what a word of saying, thinking or willing has its subject
    say or hold: everything under it but the subject."""
    return {t.i for c in word.children if c.dep_ not in ("nsubj", "punct") for t in c.subtree}


def _willing(sent: Any) -> list[tuple[Any, Any]]:
    """(word, its subject) for each word of the sentence that gives its subject a view or
    a will over what follows (`data/will_words.txt`, or a favouring verb): "she has always
    valued a strong union", "he is willing to make changes" (the adjective's subject is
    its verb's)."""
    words = word_set("will_words.txt") | polarity_words()["favour"]
    out = []
    for token in sent:
        if _key(token) not in words or token.pos_ not in ("VERB", "ADJ"):
            continue
        bearer = token.head if token.dep_ == "acomp" else token
        subjects = [c for c in bearer.children if c.dep_ == "nsubj"]
        if subjects:
            out.append((token, subjects[0]))
    return out


def _own_words_problems(
    claim: Sequence[Any], sources: Sequence[str], names: frozenset[str], *, weighed: bool = True
) -> list[str]:
    """A view given to the speaker ("Butz believes his work can expand his resume") that
    is not in their own words: the author's telling about them, or someone else's words
    they report ("She said that we can't ignore the ferry's debts")."""
    keys, given = _own_words(sources, names)
    own, others = _keyed(keys), _keyed(given)
    missing = [t for t in claim if not _covered(_key(t), own)]
    # however little it weighs, a claim none of whose words are the speaker's own, and all
    # of them what they give someone else to say or hold, is that one's view: "he is
    # willing to make changes", said of another, made "supports making changes"
    elsewhere = len(missing) == len(claim) and all(_covered(_key(t), others) for t in claim)
    if claim and ((weighed and _too_many(missing, claim)) or elsewhere):
        return ["It gives the speaker a view that is not in their own words; say what they said."]
    return []


# A sentence the check passes with content words of this much weight missing from its
# sources (a noun, a name, a figure, or two lesser words: under the share that fails it)
# is one it cannot vouch for (`unsure`). Read off batches 1-2 of tests/faithful/labelled.json.
UNSURE_MISSING = 1.0


@dataclass(frozen=True)
class Doubt:
    """Why the check cannot vouch for a sentence it passes: the weight of its content words
    missing from the sources, and whether it has someone favour a thing."""

    missing: float
    favours: bool

    @property
    def unsure(self) -> bool:
        return self.favours or self.missing >= UNSURE_MISSING


def doubt(sentence: str, sources: Sequence[str], *, names: Iterable[str] = ()) -> Doubt:
    """What `unsure` reads, kept apart so a policy can be graded on it (bench/faithful.py
    --policies)."""
    doc = _parse(sentence)
    source = _source(_parse(s) for s in sources if s.strip())
    missing = [t for t in _content(doc, _name_words(names)) if not _covered(_key(t), source)]
    favours = any(
        _key(t) in polarity_words()["favour"] and t.pos_ == "VERB" and not _negated(t) for t in doc
    )
    return Doubt(sum(map(_weight, missing)), favours)


def unsure(sentence: str, sources: Sequence[str], *, names: Iterable[str] = ()) -> bool:
    """Whether a sentence `support_problems` passes is one it cannot vouch for, so worth
    the model's verdict (`verify`): some of its content is not in the sources, though too
    little to fail it, or it has someone favour a thing ("supports the idea of a direct
    conflict"), where words alone do not show which way the sources lean: the speaker may
    have warned of it or blamed someone for it in the same words. The verdict asked of
    every sentence added as many false alarms as it caught flaws; asked only of these, it
    adds recall and no false alarm on the labelled set (bench/faithful.py, mix "gated")."""
    return doubt(sentence, sources, names=names).unsure

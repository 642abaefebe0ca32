"""One neutral stance line per speaker, grounded in that speaker's own sentences only.

The model saw the whole article and moved claims between actors; shown only the sentences
that quote or paraphrase one speaker (150-370 tokens), it stays on that speaker. All
speakers' prompts go to the model in one batch with the summary's (see `brief`, the
model's pass).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache, partial

from summarizer.checks import (
    check_output,
    lasting_problems,
    loaded_to_avoid,
    quotes_closed,
    settled,
    words,
)
from summarizer.loaded import find_loaded_phrases
from summarizer.model.base import ChatMessage
from summarizer.model.drafting import Job
from summarizer.nlp import Token, parse
from summarizer.segment import quote_spans, sentence_at, sentences
from summarizer.speakers import REPORTING_VERBS
from summarizer.support import support_problems, unsure
from summarizer.types import Position
from summarizer.verify import verdict_prompt
from summarizer.wordlists import word_set

# One token of a verb of saying: 'pointed' of 'point out' (the parse reads word by word).
_SAYING_WORDS = {v.split()[0] for v in REPORTING_VERBS}

MAX_WORDS = 25
PROMPT_WORDS = 18  # asked for less than the limit: the model overshoots (most failures)
# 25 words with a date and sums in them: the tokenizer writes every digit as a token. A line
# that runs past the word limit is stopped earlier by `stance_hopeless`.
MAX_TOKENS = 48
# A name, a verb and what it is about ("Cruz endorsed Trump."): the shortest line that can
# state a position. Whether a short line says anything is the support check's vacuity rule,
# which sets the speaker's name aside and counts a named person as a whole claim. At 6,
# "<name> endorsed <name>." was failed as too short, the retry mostly wrote it again, and
# such lines were most of the fallbacks on real news (bench/stance_realnews.py).
MIN_WORDS = 3
SOURCE_WORDS = 110  # ~150 tokens, ample for one sentence; each prompt token costs ~10 ms here
# A stance line restates one speaker's reported words, and the reporter's own paraphrase is
# usually already the neutral way to say them: a long shared run is expected. What the
# limit stops is a line that is just the source sentence; loaded words are checked apart.
MAX_COPIED = 16

# Every prompt opens with this, rules included: the model backend keeps a system message it
# has read and reuses it, so the rules cost nothing per prompt.
SYSTEM = (
    "You are a careful news editor. You report what people said without taking sides, "
    "and you never add facts. Rules for every answer: use neutral words, never loaded or "
    "emotional ones; attribute every opinion to whoever holds it; use only names, numbers "
    "and dates that appear in the text you are given; do not copy its sentences; reply with "
    "the requested sentence or sentences only."
)
# The task's wording lives in its own system message for the same reason: in the last
# message, read anew for every speaker and every retry, it cost ~20 prompt tokens a time.
# It names the acts a report gives ("said, demanded, warned of or rejected"): asked for
# "what they think, want or call for", the model wrote "<name> supports ..." and "<name>
# believes ..." for a warning, a sarcastic remark or a question.
STANCE_SYSTEM = (
    f"{SYSTEM} You are given sentences from a news article that report what one person "
    f"said. State that person's position as these sentences report it (what they said, "
    f"demanded, warned of or rejected, not who they are), in one neutral sentence of at "
    f"most {PROMPT_WORDS} words that begins with the person's name."
)


def _speaker_ranges(text: str, position: Position, max_words: int) -> list[tuple[int, int]]:
    ranges = sorted(
        (sentence_at(text, s.start)[0], sentence_at(text, max(s.start, s.end - 1))[1])
        for s in [*position.quotes, *position.paraphrases]
    )
    merged: list[tuple[int, int]] = []
    for start, end in ranges:  # a quote of several sentences is one stretch, said once
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    pieces: list[tuple[int, int]] = []
    for start, end in merged:
        quoted = [(q.start, q.end) for q in position.quotes if start <= q.start < end]
        if not quoted:
            pieces.append(_reported_clause(text, start, end, position))
        elif _author_frames(text, start, end, quoted, position) and not any(
            start <= p.start < end for p in position.paraphrases
        ):
            pieces += _quotes_alone(text, start, end, quoted)
        else:
            # Tried, not kept (2 drawn tune-month articles, every shown sentence judged by
            # hand): trimming such a sentence like a reported clause, so that an apposition
            # or gloss after "said X" is cut. Supported shown sentences 7 of 10 -> 7 of 11,
            # fallbacks 3 of 13 either way; and 6 of 10 jobs whose prompts did not change
            # answered otherwise between the runs.
            pieces.append((start, end))
    chosen: list[tuple[int, int]] = []
    total = 0
    for start, end in (_before_aside(text, s, e, position) for s, e in pieces):
        n = len(text[start:end].split())
        if chosen and total + n > max_words:
            break
        chosen.append((start, end))
        total += n
    return chosen


def _before_aside(text: str, start: int, end: int, position: Position) -> tuple[int, int]:
    """The stretch from `start` to `end`, ended at the speaker's quotation where the author
    adds an aside after it behind a dash ("... no harbour can close without our consent”—a
    rule the port itself broke last winter"). Given the aside under "What X said", the model
    wrote it as the speaker's own view, and the support check, which had it cut, failed the
    line twice: the prompt and the check now read the same stretch."""
    own = [(q.start, q.end) for q in position.quotes]
    for qs, qe in quote_spans(text[start:end]):
        qs, qe = qs + start, qe + start
        if any(os < qe and qs < oe for os, oe in own) and _ASIDE.match(text, qe):
            return start, qe
    return start, end


# How the author's comment joins a reported clause, after a comma: a relative clause ("...,
# which would only prolong the war"), an apposition ("..., a demand no diplomat could
# accept"), a participle or adverbial clause ("..., ignoring the cost").
_ASIDE_DEPS = frozenset({"relcl", "appos", "acl", "advcl", "npadvmod"})
_PRONOUNS = frozenset({"he", "she", "they", "we", "i"})


def _reported_clause(text: str, start: int, end: int, position: Position) -> tuple[int, int]:
    """The part of a sentence that reports the speaker without quoting them: the speaker,
    the verb and what it reports ("Ivan Petrenko demanded that the crossing be reopened"),
    without the author's words around it ("In a move that surprised no one, ...", "..., a
    demand no diplomat could accept"). Given the whole sentence, the model wrote the
    author's dismissal as the negotiator's own view. The sentence as it is where the parse
    finds no verb with the speaker for its subject."""
    sentence = text[start:end]
    tokens = parse(sentence).tokens
    children: dict[int, list[int]] = {}
    for i, t in enumerate(tokens):
        if t.head != i:
            children.setdefault(t.head, []).append(i)

    def subtree(i: int) -> list[int]:
        found, todo = [], [i]
        while todo:
            found.append(j := todo.pop())
            todo += children.get(j, [])
        return sorted(found)

    names = _speaker_words(position)
    for i, t in enumerate(tokens):
        if t.dep != "nsubj" or not names & {
            sentence[tokens[j].start : tokens[j].end].casefold() for j in subtree(i)
        }:
            continue
        verb = t.head
        if not _main_verb(verb, tokens):  # "Though X had said A, the paper reported B"
            continue
        reported = [subtree(c)[0] for c in children.get(verb, []) if tokens[c].dep == "ccomp"]
        first = min([subtree(i)[0], *reported])  # "The crossing must reopen, he said."
        if not any(tokens[k].tag.startswith("VB") for k in range(first)):
            first = 0  # a date or place before the speaker ("On 17 December, X said ...")
        last = _content_end(subtree(verb), tokens, sentence)
        for j in reversed(range(verb + 1, last + 1)):  # asides that end the clause, last first
            head, span = tokens[j], subtree(j)
            said = sentence[head.start : head.end].casefold()
            opening = span[0]
            if (
                head.dep in _ASIDE_DEPS
                and opening > verb + 1
                and _content_end(span, tokens, sentence) == last
                and sentence[tokens[opening - 1].start] == ","
                and said not in _SAYING_WORDS  # "..., adding that ..." is theirs
            ):
                last = _content_end(list(range(first, opening - 1)), tokens, sentence)
        if first or last != _content_end(range(len(tokens)), tokens, sentence):
            return start + tokens[first].start, start + tokens[last].end
        break  # the whole sentence is the speaker's
    return start, end


def _author_frames(
    text: str, start: int, end: int, quoted: Sequence[tuple[int, int]], position: Position
) -> bool:
    """Every quotation of the speaker in the sentence is a fragment set inside the author's
    own clause: no verb of saying above it in the parse, nor a verb with the speaker for its
    subject ("X wants Kyiv to get “more aid”"), and the quotation is not the sentence's main
    clause itself ("“We need more aid,” the leader added"). In "a scramble to make sure the
    island “keeps its ferries running” (X dixit) before the storms close the harbour" only
    the quoted words are X's: given the whole sentence, the model wrote the author's framing
    around such a fragment as X's view, and the support check, reading the same sentence,
    passed it. A parse that goes wrong here costs the line context, never honesty."""
    sentence = text[start:end]
    tokens = parse(sentence).tokens
    # a subject may also name them by their post: "the French president opted to build ..."
    names = _speaker_words(position) | {
        w.casefold() for w in words(position.role or "") if w.casefold() not in _TITLE_JOINERS
    }
    subjects: dict[int, list[int]] = {}  # verb -> its subjects' tokens, the subtree's words
    for i, t in enumerate(tokens):
        if t.dep in {"nsubj", "nsubjpass", "agent"}:
            subjects.setdefault(t.head, []).append(i)

    def words_under(i: int) -> set[str]:  # whole words: the parse splits "Lopez-Cantera"
        found = {i}
        grew = True
        while grew:
            more = {j for j, t in enumerate(tokens) if t.head in found and j not in found}
            found |= more
            grew = bool(more)
        span = sentence[min(tokens[j].start for j in found) : max(tokens[j].end for j in found)]
        return {w.strip(".,;:!?()’'\"").casefold() for w in span.split()}

    def speaks(i: int) -> bool:  # a verb of saying, the speaker's own verb, or their name
        word = sentence[tokens[i].start : tokens[i].end].casefold()
        return (
            word in _SAYING_WORDS
            or word in names
            or any(names & words_under(s) for s in subjects.get(i, []))
        )

    def described(i: int) -> bool:  # "As X has pointed out, ...", "the bloc's chief explained"
        t = tokens[i]
        return (
            t.tag.startswith("VB")
            and sentence[t.start : t.end].casefold() in _SAYING_WORDS
            and any(
                tokens[s].tag in {"NN", "NNS"} or names & words_under(s)
                for s in subjects.get(i, [])
            )
        )

    # However the rest parses: "According to X, ...", and a transcript's "X: ...".
    if any(
        described(i)
        or (sentence[t.start : t.end].casefold() == "according" and names & words_under(i))
        for i, t in enumerate(tokens)
    ) or any(sentence.lstrip().startswith(f"{n}:") for n in _names(position)):
        return False
    for qs, qe in quoted:
        inside = {i for i, t in enumerate(tokens) if qs - start <= t.start and t.end <= qe - start}
        if not inside:
            return False  # the parse and the quotation disagree: keep the sentence whole
        for i in inside:
            if tokens[i].dep == "ROOT":
                return False
            j = tokens[i].head
            while j not in inside:
                if speaks(j):
                    return False
                if tokens[j].dep == "ROOT":
                    break
                j = tokens[j].head
    return True


def _quotes_alone(
    text: str, start: int, end: int, quoted: Sequence[tuple[int, int]]
) -> list[tuple[int, int]]:
    """The speaker's quotations in the sentence from `start` to `end`, marks included."""
    spans = [(start + os, start + oe) for os, oe in quote_spans(text[start:end])]
    return [next((s for s in spans if s[0] <= q[0] < s[1]), q) for q in quoted]


def _main_verb(i: int, tokens: Sequence[Token]) -> bool:
    """The sentence's own verb, or one joined to it by "and"."""
    head = tokens[i]
    return head.dep == "ROOT" or (head.dep == "conj" and tokens[head.head].dep == "ROOT")


def _content_end(span: Sequence[int], tokens: Sequence[Token], sentence: str) -> int:
    """The last token of `span` that is not a stop, a comma or a space (a closing quote mark
    counts)."""
    kept = (
        k for k in reversed(span) if sentence[tokens[k].start : tokens[k].end].strip(".,;:!? \n")
    )
    return next(kept, span[-1])


def speaker_sentences(text: str, position: Position, *, max_words: int = SOURCE_WORDS) -> list[str]:
    """The sentences holding the speaker's quotes and paraphrases, in article order."""
    return [" ".join(text[s:e].split()) for s, e in _speaker_ranges(text, position, max_words)]


def own_words(
    text: str,
    position: Position,
    *,
    max_words: int = SOURCE_WORDS,
    others: Sequence[Position] = (),
) -> list[tuple[int, int]]:
    """The stretches of the speaker's sentences that are the speaker's: the sentences less
    anyone else's quotation in them. "Western experts expect the conflict to end in 2025,"
    quoted in the sentence that gives Putin's reply, is not Putin's view; nor is the aside
    the author adds after a dash that follows the speaker's quotation, which
    `_before_aside` cuts from the speaker's sentences. A term set in quotation marks within
    what the speaker is reported to say is theirs (`_quoted_term`), unless it is filed under
    one of the `others` ("rejected what the mayor called ‘a sham’"). The support check
    reads a stance line against these stretches only."""
    own = [(q.start, q.end) for q in position.quotes]
    theirs = [(q.start, q.end) for p in others for q in p.quotes]
    pieces = []
    for start, end in _speaker_ranges(text, position, max_words):  # asides already cut
        at = start
        for qs, qe in quote_spans(text[start:end]):
            qs, qe = qs + start, qe + start
            if any(os < qe and qs < oe for os, oe in own) or (
                _quoted_term(text[qs:qe]) and not any(ts < qe and qs < te for ts, te in theirs)
            ):
                continue
            if qs > at:
                pieces.append((at, qs))
            at = qe
        if end > at:
            pieces.append((at, end))
    return pieces


_ASIDE = re.compile(r"\s*[—–]|\s+-\s")
TERM_WORDS = 4  # a name for a thing ("a ‘buffer zone’"), not a claim in someone's words


def _quoted_term(quoted: str) -> bool:
    """A few words without a verb, set in quotation marks inside a reported clause: the
    author marking a term ("demanded that troops be sent to a ‘buffer zone’"), not anyone
    else's claim. Cut out as someone else's words, the term left the demand without its
    object, and the support check failed the true line that named it, twice."""
    inner = quoted.strip("“”‘’\"' ")
    return len(words(inner)) <= TERM_WORDS and not any(
        t.tag.startswith(("VB", "MD")) for t in parse(inner).tokens
    )


def is_outlet(position: Position) -> bool:
    """A news outlet quoted as a speaker reports what others said and holds no position:
    its line was "Reuters believes the mayor wants the ferry strike settled on current terms".
    Only an organisation: a person may share a paper's name (Peter Spiegel, "Spiegel")."""
    return position.kind == "organization" and any(
        n.casefold() in word_set("news_outlets.txt") for n in [position.speaker, *position.aliases]
    )


def stance_prompt(position: Position, sentences: Sequence[str]) -> list[ChatMessage]:
    """The text and the task apart, as in `summary.event_prompt`, and the answer opened
    with the speaker's name: asked to begin with it, the model misspelt it ("Putsin") or
    began with someone else. The system message still says so, for backends that cannot
    continue an opening. A news outlet's line opens with what it did: "Reuters reported"."""
    if is_outlet(position):
        task = f"What {position.speaker} reported, in at most {PROMPT_WORDS} words."
        opening = f"{position.speaker} reported"
    else:
        # Tried, not kept (7 drawn tune-month articles, every line judged by hand): asking
        # for "the act the text reports, with its own verb" and keeping "supports" and
        # "believes" from following the name. Shown lines were right more often (9 of 14 ->
        # 4 of 6), but speakers falling back rose from 5 to 13 of 19: the model wrote the
        # task's own words out as the line, or the speaker's quote after "said".
        # Tried, not kept (s32, 8 drawn tune-month articles, both writings judged blind,
        # tests/faithful/README.md): the answer opened with the act the parse finds for
        # the speaker ("<name> warned", "<name> called for", else "<name> said that") under
        # "What <name> said". No "supports" line was left, but shown lines were right no
        # more often (11 of 15 -> 10 of 14) and one more of 23 speakers fell back.
        task = f"{position.speaker}'s position in at most {PROMPT_WORDS} words."
        opening = position.speaker
    return [
        *stance_context(position.speaker, position.role, sentences),
        {"role": "user", "content": task},
        {"role": "assistant", "content": opening},
    ]


def stance_context(speaker: str, role: str | None, sentences: Sequence[str]) -> list[ChatMessage]:
    """A stance prompt's system and text messages: what the model reads before its task,
    and before the question about its answer (`verify`)."""
    who = speaker + (f" ({role})" if role else "")
    body = "\n".join(f"- {s}" for s in sentences)
    return [
        {"role": "system", "content": STANCE_SYSTEM},
        {"role": "user", "content": f"What {who} said:\n{body}"},
    ]


# How the model's answers that say who the speaker is begin ("Peskov is a Kremlin
# spokesman.", "Haugland, the Norwegian fisheries minister, ...", "Gerasimov (Chief of the
# General Staff) is ...", and "Gerasimov's position is that he is ..." once those were
# banned): kept from the model right after the name, where a position needs a verb.
# Retried, such answers mostly came back word for word.
# Once those were banned, it named the post with a verb of its own ("Eirik Dahl serves as
# the minister's spokesman.", "Arne Vik holds the position of mayor of the town.").
NOT_AFTER_NAME = (
    " is",
    " was",
    ",",
    " (",
    "'s",
    "’s",
    " serves as",
    " works as",
    " acts as",
    " holds the position of",
    " holds the position as",
    " has a position as",
)


def _speaker_words(position: Position) -> set[str]:
    """The words a sentence's subject may name the speaker by: a word of any of their names,
    or a personal pronoun."""
    return {w.casefold() for n in _names(position) for w in n.split()} | _PRONOUNS


def _names(position: Position) -> list[str]:
    return [position.speaker, *position.aliases, *position.speaker.split()]


def _allowed(position: Position) -> tuple[str, ...]:
    """What a line may name beyond its sources: the speaker, by any of their names and role."""
    return (*_names(position), position.role or "")


def check_stance(
    answer: str, *, position: Position, source: str, own: Sequence[str] | None = None
) -> list[str]:
    """The checks every answer gets, against the speaker's sentences (`source`); then, for
    a line that passed them, whether the speaker's `own` words back it (`support`)."""
    problems = check_output(
        answer,
        source,
        max_words=MAX_WORDS,
        max_sentences=1,
        article_loaded=_source_loaded(source),
        allowed=_allowed(position),
        max_copied=MAX_COPIED,
    )
    if len(words(answer)) < MIN_WORDS:
        problems.append(
            f"It is too short to state a position; write one full sentence of "
            f"{MIN_WORDS} to {MAX_WORDS} words."
        )
    lowered = answer.casefold()
    if not any(n.casefold() in lowered for n in _names(position) if len(n) > 2):
        problems.append(f'It does not name {position.speaker}; begin with "{position.speaker}".')
    elif _only_says_who(answer, position):
        problems.append(
            f"It says who {position.speaker} is, not what {position.speaker} said; "
            "state the position."
        )
    elif not problems and own is not None:  # the dearest check: only for a line that passed
        problems += support_problems(answer, [" ".join(own)], names=_allowed(position))
    return problems


# "Viktor Orban is a Hungarian Prime Minister." passed every check and states no position;
# so did "Valery Gerasimov as the Russian Chief of the General Staff." once "is" was banned.
_IDENTITY = re.compile(r"\s+(?:is|was|as)\s+(?:a|an|the)\s+([^,;:]+?)[.!]?$")
_TITLE_JOINERS = frozenset({"of", "the", "and", "for", "to", "in", "on"})
# ... and a verb that only names a post ("serves as the minister's spokesman", "has a
# position as Deputy", "speaks on behalf of the minister"), whatever words the post is
# given in.
_HOLDS_POST = re.compile(
    r"\s+(?:(?:serves|served|works|worked)\s+(?:as|in|at|on)|(?:acts|acted)\s+as"
    r"|(?:speaks|spoke)\s+(?:for|on behalf of)"
    r"|(?:holds|held|has|had)\s+(?:a|an|the)\s+(?:position|post|office|role|job)\s+(?:as|of|in))"
    r"\s+([^,;:]+?)[.!]?$"
)
POST_WORDS = 8  # "the union's branch secretary", "mayor of the town": a post, not a position


def _only_says_who(line: str, position: Position) -> bool:
    """The line is "<name> is/as a/the <title>", where every word after the name is a title
    word (capitalised, as "Chief of the General Staff") or a word of the speaker's role, or
    "<name> serves as / holds the position of <a few words>"."""
    for name in sorted(_names(position), key=len, reverse=True):
        if not line.startswith(name):
            continue
        rest = line[len(name) :]
        if match := _HOLDS_POST.match(rest):
            return len(words(match.group(1))) <= POST_WORDS
        if match := _IDENTITY.match(rest):
            role = {w.casefold() for w in words(position.role or "")}
            return all(
                w[0].isupper() or w.casefold() in role or w in _TITLE_JOINERS
                for w in words(match.group(1))
            )
    return False


# Where a run-on sentence can end without losing its grammar: before a comma that opens a
# reporting participle ("..., stating that ...", "..., adding ..."), a contrast, a semicolon
# or a dash, and before "and that" or "and" with a reporting verb, which open a second
# reported clause ("X said A and warned that B"). Not before a bare ", and" or ", as": those
# also join parts of one clause ("Iran, North Korea, and China").
_CLAUSE_BREAK = re.compile(
    r"(?:,\s+(?:while|whereas|adding|saying|stating|noting|arguing|claiming|insisting|"
    r"warning|emphasi[sz]ing|stressing|calling|describing)\b|;\s|\s[—–]\s|"
    r",?\s+and\s+(?:that|said|added|warned|argued|noted|stressed|urged|insisted|called)\b)",
    re.IGNORECASE,
)


def stance_complete(answer: str) -> bool:
    """What `shape_stance` keeps can no longer change: a first sentence long enough to keep
    has ended (the rest is dropped), or it has run past the word limit with a clause break
    within it (the line ends at the last such break, and later ones are all past it)."""
    parts = sentences(answer)
    if len(parts) > 1 and len(words(parts[0])) >= MIN_WORDS:
        return True
    line = sentences(settled(answer))[:1]
    return bool(line) and len(words(line[0])) > MAX_WORDS and bool(_clause_heads(line[0]))


def _clause_heads(line: str) -> list[str]:
    """The shortened lines `shape_stance` may end a run-on line at."""
    heads = []
    for cut in _CLAUSE_BREAK.finditer(line):
        head = line[: cut.start()].rstrip(" ,;")
        if MIN_WORDS <= len(words(head)) <= MAX_WORDS and quotes_closed(head):
            heads.append(head + ".")
    return heads


def stance_hopeless(answer: str, *, position: Position, source: str) -> list[str]:
    """What dooms the line under way whatever the model writes next, or nothing while it may
    still pass: every line `shape_stance` could keep from it breaks a check that more words
    cannot mend (a loaded phrase, a name the sources lack, a long copied run), or it is past
    the word limit with no clause break to end it at. The model then stops, and the retry
    starts at once instead of after up to MAX_TOKENS more steps. The word being written is
    left out."""
    head = settled(answer)
    return list(_lasting(head, source, _allowed(position))) if head else []


@lru_cache(maxsize=1024)  # asked after every token, though the settled words change less often
def _lasting(head: str, source: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
    loaded = _source_loaded(source)

    def lasting(text: str) -> list[str]:
        return lasting_problems(
            text, source, article_loaded=loaded, allowed=allowed, max_copied=MAX_COPIED
        )

    line = sentences(head)[0]
    if any(not lasting(cut) for cut in _clause_heads(line)):
        return ()
    # one word over: the break that would save the line may come with the next word
    too_long = len(words(line)) > MAX_WORDS + 1
    length = [f"It runs past {MAX_WORDS} words; use at most {MAX_WORDS}."] if too_long else []
    problems = lasting(line)
    return (*length, *problems) if too_long or problems else ()


@lru_cache(maxsize=64)
def _source_loaded(source: str) -> tuple[str, ...]:
    return tuple(find_loaded_phrases(source))


def shape_stance(answer: str) -> str:
    """The model states the position, then runs on: a second sentence, or a clause that
    takes the line past its word limit or past the token limit (an unfinished sentence).
    Keep the first sentence, and if it is still too long, end it at the last clause break
    within the limit; the checks then judge what is left like any answer."""
    parts = sentences(answer)
    line = parts[0] if len(parts) > 1 and len(words(parts[0])) >= MIN_WORDS else answer
    if len(words(line)) <= MAX_WORDS and line.endswith((".", "”", '"')):
        return line
    heads = _clause_heads(line)
    return heads[-1] if heads else line


def prominence(position: Position) -> tuple[int, int]:
    """The order of speakers by weight in the article: the most quoted and paraphrased
    first, then the first to speak."""
    return (
        -len(position.quotes) - len(position.paraphrases),
        min((s.start for s in [*position.quotes, *position.paraphrases]), default=0),
    )


def stance_jobs(
    text: str, positions: Sequence[Position], *, verdict: bool = False
) -> list[tuple[int, Job]]:
    """(position index, job) for every speaker with something to ground a line in, the
    most prominent first: the backend answers in this order, and at the analysis limit the
    lines it had no time for are the last ones, so the line cut is never that of the
    speaker the summary ranks first (`prominence`). `verdict`: each line that passes the
    checks is also put to the model as a question."""
    jobs = []
    for i, position in sorted(enumerate(positions), key=lambda ip: prominence(ip[1])):
        # An unnamed source has no name to open a line with; its quotes speak for it.
        if position.kind == "unnamed":
            continue
        grounds = _grounds(text, position, positions)
        if grounds:
            sources, source, own = grounds
            check = partial(check_stance, position=position, source=source, own=own)
            job = Job(
                prompt=stance_prompt(position, sources),
                check=check,
                max_new_tokens=MAX_TOKENS,
                shape=shape_stance,
                complete=stance_complete,
                hopeless=partial(stance_hopeless, position=position, source=source),
                avoid=loaded_to_avoid(source, _source_loaded(source)),
                avoid_first=tuple(position.speaker + after for after in NOT_AFTER_NAME),
                verify=(
                    partial(
                        _questions,
                        stance_context(position.speaker, position.role, own),
                        own=own,
                        names=_allowed(position),
                    )
                    if verdict
                    else None
                ),
            )
            jobs.append((i, job))
    return jobs


def _grounds(
    text: str, position: Position, positions: Sequence[Position]
) -> tuple[list[str], str, list[str]] | None:
    """What a speaker's line is written and checked from: their sentences, those joined
    (the checks' source), and their own words (the support check's); None with nothing
    to ground a line in."""
    sources = speaker_sentences(text, position)
    if not sources:
        return None
    others = [p for p in positions if p is not position]
    own = [" ".join(text[s:e].split()) for s, e in own_words(text, position, others=others)]
    return sources, " ".join(sources), own


def stance_failures(
    text: str, position: Position, positions: Sequence[Position], line: str
) -> list[str]:
    """What today's checks find wrong with a stance line `position` already has (the model's
    verdict aside): the problems `stance_jobs`' check would name, or that nothing in the
    text grounds a line for them."""
    grounds = _grounds(text, position, positions)
    if grounds is None:
        return [f"Nothing in the text grounds a line for {position.speaker}."]
    _, source, own = grounds
    return check_stance(line, position=position, source=source, own=own)


def _questions(
    context: Sequence[ChatMessage], line: str, *, own: Sequence[str], names: Sequence[str]
) -> list[list[ChatMessage]]:
    """The question about a stance line, asked after the speaker's own words (the check's
    source too): mostly the text the line's own prompt gave, which the backend has kept.
    Asked only of a line the support check is unsure of (`support.unsure`): asked of
    every line, the verdict failed as many true lines as false ones."""
    if not unsure(line, [" ".join(own)], names=names):
        return []
    return [verdict_prompt(context, line)]


def with_stances(positions: Sequence[Position], lines: Mapping[int, str | None]) -> list[Position]:
    """Copies of `positions` with `.stance` filled from `lines` (position index -> the
    checked line, or None where every try failed its checks). A failure is marked
    `stance_fallback`, never written as text in the line's place: a placeholder sentence
    in `stance` was tested for with `startswith("[")` by every reader, and read as the
    model's words by any reader that forgot to."""
    return [
        p.model_copy(
            update={"stance": lines.get(i) or None, "stance_fallback": i in lines and not lines[i]},
            deep=True,
        )
        for i, p in enumerate(positions)
    ]

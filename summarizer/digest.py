"""`/stance NAME`: how one speaker's stated position ran across stored articles.

The dated list of stance lines is the answer, shown at once; this paragraph is an extra
that must be quick and honest or absent. The model gets only the stored stance lines (a
quote where there is no line), never whole articles, oldest first, each tagged with its
article id and date so the paragraph can cite them; the checks then insist the citations
and names are ones it was given. Given the lines and two quotes each, eight entries deep, a
digest took 335 s on 2 cores and failed its checks anyway: the input is now short, the
answer budget small, and the whole run stops at a deadline.

A paragraph that fails its checks is not retried. A retry is a whole second answer, as dear
as the first, and in every digest whose retry was logged (two) the model wrote its false
sentence again: on a loaded host it doubled the wait to 617 s for nothing (bench/digest.py).
Nor is a failing paragraph written to its end: it stops at its first sentence that fails.
A decode step is the digest's dearest part (at a load of 17 on 2 cores, 1.3 s a step
against 0.1 s a prompt token read). On seven speakers of a stored database the three
paragraphs that failed stopped after 24-35 steps; before, all seven failed, after 31-110.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Sequence
from functools import lru_cache, partial

from summarizer.checks import check_copied, check_output, settled, words
from summarizer.model.base import ChatMessage, GenerationInterrupted, TextGenerator
from summarizer.model.drafting import Job, draft_checked, interrupted_when
from summarizer.segment import sentences
from summarizer.stance import NOT_AFTER_NAME, SYSTEM
from summarizer.support import generic_words, support_problems
from summarizer.types import StanceRecord

MAX_WORDS = 80
MAX_ENTRIES = 5  # the newest ones; the dated list beside the digest holds them all
MAX_NEW_TOKENS = 110  # 80 words; a longer answer fails its length check anyway
QUOTE_WORDS = 25  # a quote stands in for a missing stance line, cut to this
MAX_COPIED = 14  # words of a quote in a row that the paragraph may hold outside quote marks


def _ordered(entries: Sequence[StanceRecord]) -> list[StanceRecord]:
    return sorted(entries, key=lambda e: (e.date, e.article_id))


def _entry_body(speaker: str, e: StanceRecord) -> str:
    """The stance line, or the first quote (cut) where there is none: every prompt token
    costs time on a CPU, and the line already restates the quotes. The quote is a sentence
    of the speaker's like the stance lines: given it under a label ("Quoted: “…”"), the
    model copied the label into the digest, and the checks, which found it in the lines,
    let it through."""
    if e.stance:
        return e.stance
    if e.main_quote:
        quote = e.main_quote.strip('“”" ').split()  # verbatim words, their marks kept
        cut = " ".join(quote[:QUOTE_WORDS]) + (" …" if len(quote) > QUOTE_WORDS else "")
        return f"{speaker} said “{cut}”"
    return "(no stance line)"


def _entry_text(speaker: str, e: StanceRecord) -> str:
    return f"({e.tag}) {_entry_body(speaker, e)}"


# The task's wording is a system message of its own, one for dated lines and one for
# lines without dates: the backend keeps a prompt's system message once read, so a digest
# reads only the speaker's lines. In the last message, as it was, the wording made a
# two-line digest read 149 tokens after the system message instead of 62.
_DATED = (
    f"{SYSTEM} You are given what one person said in news articles, one line per article, "
    "oldest first, each line starting with (#article id, date). Write one neutral paragraph "
    f"of at most {MAX_WORDS - 20} words on how the person's stated position developed, "
    "oldest to newest. Cite each point as (#id, date). Say where the position changed, or "
    "that it stayed the same. Use only what the lines say. Reply with the paragraph only."
)
_UNDATED = (
    f"{SYSTEM} You are given what one person said in news articles, one line per article, "
    "each line starting with (#article id, date), or 'no date' where the article gives "
    f"none. Write one neutral paragraph of at most {MAX_WORDS - 20} words on what the "
    "person said across these articles. Cite each point as (#id). Not every date is known: "
    "do not say when anything was said, nor that the position changed over time. Use only "
    "what the lines say. Reply with the paragraph only."
)


def digest_prompt(speaker: str, entries: Sequence[StanceRecord]) -> list[ChatMessage]:
    """Over dated articles, how the position developed; where an article gives no date of
    its own, only what was said: the order then is the order of pasting, and a digest of
    it told a development (with the paste day as its date) that no article reports.
    The answer opens with the speaker's name, which may not be followed by who they are
    (`NOT_AFTER_NAME`, as for a stance line): left to itself, the model opened with "Ben
    Carson, a prominent political figure, has expressed several opinions", which no line
    holds, and the paragraph failed on it."""
    body = "\n".join(f"- {_entry_text(speaker, e)}" for e in entries)
    task = _DATED if all(e.own_date for e in entries) else _UNDATED
    return [
        {"role": "system", "content": task},
        {"role": "user", "content": f"What {speaker} said:\n{body}"},
        {"role": "assistant", "content": speaker},
    ]


def _content(text: str, speaker: str) -> set[str]:
    """Content words cut to their first five letters, so 'supported' meets 'supports'."""
    skip = {w.casefold() for w in words(speaker)} | generic_words()
    return {w.casefold()[:5] for w in words(text) if len(w) > 3 and w.casefold() not in skip}


def cited(answer: str, *, speaker: str, entries: Sequence[StanceRecord]) -> str:
    """The answer with each sentence that cites no article given the tag of the one line
    that holds every content word of it; a sentence no single line holds stays bare, and
    `check_digest` fails a bare sentence.

    Told to cite, the packaged model cited nothing in any of the five tries logged for
    the console's digests (two speakers, two prompts), and one answer true to its lines
    failed on that alone. Citing by the most shared words instead let a false digest
    through: it gave a politician another trade and turned a demand around, and each
    sentence still shared words with some line. A line that holds all of a sentence's
    words is the line the sentence restates."""
    lines = [(e, _content(_entry_body(speaker, e), speaker)) for e in entries]
    out = []
    for sentence in sentences(answer):
        have = _content(sentence, speaker)
        holds = [e for e, words_of_line in lines if have and have <= words_of_line]
        if re.search(r"#\d+", sentence) or not holds:
            out.append(sentence)
        elif sentence[-1] in ".!?":
            out.append(f"{sentence[:-1]} ({holds[0].tag}){sentence[-1]}")
        else:
            out.append(f"{sentence} ({holds[0].tag}).")
    return " ".join(out)


def check_digest(
    answer: str,
    *,
    speaker: str,
    entries: Sequence[StanceRecord],
    on_time: Callable[[], None] = lambda: None,
) -> list[str]:
    """The whole answer's checks, then each sentence's, cheapest first, stopping at the
    first sentence that fails: the paragraph is dropped whole, so one failure is enough.
    `on_time` is asked before each sentence's parse and raises to stop the check: the
    support check parses with spaCy, which no interrupt reaches, and a digest past its
    deadline spent up to 4.1 s in it on a loaded host."""
    source = "\n".join(_entry_text(speaker, e) for e in entries)
    # A stance line is a sentence the model wrote and the checks passed: restated word for
    # word it is still true, and a digest of two such lines failed as "copies 21 words".
    # A quote is the speaker's own words, which belong inside quote marks.
    quotes = "\n".join(_entry_body(speaker, e) for e in entries if not e.stance)
    problems = check_output(
        answer,
        source,
        max_words=MAX_WORDS,
        max_sentences=8,
        allowed=[speaker],
        max_copied=MAX_WORDS,  # a stance line's run; the quotes' is checked below
    ) + check_copied(answer, quotes, max_run=MAX_COPIED)
    if problems:
        return problems
    lines = tuple(_entry_text(speaker, e) for e in entries)
    known = frozenset(e.article_id for e in entries)
    for sentence in sentences(answer):
        on_time()
        problems = list(_sentence_problems(sentence, speaker, lines, known))
        if problems:
            return problems
    return []


@lru_cache(maxsize=256)  # asked again for each finished sentence while the answer is written
def _sentence_problems(
    sentence: str, speaker: str, lines: tuple[str, ...], known: frozenset[int]
) -> tuple[str, ...]:
    ids = {int(n) for n in re.findall(r"#(\d+)", sentence)}
    if not ids:
        return (f"“{sentence}” cites no article; cite each point as (#id, date).",)
    if ids - known:
        return (f"It cites articles that are not listed: {sorted(ids - known)}.",)
    return tuple(support_problems(sentence, lines, names=[speaker]))


def digest_hopeless(
    answer: str,
    *,
    speaker: str,
    entries: Sequence[StanceRecord],
    on_time: Callable[[], None] = lambda: None,
) -> list[str]:
    """What dooms the paragraph under way, or nothing while it may pass: a finished sentence
    that fails its checks (as `cited` will tag it), or a paragraph past the word limit. The
    paragraph is dropped whole, not retried, so the model stops at once instead of writing
    up to MAX_NEW_TOKENS more; and a sentence checked here is not parsed again at the end.
    `on_time` is asked before each sentence's parse, as in `check_digest`: this test runs
    first on the finished answer too, and parsed past the deadline."""
    head = settled(answer)
    if len(words(head)) > MAX_WORDS:
        return [f"It runs past {MAX_WORDS} words."]
    lines = tuple(_entry_text(speaker, e) for e in entries)
    known = frozenset(e.article_id for e in entries)
    for sentence in sentences(head)[:-1]:  # the last may go on
        on_time()
        problems = _sentence_problems(
            cited(sentence, speaker=speaker, entries=entries), speaker, lines, known
        )
        if problems:
            return list(problems)
    return []


def stance_digest(
    gen: TextGenerator,
    speaker: str,
    entries: Sequence[StanceRecord],
    *,
    deadline: float | None = None,
    give_way: threading.Event | None = None,
) -> str | None:
    """A cited paragraph over the speaker's stance lines in two or more articles, or None:
    one article has nothing to develop (its line is already on screen), and a paragraph
    that fails its checks or is not done by `deadline` (`time.monotonic()`) is
    dropped, not replaced: the dated list beside it is the fallback. Once `give_way` is set
    (an article waits for the one model) it raises GenerationInterrupted instead, so the
    caller may write it again when the article is done. Either way the model is
    interrupted, and the analysis thread is free again within a decode step."""
    ordered = _ordered(entries)
    if len({e.article_id for e in ordered}) < 2:
        return None
    recent = ordered[-MAX_ENTRIES:]

    def stop() -> bool:
        return (give_way is not None and give_way.is_set()) or (
            deadline is not None and deadline <= time.monotonic()
        )

    def on_time() -> None:
        if stop():
            raise GenerationInterrupted("an article is waiting, or the digest's time is up")

    job = Job(
        prompt=digest_prompt(speaker, recent),
        check=lambda answer: check_digest(
            cited(answer, speaker=speaker, entries=recent),
            speaker=speaker,
            entries=recent,
            on_time=on_time,
        ),
        max_new_tokens=MAX_NEW_TOKENS,
        hopeless=partial(digest_hopeless, speaker=speaker, entries=recent, on_time=on_time),
        avoid_first=tuple(speaker + after for after in NOT_AFTER_NAME),
        retry=False,
    )
    try:
        on_time()  # it may have waited behind articles for all its time
        with interrupted_when(gen, stop):
            [checked] = draft_checked(gen, [job])
    except GenerationInterrupted:
        if give_way is not None and give_way.is_set():
            raise
        return None
    return None if checked.text is None else cited(checked.text, speaker=speaker, entries=recent)

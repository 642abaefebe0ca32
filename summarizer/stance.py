"""One neutral stance line per speaker, grounded in that speaker's own sentences only.

The model saw the whole article and moved claims between actors; shown only the sentences
that quote or paraphrase one speaker (150-370 tokens), it stays on that speaker. All
speakers' prompts go to the model in one batch with the summary's (see `brief`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial

from summarizer.checks import check_output, words
from summarizer.loaded import find_loaded_phrases, sentence_bounds
from summarizer.model.base import ChatMessage
from summarizer.model.drafting import Job
from summarizer.types import Position

MAX_WORDS = 25
MIN_WORDS = 6  # "Anna Virtanen." passed every other check
SOURCE_WORDS = 160
# A stance line restates one speaker's reported words, and the reporter's own paraphrase is
# usually already the neutral way to say them: a long shared run is expected. What the
# limit stops is a line that is just the source sentence; loaded words are checked apart.
MAX_COPIED = 16

SYSTEM = (
    "You are a careful news editor. You report what people said without taking sides, "
    "and you never add facts."
)


def speaker_sentences(text: str, position: Position, *, max_words: int = SOURCE_WORDS) -> list[str]:
    """The sentences holding the speaker's quotes and paraphrases, in article order."""
    ranges = sorted(
        (sentence_bounds(text, s.start)[0], sentence_bounds(text, max(s.start, s.end - 1))[1])
        for s in [*position.quotes, *position.paraphrases]
    )
    merged: list[tuple[int, int]] = []
    for start, end in ranges:  # a quote of several sentences is one stretch, said once
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    chosen, total = [], 0
    for start, end in merged:
        sentence = " ".join(text[start:end].split())
        n = len(sentence.split())
        if chosen and total + n > max_words:
            break
        chosen.append(sentence)
        total += n
    return chosen


def stance_prompt(position: Position, sentences: Sequence[str]) -> list[ChatMessage]:
    who = position.speaker + (f" ({position.role})" if position.role else "")
    body = "\n".join(f"- {s}" for s in sentences)
    return [
        {"role": "system", "content": SYSTEM},
        {
            "role": "user",
            "content": f"Sentences from a news article that report what {who} said:\n{body}\n\n"
            f"In one neutral sentence of at most {MAX_WORDS} words, state {position.speaker}'s "
            f"position as these sentences report it. Begin with \"{position.speaker}\". Use no "
            "names or numbers that are not above, and no loaded or emotional words. "
            "Reply with the sentence only.",
        },
    ]


def _names(position: Position) -> list[str]:
    return [position.speaker, *position.aliases, *position.speaker.split()]


def check_stance(answer: str, *, position: Position, source: str) -> list[str]:
    problems = check_output(
        answer,
        source,
        max_words=MAX_WORDS,
        max_sentences=1,
        article_loaded=find_loaded_phrases(source),
        allowed=[*_names(position), position.role or ""],
        max_copied=MAX_COPIED,
    )
    if len(words(answer)) < MIN_WORDS:
        problems.append(f"It is too short to state a position; write one full sentence of "
                        f"{MIN_WORDS} to {MAX_WORDS} words.")
    lowered = answer.casefold()
    if not any(n.casefold() in lowered for n in _names(position) if len(n) > 2):
        problems.append(f"It does not name {position.speaker}; begin with \"{position.speaker}\".")
    return problems


def fallback_stance(position: Position) -> str | None:
    """Plainly not the model's words, so nobody reads it as a summary of the stance."""
    n = len(position.quotes)
    if n == 0 and not position.paraphrases:
        return None
    if n == 0:
        return f"[No stance line: {position.speaker} is paraphrased in the article.]"
    times = "once" if n == 1 else f"{n} times"
    return f"[No stance line: {position.speaker} is quoted {times}; see the quotes.]"


def stance_jobs(text: str, positions: Sequence[Position]) -> list[tuple[int, Job]]:
    """(position index, job) for every speaker with something to ground a line in."""
    jobs = []
    for i, position in enumerate(positions):
        sources = speaker_sentences(text, position)
        if sources:
            check = partial(check_stance, position=position, source=" ".join(sources))
            jobs.append((i, Job(prompt=stance_prompt(position, sources), check=check)))
    return jobs


def with_stances(positions: Sequence[Position], lines: Mapping[int, str | None]) -> list[Position]:
    """Copies of `positions` with `.stance` filled (a labelled placeholder if checks failed)."""
    return [
        p.model_copy(update={"stance": lines.get(i) or fallback_stance(p)}, deep=True)
        for i, p in enumerate(positions)
    ]

"""The neutral summary: a short prompt, code checks, one corrected retry, else an extract.

The prompt carries the lead plus the sentences where people are quoted, not the whole
article: that is where "what happened and who said what" lives, it keeps prefill to a few
hundred tokens, and it gives the model less of the author's commentary to echo.
"""

from __future__ import annotations

from collections.abc import Sequence

from summarizer.checks import check_output, sentences
from summarizer.loaded import ATTRIBUTION, find_loaded_phrases
from summarizer.model.base import ChatMessage, TextGenerator
from summarizer.model.drafting import draft_checked
from summarizer.stance import SYSTEM, speaker_sentences
from summarizer.types import Position, Summary

MAX_WORDS = 90
PROMPT_WORDS = 70  # asked for less than the limit: the model overshoots
LEAD_SENTENCES = 3
SOURCE_WORDS = 260
MAX_NEW_TOKENS = 140
FALLBACK_LABEL = "Extract from the article (the model's summary did not pass our checks): "


def _paragraph_sentences(text: str) -> list[str]:
    return [s for para in text.split("\n") for s in sentences(para)]


def summary_source(text: str, positions: Sequence[Position]) -> str:
    """The lead, then each speaker's first sentences, within SOURCE_WORDS."""
    chosen: list[str] = []
    total = 0

    def add(sentence: str) -> bool:
        nonlocal total
        n = len(sentence.split())
        if sentence in chosen:
            return True
        if chosen and total + n > SOURCE_WORDS:
            return False
        chosen.append(sentence)
        total += n
        return True

    # Opening sentences that carry the author's loaded wording are left out: listing the
    # words as "do not use" primed the model to use them, leaving them out does not.
    lead = _paragraph_sentences(text)[: LEAD_SENTENCES + 2]
    neutral = [s for s in lead if not find_loaded_phrases(s)]
    for sentence in (neutral or lead)[:LEAD_SENTENCES]:
        add(sentence)
    per_speaker = [speaker_sentences(text, p, max_words=70) for p in positions]
    for rank in range(max((len(s) for s in per_speaker), default=0)):
        for said in per_speaker:
            if rank < len(said) and not add(said[rank]):
                return "\n".join(chosen)
    return "\n".join(chosen)


def summary_prompt(source: str) -> list[ChatMessage]:
    return [
        {"role": "system", "content": SYSTEM},
        {
            "role": "user",
            "content": f"Excerpt of a news article (its opening and the sentences where people "
            f"are quoted):\n{source}\n\n"
            f"Write a neutral summary in 2 to 4 sentences and at most {PROMPT_WORDS} words: "
            "what happened, and who said or did what. Attribute every opinion to whoever holds "
            "it (\"Stoltenberg said ...\", \"the author argues ...\")."
            " Use neutral words. Use only names, numbers and dates from the excerpt. Do not copy "
            "sentences. Reply with the summary only.",
        },
    ]


def check_summary(answer: str, *, article: str, loaded: Sequence[str]) -> list[str]:
    return check_output(
        answer,
        article,
        max_words=MAX_WORDS,
        min_sentences=2,
        max_sentences=4,
        article_loaded=loaded,
        max_copied=12,
    )


def _names(positions: Sequence[Position]) -> list[str]:
    return [n for p in positions for n in (p.speaker, *p.aliases, p.speaker.split()[-1])]


def extractive_fallback(text: str, positions: Sequence[Position]) -> str:
    """Verbatim sentences that report who said what and carry no loaded wording."""
    names = _names(positions)
    candidates = [
        s for s in _paragraph_sentences(text)
        if len(s.split()) <= 45 and s.endswith((".", "”", '"', "’")) and not find_loaded_phrases(s)
    ]
    reporting = [s for s in candidates if ATTRIBUTION.search(s) and any(n in s for n in names)]
    picked: list[str] = []
    for s in [*reporting, *candidates]:
        if len(picked) == 3:
            break
        if s not in picked and sum(len(p.split()) for p in [*picked, s]) <= MAX_WORDS:
            picked.append(s)
    picked.sort(key=text.find)
    return FALLBACK_LABEL + " ".join(picked)


def write_summary(
    gen: TextGenerator, text: str, positions: Sequence[Position], loaded: Sequence[str]
) -> Summary:
    source = summary_source(text, positions)
    [draft] = draft_checked(
        gen,
        [summary_prompt(source)],
        [lambda a: check_summary(a, article=text, loaded=loaded)],
        max_new_tokens=MAX_NEW_TOKENS,
    )
    if draft.text is not None:
        return Summary(text=draft.text, fallback=False, model=gen.name)
    return Summary(text=extractive_fallback(text, positions), fallback=True, model=gen.name)

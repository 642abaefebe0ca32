"""The model's yes/no verdict on a sentence it wrote: does the text it was written from say
this, the same way round, held by the same person?

The lexical check (`support`) reads words and a parse; it cannot see an inversion that
keeps every word ("Trump recruits with videos" over "ISIS recruits with videos of Trump",
"Orban supports the idea of a direct military conflict" over his warning against one).
Checking is easier than writing, so with BRIEFBOT_MODEL_VERDICT (on by default) the model is
asked that one narrow question about each sentence that passed every other check and that
the lexical check is unsure of (`support.unsure`: a word of weight it could not find, or a
speaker said to favour something, whose direction words cannot show). Asked of every
sentence, the packaged model's "No" failed as many true sentences as false ones; asked of
those alone, it catches a few the lexical check misses and adds no false alarm on the
labelled set. Of the policies for such a sentence (show it, fail it, fail some of them, ask),
asking was the one that withheld only flawed sentences from what briefs show, for about
half a question an article (bench/faithful.py --policies). The verdict is read from the
probabilities of "Yes" and "No" as its next token: one pass over the question, no decoding.

Other readings of the model were measured against the labelled set and not taken (s31,
tests/faithful/README.md): each claim of a split sentence asked apart, a contrast with the
claim negated or given to the author, the sentence's token probabilities with the text
against without it, and p(Yes) with the text against without it (the text's gain, kept as
a candidate in bench/faithful.py). On a pilot of 40 the token probabilities ranked best
and still weakly; the text's gain, run on every tuning sentence the checks pass, ranked
them as p(Yes) does, and as a showing policy withheld supported sentences with the flawed.

The question follows the prompt's own system and text messages, which the backend has
already read for the answer and kept, so a verdict reads only the question and the
sentence. Figures (recall, false alarms, cost) in bench/faithful.py.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from summarizer.model.base import ChatMessage, TextGenerator

# Worded as a question about truth: asked "Does the text say this, the same way round, held
# by the same person?" (or whether the sentence adds to the text, turns it round or moves it
# to someone else), the packaged model said Yes to supported and unsupported sentences
# alike on a pilot of 17 labelled ones; this wording ranked them somewhat better.
QUESTION = (
    "Is this statement true according to the text above, with the same person holding the "
    "view? Answer Yes or No."
)
OPTIONS = ("Yes", "No")
# A sentence is shown only if p(Yes) / (p(Yes) + p(No)) is at least this. Calibrated on the
# tuning half of tests/faithful/labelled.json (bench/faithful.py): the highest threshold
# that adds no false alarm to the support check's there (recall 0.77 -> 0.81, false alarms
# 0.10). On the half kept aside it adds no recall and two false alarms (0.19 -> 0.25): the
# packaged model says Yes to most sentences, true or not (p(Yes) 0.24-0.98 on the set).
MIN_YES = 0.6
PROBLEM = (
    "It says something the text does not say, turns it around, or gives it to someone "
    "else; say only what the text says, held by whoever holds it."
)

# Given a checked answer, the questions to ask about it (one per sentence).
Questions = Callable[[str], list[list[ChatMessage]]]


def verdict_prompt(context: Sequence[ChatMessage], claim: str) -> list[ChatMessage]:
    """The answer's own prompt up to its text (`context`), then the question about `claim`."""
    return [*context, {"role": "user", "content": f"Statement: {claim}\n{QUESTION}"}]


def p_yes(verdict: Mapping[str, float]) -> float:
    """The chance of "Yes" against "No" alone: the model's other next tokens are neither."""
    yes, no = verdict.get(OPTIONS[0], 0.0), verdict.get(OPTIONS[1], 0.0)
    return yes / (yes + no) if yes + no > 0 else 0.0


def verdict_problems(gen: TextGenerator, questions: Sequence[Sequence[ChatMessage]]) -> list[str]:
    """PROBLEM if the model does not find any one of the sentences asked about in its text."""
    if not questions:
        return []
    verdicts = gen.judge(questions, OPTIONS)
    return [PROBLEM] if any(p_yes(v) < MIN_YES for v in verdicts) else []

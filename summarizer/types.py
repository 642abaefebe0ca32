"""The analysis data model: what the summarizer hands to storage, the service and the CLI.

Offsets are character offsets into the exact article text that was analysed, so any quote
can be re-checked against the stored text at any time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, Field

# A person, a speaking body, or an unnamed source ('unnamed: senior administration official').
SpeakerKind = Literal["person", "organization", "unnamed"]


class Span(BaseModel):
    """A verbatim stretch of the article: `text == article[start:end]` always holds."""

    text: str
    start: int
    end: int
    rule: str | None = Field(
        default=None, description="the attribution rule that named the speaker, for --explain"
    )

    def is_verbatim_in(self, article: str) -> bool:
        return (
            0 <= self.start <= self.end <= len(article)
            and article[self.start : self.end] == self.text
        )


class Position(BaseModel):
    """One speaker of one article and what they said there."""

    speaker: str = Field(
        description="canonical display name, e.g. 'Mark Rutte'; an unnamed source reads"
        " 'unnamed: ' and its description, e.g. 'unnamed: senior administration official'"
    )
    kind: SpeakerKind = "person"
    role: str | None = Field(
        default=None, description="title the article gives, e.g. 'NATO Secretary General'"
    )
    aliases: list[str] = Field(
        default_factory=list, description="surface forms used in this article"
    )
    stance: str | None = Field(
        default=None, description="one neutral sentence, written by the model"
    )
    stance_fallback: bool = Field(
        default=False,
        description="True when the model was asked for a stance line and none passed the"
        " checks: `stance` is None and the quotes stand in for it, as in `Summary.fallback`",
    )
    stance_unfinished: bool = Field(
        default=False,
        description="with `stance_fallback`: the line did not fail its checks, the model ran"
        " out of time for it at the analysis limit",
    )
    quotes: list[Span] = Field(default_factory=list, description="direct quotes, verbatim")
    paraphrases: list[Span] = Field(
        default_factory=list,
        description="sentences reporting the speaker's view without quote marks",
    )


class Summary(BaseModel):
    text: str
    fallback: bool = Field(
        description="True when the model failed the checks and an extractive summary stands in"
    )
    model: str | None = None
    unfinished: int = Field(
        default=0,
        description="sentences of the brief (the summary's event sentences, stance lines) the"
        " model had not finished at the analysis time limit: labelled extracts and quotes"
        " stand in for them, flagged as fallbacks",
    )


class Timings(BaseModel):
    positions_s: float = 0.0
    summary_s: float = Field(
        default=0.0, description="the model's pass: summary and stance lines, one batch"
    )


class Analysis(BaseModel):
    title: str | None = None
    summary: Summary | None = None
    positions: list[Position] = Field(default_factory=list)
    loaded_phrases: list[str] = Field(default_factory=list)
    timings: Timings = Field(default_factory=Timings)
    rules: str | None = Field(
        default=None,
        description="the edition of the positions rules it was read under"
        " (`summarizer.rules`); None for one stored before editions were kept",
    )


def main_quote(quotes: Sequence[str]) -> str | None:
    """The quote that stands for a speaker wherever one is shown for them (the brief, the
    briefing, the dated list, the digest): the longest. The first is often a word or two
    set in quote marks ("progressive") that says nothing of the stance, or someone else's
    words the speaker answers ("the minister called my budget 'costly and late'"), while
    a full sentence of the speaker's own comes later."""
    return max(quotes, key=len, default=None)


class StanceRecord(BaseModel):
    """One speaker's stance in one stored article: what a store reads back for `/stance`,
    the dated list the view shows, and what the digest is written from. Defined here, where
    storage and the summarizer may both import it, so the layers pass one record instead of
    copying one type into another field by field."""

    article_id: int
    title: str
    date: dt.date = Field(description="the article's own date, else the day it was stored")
    own_date: bool = Field(
        default=True, description="`date` is the article's own, not the day it was stored"
    )
    role: str | None = None
    stance: str | None = None
    stance_fallback: bool = Field(default=False, description="as `Position.stance_fallback`")
    stance_unfinished: bool = Field(default=False, description="as `Position.stance_unfinished`")
    quotes: list[str] = Field(
        default_factory=list, description="direct quotes, still verbatim in the stored text"
    )

    @property
    def main_quote(self) -> str | None:
        return main_quote(self.quotes)

    @property
    def day(self) -> str:
        """The date as shown: a day the article was stored is said to be one, since the day
        it was pasted says nothing about when the speaker spoke."""
        return self.date.isoformat() if self.own_date else f"stored {self.date.isoformat()}"

    @property
    def tag(self) -> str:
        """How the digest cites the article: '#12, 2024-05-02', or '#12, no date'."""
        return f"#{self.article_id}, {self.date.isoformat() if self.own_date else 'no date'}"

"""The view module: stored analyses, lists and briefings turned into replies. Every quote
shown is re-checked against the text.

The re-check is the last gate before a user sees a quote: whatever the extractor, the
storage or a future model produced, nothing that is not a verbatim substring is shown.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from bot.service.limits import MAX_ECHO_CHARS
from bot.service.replies import Block, Button, Reply
from storage import (
    MAX_SEARCH_TERMS,
    ArticleRecord,
    SearchHit,
    SpeakerMatch,
    Subscription,
)
from summarizer.types import Analysis, Position, Span, StanceRecord, main_quote

SHORT_QUOTE_CHARS = 160


def echo(value: str, limit: int = MAX_ECHO_CHARS) -> str:
    """A user's text as quoted back in a reply: printable, and cut (marked) at `limit`."""
    shown = "".join(c if c.isprintable() else " " for c in value[: limit + 1]).strip()
    return shown if len(shown) <= limit else shown[: limit - 1].rstrip() + "…"


def verbatim(spans: Sequence[Span], text: str) -> list[Span]:
    return [s for s in spans if s.is_verbatim_in(text)]


def shorten(quote: str, limit: int = SHORT_QUOTE_CHARS) -> str:
    """Cut at a word boundary and mark the cut: a shortened quote never passes as whole."""
    if len(quote) <= limit:
        return quote
    cut = quote[:limit].rsplit(" ", 1)[0].rstrip(",;:—- ")
    return f"{cut} …"


def heading(article: ArticleRecord) -> Block:
    parts = [f"#{article.id} · {article.display_title}"]
    meta = ", ".join(
        x for x in (article.outlet, article.published and article.published.isoformat()) if x
    )
    if meta:
        parts.append(f"— {meta}")
    return Block(kind="heading", text=" ".join(parts))


def no_stance_line(quotes: int, *, unfinished: bool) -> str:
    """In place of a stance line that failed its checks or that the model had no time for
    (`unfinished`): plainly not the model's words, so nobody reads it as a summary of the
    stance, saying why (a line cut by the limit read as one that failed), and pointing at
    what stands in for it."""
    why = "No stance line passed the checks"
    if unfinished:
        why = "The model ran out of time for a stance line"
    if quotes == 0:
        return f"[{why}; paraphrased in the article.]"
    times = "once" if quotes == 1 else f"{quotes} times"
    return f"[{why}; quoted {times}, see the quotes.]"


def stance_line(position: Position) -> str | None:
    """The model's stance line, the marked stand-in where it failed or was not finished, or
    None where no line was asked for (no model, or an unnamed source)."""
    if position.stance_fallback:
        return no_stance_line(len(position.quotes), unfinished=position.stance_unfinished)
    return position.stance


def _speaker_line(position: Position) -> str:
    who = position.speaker + (f" — {position.role}" if position.role else "")
    if position.kind == "organization":
        who += " (organisation)"
    line = stance_line(position)
    return f"{who}: {line}" if line else who


def summary_blocks(analysis: Analysis | None, *, pending: bool) -> list[Block]:
    if analysis and analysis.summary:
        summary = analysis.summary
        blocks = [Block(kind="text", text=summary.text)]
        if summary.unfinished:
            sentences = "sentence" if summary.unfinished == 1 else "sentences"
            blocks.append(
                Block(
                    kind="note",
                    text=f"the model ran out of time for {summary.unfinished} of the brief's"
                    f" {sentences}: sentences taken from the article and the quotes stand in"
                    " for them, marked as such",
                )
            )
        elif summary.fallback:
            blocks.append(
                Block(
                    kind="note",
                    text="extractive summary: sentences taken from the article, because the"
                    " model's draft did not pass the neutrality checks",
                )
            )
        if pending:  # the sentences checked so far, shown while the model writes the rest
            blocks.append(Block(kind="note", text="the rest of the brief is being written…"))
        return blocks
    if pending:
        return [Block(kind="note", text="the summary is being written…")]
    return [Block(kind="note", text="no summary: the language model is switched off or failed")]


def _marked(phrase: str) -> str:
    """A scare-quoted phrase keeps its own marks ('referendum'); others get ours."""
    return phrase if phrase[:1] in "'\"‘“" and phrase[-1:] in "'\"’”" else f"‘{phrase}’"


def positions_blocks(analysis: Analysis, text: str, *, all_quotes: bool) -> list[Block]:
    if not analysis.positions:
        return [Block(kind="note", text="no attributed quotes or positions found")]
    blocks: list[Block] = []
    for position in analysis.positions:
        blocks.append(Block(kind="item", text=_speaker_line(position)))
        quotes = [q.text for q in verbatim(position.quotes, text)]
        shown = quotes if all_quotes else [q for q in [main_quote(quotes)] if q]
        blocks.extend(Block(kind="quote", text=q if all_quotes else shorten(q)) for q in shown)
        if all_quotes:
            blocks.extend(
                Block(kind="note", text=f"reported: {p.text}")
                for p in verbatim(position.paraphrases, text)
            )
    return blocks


def _body(analysis: Analysis | None, text: str, *, pending: bool) -> list[Block]:
    blocks = summary_blocks(analysis, pending=pending)
    if analysis is None:
        if pending:
            blocks.append(Block(kind="note", text="finding who said what…"))
        return blocks
    if analysis.loaded_phrases:
        blocks.append(
            Block(
                kind="note",
                text="loaded language in the author's voice: "
                + ", ".join(_marked(p) for p in analysis.loaded_phrases[:12]),
            )
        )
    blocks.append(Block(kind="heading", text="Who said what"))
    blocks.extend(positions_blocks(analysis, text, all_quotes=False))
    return blocks


def article_view(
    article: ArticleRecord, analysis: Analysis | None, *, pending: bool = False
) -> Reply:
    """An article's heading, summary and who said what: the reply to a paste or /summary."""
    buttons: list[Button] = []
    if analysis is not None and any(len(p.quotes) > 1 or p.paraphrases for p in analysis.positions):
        buttons = [
            Button(label="All quotes", command=f"/quotes {article.id}"),
            Button(label="Full positions", command=f"/positions {article.id}"),
        ]
    return Reply(
        blocks=[heading(article), *_body(analysis, article.text, pending=pending)], buttons=buttons
    )


def analysis_text(analysis: Analysis, text: str) -> str:
    """The reply for an article that is not stored, for `briefbot analyze`."""
    title = Block(kind="heading", text=analysis.title or "(untitled)")
    return Reply(blocks=[title, *_body(analysis, text, pending=False)]).plain()


def positions(article: ArticleRecord, analysis: Analysis, *, all_quotes: bool) -> Reply:
    return Reply(
        blocks=[heading(article), *positions_blocks(analysis, article.text, all_quotes=all_quotes)]
    )


def article_list(articles: Sequence[ArticleRecord]) -> Reply:
    if not articles:
        return Reply.say("No articles stored yet. Paste one, or send a link.")
    blocks = [Block(kind="heading", text="Your articles (newest first)")]
    for a in articles:
        state = "" if a.state == "done" else f" [{a.state}]"
        blocks.append(Block(kind="item", text=f"#{a.id} {a.display_title}{state}"))
    blocks.append(Block(kind="note", text="/summary ID · /positions ID · /delete ID"))
    return Reply(blocks=blocks)


def speakers(found: Sequence[SpeakerMatch]) -> Reply:
    if not found:
        return Reply.say("No speakers yet: they appear once an article with quotes is analysed.")
    blocks = [Block(kind="heading", text="Speakers in your articles")]
    blocks.extend(
        Block(kind="item", text=f"{s.name} — {s.article_count} article(s)") for s in found
    )
    blocks.append(Block(kind="note", text="/stance NAME shows one speaker across articles"))
    return Reply(blocks=blocks)


# What /stance says about its model paragraph while it is written and when none comes: on
# the console the list sat silent for up to the digest's limit, then nothing followed.
# Articles pasted meanwhile go first, and the limit can run out while they are read.
DIGEST_PENDING = (
    "A short digest by the model follows here if it is ready in time;"
    " articles you send meanwhile go first."
)
NO_DIGEST = (
    "No digest this time: the model's paragraph was not ready in time or did not pass"
    " the checks. The dated list is the answer."
)
NO_MODEL = "No digest: the model could not be loaded. The dated list is the answer."


def stance(
    match: SpeakerMatch,
    history: Sequence[StanceRecord],
    digest: str | None = None,
    *,
    note: str | None = None,
    writing: Collection[int] = (),
) -> Reply:
    """`note`: where the digest goes, whether one is on its way (DIGEST_PENDING) or did not
    come (NO_DIGEST, NO_MODEL); `writing`: the articles whose stance lines the model is still
    writing."""
    blocks = [Block(kind="heading", text=f"{match.name}: stance across {len(history)} article(s)")]
    if digest:
        blocks.append(Block(kind="text", text=digest))
    if note:
        blocks.append(Block(kind="note", text=note))
    for record in history:
        role = f" ({record.role})" if record.role else ""
        if record.stance_fallback:
            line = no_stance_line(len(record.quotes), unfinished=record.stance_unfinished)
        elif record.stance:
            line = record.stance
        elif record.article_id in writing:
            line = "its stance line is still being written"
        else:
            line = "quoted without a stance line"
        blocks.append(
            Block(
                kind="item",
                text=f"{record.day} · #{record.article_id} {record.title}{role}: {line}",
            )
        )
        if record.main_quote:
            blocks.append(Block(kind="quote", text=shorten(record.main_quote)))
    return Reply(blocks=blocks)


def search_results(asked: str, hits: Sequence[SearchHit], *, capped: bool) -> Reply:
    """`asked` is the words searched for; `capped` when the user gave more than are searched."""
    note = []
    if capped:
        note = [
            Block(
                kind="note",
                text=f"I search for up to {MAX_SEARCH_TERMS} words; these were the first.",
            )
        ]
    if not hits:
        said = Block(kind="text", text=f"Nothing in your articles matches “{echo(asked)}”.")
        return Reply(blocks=[said, *note])
    blocks = [Block(kind="heading", text=f"Articles matching “{echo(asked)}”"), *note]
    for hit in hits:
        blocks.append(Block(kind="item", text=f"#{hit.article_id} {hit.title}"))
        blocks.append(Block(kind="note", text=hit.snippet))
    return Reply(blocks=blocks)


def briefing(
    analysed: Sequence[tuple[ArticleRecord, Analysis | None]],
    sub: Subscription | None,
    due: datetime | None,
) -> Reply:
    """The daily briefing: each new article's first line, then who said what; `due` is when
    the next one comes, for a subscribed chat."""
    blocks = [Block(kind="heading", text="Your briefing")]
    if not analysed:
        blocks.append(Block(kind="text", text="No new articles since the last briefing."))
    said: list[Block] = []
    for article, analysis in analysed:
        first = analysis.summary.text if analysis and analysis.summary else "(not analysed yet)"
        blocks.append(Block(kind="item", text=f"#{article.id} {article.display_title}: {first}"))
        for position in analysis.positions if analysis else []:
            quote = main_quote([q.text for q in verbatim(position.quotes, article.text)])
            if position.stance:
                line = position.stance
            elif quote:
                line = f"“{shorten(quote)}”"
            else:
                continue
            said.append(Block(kind="item", text=f"{position.speaker}: {line} (#{article.id})"))
    if said:
        blocks.append(Block(kind="heading", text="Who said what"))
        blocks.extend(said)
    if sub and due:
        blocks.append(Block(kind="note", text=f"next briefing {due:%a %d %b, %H:%M} {sub.tz}"))
    return Reply(blocks=blocks)

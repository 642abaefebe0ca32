"""Commands about the people quoted: one speaker's stance across articles, and the list.

Who counts as the same speaker is decided when an analysis is stored; here a user's typed
name is only looked up, and a near miss gets suggestions.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from bot.service import stored, views
from bot.service.analysis import AnalysisStopped, ModelUnavailable
from bot.service.limits import MAX_NAME_CHARS
from bot.service.replies import Reply, Response
from bot.service.views import echo
from storage import UNFINISHED, ArticleRecord

if TYPE_CHECKING:
    from bot.service.commands import ChatRef
    from bot.service.core import ChatService

log = logging.getLogger(__name__)


def close_names(name: str, names: list[str]) -> list[str]:
    """Known names a typo is near, by full name or by surname."""
    lowered = {n.lower(): n for n in names}
    by_surname = {n.split()[-1].lower(): n for n in names}
    hits = difflib.get_close_matches(name.lower(), [*lowered, *by_surname], n=3, cutoff=0.6)
    return list(dict.fromkeys(lowered.get(h) or by_surname[h] for h in hits))


async def stance(service: ChatService, chat: ChatRef, args: str) -> list[Response]:
    if not args:
        return [
            Response(Reply.say("Whose stance? For example: /stance Rutte. /speakers lists them."))
        ]
    if len(args) > MAX_NAME_CHARS:
        return [
            Response(
                Reply.say(
                    f"That is not a name I'd know ({len(args):,} characters)."
                    " /speakers lists who is quoted."
                )
            )
        ]
    await stored.refresh_chat(service, chat.chat_id)
    found = await service.store.find_speakers(chat.chat_id, args)
    if not found:
        known = await service.store.list_speakers(chat.chat_id)
        close = close_names(args, [s.name for s in known])
        hint = f" Did you mean {', '.join(close)}?" if close else " /speakers lists who is quoted."
        # An article still being read may quote them: "no one" may be false until it is done.
        reading = await _unfinished(service, chat)
        if reading:
            hint = (
                f" {len(reading)} of your articles {'is' if len(reading) == 1 else 'are'} still"
                f" being analysed; ask again when {'it is' if len(reading) == 1 else 'they are'}"
                " done."
            )
        return [
            Response(Reply.say(f"No one called “{echo(args)}” is quoted in your articles.{hint}"))
        ]
    if len(found) > 1:
        names = "; ".join(f"{s.name} ({s.article_count} article(s))" for s in found[:8])
        return [
            Response(
                Reply.say(f"“{echo(args)}” could be several people: {names}. Use the full name.")
            )
        ]
    match = found[0]
    history = await service.store.stance_history(chat.chat_id, match.id)
    # Positions are stored before the model writes: an article still under way lists the
    # speaker with no stance line yet, which the list says instead of "without a stance line".
    writing = {a.id for a in await _unfinished(service, chat)}
    # one article has no development to digest: its line is already shown
    several = len({h.article_id for h in history}) > 1
    if service.analyzer.model_name is None or not several:
        return [Response(views.stance(match, history, writing=writing))]

    async def with_digest() -> AsyncIterator[Reply]:
        # The dated list is on screen already, saying a digest may follow; whatever ends
        # the wait, the reply says how it ended (the note "follows" must not stay).
        digest = None
        note = views.NO_DIGEST
        try:
            digest = await service.queue.bounded(service.analyzer.digest(match.name, history))
        except AnalysisStopped:
            return
        except TimeoutError:  # stuck past the analysis limit too: the thread was abandoned
            log.warning("stance digest for %s is stuck; the list stands alone", match.name)
        except ModelUnavailable:  # the load said why, in the log
            note = views.NO_MODEL
        if digest:
            yield views.stance(match, history, digest, writing=writing)
        else:
            yield views.stance(match, history, note=note, writing=writing)

    return [
        Response(
            views.stance(match, history, note=views.DIGEST_PENDING, writing=writing),
            with_digest(),
            late=True,
        )
    ]


async def list_speakers(service: ChatService, chat: ChatRef, args: str) -> list[Response]:
    await stored.refresh_chat(service, chat.chat_id)
    return [Response(views.speakers(await service.store.list_speakers(chat.chat_id)))]


async def _unfinished(service: ChatService, chat: ChatRef) -> list[ArticleRecord]:
    """The chat's articles still queued or under analysis."""
    return [a for a in await service.store.list_articles(chat.chat_id) if a.state in UNFINISHED]

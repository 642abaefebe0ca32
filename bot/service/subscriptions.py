"""The daily briefing: subscribing, unsubscribing, and composing one.

The skins decide when a briefing is sent (PTB's JobQueue, the console's own timer); what it
says, and which window of articles it covers, is decided here for both.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from bot.service import stored, views
from bot.service.replies import Reply, Response
from bot.service.times import next_run, parse_local_time, parse_zone, zone_suggestions
from bot.service.views import echo

if TYPE_CHECKING:
    from bot.service.commands import ChatRef
    from bot.service.core import ChatService

USAGE = "Usage: /subscribe HH:MM [Area/City], for example /subscribe 07:30 Europe/Berlin"


async def subscribe(service: ChatService, chat: ChatRef, args: str) -> list[Response]:
    parts = args.split()
    if not parts or len(parts) > 2:
        return [Response(Reply.say(USAGE))]
    at = parse_local_time(parts[0])
    if at is None:
        return [
            Response(Reply.say(f"“{echo(parts[0])}” is not a time of day (00:00–23:59). {USAGE}"))
        ]
    asked = parts[1] if len(parts) == 2 else "UTC"
    tz = parse_zone(asked)
    if tz is None:
        close = zone_suggestions(asked)
        hint = (
            f" Did you mean {', '.join(close)}?" if close else " Use an IANA zone like Europe/Rome."
        )
        return [Response(Reply.say(f"I don't know the time zone “{echo(asked)}”.{hint}"))]
    sub = await service.store.subscribe(chat.chat_id, at, tz)
    if service.scheduler:
        service.scheduler.schedule(sub)
    when = next_run(sub)
    return [
        Response(
            Reply.say(
                f"Subscribed: a briefing every day at {at:%H:%M} {tz}."
                f" The next one comes {when:%a %d %b at %H:%M}."
            )
        )
    ]


async def unsubscribe(service: ChatService, chat: ChatRef, args: str) -> list[Response]:
    removed = await service.store.unsubscribe(chat.chat_id)
    if service.scheduler:
        service.scheduler.cancel(chat.chat_id)
    said = "Unsubscribed: no more daily briefings." if removed else "You had no subscription."
    return [Response(Reply.say(said))]


async def briefing(service: ChatService, chat: ChatRef, args: str) -> list[Response]:
    reply, covered_until = await compose_briefing(service, chat.chat_id)
    await confirm_briefing(service, chat.chat_id, covered_until)
    return [Response(reply)]


async def compose_briefing(service: ChatService, chat_id: int) -> tuple[Reply, datetime]:
    """What arrived since the last briefing, then who said what.

    Returns the moment it covers up to; pass it to `confirm_briefing` only once the
    briefing was delivered, so a failed send does not lose that window.
    """
    now = datetime.now(UTC)
    sub = await service.store.get_subscription(chat_id)
    since = sub.last_sent_at if sub and sub.last_sent_at else now - timedelta(days=1)
    articles = await service.store.list_articles(chat_id, limit=50, since=since)
    analysed = [(a, await stored.analysis(service, a)) for a in reversed(articles)]
    due = next_run(sub, now + timedelta(minutes=1)) if sub else None
    return views.briefing(analysed, sub, due), now


async def confirm_briefing(service: ChatService, chat_id: int, covered_until: datetime) -> None:
    await service.store.mark_briefed(chat_id, covered_until)

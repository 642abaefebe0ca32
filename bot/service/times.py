"""Times of day and time zones as users type them, and when a daily briefing next falls due."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from storage import Subscription


def parse_local_time(value: str) -> time | None:
    match = re.fullmatch(r"([01]?\d|2[0-3])[:.h]([0-5]\d)", value.strip())
    return time(int(match[1]), int(match[2])) if match else None


@cache
def _zones() -> dict[str, str]:
    """Every IANA zone by its lower-cased name (a scan of the zone files: done once)."""
    return {zone.lower(): zone for zone in available_timezones()}


def parse_zone(value: str) -> str | None:
    """The IANA zone the user means ('europe/rome' is Europe/Rome), or None.

    Only names from the zone list reach `ZoneInfo`: it reads files, so 'Europe' (a folder),
    '../etc' or a NUL raised errors of other kinds than 'not found'.
    """
    return _zones().get(value.lower())


def zone_suggestions(value: str, limit: int = 3) -> list[str]:
    needle = value.lower().split("/")[-1]
    return sorted(z for z in _zones().values() if needle and needle in z.lower())[:limit]


def next_run(sub: Subscription, now: datetime | None = None) -> datetime:
    zone = ZoneInfo(sub.tz)
    local_now = (now or datetime.now(UTC)).astimezone(zone)
    candidate = datetime.combine(local_now.date(), sub.local_time, tzinfo=zone)
    if candidate <= local_now:
        candidate = datetime.combine(
            local_now.date() + timedelta(days=1), sub.local_time, tzinfo=zone
        )
    return candidate


def missed_briefing(sub: Subscription, now: datetime | None = None) -> date | None:
    """The subscriber's local day whose briefing fell due while no process ran, or None.

    Only today's, in the subscriber's zone: a briefing is news of the morning it was asked
    for, and one for yesterday sent today would arrive stale and beside today's own. Nothing
    is lost by that: a briefing covers every article since the last one sent, so the next
    briefing carries what the missed days would have. A time that passed before the
    subscription was made was never due. Whether the day was already sent is the sent-log's
    to say (`Store.claim_briefing`), not this rule's.
    """
    zone = ZoneInfo(sub.tz)
    local_now = (now or datetime.now(UTC)).astimezone(zone)
    due = datetime.combine(local_now.date(), sub.local_time, tzinfo=zone)
    if due <= local_now and sub.created_at <= due:
        return local_now.date()
    return None

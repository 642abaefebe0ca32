"""Daily briefings on PTB's JobQueue, each at the chat's own wall-clock time.

The store is the record of subscriptions; jobs live in memory and are rebuilt from the
store at start-up, so a restart loses none and there is no second copy to drift. Every bot
process holds every job; the store's sent-log decides which one sends each day's briefing.
A briefing that fell due today while no process ran is sent at start-up (`catch_up_name`);
one missed on an earlier day is not (see `missed_briefing`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from telegram.error import Forbidden
from telegram.ext import ContextTypes, JobQueue

from bot.service.analysis import worker_name
from bot.service.times import missed_briefing
from bot.telegram.handlers import LiveMessage, service_of
from storage import Subscription

log = logging.getLogger(__name__)


# Who claims a briefing: this process. A claim left unsent this long was its sender's last
# act (it died mid-send), and another process takes the day over.
SENDER = worker_name()
CLAIM_STALE_S = 600.0
# APScheduler skips a job that starts over its misfire grace late, 1 s unless told: 1,000
# briefings due in one minute on a loaded host all started ~2 s late and none was sent. A
# late briefing is still wanted, and the sent-log keeps it to one: no grace limit.
LATE_OK = {"misfire_grace_time": None}


def job_name(chat_id: int) -> str:
    return f"briefing:{chat_id}"


def catch_up_name(chat_id: int) -> str:
    return f"catch-up:{chat_id}"


async def send_briefing(context: ContextTypes.DEFAULT_TYPE) -> None:
    """Sends the chat's briefing for its local day, unless another bot process (or this one,
    before a restart) already has: the day is claimed in the store before anything is sent,
    marked sent after, and released if the send failed, so a later attempt may send it."""
    job = context.job
    assert job is not None and job.chat_id is not None, "scheduled with a chat id, see schedule()"
    chat_id = job.chat_id
    service = service_of(context)
    sub = await service.store.get_subscription(chat_id)
    if sub is None:
        return
    # a catch-up carries the day it makes up for: it may run just past that day's midnight
    day = job.data if isinstance(job.data, date) else datetime.now(ZoneInfo(sub.tz)).date()
    if not await service.store.claim_briefing(chat_id, day, SENDER, stale_s=CLAIM_STALE_S):
        log.info("the briefing of chat %s for %s is another process's", chat_id, day)
        return
    try:
        reply, covered_until = await service.compose_briefing(chat_id)
        await LiveMessage(context.bot, chat_id).show(reply)
    except Forbidden:
        log.info("chat %s blocked the bot; ending its subscription", chat_id)
        await service.store.unsubscribe(chat_id)
        assert context.job_queue is not None, "a job runs on the job queue"
        for daily in context.job_queue.get_jobs_by_name(job_name(chat_id)):
            daily.schedule_removal()
        return
    except BaseException:
        await service.store.release_briefing(chat_id, day, SENDER)
        raise
    await service.store.briefing_sent(chat_id, day, covered_until)


class JobQueueScheduler:
    """The service's `Scheduler`, on PTB's JobQueue."""

    def __init__(self, job_queue: JobQueue) -> None:
        self._jobs = job_queue

    def schedule(self, subscription: Subscription) -> None:
        self.cancel(subscription.chat_id)
        # a zone-aware time makes APScheduler follow the zone's daylight-saving changes
        at = subscription.local_time.replace(tzinfo=ZoneInfo(subscription.tz))
        self._jobs.run_daily(
            send_briefing,
            time=at,
            chat_id=subscription.chat_id,
            name=job_name(subscription.chat_id),
            job_kwargs=LATE_OK,
        )

    def cancel(self, chat_id: int) -> None:
        for name in (job_name(chat_id), catch_up_name(chat_id)):
            for job in self._jobs.get_jobs_by_name(name):
                job.schedule_removal()

    def rebuild(self, subscriptions: Iterable[Subscription]) -> int:
        """Every subscription's daily job, and at once today's briefing for any whose time
        passed while no process ran (every process queues it; the sent-log lets one send)."""
        count = 0
        now = datetime.now(UTC)
        for subscription in subscriptions:
            self.schedule(subscription)
            missed = missed_briefing(subscription, now)
            if missed is not None:
                self._jobs.run_once(
                    send_briefing,
                    when=0,
                    chat_id=subscription.chat_id,
                    name=catch_up_name(subscription.chat_id),
                    data=missed,
                    job_kwargs=LATE_OK,
                )
            count += 1
        return count

"""A campaign's run: a durable job that does one tick at a time and queues the next.

A tick takes the campaign's lease (`run_until`, one conditional UPDATE, so two copies of
the job never both work), then by state: a scheduled campaign whose time came starts
preparing; preparing writes recipients (resumably) and then makes the discount codes at the
store, every one before the first send; sending releases the next slice of held rows to the
send path (plugin.pipeline.campaigns.delivery), sized to the number's throughput, and drops
every row still unsent once the deadline passed. The lease left behind names when the next
tick is due; if that job is lost (a dead worker, a queue outage) the lease lapses and the
sweeper queues the run again (`enqueue_lost`).
"""
from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, and_, case, func, or_, select, update
from sqlalchemy.orm import Session

from plugin.domain import campaigns as domain
from plugin.domain.campaigns import CampaignState
from plugin.domain.errors import ProviderError
from plugin.domain.outbox import MessageState
from plugin.infra import db, queue
from plugin.models import Campaign, Message, WhatsAppAccount
from plugin.pipeline.campaigns import codes, delivery, links, materialise, plan

log = logging.getLogger(__name__)

# Seconds between two ticks while sending: each releases TICK_SECONDS of the number's rate.
TICK_SECONDS = 2.0
# How long one tick may hold the campaign before another run may take it over.
LEASE_SECONDS = 120
# The sweeper queues a run whose next tick is this late (its job was lost).
LOST_AFTER_SECONDS = 10
# Batches of recipients written per tick (segments.BATCH each).
WRITE_BATCHES_PER_TICK = 20
# Released rows not yet sent, at most, in throughput-seconds: the queue is not flooded
# when the sends fall behind (a throttled number), and a pause takes back the rest.
IN_FLIGHT_SECONDS = 2 * TICK_SECONDS
# A store refusing the discount codes is asked this many ticks in all, then the campaign
# fails before any send.
CODE_TRIES = 3
# The reason a preparing campaign keeps while the store refuses its codes; counts the tries.
_TRIED = re.compile(r"discount codes: try (\d+)/")
_PENDING = MessageState.PENDING.value
_RUNNING = tuple(s.value for s in domain.RUNNING)


def run(campaign_id: int) -> None:
    """The CAMPAIGN_RUN job: one tick, then the next is queued; safe to run twice."""
    now = db.utcnow()
    with db.transaction() as session:
        if not _claim(session, campaign_id, now):
            return
    try:
        delay = _tick(campaign_id, now)
    except Exception:
        # Let the lease lapse so the sweeper retries; the tick's writes are each atomic.
        log.exception("campaign %s: tick failed; the sweeper will run it again", campaign_id)
        raise
    if delay is not None:
        with db.transaction() as session:
            session.execute(update(Campaign).where(Campaign.id == campaign_id)
                            .values(run_until=now + timedelta(seconds=delay)))
            queue.enqueue_after_commit(session, queue.Job.CAMPAIGN_RUN, campaign_id,
                                       delay if delay > 0 else 0)
    else:
        with db.transaction() as session:
            session.execute(update(Campaign).where(Campaign.id == campaign_id)
                            .values(run_until=None))


def _claim(session: Session, campaign_id: int, now: datetime) -> bool:
    result = session.execute(
        update(Campaign).where(
            Campaign.id == campaign_id, Campaign.state.in_(_RUNNING),
            or_(Campaign.run_until.is_(None), Campaign.run_until <= now))
        .values(run_until=now + timedelta(seconds=LEASE_SECONDS))
        .execution_options(synchronize_session=False))
    return cast(CursorResult[Any], result).rowcount == 1


def _tick(campaign_id: int, now: datetime) -> float | None:
    """Do one step; the seconds until the next tick, or None when the run is over."""
    missing = 0
    with db.transaction() as session:
        # Locked for the tick (PostgreSQL; SQLite has one writer): a pause or cancel waits
        # for this tick's release to commit, then takes back what it released.
        campaign = session.get_one(Campaign, campaign_id, with_for_update=True)
        if CampaignState(campaign.state) not in domain.RUNNING:
            return None
        state = CampaignState(campaign.state)
        if state is CampaignState.SCHEDULED:
            assert campaign.scheduled_at is not None
            if campaign.scheduled_at > now:
                return (campaign.scheduled_at - now).total_seconds()
            campaign.state, campaign.started_at = CampaignState.PREPARING.value, now
            campaign.updated_at = now
            if domain.read_discount(campaign.discount).mode == domain.DISCOUNT_SHARED:
                materialise.add_shared_code(session, campaign)
            return 0
        if _deadline_passed(campaign, now):
            _drop_unsent(session, campaign, domain.DEADLINE_PASSED)
            _finish(campaign, CampaignState.DONE, now, "deadline passed")
            return None
        if state is CampaignState.PREPARING:
            template = plan.find_template(session, campaign.store_id, campaign.template,
                                          campaign.language)
            if template is None:
                _drop_unsent(session, campaign, "the template is no longer approved")
                _finish(campaign, CampaignState.FAILED, now,
                        "the template is no longer approved: nothing was sent")
                return None
            if not materialise.write_some(session, campaign, template,
                                          WRITE_BATCHES_PER_TICK):
                return 0
            campaign.total = materialise.written(session, campaign)
            missing = codes.missing(session, campaign.id)
        if state is CampaignState.SENDING:
            return _release(session, campaign, now)
    if missing and not _make_codes(campaign_id, now):
        return TICK_SECONDS if _still(campaign_id, CampaignState.PREPARING) else None
    with db.transaction() as session:
        campaign = session.get_one(Campaign, campaign_id, with_for_update=True)
        if campaign.state != CampaignState.PREPARING.value:
            return None  # paused or cancelled while the codes were made
        if codes.missing(session, campaign_id):
            return 0
        campaign.state, campaign.reason, campaign.updated_at = (
            CampaignState.SENDING.value, None, now)
    return 0


def _still(campaign_id: int, state: CampaignState) -> bool:
    with db.transaction() as session:
        return session.get_one(Campaign, campaign_id).state == state.value


def _make_codes(campaign_id: int, now: datetime) -> bool:
    """Make the missing codes at the store (a batch); False when it refused (the campaign
    retried later, or failed with nothing sent after CODE_TRIES)."""
    try:
        codes.make_missing(campaign_id)
        return True
    except ProviderError as error:
        with db.transaction() as session:
            campaign = session.get_one(Campaign, campaign_id, with_for_update=True)
            if campaign.state != CampaignState.PREPARING.value:
                return False
            tried = _TRIED.match(campaign.reason or "")
            tries = (int(tried.group(1)) if tried else 0) + 1
            if tries >= CODE_TRIES:
                _drop_unsent(session, campaign, "the store refused the discount codes")
                _finish(campaign, CampaignState.FAILED, now,
                        f"the store refused the discount codes ({error}): nothing was sent")
            else:
                campaign.reason = f"discount codes: try {tries}/{CODE_TRIES} failed: {error}"[:255]
        return False


def _release(session: Session, campaign: Campaign, now: datetime) -> float | None:
    """Release the next slice of held rows; None once none is left unsent."""
    cause = links.cause(campaign.id)
    mine = and_(Message.store_id == campaign.store_id, Message.cause == cause,
                Message.state == _PENDING)
    # One scan of the campaign's pending rows: released (waiting), in flight, due now.
    # Released rows deferred past the next ticks (quiet hours in one zone, a customer's
    # cap for days) are not in flight: they must not hold back everyone else's messages.
    counted = session.execute(select(*(
        func.sum(case((condition, 1), else_=0)) for condition in (
            Message.not_before < materialise.HELD_UNTIL,
            Message.not_before < now + timedelta(seconds=IN_FLIGHT_SECONDS),
            Message.not_before <= now))).where(mine)).one()
    waiting, in_flight, due = (int(n or 0) for n in counted)
    rate = session.scalar(select(WhatsAppAccount.throughput_mps).where(
        WhatsAppAccount.store_id == campaign.store_id).limit(1)) or 80
    room = int(rate * IN_FLIGHT_SECONDS) - in_flight
    ids: list[int] = []
    if room > 0:
        ids = list(session.scalars(select(Message.id).where(
            mine, Message.not_before == materialise.HELD_UNTIL)
            .order_by(Message.id).limit(min(room, int(rate * TICK_SECONDS)))))
    if ids:
        session.execute(update(Message).where(Message.id.in_(ids), Message.state == _PENDING,
                                              Message.not_before == materialise.HELD_UNTIL)
                        .values(not_before=now, enqueued_at=now)
                        .execution_options(synchronize_session=False))
        delivery.send_released(session, campaign_id=campaign.id, count=len(ids))
        return TICK_SECONDS
    if waiting:
        # Released rows the engine deferred (quiet hours, caps, the number's rate) come due
        # again on their own time: hand those that are due to the engine again.
        delivery.send_released(session, campaign_id=campaign.id, count=due)
        return TICK_SECONDS
    still_sending = session.scalar(select(Message.id).where(
        Message.store_id == campaign.store_id, Message.cause == cause,
        Message.state == MessageState.SENDING.value).limit(1))
    if still_sending is not None:
        return TICK_SECONDS
    _finish(campaign, CampaignState.DONE, now, None)
    return None


def _deadline_passed(campaign: Campaign, now: datetime) -> bool:
    return campaign.deadline_at is not None and now >= campaign.deadline_at


def _drop_unsent(session: Session, campaign: Campaign, reason: str) -> int:
    """Skip every row of the campaign not yet claimed by a send (held or released)."""
    result = session.execute(
        update(Message).where(Message.store_id == campaign.store_id,
                              Message.cause == links.cause(campaign.id),
                              Message.state == _PENDING)
        .values(state=MessageState.SKIPPED.value, reason=reason, not_before=None)
        .execution_options(synchronize_session=False))
    return cast(CursorResult[Any], result).rowcount


def _finish(campaign: Campaign, state: CampaignState, now: datetime,
            reason: str | None) -> None:
    campaign.state, campaign.reason = state.value, reason
    campaign.finished_at = campaign.updated_at = now


def enqueue_lost(now: datetime) -> int:
    """Queue the run of every campaign whose next tick is overdue (its job lost, its
    worker dead, or its start time come); how many. Run by every worker's sweeper."""
    late = now - timedelta(seconds=LOST_AFTER_SECONDS)
    with db.transaction() as session:
        ids = list(session.scalars(select(Campaign.id).where(
            Campaign.state.in_(_RUNNING),
            or_(Campaign.run_until.is_(None), Campaign.run_until < late)).limit(100)))
        for campaign_id in ids:
            queue.enqueue_after_commit(session, queue.Job.CAMPAIGN_RUN, campaign_id)
    return len(ids)

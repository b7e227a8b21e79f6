"""The one step between releasing a campaign's rows and sending them: hand the released
rows to the batch send engine (plugin.pipeline.send_engine).

The release commits first; then one `campaign_send` job per slice runs
`send_pending(store_id=…, cause=…, limit=…)`, which leases the campaign's due rows in
batches, checks the policy for each batch at once and sends them at the number's rate. A
row is sent at most once whichever worker runs it: the engine claims it (pending → sending)
first. A slice whose job is lost is not lost: its rows stay due, and the next slice's job
(or the run's next tick) takes them, as send_pending takes any due row of the cause.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from plugin.infra import db, queue
from plugin.models import Campaign
from plugin.pipeline import send_engine
from plugin.pipeline.campaigns import links


def send_released(session: Session, *, campaign_id: int, count: int) -> int:
    """Queue the send of `count` rows of the campaign just released in `session`'s
    transaction (after it commits; never if it rolls back); how many."""
    if count:
        queue.enqueue_after_commit(session, queue.Job.CAMPAIGN_SEND, campaign_id)
    return count


def send_due(campaign_id: int) -> None:
    """The `campaign_send` job: send the campaign's due rows through the batch engine."""
    with db.transaction() as session:
        campaign = session.get(Campaign, campaign_id)
        if campaign is None:
            return
        store_id, cause = campaign.store_id, links.cause(campaign.id)
    send_engine.send_pending(store_id=store_id, cause=cause, limit=SLICE_LIMIT)


# One job sends at most this many rows; the run releases less than this per tick, so a job
# also picks up rows an earlier, lost job left due.
SLICE_LIMIT = 10_000

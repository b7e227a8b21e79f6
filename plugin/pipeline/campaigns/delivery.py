"""The one step between releasing a campaign's rows and sending them: hand the released
rows to the send path.

For now each released row gets the per-message send job (plugin.pipeline.send), queued
once the release commits; when the batched send engine lands this becomes one call to it
(`send_pending(store_id=…, cause=…, limit=…)`), and nothing else in campaigns changes.
Either way a row is sent at most once: the send claims it (pending → sending) first.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from plugin.infra import queue


def send_released(session: Session, *, store_id: int, cause: str,
                  message_ids: list[int]) -> int:
    """Queue the sends of rows of `cause` just released in `session`'s transaction (after
    it commits; never if it rolls back); how many."""
    del store_id, cause  # what the batched engine will take instead of the ids
    for message_id in message_ids:
        queue.enqueue_after_commit(session, queue.Job.SEND_MESSAGE, message_id)
    return len(message_ids)

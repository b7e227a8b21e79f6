"""Analytics worlds: outbox rows moved through the real outbox and status paths, and the
brute-force count over the message table that the rollups must equal."""
from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from plugin.domain.message_flows import flow_of
from plugin.domain.messaging import DeliveryStatus, StatusUpdate
from plugin.domain.outbox import MessageState
from plugin.models import Message, MessageRollup, Store
from plugin.pipeline import conversations, outbox, rollups

# A message's life as the hypothesis draws it: how it leaves the outbox, then its reports.
ENDINGS = ("sent", "sent_batch", "failed", "skipped", "skipped_batch", "skipped_at_write",
           "pending")
REPORTS = ("sent", "delivered", "read", "failed")


def claim(session: Session, message_id: int) -> None:
    """Lease a message as the sender does (pending → sending)."""
    session.execute(update(Message).where(Message.id == message_id)
                    .values(state=MessageState.SENDING.value))


def live(session: Session, store_id: int, n: int, cause: str, step: str, ending: str,
         reports: list[tuple[str, int | None]], created: datetime | None = None,
         customer_id: int | None = None, sent: datetime | None = None) -> int:
    """Write message `n` (to `customer_id`, when given) and move it along `ending` (sent at
    `sent`, when given) and its status `reports` (each may repeat, in any order), through
    outbox and apply_status; its id."""
    skipped = "no consent" if ending == "skipped_at_write" else None
    message_id = outbox.write(session, store_id=store_id, cause=cause, step=step,
                              to="+351912345678", payload={"n": n}, skipped=skipped,
                              customer_id=customer_id)
    assert message_id is not None
    if created is not None and ending != "skipped_at_write":  # counted as written, at once
        session.execute(update(Message).where(Message.id == message_id)
                        .values(created_at=created))
    if ending in ("pending", "skipped_at_write"):
        return message_id
    claim(session, message_id)
    wamid = f"wamid.{n}"
    now = sent or datetime(2026, 12, 1, 12)
    if ending == "sent":
        outbox.mark_sent(session, message_id, wamid=wamid, transport="t", payload={}, now=now)
    elif ending == "sent_batch":
        outbox.mark_sent_many(session, [(message_id, wamid, now)], transport="t")
    elif ending == "failed":
        outbox.finish(session, message_id, MessageState.FAILED, reason="bad number",
                      code=131026)
    elif ending == "skipped":
        outbox.finish(session, message_id, MessageState.SKIPPED, reason="quiet hours")
    else:
        outbox.skip_many(session, [(message_id, "weekly cap")])
    for status, code in reports:
        conversations.apply_status(session, StatusUpdate(
            wamid=wamid, phone_number_id="1", recipient="351912345678",
            status=DeliveryStatus(status), timestamp=1_764_590_400,
            callback_data=f"storechat:{message_id}", error_code=code,
            error_title="limited" if code else ""))
    return message_id


def rolled_up(session: Session, store_id: int) -> Counter[tuple[str, str, str, str]]:
    """The rollups of a store: (day, flow, figure, detail) → n, zeros left out."""
    found: Counter[tuple[str, str, str, str]] = Counter()
    for row in session.scalars(select(MessageRollup).where(MessageRollup.store_id == store_id)):
        if row.n:
            found[(row.day.isoformat(), row.flow, row.figure, row.detail)] += row.n
    return found


def brute_force(session: Session, store_id: int) -> Counter[tuple[str, str, str, str]]:
    """The same figures counted straight from the message rows, written out here on its own
    (not through the rollups' code): what reached each point, per written day and flow."""
    zone = rollups.zone_named(session.scalar(select(Store.timezone)
                                             .where(Store.id == store_id)))
    found: Counter[tuple[str, str, str, str]] = Counter()
    for m in session.scalars(select(Message).where(Message.store_id == store_id)):
        key = (rollups.local_day(m.created_at, zone).isoformat(), flow_of(m.cause, m.step))
        sent = m.wamid is not None or m.state in ("sent", "delivered", "read")
        if sent:
            found[(*key, "sent", "")] += 1
        if m.state in ("delivered", "read"):
            found[(*key, "delivered", "")] += 1
        if m.state == "read":
            found[(*key, "read", "")] += 1
        if m.state == "failed":
            detail = str(m.error_code) if m.error_code is not None else m.reason or ""
            found[(*key, "failed_after_sent" if sent else "failed", detail)] += 1
        if m.state == "skipped":
            found[(*key, "skipped", m.reason or "")] += 1
    return found

"""What Meta says about a store's number and account, kept for the Analytics page and the
home page's warnings: the number's quality flag and messaging limit
(phone_number_quality_update), and the account's standing (account_update)."""
from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from plugin.domain.messaging import NumberUpdate
from plugin.infra import db
from plugin.infra.sql import insert_ignore
from plugin.models import NumberHealth, WhatsAppAccount

log = logging.getLogger(__name__)

QUALITY_FIELD = "phone_number_quality_update"
# Meta's quality events that set or clear the number's flag (its quality fell to low).
FLAG_EVENTS = {"FLAGGED": True, "UNFLAGGED": False}
# Account events that say where the account stands; the others (partners, pricing tiers,
# locations) change nothing an owner must act on.
STANDING_EVENTS = frozenset({"ACCOUNT_RESTRICTION", "ACCOUNT_VIOLATION", "DISABLED_UPDATE",
                             "ACCOUNT_DELETED", "ACCOUNT_OFFBOARDED", "ACCOUNT_RECONNECTED"})
# Standing events that stop or threaten sending (DISABLED_UPDATE with REINSTATE lifts a ban).
TROUBLE_EVENTS = frozenset({"ACCOUNT_RESTRICTION", "ACCOUNT_VIOLATION", "DISABLED_UPDATE",
                            "ACCOUNT_DELETED", "ACCOUNT_OFFBOARDED"})
LIFTED_DETAILS = frozenset({"REINSTATE"})


def apply(session: Session, update: NumberUpdate) -> int:
    """Keep what Meta said for every store on that account; how many rows it changed (an
    event older than the one kept changes nothing)."""
    quality = update.field == QUALITY_FIELD
    if not quality and update.event not in STANDING_EVENTS:
        return 0
    stores = session.scalars(select(WhatsAppAccount.store_id).where(
        WhatsAppAccount.waba_id == update.waba_id).distinct()).all()
    if not stores:
        log.info("ignoring %s for unknown account %s", update.field, update.waba_id)
    at = (datetime.fromtimestamp(update.at, UTC).replace(tzinfo=None) if update.at
          else db.utcnow())
    number = update.display_phone_number if quality else ""
    changed = 0
    for store_id in stores:
        row = _row(session, store_id, update.waba_id, number)
        if row.reported_at > at and (row.quality_event or row.account_event):
            continue  # a late redelivery must not undo what Meta said since
        row.reported_at = at
        if quality:
            row.quality_event = update.event
            row.flagged = FLAG_EVENTS.get(update.event, row.flagged)
            row.messaging_limit = update.current_limit or row.messaging_limit
            row.business_limit = update.business_limit or row.business_limit
        else:
            row.account_event, row.account_detail = update.event, update.detail
        changed += 1
    return changed


def _row(session: Session, store_id: int, waba_id: str, number: str) -> NumberHealth:
    query = select(NumberHealth).where(NumberHealth.store_id == store_id,
                                       NumberHealth.waba_id == waba_id,
                                       NumberHealth.display_phone_number == number)
    row = session.scalars(query).first()
    if row is None:
        insert_ignore(session, NumberHealth, {
            "store_id": store_id, "waba_id": waba_id, "display_phone_number": number,
            "flagged": None, "quality_event": "", "messaging_limit": "", "business_limit": "",
            "account_event": "", "account_detail": "", "reported_at": datetime(1970, 1, 1)},
            ("store_id", "waba_id", "display_phone_number"))
        row = session.scalars(query).one()
    return row


def for_store(session: Session, store_id: int) -> list[NumberHealth]:
    """What Meta last said about the store's numbers and accounts, accounts first."""
    return list(session.scalars(select(NumberHealth).where(NumberHealth.store_id == store_id)
                                .order_by(NumberHealth.display_phone_number, NumberHealth.id)))


def in_trouble(row: NumberHealth) -> bool:
    """Whether the row says something the owner must act on: a flagged number, a lowered
    limit, a restricted, violating, disabled or removed account."""
    if row.flagged or row.quality_event == "DOWNGRADE":
        return True
    return row.account_event in TROUBLE_EVENTS and row.account_detail not in LIFTED_DETAILS

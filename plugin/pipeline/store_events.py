"""Applying events about the store itself: uninstalled, or its settings changed."""
from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from plugin.domain.events import EventKind, StoreEvent
from plugin.domain.outbox import MessageState
from plugin.infra import db
from plugin.models import Message, Store, StoreStatus
from plugin.pipeline.recovery import stops as recovery_stops
from plugin.platforms.stores import set_credentials

UNINSTALLED_REASON = "the store uninstalled StoreChat"


def apply_store_event(session: Session, store: Store, event: StoreEvent) -> list[tuple[int, int]]:
    """Stop everything for an uninstalled store, or take over its new settings."""
    if event.kind is EventKind.APP_UNINSTALLED:
        store.status = StoreStatus.UNINSTALLED.value
        store.uninstalled_at = db.utcnow()
        # The platform revoked our tokens; keeping them would only be a liability.
        set_credentials(store, {})
        store.access_expires_at = store.refresh_expires_at = None
        session.execute(
            update(Message)
            .where(Message.store_id == store.id, Message.state == MessageState.PENDING.value)
            .values(state=MessageState.SKIPPED.value, reason=UNINSTALLED_REASON)
        )
        recovery_stops.store_uninstalled(session, store.id)
    elif event.kind is EventKind.SHOP_UPDATED:
        store.name = event.name or store.name
        store.currency = event.currency or store.currency
        store.country = event.country or store.country
        store.timezone = event.timezone or store.timezone
        store.locale = event.locale or store.locale
    return []

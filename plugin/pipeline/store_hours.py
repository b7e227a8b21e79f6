"""A store's business hours as everything that reads them sees them: the weekly hours and
holidays set in its widget, in its timezone (the automatic answers, reply times, the page
that says whether the store is open now)."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from plugin.domain import business_hours
from plugin.models import Store, WidgetSettings


def hours_for(session: Session, store: Store) -> business_hours.Hours:
    """The store's business hours and holidays, as set in its widget, in its timezone."""
    settings = session.scalars(select(WidgetSettings.settings).where(
        WidgetSettings.store_id == store.id)).first() or {}
    return business_hours.read(settings.get("hours"), settings.get("holidays"),
                               store.timezone)

"""Counting widget events per store, day, page path and product: one row per combination."""
from __future__ import annotations

import re
from datetime import date

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from plugin.infra import db
from plugin.models import Store, WidgetCounter
from plugin.pipeline.rollups import store_today

KINDS = frozenset({"open", "click"})
# Counted by the server when a widget opt-in is recorded, never accepted from a beacon.
OPTIN = "optin"
_PRODUCT = re.compile(r"^[\w.\-:/ ]{1,64}$")


def clean_path(value: object) -> str | None:
    """A page path without query or fragment (they may hold personal data), or None."""
    if not isinstance(value, str) or not value.startswith("/"):
        return None
    return value.split("?", 1)[0].split("#", 1)[0][:255]


def clean_product(value: object) -> str:
    """A product id or SKU as sent, if it looks like one; '' otherwise."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    return value if isinstance(value, str) and _PRODUCT.match(value) else ""


def count(store: Store, kind: str, path: str, product: str, day: date | None = None) -> None:
    """Add one to the counter of the store's day (creating it on first use; two first hits
    may race)."""
    # The store's calendar, as Analytics reads its periods: a UTC day would put an evening
    # in New York on tomorrow's row, outside the period that ends today.
    day = day or store_today(store.timezone)
    store_id = store.id
    match = (WidgetCounter.store_id == store_id, WidgetCounter.day == day,
             WidgetCounter.kind == kind, WidgetCounter.path == path,
             WidgetCounter.product == product)
    bump = update(WidgetCounter).where(*match).values(count=WidgetCounter.count + 1)
    for _attempt in range(2):
        try:
            with db.transaction() as session:
                if session.execute(bump).rowcount == 0:
                    session.add(WidgetCounter(store_id=store_id, day=day, kind=kind, path=path,
                                              product=product, count=1))
            return
        except IntegrityError:
            continue  # someone inserted it meanwhile: the update will find it now

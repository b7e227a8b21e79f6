"""`storechat analytics-backfill`: every figure the Analytics page reads from a table kept
as events arrive, filled for one store from the raw rows it summarises, so a store that
ran StoreChat before those tables existed sees its history.

Each part chooses between recounting (replacing the store's rows with a count of the raw
ones, where the raw rows hold everything the live path counted) and filling only what is
missing (where the live path also recorded something kept nowhere else); each module says
which and why. Either way a second run, or a run on a store counted live from the start,
changes nothing. The widget's counters are not here: a beacon is counted and not kept, so
the counters are the only record there is. Nor is the number's health: it is what Meta last
said, not a sum.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from plugin.models import Store
from plugin.pipeline import (
    ad_figures,
    conversation_backfill,
    holdouts,
    reaction_backfill,
    revenue_backfill,
    rollups,
)


@dataclass(frozen=True, slots=True)
class Report:
    """What the backfill wrote for one store."""

    store_id: int
    reactions: reaction_backfill.Written
    message_rows: int
    from_ads: int
    revenue: revenue_backfill.Written
    lift_rows: int
    conversations: conversation_backfill.Written

    def lines(self) -> list[str]:
        """The report as the command prints it."""
        r, v, c = self.reactions, self.revenue, self.conversations
        since = f" (before {c.before.isoformat()}, counted live from then)" if c.before else ""
        return [
            f"store {self.store_id}:",
            f"  reactions: {r.clicked} clicks, {r.replied} replies, {r.opted_out} opt-outs "
            "put down to their messages",
            f"  messages: {self.message_rows} rollup rows written",
            f"  ads: {self.from_ads} customers came from an ad",
            f"  revenue: {v.attributed} orders attributed, {v.rollups} rollup rows written",
            f"  holdouts: {self.lift_rows} lift rollup rows written",
            f"  conversations{since}: {c.figures} figure rows, {c.keywords} keyword rows, "
            f"{c.clocks} reply clocks written",
        ]


def store_ids(session: Session, store_id: int | None = None) -> list[int]:
    """The stores to fill: the one asked for (if it exists), else all."""
    query = select(Store.id).order_by(Store.id)
    if store_id is not None:
        query = query.where(Store.id == store_id)
    return list(session.scalars(query))


def run(session: Session, store_id: int) -> Report:
    """Fill every analytics table of one store; call it in one transaction per store."""
    store = session.get_one(Store, store_id)
    # Reactions first: the message rollups count them from the rows they set.
    reacted = reaction_backfill.backfill(session, store_id)
    return Report(
        store_id=store_id, reactions=reacted,
        message_rows=rollups.backfill(session, store_id),
        from_ads=ad_figures.backfill(session, store_id),
        revenue=revenue_backfill.backfill(session, store),
        lift_rows=holdouts.recount(session, store_id),
        conversations=conversation_backfill.backfill(session, store))

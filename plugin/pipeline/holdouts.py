"""Holdout experiments of campaigns and cart recovery: each unit (a campaign's recipient, a
cart's sequence) is written as a member, in the holdout (never messaged) or in the messaged
group, when the flow decides to message it; an order of the member's customer within the
flow's window converts it. The lift compares the two groups' conversion.

Both groups are chosen at the same point (intent to treat): a campaign's audience when its
messages are written, a cart when its first step would go out (its policy checks passed).
So the messaged group counts a message later skipped at send time as messaged, as it must
for the two groups to be alike.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Row, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from plugin.domain import attribution as rules
from plugin.domain.message_flows import rate
from plugin.models import LiftMember, LiftRollup, Store
from plugin.pipeline import rollups

_MEMBERS = LiftMember.__table__
_ROLLUPS = LiftRollup.__table__
RECOVERY = "recovery"


def campaign_unit(campaign_id: int, customer_id: int) -> str:
    """The experiment key of one campaign recipient."""
    return f"campaign:{campaign_id}:{customer_id}"


def recovery_unit(checkout_id: int, cycle: int) -> str:
    """The experiment key of one cart's recovery sequence."""
    return f"recovery:{checkout_id}:{cycle}"


def record(session: Session, store_id: int, flow: str,
           members: list[tuple[str, int | None, bool]], at: datetime,
           window: timedelta) -> None:
    """Write members (unit, customer, held out), each once (a retry keeps the first), and
    count those new into their day's group sizes."""
    if not members:
        return
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    inserted = session.execute(module.insert(_MEMBERS).values([
        {"store_id": store_id, "flow": flow, "unit": unit, "customer_id": customer,
         "holdout": held, "at": at, "until": at + window, "converted_at": None,
         "order_id": None} for unit, customer, held in members])
        .on_conflict_do_nothing(index_elements=["store_id", "unit"])
        .returning(_MEMBERS.c.holdout)).scalars().all()
    day = rollups.local_day(at, _zone(session, store_id))
    for held, n in Counter(bool(h) for h in inserted).items():
        _add(session, store_id, day, flow, held, members=n)


def decide(session: Session, store_id: int, flow: str, unit: str, customer_id: int | None,
           percent: int, at: datetime, window: timedelta) -> bool:
    """Whether this unit is held out (recorded either way while the share is above 0)."""
    if percent <= 0:
        return False
    held = rules.held_out(unit, percent)
    record(session, store_id, flow, [(unit, customer_id, held)], at, window)
    return bool(session.scalar(select(LiftMember.holdout).where(
        LiftMember.store_id == store_id, LiftMember.unit == unit)))


def convert(session: Session, store_id: int, customers: list[int], order_id: int,
            ordered_at: datetime) -> None:
    """An order of these customers converts their members whose window holds it."""
    moved = session.execute(update(LiftMember).where(
        LiftMember.customer_id.in_(customers), LiftMember.store_id == store_id,
        LiftMember.converted_at.is_(None), LiftMember.at <= ordered_at,
        LiftMember.until >= ordered_at).values(converted_at=ordered_at, order_id=order_id)
        .returning(LiftMember.flow, LiftMember.at, LiftMember.holdout)
        .execution_options(synchronize_session=False)).all()
    _count_converted(session, store_id, moved, 1)


def unconvert(session: Session, store_id: int, order_id: int) -> None:
    """A cancelled order converts no one any more."""
    moved = session.execute(update(LiftMember).where(LiftMember.order_id == order_id)
                            .values(converted_at=None, order_id=None)
                            .returning(LiftMember.flow, LiftMember.at, LiftMember.holdout)
                            .execution_options(synchronize_session=False)).all()
    _count_converted(session, store_id, moved, -1)


def _count_converted(session: Session, store_id: int, moved: Sequence[Row[Any]],
                     by: int) -> None:
    if not moved:
        return
    zone = _zone(session, store_id)
    for (flow, day, held), n in Counter(
            (flow, rollups.local_day(at, zone), bool(held)) for flow, at, held in moved).items():
        _add(session, store_id, day, flow, held, converted=by * n)


def recount(session: Session, store_id: int) -> int:
    """Replace the store's lift rollups with a count of its members (each on the day it was
    chosen, converted while it holds an order); how many rows were written. The members are
    the raw record, written as each experiment chose them, so nothing else is redone."""
    session.execute(delete(LiftRollup).where(LiftRollup.store_id == store_id))
    zone = _zone(session, store_id)
    members: Counter[tuple[str, date, bool]] = Counter()
    converted: Counter[tuple[str, date, bool]] = Counter()
    for flow, at, held, converted_at in session.execute(
            select(LiftMember.flow, LiftMember.at, LiftMember.holdout, LiftMember.converted_at)
            .where(LiftMember.store_id == store_id)):
        key = (flow, rollups.local_day(at, zone), bool(held))
        members[key] += 1
        converted[key] += int(converted_at is not None)
    for flow, day, held in sorted(members):
        _add(session, store_id, day, flow, held, members=members[(flow, day, held)],
             converted=converted[(flow, day, held)])
    return len(members)


def _zone(session: Session, store_id: int) -> ZoneInfo:
    return rollups.zone_named(session.scalar(select(Store.timezone).where(
        Store.id == store_id)))


def _add(session: Session, store_id: int, day: date, flow: str, held: bool, *,
         members: int = 0, converted: int = 0) -> None:
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = module.insert(_ROLLUPS).values(store_id=store_id, day=day, flow=flow,
                                               holdout=held, members=members,
                                               converted=converted)
    session.execute(statement.on_conflict_do_update(
        index_elements=["store_id", "day", "flow", "holdout"], set_={
            "members": _ROLLUPS.c.members + statement.excluded.members,
            "converted": _ROLLUPS.c.converted + statement.excluded.converted}))


@dataclass(frozen=True, slots=True)
class Lift:
    """One experiment's two groups and how many of each ordered within the window."""

    flow: str
    messaged: int
    messaged_converted: int
    holdout: int
    holdout_converted: int

    @property
    def messaged_rate(self) -> float | None:
        """Conversion of the messaged group, in %."""
        return rate(self.messaged_converted, self.messaged)

    @property
    def holdout_rate(self) -> float | None:
        """Conversion of the holdout, in %."""
        return rate(self.holdout_converted, self.holdout)

    @property
    def lift(self) -> float | None:
        """Messaged minus holdout conversion, in percentage points."""
        return rules.lift(self.messaged, self.messaged_converted, self.holdout,
                          self.holdout_converted)


def figures(session: Session, store_id: int, first: date, last: date) -> list[Lift]:
    """Each experiment's groups, for the members chosen on the store's days first..last,
    read from the daily group sizes (never the members)."""
    found: dict[str, dict[bool, tuple[int, int]]] = {}
    for flow, held, n, converted in session.execute(
            select(LiftRollup.flow, LiftRollup.holdout, func.sum(LiftRollup.members),
                   func.sum(LiftRollup.converted))
            .where(LiftRollup.store_id == store_id, LiftRollup.day >= first,
                   LiftRollup.day <= last)
            .group_by(LiftRollup.flow, LiftRollup.holdout)):
        found.setdefault(flow, {})[bool(held)] = (int(n or 0), int(converted or 0))
    return [Lift(flow=flow, messaged=g.get(False, (0, 0))[0],
                 messaged_converted=g.get(False, (0, 0))[1], holdout=g.get(True, (0, 0))[0],
                 holdout_converted=g.get(True, (0, 0))[1])
            for flow, g in sorted(found.items()) if any(v[0] for v in g.values())]

"""A store ready for a campaign: an approved marketing template with three body variables
and a link button, customers tagged "vip" (some reachable, some not), and a segment of
them; plus helpers to move the clock, drive the campaign's run tick by tick, and have
WhatsApp report what a recipient did (wrote back, stopped marketing, got or read a
message) through the same notification path Meta's webhook ends in."""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import select, update

from plugin.domain.events import CustomerRef, EventKind, OrderEvent
from plugin.domain.messaging import (
    DeliveryStatus,
    InboundKind,
    InboundMessage,
    MarketingPreference,
    Notification,
    Sender,
    StatusUpdate,
    WhatsAppUpdate,
)
from plugin.infra import db
from plugin.models import (
    Campaign,
    ConsentEntry,
    Customer,
    CustomerTag,
    Message,
    Owner,
    Segment,
    Store,
    Template,
)
from plugin.pipeline import conversations, orders, sandbox
from plugin.pipeline.campaigns import controls, links, runner

TEMPLATE = "spring_sale"
BODY = "Hi {{1}}, {{2}} off with code {{3}}"
COMPONENTS = [
    {"type": "BODY", "text": BODY},
    {"type": "BUTTONS", "buttons": [{"type": "URL", "text": "Shop now",
                                     "url": "https://storechat.example/t/{{1}}"}]},
]
VARIABLES = [{"source": "field", "value": "first_name"},
             {"source": "text", "value": "20%"},
             {"source": "discount"}]


@dataclass(frozen=True)
class World:
    """What the campaign tests need to know of the store they built."""

    store_id: int
    segment_id: int
    reachable: list[int]  # customer ids a campaign to the segment reaches
    unreachable: list[int]  # tagged vip, but without a marketing opt-in


def build(app: Flask, *, reachable: int = 30, unreachable: int = 3, platform: str = "demo",
          domain: str = "camp.example", first_name: str = "Ana",
          store_id: int | None = None, owner_email: str | None = None,
          timezone: str | None = None, quiet_hours: bool = False) -> World:
    """The store (or `store_id`'s), its template, customers and a "VIP" segment; the store
    belongs to the owner `owner_email` when given. Without `quiet_hours` the store has none,
    so that what is sent does not depend on the hour the tests run."""
    with app.app_context(), db.transaction() as session:
        if store_id is None:
            owner_id = (session.scalars(select(Owner.id).where(Owner.email == owner_email))
                        .one() if owner_email else None)
            store = Store(platform=platform, domain=domain, name="Camp store", currency="EUR",
                          owner_id=owner_id, timezone=timezone)
            session.add(store)
            session.flush()
        else:
            store = session.get_one(Store, store_id)
        if not quiet_hours:
            store.quiet_start_hour = store.quiet_end_hour = 0  # equal hours: no quiet
        session.add(Template(store_id=store.id, name=TEMPLATE, language="en",
                             category="MARKETING", status="APPROVED",
                             parameter_format="POSITIONAL", components=COMPONENTS))
        ids: dict[bool, list[int]] = {True: [], False: []}
        for n in range(reachable + unreachable):
            ok = n < reachable
            customer = Customer(store_id=store.id, platform_id=f"c{n}", tags=[],
                                phone_e164=f"+3519123{n:05d}", first_name=first_name,
                                last_name=f"N{n}", country="PT")
            session.add(customer)
            session.flush()
            session.add(CustomerTag(store_id=store.id, customer_id=customer.id, tag="vip",
                                    source="manual"))
            if ok:
                session.add(ConsentEntry(store_id=store.id, customer_id=customer.id,
                                         purpose="marketing", granted=True, source="checkout",
                                         text_shown="Offers on WhatsApp"))
            ids[ok].append(customer.id)
        segment = Segment(store_id=store.id, name="VIP",
                          definition={"match": "all", "tags_include": ["vip"]})
        session.add(segment)
        session.flush()
        return World(store.id, segment.id, ids[True], ids[False])


def draft(world: World, **changes: object) -> controls.Draft:
    """A valid campaign draft to the world's segment (a shared 20 % code by default)."""
    values: dict[str, object] = {
        "name": "Spring sale", "template": TEMPLATE, "language": "en",
        "segment_id": world.segment_id, "variables": VARIABLES,
        "discount": {"mode": "shared", "percent": 20, "hours": 48}}
    values.update(changes)
    return controls.Draft(**values)  # type: ignore[arg-type]


def create(app: Flask, world: World, **changes: object) -> int:
    """A saved draft campaign's id."""
    with app.app_context(), db.transaction() as session:
        store = session.get_one(Store, world.store_id)
        return controls.save(session, store, None, draft(world, **changes)).id


class Clock:
    """db.utcnow under the test's control."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, now: datetime) -> None:
        self.now = now
        monkeypatch.setattr(db, "utcnow", lambda: self.now)


@contextmanager
def small_slices(monkeypatch: pytest.MonkeyPatch, size: int = 10) -> Iterator[None]:
    """Release `size` rows per tick (80 msg/s × the tick), at most 2 × size in flight."""
    monkeypatch.setattr(runner, "TICK_SECONDS", size / 80)
    monkeypatch.setattr(runner, "IN_FLIGHT_SECONDS", 2 * size / 80)
    yield


def tick(app: Flask, campaign_id: int) -> None:
    """Run the campaign's next tick now, whatever its lease says (as a late job would)."""
    with app.app_context():
        with db.transaction() as session:
            session.execute(update(Campaign).where(Campaign.id == campaign_id)
                            .values(run_until=None))
        runner.run(campaign_id)


def _notify(app: Flask, update: WhatsAppUpdate) -> None:
    with app.app_context(), db.transaction() as session:
        conversations.apply_notification(session, Notification(updates=(update,)))


def _sender(app: Flask, customer_id: int) -> tuple[str, Sender]:
    """The demo store's pretend number and the customer as WhatsApp names them."""
    with app.app_context(), db.transaction() as session:
        customer = session.get_one(Customer, customer_id)
        number = sandbox.number_for(session.get_one(Store, customer.store_id))
        return number, Sender(wa_id=(customer.phone_e164 or "").lstrip("+"))


def _seconds(at: datetime) -> int:
    return int(at.replace(tzinfo=UTC).timestamp())


def writes(app: Flask, customer_id: int, text: str, at: datetime) -> None:
    """The customer's WhatsApp message, sent at `at` (naive UTC), reaches the store."""
    number, sender = _sender(app, customer_id)
    _notify(app, InboundMessage(
        wamid=f"wamid.in-{uuid.uuid4().hex}", phone_number_id=number, sender=sender,
        kind=InboundKind.TEXT, timestamp=_seconds(at), text=text))


def stops_marketing(app: Flask, customer_id: int, at: datetime) -> None:
    """The customer stops marketing messages in WhatsApp's own control at `at`."""
    number, sender = _sender(app, customer_id)
    _notify(app, MarketingPreference(phone_number_id=number, sender=sender,
                                               granted=False, timestamp=_seconds(at)))


def reports(app: Flask, message_id: int, status: str, at: datetime) -> None:
    """Meta reports the message `status` (delivered, read) at `at`."""
    with app.app_context():
        message = db.session().get_one(Message, message_id)
        wamid, to = message.wamid or "", message.to
    _notify(app, StatusUpdate(
        wamid=wamid, phone_number_id="", recipient=to.lstrip("+"),
        status=DeliveryStatus(status), timestamp=_seconds(at),
        callback_data=f"storechat:{message_id}"))


def message_to(app: Flask, campaign_id: int, customer_id: int) -> int:
    """The id of the campaign's message to the customer."""
    with app.app_context():
        return db.session().scalars(select(Message.id).where(
            Message.cause == links.cause(campaign_id),
            Message.step == links.recipient_step(customer_id))).one()


def places_order(app: Flask, customer_id: int, n: int, total: str, at: datetime,
                 kind: EventKind = EventKind.ORDER_PLACED, status: str = "processing") -> None:
    """The store reports the customer's order `n` (placed at `at`, in EUR) through the
    order pipeline, which also attributes it as Analytics counts it."""
    with app.app_context(), db.transaction() as session:
        customer = session.get_one(Customer, customer_id)
        orders.apply_order_event(session, session.get_one(Store, customer.store_id),
                                 OrderEvent(
            kind=kind, order_id=f"ord-{n}", number=str(1000 + n), status=status,
            currency="EUR", total=Decimal(total),
            customer=CustomerRef(platform_id=customer.platform_id,
                                 phone=customer.phone_e164 or "",
                                 first_name=customer.first_name or ""),
            placed_at=at.isoformat() + "+00:00"))

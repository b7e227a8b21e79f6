"""What the price-drop tests add to the alerts' worlds: the approved price_drop template,
a shopper who subscribes to price drops, and looks at the price-drop alerts."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from plugin.domain import price_drops
from plugin.infra import db
from plugin.models import ConsentEntry, Customer, Message, PriceDropAlert, Template
from tests.pipeline.alerts.world import AlertsWorld

# The starter's English body as Meta holds it once approved (positional {{1}}..{{4}}).
BODY = ("Hi {{1}}, good news: {{2}} just got cheaper. It was {{3}} and is now {{4}}.\n\n"
        "Tap below to take a look before the price changes again.")
PRICE_TEXT = "Send me a WhatsApp message when the price of this drops. Reply STOP to stop."


def approve_template(world: AlertsWorld) -> None:
    """The store's price_drop template is approved at Meta (with its URL button)."""
    with world.app.app_context(), db.transaction() as session:
        session.add(Template(store_id=world.store_id, name="price_drop", language="en",
                             category="MARKETING", status="APPROVED",
                             parameter_format="POSITIONAL",
                             components=[{"type": "BODY", "text": BODY},
                                         {"type": "BUTTONS", "buttons": [
                                             {"type": "URL", "text": "See the new price",
                                              "url": "http://127.0.0.1:8000/t/{{1}}"}]}]))


def subscribe_to_price(world: AlertsWorld, phones: list[str], variant_id: str) -> None:
    """Each shopper asks for price drops on the storefront, then confirms on WhatsApp."""
    for n, phone in enumerate(phones):
        response = world.subscribe(phone, variant_id, ip=f"198.51.100.{n + 1}",
                                   kind="price_drop", text=PRICE_TEXT)
        assert response.status_code == 201, response.get_json()
        world.writes(phone, response.get_json()["text"])


def price_alerted(world: AlertsWorld) -> list[str]:
    """The numbers the fake Graph received a price_drop template for, in send order."""
    return ["+" + s.payload["to"] for s in world.graph.sent
            if s.payload.get("type") == "template"
            and s.payload["template"]["name"] == "price_drop"]


def price_bodies(world: AlertsWorld) -> list[dict[str, Any]]:
    """The price_drop templates the fake Graph received."""
    return [s.payload["template"] for s in world.graph.sent
            if s.payload.get("type") == "template"
            and s.payload["template"]["name"] == "price_drop"]


def price_messages(world: AlertsWorld) -> list[Message]:
    """The store's price-drop messages in the outbox, detached."""
    with world.app.app_context(), db.transaction() as session:
        rows = list(session.scalars(select(Message).where(
            Message.store_id == world.store_id,
            Message.cause.startswith(price_drops.CAUSE_PREFIX)).order_by(Message.id)))
        session.expunge_all()
    return rows


def alerts_rows(world: AlertsWorld) -> list[PriceDropAlert]:
    """The store's price-drop alert rows, detached."""
    with world.app.app_context(), db.transaction() as session:
        rows = list(session.scalars(select(PriceDropAlert).where(
            PriceDropAlert.store_id == world.store_id).order_by(PriceDropAlert.id)))
        session.expunge_all()
    return rows


def age_alerts(world: AlertsWorld, days: int) -> None:
    """The store's price-drop alerts were written `days` days earlier than they were (their
    window's bucket with them), as if that much time had passed since."""
    for row in alerts_rows(world):
        at = row.created_at - timedelta(days=days)
        with world.app.app_context(), db.transaction() as session:
            session.execute(update(PriceDropAlert).where(PriceDropAlert.id == row.id).values(
                created_at=at, repeat_window=price_drops.window_of(at)))


def opt_in(world: AlertsWorld, phone: str) -> int:
    """A customer with this phone who opted in to marketing at checkout."""
    with world.app.app_context(), db.transaction() as session:
        customer = session.scalars(select(Customer).where(
            Customer.store_id == world.store_id, Customer.phone_e164 == phone)).first()
        if customer is None:
            customer = Customer(store_id=world.store_id, platform_id=f"test:{phone}",
                                phone_e164=phone, tags=[], first_name="Lucía")
            session.add(customer)
            session.flush()
        session.add(ConsentEntry(store_id=world.store_id, customer_id=customer.id,
                                 purpose="marketing", granted=True, source="checkout",
                                 text_shown="WhatsApp offers", created_at=db.utcnow()))
        return customer.id

"""Customer tags computed from order histories built here: each rule at its boundary, the
store's high_value threshold, the hooks (an order, a message) and the daily pass."""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from flask import Flask
from sqlalchemy import select

from plugin.domain.events import CustomerRef, EventKind, OrderEvent
from plugin.domain.messaging import InboundKind, InboundMessage, Sender
from plugin.infra import db
from plugin.models import Customer, CustomerTag, Order, Store, TagSettings
from plugin.pipeline import conversations, customer_tags
from plugin.pipeline.orders import apply_order_event

NOW = datetime(2026, 6, 1, 12, 0, 0)
DAY = timedelta(days=1)


class Shop:
    """A store whose customers and order histories a test writes directly."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        with app.app_context(), db.transaction() as session:
            store = Store(platform="woocommerce", domain="tags.example", currency="EUR",
                          country="PT")
            session.add(store)
            session.flush()
            self.store_id = store.id
        self.orders = 0

    def customer(self, *orders: tuple[datetime, str] | tuple[datetime, str, bool],
                 last_inbound_at: datetime | None = None, status: str = "processing") -> int:
        """A customer with orders (placed at, total[, discounted])."""
        with self.app.app_context(), db.transaction() as session:
            customer = Customer(store_id=self.store_id, platform_id=f"c{self.orders}-{len(orders)}"
                                f"-{id(orders)}", tags=[], last_inbound_at=last_inbound_at)
            session.add(customer)
            session.flush()
            for order in orders:
                self.orders += 1
                session.add(Order(store_id=self.store_id, platform_id=str(self.orders),
                                  number=str(self.orders), customer_id=customer.id,
                                  status=status, currency="EUR", total=order[1],
                                  placed_at=order[0], discounted=bool(order[2:] and order[2])))
            return customer.id

    def tags(self, customer_id: int, now: datetime = NOW) -> set[str]:
        with self.app.app_context(), db.transaction() as session:
            customer_tags.recompute(session, self.store_id, [customer_id], now)
        return self.stored(customer_id)

    def stored(self, customer_id: int) -> set[str]:
        with self.app.app_context():
            return set(db.session().scalars(select(CustomerTag.tag).where(
                CustomerTag.customer_id == customer_id, CustomerTag.source == "auto")))


def test_new_at_exactly_seven_days_and_not_a_second_later(app: Flask) -> None:
    shop = Shop(app)
    assert "new" in shop.tags(shop.customer((NOW - 7 * DAY, "10.00")))
    assert "new" not in shop.tags(shop.customer((NOW - 7 * DAY - timedelta(seconds=1),
                                                 "10.00")))
    # The first order decides: a recent second order does not make an old customer new.
    assert "new" not in shop.tags(shop.customer((NOW - 40 * DAY, "10"), (NOW - DAY, "10")))


def test_frequent_is_three_orders_in_ninety_days_not_two(app: Flask) -> None:
    shop = Shop(app)
    three = shop.customer((NOW - 90 * DAY, "5"), (NOW - 50 * DAY, "5"), (NOW - DAY, "5"))
    two = shop.customer((NOW - 91 * DAY, "5"), (NOW - 50 * DAY, "5"), (NOW - DAY, "5"))
    assert "frequent" in shop.tags(three)
    assert "frequent" not in shop.tags(two)
    # Cancelled orders do not count.
    cancelled = shop.customer((NOW - 3 * DAY, "5"), (NOW - 2 * DAY, "5"), (NOW - DAY, "5"),
                              status="cancelled")
    assert shop.tags(cancelled) == set()


def test_at_risk_after_thirty_days_of_silence(app: Flask) -> None:
    shop = Shop(app)
    silent = shop.customer((NOW - 30 * DAY, "20"))
    assert "at_risk" in shop.tags(silent)
    assert "at_risk" not in shop.tags(shop.customer((NOW - 29 * DAY, "20")))
    wrote = shop.customer((NOW - 60 * DAY, "20"), last_inbound_at=NOW - 29 * DAY)
    assert "at_risk" not in shop.tags(wrote)
    # Time alone moves a customer into the tag: the next day's pass adds it.
    assert "at_risk" in shop.tags(wrote, NOW + DAY)


def test_deal_seeker_at_half_of_the_orders_discounted(app: Flask) -> None:
    shop = Shop(app)
    half = shop.customer((NOW - 200 * DAY, "5", True), (NOW - 100 * DAY, "5", False))
    third = shop.customer((NOW - 200 * DAY, "5", True), (NOW - 150 * DAY, "5", False),
                          (NOW - 100 * DAY, "5", False))
    assert "deal_seeker" in shop.tags(half)
    assert "deal_seeker" not in shop.tags(third)


def test_high_value_is_the_top_fifth_by_average_order_value(app: Flask) -> None:
    shop = Shop(app)
    # Ten customers averaging 10, 20 … 100 EUR; the 100 one over two orders (50 + 150).
    ids = [shop.customer((NOW - 100 * DAY, f"{10 * n}.00")) for n in range(1, 10)]
    ids.append(shop.customer((NOW - 100 * DAY, "50.00"), (NOW - 90 * DAY, "150.00")))
    for customer_id in ids:
        shop.tags(customer_id)  # aggregates first, as orders arrive
    with app.app_context(), db.transaction() as session:
        # More than the best average outside the top two.
        assert customer_tags.refresh_threshold(session, shop.store_id, NOW) == 8001
    high = [i for i in ids if "high_value" in shop.tags(i)]
    assert high == ids[8:]  # 90 and 100: the top 20 %
    with app.app_context():
        customer = db.session().get(Customer, ids[9])
        assert customer is not None
        assert (customer.order_count, customer.spent_cents, customer.avg_order_cents) == \
            (2, 20000, 10000)


def test_high_value_waits_for_enough_customers(app: Flask) -> None:
    shop = Shop(app)
    ids = [shop.customer((NOW - 100 * DAY, f"{n}00")) for n in range(1, 5)]
    for customer_id in ids:
        shop.tags(customer_id)
    with app.app_context(), db.transaction() as session:
        assert customer_tags.refresh_threshold(session, shop.store_id, NOW) is None
    assert all("high_value" not in shop.tags(i) for i in ids)


def test_manual_tags_survive_a_recompute(app: Flask) -> None:
    shop = Shop(app)
    customer_id = shop.customer((NOW - DAY, "10"))
    with app.app_context(), db.transaction() as session:
        customer = session.get(Customer, customer_id)
        assert customer is not None
        assert customer_tags.set_manual(session, customer, "vip", True)
        assert not customer_tags.set_manual(session, customer, "vip", True)
        customer_tags.set_manual(session, customer, "new", True)  # also a rule's name
    shop.tags(customer_id, NOW + 60 * DAY)  # no longer new by the rule
    with app.app_context():
        customer = db.session().get(Customer, customer_id)
        assert customer is not None and customer.tags == ["at_risk", "new", "vip"]
        pairs = customer_tags.tags_by_customer(db.session(), [customer_id])[customer_id]
        assert pairs == [("at_risk", "auto"), ("new", "manual"), ("vip", "manual")]


def test_an_order_event_tags_its_customer_and_keeps_the_order_facts(app: Flask) -> None:
    shop = Shop(app)
    placed = (db.utcnow() - DAY).replace(microsecond=0)
    event = OrderEvent(kind=EventKind.ORDER_PLACED, order_id="9001", number="9001",
                       status="processing", currency="EUR", total=Decimal("42.50"),
                       customer=CustomerRef(platform_id="77", phone="+351912345678"),
                       placed_at=f"{placed.isoformat()}+00:00", discounted=True, country="PT")
    with app.app_context(), db.transaction() as session:
        store = session.get(Store, shop.store_id)
        assert store is not None
        apply_order_event(session, store, event)
    with app.app_context():
        session = db.session()
        order = session.scalars(select(Order).where(Order.platform_id == "9001")).one()
        assert (order.placed_at, order.discounted) == (placed, True)
        customer = session.scalars(select(Customer).where(Customer.platform_id == "77")).one()
        assert customer.country == "PT" and customer.order_count == 1
        assert customer.spent_cents == 4250
        assert set(customer.tags) == {"new", "deal_seeker"}
    # A later event that does not say (a fulfillment) keeps the discount and the time.
    shipped = OrderEvent(kind=EventKind.ORDER_FULFILLED, order_id="9001", number="",
                         status="fulfilled", currency="", total=Decimal("0"))
    with app.app_context(), db.transaction() as session:
        store = session.get(Store, shop.store_id)
        assert store is not None
        apply_order_event(session, store, shipped)
    with app.app_context():
        order = db.session().scalars(select(Order).where(Order.platform_id == "9001")).one()
        assert (order.placed_at, order.discounted) == (placed, True)


def test_a_message_clears_at_risk(app: Flask) -> None:
    shop = Shop(app)
    real_now = db.utcnow()
    customer_id = shop.customer((real_now - 45 * DAY, "10"))
    with app.app_context(), db.transaction() as session:
        session.get(Customer, customer_id).phone_e164 = "+351912345678"  # type: ignore[union-attr]
    assert "at_risk" in shop.tags(customer_id, real_now)
    message = InboundMessage(wamid="wamid.tags", phone_number_id="1",
                             sender=Sender(wa_id="351912345678"), kind=InboundKind.TEXT,
                             timestamp=int(real_now.timestamp()) - 60, text="hello")
    with app.app_context(), db.transaction() as session:
        conversations.apply_message(session, shop.store_id, message)
    assert "at_risk" not in shop.stored(customer_id)


def test_the_daily_pass_is_bounded_and_refreshes_thresholds(app: Flask,
                                                             monkeypatch) -> None:  # type: ignore[no-untyped-def]
    shop = Shop(app)
    ids = [shop.customer((NOW - 8 * DAY, "10")) for _ in range(5)]
    monkeypatch.setattr(customer_tags, "DAILY_BATCH", 3)
    with app.app_context():
        assert customer_tags.run_daily(NOW) == 3
        assert customer_tags.run_daily(NOW) == 2
        assert customer_tags.run_daily(NOW) == 0  # all fresh until tomorrow
        assert customer_tags.run_daily(NOW + 25 * 3600 * timedelta(seconds=1)) == 3
        settings = db.session().get(TagSettings, shop.store_id)
        assert settings is not None and settings.threshold_computed_at == NOW + 25 * 3600 * \
            timedelta(seconds=1)
    # 8 days: neither new nor at risk; all alike, so none is in a top fifth either.
    assert all(shop.stored(i) == set() for i in ids)

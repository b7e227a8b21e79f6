"""Attribution on PostgreSQL: the same upserts (revenue, ads) and the insert-once of an
order's attribution hold there: an order read and clicked counts once for its last touch,
a redelivery nothing, a cancellation takes it back out; an ad's conversation and order
count; a holdout member converts."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from plugin.domain.events import CustomerRef, EventKind, OrderEvent
from plugin.infra import db
from plugin.models import Customer, LiftMember, Store
from plugin.pipeline import ad_figures, holdouts, orders, rollups
from tests.conftest import DemoPlatform, make_app
from tests.worlds.attribution import attributed_order, revenue


@pytest.mark.services
def test_attribution_figures_on_postgresql(tmp_path: Path, pg_database: str) -> None:
    app = make_app(tmp_path / "instance", database_url=pg_database)
    try:
        store_id = DemoPlatform(app, app.test_client()).store_id
        rollups.forget_zones()
        attributed_order(app, store_id, 1, cause="checkout:5:1", step="cart_recovery_1",
                         total="398.00")
        attributed_order(app, store_id, 2, cause="checkout:6:1", step="cart_recovery_2",
                         total="2.005")
        with app.app_context():
            zone = rollups.zone_named(db.session().get_one(Store, store_id).timezone)
            day = rollups.local_day(db.utcnow(), zone)
        assert revenue(app, store_id) == {(day, "recovery", "EUR"): (2, 400_005)}
        with app.app_context(), db.transaction() as session:
            store = session.get_one(Store, store_id)
            customer = session.scalars(select(Customer).where(
                Customer.platform_id == "wa:1")).one()
            customer.ad_source = {"source_id": "AD-9", "source_type": "ad", "headline": "Hi"}
            ad_figures.note_conversation(session, store_id, customer.ad_source, db.utcnow())
            holdouts.record(session, store_id, holdouts.RECOVERY,
                            [("recovery:1:1", customer.id, True)],
                            db.utcnow() - timedelta(hours=2), timedelta(days=7))
            cancel = OrderEvent(kind=EventKind.ORDER_CANCELLED, order_id="att-2",
                                number="2002", status="cancelled", currency="EUR",
                                total=Decimal("2.005"))
            orders.apply_order_event(session, store, cancel)
            orders.apply_order_event(session, store, OrderEvent(
                kind=EventKind.ORDER_PAID, order_id="att-1", number="2001", status="paid",
                currency="EUR", total=Decimal("398.00"),
                customer=CustomerRef(platform_id="shop:1", phone=customer.phone_e164)))
        assert revenue(app, store_id) == {(day, "recovery", "EUR"): (1, 398_000)}
        with app.app_context():
            [ad] = ad_figures.figures(db.session(), store_id, day, day)
            assert (ad.source_id, ad.conversations, ad.orders) == ("AD-9", 1, 1)
            [member] = db.session().scalars(select(LiftMember)).all()
            assert member.converted_at is not None
            [lift] = holdouts.figures(db.session(), store_id, day - timedelta(days=1), day)
            assert (lift.holdout, lift.holdout_converted, lift.messaged) == (1, 1, 0)
    finally:
        app.extensions["storechat.engine"].dispose()

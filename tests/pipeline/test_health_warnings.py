"""Home-page warnings cross their thresholds and only then: read rate falling, opt-outs
rising, Meta's 131049 rising, first replies over target (each against the week before)."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import Flask

from plugin.infra import db
from plugin.models import ConsentEntry, ConversationRollup, Customer, MessageRollup, Store
from plugin.pipeline import health_warnings

NOW = datetime(2026, 12, 6, 12, 0)
THIS_WEEK = date(2026, 12, 5)
LAST_WEEK = date(2026, 11, 27)


def _store(app: Flask) -> int:
    with app.app_context(), db.transaction() as session:
        store = Store(platform="woocommerce", domain="w.example", name="W", country="PT",
                      timezone="UTC")
        session.add(store)
        session.flush()
        return store.id


def _message(store_id: int, day: date, figure: str, n: int, detail: str = "") -> MessageRollup:
    return MessageRollup(store_id=store_id, day=day, flow="journey:x", figure=figure,
                         detail=detail, n=n)


def _keys(app: Flask, store_id: int) -> list[str]:
    with app.app_context():
        store = db.session().get(Store, store_id)
        assert store is not None
        return [w.key for w in health_warnings.warnings(db.session(), store, NOW)]


def test_each_figure_over_its_threshold_warns(app: Flask) -> None:
    store_id = _store(app)
    with app.app_context(), db.transaction() as session:
        customer = Customer(store_id=store_id, platform_id="c", tags=[])
        session.add(customer)
        session.flush()
        session.add_all([
            # Read rate 80% → 50%.
            _message(store_id, LAST_WEEK, "delivered", 100), _message(store_id, LAST_WEEK,
                                                                      "read", 80),
            _message(store_id, THIS_WEEK, "delivered", 100), _message(store_id, THIS_WEEK,
                                                                      "read", 50),
            # 131049: 2 → 6.
            _message(store_id, LAST_WEEK, "failed_after_sent", 2, "131049"),
            _message(store_id, THIS_WEEK, "failed_after_sent", 6, "131049"),
            # First replies: 4 averaging 10 minutes.
            ConversationRollup(store_id=store_id, day=THIS_WEEK, figure="first_reply",
                               detail="any", n=4),
            ConversationRollup(store_id=store_id, day=THIS_WEEK, figure="first_reply_s",
                               detail="any", n=4 * 600),
        ])
        # Opt-outs: 1 last week, 5 this week.
        for days_ago in (9, 1, 2, 3, 4, 5):
            session.add(ConsentEntry(store_id=store_id, customer_id=customer.id,
                                     purpose="marketing", granted=False, source="whatsapp_stop",
                                     text_shown="STOP", created_at=NOW - timedelta(days=days_ago)))
    assert _keys(app, store_id) == ["read_rate", "limited", "opt_outs", "first_reply"]


def test_figures_under_their_thresholds_say_nothing(app: Flask) -> None:
    store_id = _store(app)
    with app.app_context(), db.transaction() as session:
        session.add_all([
            # 8 points lower: under the 10-point drop.
            _message(store_id, LAST_WEEK, "delivered", 100), _message(store_id, LAST_WEEK,
                                                                      "read", 80),
            _message(store_id, THIS_WEEK, "delivered", 100), _message(store_id, THIS_WEEK,
                                                                      "read", 72),
            # 131049 steady at 6.
            _message(store_id, LAST_WEEK, "failed_after_sent", 6, "131049"),
            _message(store_id, THIS_WEEK, "failed_after_sent", 6, "131049"),
            # First replies on target: 4 minutes.
            ConversationRollup(store_id=store_id, day=THIS_WEEK, figure="first_reply",
                               detail="any", n=4),
            ConversationRollup(store_id=store_id, day=THIS_WEEK, figure="first_reply_s",
                               detail="any", n=4 * 240),
            # The team's own first replies are slow, but the warning reads any reply.
            ConversationRollup(store_id=store_id, day=THIS_WEEK, figure="first_reply_s",
                               detail="team", n=99_999),
        ])
    assert _keys(app, store_id) == []

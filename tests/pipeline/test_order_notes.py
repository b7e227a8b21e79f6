"""The audit trail: each sent message is noted once on its order, in the store's own admin."""
from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from adapters.woocommerce import client as woocommerce_client
from plugin.infra import db, queue
from plugin.models import Message, Order
from plugin.pipeline import order_notes
from tests.conftest import DemoPlatform, make_app, order_payload
from tests.pipeline import test_cod_answers as cod
from tests.pipeline.test_cod_answers import ShopWorld, WooWorld
from tests.worlds.shopify import SHOP

# The COD tests' worlds (an installed shop, a connected WooCommerce site, each with a number)
# as this module's fixtures.
graph, shop, woo, woo_app = cod.graph, cod.shop, cod.woo, cod.woo_app


def add_sent(app: Flask, store_id: int, order_platform_id: str | None,
             step: str = "order_shipped", state: str = "sent") -> int:
    """A message the send job already sent (or left in `state`); its id."""
    with app.app_context(), db.transaction() as session:
        order_id = session.scalars(select(Order.id).where(
            Order.store_id == store_id, Order.platform_id == order_platform_id)).first() \
            if order_platform_id else None
        message = Message(store_id=store_id, order_id=order_id,
                          cause=f"order:{order_platform_id or 'none'}", step=step,
                          to="+31612345678", template=step, payload={}, state=state,
                          wamid=f"wamid.{step}.{state}" if state == "sent" else None,
                          sent_at=db.utcnow() if state == "sent" else None)
        session.add(message)
        session.flush()
        return message.id


def audited_at(app: Flask, message_id: int) -> object:
    with app.app_context():
        return db.session().get(Message, message_id).audited_at


def run_audit_job(app: Flask, message_id: int) -> None:
    """Through the queue, as the send job does (inline in tests)."""
    with app.app_context():
        assert queue.enqueue("audit_message", message_id)


def test_tags_and_notes_read_well() -> None:
    assert order_notes.step_tag("order_confirmation") == "storechat-order-confirmation"
    assert order_notes.step_tag("cod_confirmed_reply") == "storechat-cod-confirmed-reply"
    assert order_notes.woo_note("order_shipped", "+31612345678", "wamid.HBg") == (
        "StoreChat sent the WhatsApp message \u201corder_shipped\u201d to +31612345678 "
        "(wamid wamid.HBg).")
    assert order_notes.woo_note("order_shipped", "+3161", None).endswith("to +3161.")


def test_shopify_a_sent_message_leaves_one_tag_even_when_audited_twice(
        shop: ShopWorld) -> None:
    message_id = add_sent(shop.app, shop.store_id, shop.order_id)
    run_audit_job(shop.app, message_id)
    run_audit_job(shop.app, message_id)
    [order] = shop.shopify.orders[SHOP]
    assert order.tags == ["storechat-order-shipped"]
    assert [(name, v["tags"]) for name, v in shop.shopify.mutations] == [
        ("tagsAdd", ["storechat-order-shipped"])]
    assert audited_at(shop.app, message_id) is not None


def test_shopify_an_unknown_order_is_logged_and_left_unaudited(shop: ShopWorld) -> None:
    shop.shopify.orders[SHOP].clear()  # deleted in the shop
    message_id = add_sent(shop.app, shop.store_id, shop.order_id)
    run_audit_job(shop.app, message_id)
    assert audited_at(shop.app, message_id) is None
    assert shop.shopify.mutations == []


def test_messages_not_sent_or_without_an_order_are_not_noted(shop: ShopWorld) -> None:
    calls = shop.shopify.graphql_calls
    pending = add_sent(shop.app, shop.store_id, shop.order_id, "order_paid", state="pending")
    failed = add_sent(shop.app, shop.store_id, shop.order_id, "order_delivered", state="failed")
    loose = add_sent(shop.app, shop.store_id, None, "welcome")
    for message_id in (pending, failed, loose):
        run_audit_job(shop.app, message_id)
        assert audited_at(shop.app, message_id) is None
    assert shop.shopify.graphql_calls == calls


def test_woocommerce_sends_are_noted_once_each(woo: WooWorld) -> None:
    # The store's own journeys already sent (and noted) what the new order asked for.
    with woo.app.app_context():
        sent = list(db.session().scalars(select(Message).where(Message.state == "sent")))
    assert sent, "the order should have sent something"
    for message in sent:
        assert message.audited_at is not None
        run_audit_job(woo.app, message.id)  # a second run notes nothing more
        [note] = woo.private_notes(f"(wamid {message.wamid})")
        assert note == order_notes.woo_note(message.template or message.step, message.to,
                                      message.wamid)


def test_woocommerce_a_store_that_stays_down_is_retried_and_ends_done(woo: WooWorld) -> None:
    message_id = add_sent(woo.app, woo.store_id, woo.order_id)
    woo.site.fail_next(*[503] * woocommerce_client.MAX_ATTEMPTS)
    with woo.app.app_context(), pytest.raises(woocommerce_client.Unavailable):
        order_notes.note_message(message_id)
    assert audited_at(woo.app, message_id) is None  # the claim was given back
    assert woo.private_notes("order_shipped") == []
    with woo.app.app_context():
        order_notes.note_message(message_id)  # the queue's retry
        order_notes.note_message(message_id)
    assert len(woo.private_notes("\u201corder_shipped\u201d")) == 1
    assert audited_at(woo.app, message_id) is not None


def test_the_demo_store_has_nothing_to_call_and_is_marked(tmp_path: Path) -> None:
    app = make_app(tmp_path / "instance")
    demo = DemoPlatform(app, app.test_client())
    demo.post("orders/create", order_payload())
    with app.app_context():
        [message] = db.session().scalars(select(Message)).all()
    assert message.state == "sent" and message.audited_at is not None
    app.extensions["storechat.engine"].dispose()

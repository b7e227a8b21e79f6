"""The demo store walks all nine journeys: its platform's actions, the pretend phone's
receipts (delivered, read) and the shopper's Confirm/Cancel taps, each through the path a
real store's and a real WhatsApp number's take."""
from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from plugin.demo import store as demo_store
from plugin.domain import cod
from plugin.domain.journeys import JourneyName, button_kinds
from plugin.infra import db
from plugin.models import InboundEvent, Message, Order, Template
from plugin.pipeline import sandbox
from tests.conftest import csrf_token


def _post(client: FlaskClient, url: str, **data: str):  # type: ignore[no-untyped-def]
    response = client.post(url, data={"csrf_token": csrf_token(client, "/"), **data})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def _start(client: FlaskClient) -> None:
    _post(client, "/demo/start")


def _place(app: Flask, client: FlaskClient, payment: str = "card") -> Order:
    before = _order_ids(app)
    _post(client, "/demo/orders", payment=payment)
    with app.app_context():
        [new] = set(_order_ids(app)) - set(before)
        return db.session().get(Order, new)


def _order_ids(app: Flask) -> list[int]:
    with app.app_context():
        return list(db.session().scalars(select(Order.id)))


def _act(client: FlaskClient, order: Order, action: str) -> None:
    _post(client, f"/demo/orders/{order.id}/{action}")


def _messages(app: Flask, order: Order | None = None) -> list[Message]:
    with app.app_context():
        query = select(Message).order_by(Message.id)
        if order is not None:
            query = query.where(Message.order_id == order.id)
        return list(db.session().scalars(query))


def _steps(app: Flask, order: Order) -> list[tuple[str, str]]:
    return [(m.step, m.state) for m in _messages(app, order)]


def _feed(client: FlaskClient) -> str:
    response = client.get("/demo/feed")
    assert response.status_code == 200
    return html.unescape(response.get_data(as_text=True))


def _phone(feed: str) -> str:
    return feed.split('id="chat"')[1].split("</aside>")[0]


def run_scheduled(app: Flask) -> list[str]:
    """Run the jobs the queue put off (the pretend phone's receipts) as if their time came."""
    huey = app.extensions["storechat.huey"]
    later = datetime.now(UTC).replace(tzinfo=None) + timedelta(minutes=5)
    names = []
    for task in huey.read_schedule(later):
        huey.execute(task, timestamp=later)
        names.append(task.name)
    return names


def test_a_card_order_walks_shipping_a_failed_delivery_delivery_and_a_refund(
        app: Flask, owner: FlaskClient) -> None:
    _start(owner)
    order = _place(app, owner)
    for action in ("pay", "ship", "out_for_delivery", "fail_delivery", "out_for_delivery",
                   "deliver", "refund"):
        _act(owner, order, action)
    assert _steps(app, order) == [
        ("order_confirmation", "sent"), ("order_shipped", "sent"),
        ("out_for_delivery", "sent"), ("delivery_failed", "sent"),
        ("order_delivered", "sent"), ("order_refunded", "sent")]
    with app.app_context():
        assert db.session().get(Order, order.id).status == "refunded"
    phone = _phone(_feed(owner))
    assert phone.count('class="bubble state-') == 6
    assert f"the delivery of your order #{order.number} by DemoPost couldn't be completed" \
        in phone
    assert "we've issued a refund of" in phone
    # Shipping, out for delivery and a failed delivery carry a tracking button, filled with the
    # order's token, pointing at this server (the public URL).
    links = re.findall(r'class="url-button" data-url="([^"]+)"', phone)
    assert len(links) == 3 and all(re.fullmatch(r"http://127\.0\.0\.1:8000/t/[\w-]+", link)
                                   for link in links), links


def test_an_order_is_cancelled_before_it_ships(app: Flask, owner: FlaskClient) -> None:
    _start(owner)
    order = _place(app, owner)
    _act(owner, order, "cancel")
    assert _steps(app, order) == [("order_confirmation", "sent"), ("order_cancelled", "sent")]
    with app.app_context():
        assert demo_store.allowed_actions("cancelled") == []


def test_a_bank_transfer_order_waits_for_its_payment_reminder(app: Flask,
                                                              owner: FlaskClient) -> None:
    _start(owner)
    order = _place(app, owner, "bank_transfer")
    [confirmation, reminder] = _messages(app, order)
    assert (confirmation.step, confirmation.state) == ("order_confirmation", "sent")
    assert (reminder.step, reminder.state) == ("payment_reminder", "pending")
    feed = _feed(owner)
    # The log says when it goes; the phone does not show it before it is sent.
    due = reminder.not_before
    assert due is not None
    assert f"Sends at {due:%H:%M} UTC (in 1 h)" in feed
    assert f'data-message="{reminder.id}"' not in _phone(feed)
    # "Send now" skips the hour; the reminder goes, still unpaid, and reaches the phone.
    _post(owner, f"/demo/messages/{reminder.id}/send-now")
    assert _steps(app, order)[1] == ("payment_reminder", "sent")
    phone = _phone(_feed(owner))
    assert f'data-message="{reminder.id}"' in phone
    assert f"demo.storechat.invalid/orders/{order.number}/pay" in phone


def test_a_reminder_for_an_order_paid_meanwhile_is_not_sent(app: Flask,
                                                            owner: FlaskClient) -> None:
    _start(owner)
    order = _place(app, owner, "bank_transfer")
    _act(owner, order, "pay")
    reminder = _messages(app, order)[1]
    _post(owner, f"/demo/messages/{reminder.id}/send-now")
    assert _steps(app, order)[1] == ("payment_reminder", "skipped")
    assert f'data-message="{reminder.id}"' not in _phone(_feed(owner))


def test_a_cod_order_is_confirmed_with_a_tap_on_the_phone(app: Flask,
                                                          owner: FlaskClient) -> None:
    _start(owner)
    order = _place(app, owner, "cod")
    [question] = _messages(app, order)
    assert question.step == JourneyName.COD_CONFIRMATION
    phone = _phone(_feed(owner))
    # The template's two quick replies are on the phone, as buttons Ana can tap.
    taps = re.findall(r'action="(/demo/messages/\d+/tap/\d)"[^<]*<input[^>]*>\s*'
                      r'<button[^>]*>([^<]+)</button>', phone)
    assert [(url.rsplit("/", 1)[1], label) for url, label in taps] == [
        ("0", "Yes, confirm"), ("1", "Cancel order")]
    with app.app_context():
        assert demo_store.allowed_actions("placed", "cod") == ["ship", "cancel"]
    _post(owner, taps[0][0])
    with app.app_context():
        row = db.session().get(Order, order.id)
        assert row.cod_state == cod.CONFIRMED
        # It came in as Meta's button reply, and was processed as one.
        [tap] = db.session().scalars(select(InboundEvent).where(
            InboundEvent.source == "whatsapp")).all()
        assert tap.state == "processed" and b'"type": "button"' in tap.body
    assert _steps(app, order) == [("cod_confirmation", "sent"), ("cod_confirmed_reply", "sent")]
    phone = _phone(_feed(owner))
    assert "/tap/" not in phone  # answered: the first answer wins, nothing left to tap
    assert re.search(r'<li class="chosen">\s*<span class="reply-label"><span aria-hidden="true">'
                     r'✓</span> Yes, confirm', phone), phone
    # A second tap (from the page a moment ago) changes nothing.
    _post(owner, taps[1][0])
    with app.app_context():
        assert db.session().get(Order, order.id).cod_state == cod.CONFIRMED
    assert len(_messages(app, order)) == 2


def test_a_cod_order_is_cancelled_with_a_tap(app: Flask, owner: FlaskClient) -> None:
    _start(owner)
    order = _place(app, owner, "cod")
    [question] = _messages(app, order)
    _post(owner, f"/demo/messages/{question.id}/tap/1")
    with app.app_context():
        assert db.session().get(Order, order.id).cod_state == cod.CANCELLED
    assert _steps(app, order)[-1] == ("cod_cancelled_reply", "sent")


def test_only_a_sent_quick_reply_can_be_tapped(app: Flask, owner: FlaskClient) -> None:
    _start(owner)
    order = _place(app, owner)
    [confirmation] = _messages(app, order)
    response = owner.post(f"/demo/messages/{confirmation.id}/tap/0",
                          data={"csrf_token": csrf_token(owner, "/")}, follow_redirects=True)
    assert "That button cannot be tapped" in response.get_data(as_text=True)
    assert owner.post("/demo/messages/999999/tap/0",
                      data={"csrf_token": csrf_token(owner, "/")}).status_code == 404


def test_the_phone_reports_delivered_then_read_through_the_status_path(
        app: Flask, owner: FlaskClient) -> None:
    _start(owner)
    order = _place(app, owner)
    [message] = _messages(app, order)
    assert message.state == "sent"
    assert sorted(run_scheduled(app)) == ["sandbox_delivered", "sandbox_read"]
    [after] = _messages(app, order)
    assert after.state == "read"
    assert after.delivered_at is not None and after.read_at is not None
    with app.app_context():
        reports = db.session().scalars(select(InboundEvent).where(
            InboundEvent.source == "whatsapp").order_by(InboundEvent.id)).all()
        assert [(r.dedupe_key, r.state) for r in reports] == [
            (f"sandbox:{message.wamid}:delivered", "processed"),
            (f"sandbox:{message.wamid}:read", "processed")]
        assert b'"statuses"' in reports[0].body
    feed = _feed(owner)
    assert re.search(r'class="ticks tick-read" aria-hidden="true">✓✓</span>'
                     r'<span class="visually-hidden">Read</span>', feed)


def test_receipts_are_pretended_for_the_demo_store_only(app: Flask) -> None:
    assert sandbox.plays_receipts("demo", "sandbox")
    assert not sandbox.plays_receipts("shopify", "sandbox")
    assert not sandbox.plays_receipts("demo", "cloud")
    with app.app_context(), db.transaction() as session:
        store = demo_store.get_or_create(session)
        assert sandbox.store_for_number(session, sandbox.number_for(store)) == store.id
        assert sandbox.store_for_number(session, store.key) is None
        store.platform = "shopify"
        session.flush()
        assert sandbox.store_for_number(session, sandbox.number_for(store)) is None


def test_the_sandbox_has_the_cart_recovery_templates_approved(app: Flask) -> None:
    with app.app_context(), db.transaction() as session:
        store = demo_store.get_or_create(session)
        rows = list(session.scalars(select(Template).where(
            Template.store_id == store.id, Template.name.startswith("cart_recovery_"))))
        assert sorted((t.name, t.language, t.category, t.status) for t in rows) == [
            (f"cart_recovery_{n}", "en", "MARKETING", "APPROVED") for n in (1, 2, 3)]
        for row in rows:  # the link a step sends carries the cart's token, through /t/
            assert button_kinds(row.components) == ("url_dynamic",)
            [buttons] = [c for c in row.components if c["type"] == "BUTTONS"]
            assert buttons["buttons"][0]["url"] == "http://127.0.0.1:8000/t/{{1}}"


def test_a_test_send_shows_in_the_log_not_on_the_shoppers_phone(app: Flask,
                                                                 owner: FlaskClient) -> None:
    _start(owner)
    order = _place(app, owner)
    with app.app_context():
        store = demo_store.find(db.session(), owner_id=1)
        assert store is not None
        store_id = store.id
    url = f"/stores/{store_id}/automations/order_confirmation"
    response = owner.post(f"{url}/test", data={
        "csrf_token": csrf_token(owner, url), "enabled": "1",
        "template": "order_confirmation", "language": "en", "var_1": "first_name",
        "var_2": "order_number", "var_3": "item_summary", "var_4": "order_total", "delay": "0",
        "delay_unit": "minutes", "order": str(order.id), "test_phone": "+351 913 000 111"})
    assert response.status_code == 303, response.get_data(as_text=True)
    test = _messages(app)[-1]
    assert test.cause.startswith("test:") and test.state == "sent"
    feed = _feed(owner)
    assert f'data-message="{test.id}"' not in _phone(feed)
    row = feed.split(f'data-message="{test.id}"')[1].split("</tr>")[0]
    assert "test" in row and "+351913000111" in row and "not Ana's phone" in row

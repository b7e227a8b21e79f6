"""The message log: per store, per order and per customer, with ticks that say their state in
words, failure reasons and error codes in words, and 404 for anyone else's rows."""
from __future__ import annotations

import html
import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from adapters.whatsapp import messages
from plugin.admin.message_views import ERROR_WORDS
from plugin.infra import db
from plugin.models import Customer, Message, Order
from tests.admin.test_journeys import make_store
from tests.conftest import create_owner


def add_messages(app: Flask, store_id: int) -> dict[str, int]:
    """One message per state worth showing; returns their ids by name."""
    with app.app_context(), db.transaction() as session:
        customer = session.scalars(select(Customer).where(Customer.store_id == store_id)).one()
        first, second = session.scalars(select(Order).where(Order.store_id == store_id)
                                        .order_by(Order.id)).all()
        other = Customer(store_id=store_id, platform_id="c-2", first_name="Inês",
                         phone_e164="+351913000222", tags=[])
        session.add(other)
        session.flush()

        def message(name: str, order: Order | None, who: Customer | None,
                    parameters: tuple[str, ...], **values: Any) -> Message:
            row = Message(store_id=store_id, order_id=order.id if order else None,
                          customer_id=who.id if who else None, cause=f"case:{name}",
                          step=values.pop("step", "order_confirmation"),
                          to=who.phone_e164 if who else "+351912345678",
                          template="order_confirmation",
                          payload=messages.template("351912345678", "order_confirmation", "en",
                                                    body=parameters),
                          **values)
            session.add(row)
            return row

        rows = {
            "read": message("read", first, customer, ("Marta", "#2001", "EUR 12.00"),
                            state="read", transport="sandbox"),
            "delivered": message("delivered", second, customer, ("Rui", "#2002", "EUR 54.80"),
                                 state="delivered"),
            "failed": message("failed", second, customer, ("Rui", "#2002", "EUR 54.80"),
                              step="cod_confirmation", state="failed", error_code=131026,
                              reason="Message undeliverable"),
            "skipped": message("skipped", None, other, ("Inês", "#3", "EUR 1.00"),
                               state="skipped", reason="the customer has no WhatsApp number"),
            "test": message("test", None, None, ("Ana", "#1001", "EUR 54.80"), state="sent"),
        }
        rows["test"].cause = "test:abc"
        session.flush()
        ids = {name: row.id for name, row in rows.items()}
        ids.update(customer=customer.id, other=other.id, first=first.id, second=second.id)
        return ids


def page_of(client: FlaskClient, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return html.unescape(response.get_data(as_text=True))


def row_of(page: str, message_id: int) -> str:
    return page.split(f'id="message-{message_id}"')[1].split("</tr>")[0]


def test_the_store_log_lists_every_message_with_links_ticks_and_reasons(
        app: Flask, owner: FlaskClient) -> None:
    store_id = make_store(app)
    ids = add_messages(app, store_id)
    page = page_of(owner, f"/stores/{store_id}/messages")
    # Newest first.
    assert page.index(f'id="message-{ids["test"]}"') < page.index(f'id="message-{ids["read"]}"')
    read = row_of(page, ids["read"])
    assert "Hi Marta, thank you for your order #2001! Total: EUR 12.00." in read
    assert f'href="/stores/{store_id}/orders/{ids["first"]}/messages">#2001<' in read
    assert f'href="/stores/{store_id}/customers/{ids["customer"]}/messages">Rui Costa<' in read
    assert "Order confirmation" in read
    assert 'class="ticks tick-read" aria-hidden="true">✓✓<' in read
    assert 'class="state-words">Read<' in read
    delivered = row_of(page, ids["delivered"])
    assert 'tick-delivered" aria-hidden="true">✓✓<' in delivered and ">Delivered<" in delivered
    failed = row_of(page, ids["failed"])
    assert "Cash-on-delivery confirmation" in failed and ">Failed<" in failed
    assert "Message undeliverable" in failed
    assert f"WhatsApp error 131026: {ERROR_WORDS[131026]}" in failed
    skipped = row_of(page, ids["skipped"])
    assert ">Not sent<" in skipped and "the customer has no WhatsApp number" in skipped
    test = row_of(page, ids["test"])
    assert '<span class="status">test</span>' in test and ">Sent<" in test
    assert "reason" not in delivered and "reason" not in test


def test_the_order_log_shows_only_that_orders_messages(app: Flask, owner: FlaskClient) -> None:
    store_id = make_store(app)
    ids = add_messages(app, store_id)
    page = page_of(owner, f"/stores/{store_id}/orders/{ids['second']}/messages")
    assert "Messages about order #2002" in page
    shown = {name for name in ("read", "delivered", "failed", "skipped", "test")
             if f'id="message-{ids[name]}"' in page}
    assert shown == {"delivered", "failed"}


def test_the_customer_log_shows_only_that_customers_messages(
        app: Flask, owner: FlaskClient) -> None:
    store_id = make_store(app)
    ids = add_messages(app, store_id)
    page = page_of(owner, f"/stores/{store_id}/customers/{ids['customer']}/messages")
    assert "Messages to Rui Costa" in page
    shown = {name for name in ("read", "delivered", "failed", "skipped", "test")
             if f'id="message-{ids[name]}"' in page}
    assert shown == {"read", "delivered", "failed"}
    page = page_of(owner, f"/stores/{store_id}/customers/{ids['other']}/messages")
    assert f'id="message-{ids["skipped"]}"' in page and "No messages yet" not in page


def test_an_empty_log_says_so(app: Flask, owner: FlaskClient) -> None:
    store_id = make_store(app)
    assert "No messages yet." in page_of(owner, f"/stores/{store_id}/messages")


def test_other_owners_and_other_stores_rows_answer_404(app: Flask, owner: FlaskClient) -> None:
    mine = make_store(app)
    second_store = make_store(app, name="My second shop")
    create_owner(app, "other@example.com")
    theirs = make_store(app, email="other@example.com", name="Other shop")
    their_ids = add_messages(app, theirs)
    my_ids = add_messages(app, second_store)
    for url in (f"/stores/{theirs}/messages",
                f"/stores/{theirs}/orders/{their_ids['first']}/messages",
                f"/stores/{theirs}/customers/{their_ids['customer']}/messages",
                # Their order or customer under my store's URL.
                f"/stores/{mine}/orders/{their_ids['first']}/messages",
                f"/stores/{mine}/customers/{their_ids['customer']}/messages",
                # My other store's order under this store's URL.
                f"/stores/{mine}/orders/{my_ids['first']}/messages",
                f"/stores/{mine}/customers/{my_ids['customer']}/messages",
                f"/stores/{mine}/orders/999999/messages"):
        assert owner.get(url).status_code == 404, url
    page = page_of(owner, f"/stores/{mine}/messages")
    assert "No messages yet." in page  # my second store's messages are not this store's


def test_a_question_with_reply_buttons_reads_as_its_text_and_buttons(
        app: Flask, owner: FlaskClient) -> None:
    from adapters.whatsapp import messages

    store_id = make_store(app)
    with app.app_context(), db.transaction() as session:
        customer = session.scalars(select(Customer).where(Customer.store_id == store_id)).one()
        session.add(Message(store_id=store_id, customer_id=customer.id, cause="opt-out:w1",
                            step="opt_out_confirm", to=customer.phone_e164, template=None,
                            state="sent", payload=messages.reply_buttons(
                                "351913000111", "Stop messages from us?", (
                                    messages.ReplyButton(id="STORECHAT_OPT_OUT",
                                                         title="Stop messages"),
                                    messages.ReplyButton(id="STORECHAT_KEEP_MESSAGES",
                                                         title="Keep messages")))))
    page = page_of(owner, f"/stores/{store_id}/messages")
    assert re.search(r'class="text">\s*Stop messages from us\?\s*<ul class="log-buttons" '
                     r'aria-label="Buttons">\s*<li>Stop messages</li>\s*<li>Keep messages</li>',
                     page), page
    assert "[None]" not in page


def test_a_delayed_message_says_when_it_sends() -> None:
    """Issue 21: "Waiting to be sent" with no time."""
    from datetime import datetime, timedelta

    from plugin.admin.message_views import state_words, time_until

    now = datetime(2026, 1, 1, 13, 55)
    assert state_words("pending", now + timedelta(minutes=10), now) == \
        "Sends at 14:05 UTC (in 10 min)"
    assert state_words("pending", None, now) == "Waiting to be sent"
    assert state_words("pending", now - timedelta(seconds=5), now) == "Waiting to be sent"
    assert state_words("sent", now + timedelta(minutes=10), now) == "Sent"
    assert time_until(timedelta(seconds=20)) == "in less than a minute"
    assert time_until(timedelta(minutes=65)) == "in 1 h 5 min"
    assert time_until(timedelta(hours=47)) == "in 2 days"

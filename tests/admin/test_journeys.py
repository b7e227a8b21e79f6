"""The automations pages: the journeys list, the editor (validation, saving, tenancy), its
live preview rendered from a real order or a sample one, and "send test" with its throttle."""
from __future__ import annotations

import html
import importlib.util
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from plugin.admin.journeys import TEST_SENDS_PER_WINDOW, delay_words
from plugin.admin.message_views import event_from_order
from plugin.domain.events import CustomerRef, EventKind, LineItem, OrderEvent, Tracking
from plugin.domain.journeys import ORDER_FIELDS, render_parameters
from plugin.infra import db
from plugin.models import Automation, Customer, Message, Order, Owner, Store, Template
from tests.conftest import create_owner, csrf_token, sign_in

CONFIRMATION = "Hi {{1}}, thank you for your order {{2}}! Total: {{3}}."
COD = "Hi {{1}}, please confirm your cash-on-delivery order {{2}}."


def money(amount: str) -> str:
    """An EUR amount as the engine writes it in English (its formatting is its own)."""
    event = OrderEvent(kind=EventKind.ORDER_PLACED, order_id="x", number="1", status="placed",
                       currency="EUR", total=Decimal(amount))
    return render_parameters(event, ["order_total"], language="en")[0]


def body(text: str, *extra: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"type": "BODY", "text": text}, *extra]


def make_store(app: Flask, email: str = "owner@example.com", name: str = "Linen & Co",
               automations: bool = True) -> int:
    """A store of the owner `email` with templates, journeys, a customer and two orders."""
    with app.app_context(), db.transaction() as session:
        owner_id = session.scalars(select(Owner.id).where(Owner.email == email)).one()
        store = Store(platform="woocommerce", domain="shop.example", name=name, country="PT",
                      currency="EUR", timezone="Europe/Lisbon", owner_id=owner_id)
        session.add(store)
        session.flush()
        buttons = {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "Confirm"},
                                                  {"type": "QUICK_REPLY", "text": "Cancel"}]}
        session.add_all([
            Template(store_id=store.id, name="order_confirmation", language="en",
                     category="UTILITY", components=body(CONFIRMATION)),
            Template(store_id=store.id, name="order_confirmation", language="pt_PT",
                     category="UTILITY",
                     components=body("Olá {{1}}, obrigado pela encomenda {{2}}.")),
            Template(store_id=store.id, name="cod_confirmation", language="en",
                     category="UTILITY", components=body(COD, buttons)),
            Template(store_id=store.id, name="order_shipped_v2", language="en",
                     category="UTILITY", status="PENDING",
                     components=body("Order {{1}} shipped.")),
        ])
        if automations:
            session.add_all([
                Automation(store_id=store.id, journey="order_confirmation",
                           trigger="order_placed", template="order_confirmation",
                           language="en",
                           variables=["first_name", "order_number", "order_total"]),
                Automation(store_id=store.id, journey="cod_confirmation",
                           trigger="order_placed", template="cod_confirmation", language="en",
                           variables=["first_name", "order_number"],
                           conditions={"payment": "cod", "on_cancel": "tag"}),
                Automation(store_id=store.id, journey="order_shipped",
                           trigger="order_fulfilled", template="order_shipped_v2",
                           language="en", variables=["order_number"], delay_seconds=7200,
                           enabled=False),
                Automation(store_id=store.id, journey="order_refunded",
                           trigger="order_refunded", template="gone_template",
                           language="en", variables=[]),
            ])
        customer = Customer(store_id=store.id, platform_id="c-1", first_name="Rui",
                            last_name="Costa", phone_e164="+351913000111", tags=[])
        session.add(customer)
        session.flush()
        for number, first, total in (("2001", "Marta", "12.00"), ("2002", "Rui", "54.80")):
            event = OrderEvent(
                kind=EventKind.ORDER_PLACED, order_id=f"o-{number}", number=number,
                status="placed", currency="EUR", total=Decimal(total), payment_gateway="cod",
                customer=CustomerRef(platform_id="c-1", first_name=first),
                line_items=(LineItem(title="Linen shirt", quantity=1, price=Decimal(total)),),
                tracking=Tracking(number="TR1", company="CTT"),
                status_url=f"https://shop.example/o/{number}")
            session.add(Order(store_id=store.id, platform_id=event.order_id, number=number,
                              status="placed", currency="EUR", total=total,
                              payment_gateway="cod", customer_id=customer.id,
                              snapshot=event.to_snapshot()))
        return store.id


def ids(app: Flask, model: Any, store_id: int) -> list[int]:
    with app.app_context():
        return list(db.session().scalars(select(model.id).where(model.store_id == store_id)
                                         .order_by(model.id)))


def automation(app: Flask, store_id: int, journey: str) -> Automation:
    with app.app_context():
        return db.session().scalars(select(Automation).where(
            Automation.store_id == store_id, Automation.journey == journey)).one()


def editor_data(client: FlaskClient, store_id: int, journey: str = "order_confirmation",
                **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "csrf_token": csrf_token(client, f"/stores/{store_id}/automations/{journey}"),
        "enabled": "1", "template": "order_confirmation", "language": "en",
        "var_1": "first_name", "var_2": "order_number", "var_3": "order_total",
        "delay": "0", "delay_unit": "minutes", "order": "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def text_of(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


# ---- The list ----------------------------------------------------------------------------


def test_the_list_shows_every_journey_with_its_settings_and_warnings(
        app: Flask, owner: FlaskClient) -> None:
    store_id = make_store(app)
    response = owner.get(f"/stores/{store_id}/automations")
    assert response.status_code == 200
    page = text_of(response)
    assert "Automations for Linen & Co" in page
    for journey in ("order_confirmation", "cod_confirmation", "order_shipped", "order_refunded"):
        assert f'href="/stores/{store_id}/automations/{journey}"' in page
    assert "{{1}}</code> → First name" in page and "{{3}}</code> → Order total" in page
    assert "Cash-on-delivery orders only" in page and "A Cancel reply tags the order" in page
    assert "after 2 hours" in page and "right away" in page
    assert "The template is pending at Meta" in page
    assert "“gone_template” (en) is not among this store's WhatsApp templates" in page
    # The shipped journey is off; the confirmation is approved and warns of nothing.
    row = page.split('data-journey="order_shipped"')[1].split("</tr>")[0]
    assert ">Off<" in row
    row = page.split('data-journey="order_confirmation"')[1].split("</tr>")[0]
    assert ">On<" in row and "warning" not in row


def test_a_store_without_journeys_offers_the_starters(app: Flask, owner: FlaskClient) -> None:
    store_id = make_store(app, automations=False)
    page = text_of(owner.get(f"/stores/{store_id}/automations"))
    assert "Set up the starter journeys" in page
    path = f"/stores/{store_id}/automations"
    response = owner.post(path, data={"csrf_token": csrf_token(owner, path)})
    assert response.status_code == 303
    page = text_of(owner.get(response.headers["Location"]))
    if importlib.util.find_spec("plugin.platforms.starters") is None:
        assert "not available in this version yet" in page
        assert ids(app, Automation, store_id) == []
    else:
        assert ids(app, Automation, store_id), "install_starters wrote no automation"
        assert "Set up the starter journeys" not in page


@pytest.mark.parametrize(("seconds", "words"), [
    (0, "right away"), (45 * 60, "after 45 minutes"), (3600, "after 1 hour"),
    (27 * 3600 + 60, "after 1 day 3 hours 1 minute")])
def test_delays_read_as_words(seconds: int, words: str) -> None:
    assert delay_words(seconds) == words


# ---- The editor --------------------------------------------------------------------------


def test_the_editor_shows_the_saved_values_and_a_preview_of_the_newest_order(
        app: Flask, owner: FlaskClient) -> None:
    store_id = make_store(app)
    response = owner.get(f"/stores/{store_id}/automations/order_confirmation")
    assert response.status_code == 200
    page = text_of(response)
    assert "<h1>Order confirmation</h1>" in page
    assert '<option value="first_name" selected>' in page.split('id="var_1"')[1]
    assert '<option value="order_total" selected>' in page.split('id="var_3"')[1]
    for key in ORDER_FIELDS:  # every field the engine knows, listed from it
        assert f'<option value="{key}"' in page
    assert f"Hi Rui, thank you for your order #2002! Total: {money('54.80')}." in page
    assert "With order #2002" in page
    assert 'name="test_phone"' in page and "Send test to my number" in page


def test_saving_changes_the_automation(app: Flask, owner: FlaskClient) -> None:
    store_id = make_store(app)
    data = editor_data(owner, store_id, var_1="order_number", var_2="first_name",
                       delay="3", delay_unit="hours", enabled=None)
    response = owner.post(f"/stores/{store_id}/automations/order_confirmation", data=data)
    assert response.status_code == 303
    row = automation(app, store_id, "order_confirmation")
    assert row.variables == ["order_number", "first_name", "order_total"]
    assert (row.delay_seconds, row.enabled) == (3 * 3600, False)
    page = text_of(owner.get(response.headers["Location"]))
    assert "Order confirmation saved." in page
    assert '<option value="hours" selected>' in page and 'value="3"' in page


def test_saving_another_language_of_a_template(app: Flask, owner: FlaskClient) -> None:
    store_id = make_store(app)
    data = editor_data(owner, store_id, language="pt_PT", var_3=None)
    response = owner.post(f"/stores/{store_id}/automations/order_confirmation", data=data)
    assert response.status_code == 303
    row = automation(app, store_id, "order_confirmation")
    assert (row.language, row.variables) == ("pt_PT", ["first_name", "order_number"])


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"delay": "8", "delay_unit": "hours", "var_1": "bogus"}, "var_1",
     "Choose the order field that fills {{1}}."),
    ({"delay": "169", "delay_unit": "hours"}, "delay", "Enter from 0 to 168 hours"),
    ({"delay": "-1"}, "delay", "Enter from 0 to 10080 minutes"),
    ({"delay": "soon"}, "delay", "Enter a whole number of minutes."),
    ({"delay_unit": "weeks"}, "delay", "Choose minutes or hours."),
    ({"var_3": ""}, "var_3", "Choose the order field that fills {{3}}."),
    ({"language": "fr"}, "language", "exists in en, pt_PT only"),
    ({"template": "not_a_template"}, "template", "Choose one of this store's templates."),
    ({"template": "order_shipped_v2"}, "template",
     "“order_shipped_v2” (en) is pending at Meta: choose an approved template"),
])
def test_a_bad_value_is_shown_next_to_its_field_and_nothing_is_saved(
        app: Flask, owner: FlaskClient, changes: dict[str, str], field: str,
        message: str) -> None:
    store_id = make_store(app)
    before = automation(app, store_id, "order_confirmation")
    response = owner.post(f"/stores/{store_id}/automations/order_confirmation",
                          data=editor_data(owner, store_id, **changes))
    assert response.status_code == 400
    page = text_of(response)
    assert "Nothing was saved" in page
    error = page.split(f'id="error-{field}"')[1].split("</p>")[0]
    assert message in error
    assert f'aria-describedby="error-{field}" aria-invalid="true"' in page
    after = automation(app, store_id, "order_confirmation")
    assert (after.variables, after.delay_seconds, after.language, after.template) == \
        (before.variables, before.delay_seconds, before.language, before.template)


def test_a_journey_keeps_its_own_template_while_meta_reviews_it(
        app: Flask, owner: FlaskClient) -> None:
    """Only a switch to an unapproved template is refused: the journey's own template,
    back in review, is still savable (its warning says why it does not send)."""
    store_id = make_store(app)
    data = editor_data(owner, store_id, "order_shipped", delay="3", delay_unit="hours")
    response = owner.post(f"/stores/{store_id}/automations/order_shipped", data=data)
    assert response.status_code == 303
    assert automation(app, store_id, "order_shipped").delay_seconds == 3 * 3600


def test_a_test_send_of_a_named_template_names_its_parameters(
        app: Flask, owner: FlaskClient) -> None:
    """Meta refuses a template written with named variables whose parameters have no
    parameter_name; the test send names them as a journey's send does."""
    store_id = make_store(app)
    with app.app_context(), db.transaction() as session:
        session.add(Template(store_id=store_id, name="pedido", language="en",
                             category="UTILITY", parameter_format="NAMED",
                             components=body("Hi {{first_name}}, order {{order_number}}.")))
    data = editor_data(owner, store_id, template="pedido", var_1="first_name",
                       var_2="order_number", var_3=None, test_phone="912 345 678")
    response = owner.post(f"/stores/{store_id}/automations/order_confirmation/test", data=data)
    assert response.status_code == 303, text_of(response)
    with app.app_context():
        message = db.session().scalars(select(Message)).one()
    parameters = message.payload["template"]["components"][0]["parameters"]
    assert [(p["parameter_name"], p["text"]) for p in parameters] == [
        ("first_name", "Rui"), ("order_number", "#2002")]


def test_cod_on_cancel_choice_is_saved_with_the_other_conditions(
        app: Flask, owner: FlaskClient) -> None:
    store_id = make_store(app)
    page = text_of(owner.get(f"/stores/{store_id}/automations/cod_confirmation"))
    assert 'name="on_cancel" value="tag" checked' in page
    data = editor_data(owner, store_id, "cod_confirmation", template="cod_confirmation",
                       var_3=None, on_cancel="cancel")
    assert owner.post(f"/stores/{store_id}/automations/cod_confirmation",
                      data=data).status_code == 303
    assert automation(app, store_id, "cod_confirmation").conditions == \
        {"payment": "cod", "on_cancel": "cancel"}
    data["on_cancel"] = "delete"
    response = owner.post(f"/stores/{store_id}/automations/cod_confirmation", data=data)
    assert response.status_code == 400
    assert "Choose what a Cancel reply does." in text_of(response)
    # The confirmation journey has no such choice.
    page = text_of(owner.get(f"/stores/{store_id}/automations/order_confirmation"))
    assert 'name="on_cancel"' not in page


# ---- The preview -------------------------------------------------------------------------


def preview(client: FlaskClient, store_id: int, journey: str = "order_confirmation",
            **changes: Any) -> dict[str, Any]:
    response = client.post(f"/stores/{store_id}/automations/{journey}/preview",
                           data=editor_data(client, store_id, journey, **changes))
    assert response.status_code == 200
    return response.get_json()


def test_the_preview_follows_the_chosen_variables_without_saving(
        app: Flask, owner: FlaskClient) -> None:
    store_id = make_store(app)
    first = preview(owner, store_id)
    assert f"Hi Rui, thank you for your order #2002! Total: {money('54.80')}." in \
        html.unescape(first["html"])
    assert (first["placeholders"], first["errors"]) == (3, {})
    swapped = preview(owner, store_id, var_1="order_number", var_3="carrier")
    assert "Hi #2002, thank you for your order #2002! Total: CTT." in \
        html.unescape(swapped["html"])
    # Another recent order, then the sample order.
    older = ids(app, Order, store_id)[0]
    assert f"Hi Marta, thank you for your order #2001! Total: {money('12.00')}." in \
        html.unescape(preview(owner, store_id, order=str(older))["html"])
    sample = html.unescape(preview(owner, store_id, order="sample")["html"])
    assert "Hi Ana, thank you for your order #1001!" in sample
    assert "With a sample order" in sample
    assert automation(app, store_id, "order_confirmation").variables == \
        ["first_name", "order_number", "order_total"]


def test_the_preview_shows_buttons_errors_and_the_templates_blanks(
        app: Flask, owner: FlaskClient) -> None:
    store_id = make_store(app)
    answer = preview(owner, store_id, "cod_confirmation", template="cod_confirmation",
                     var_3=None)
    assert "please confirm your cash-on-delivery order #2002" in html.unescape(answer["html"])
    assert '<ul class="bubble-buttons"' in answer["html"]
    assert "<li>Confirm</li>" in answer["html"] and "<li>Cancel</li>" in answer["html"]
    assert answer["placeholders"] == 2 and answer["body"] == COD
    pending = preview(owner, store_id, template="order_shipped_v2", var_1="bogus")
    assert pending["errors"] == {
        "var_1": "Choose the order field that fills {{1}}.",
        # The preview says before saving what saving would refuse.
        "template": "“order_shipped_v2” (en) is pending at Meta: choose an approved "
                    "template, or wait for its approval."}
    assert "pending at Meta" in pending["warning"]


def test_a_store_without_orders_previews_a_sample(app: Flask, owner: FlaskClient) -> None:
    store_id = make_store(app)
    with app.app_context(), db.transaction() as session:
        for order in session.scalars(select(Order)):
            session.delete(order)
    page = text_of(owner.get(f"/stores/{store_id}/automations/order_confirmation"))
    assert f"Hi Ana, thank you for your order #1001! Total: {money('54.80')}." in page


def test_an_order_snapshot_reads_back_as_the_event_it_was() -> None:
    event = OrderEvent(kind=EventKind.ORDER_FULFILLED, order_id="o-9", number="9",
                       status="shipped", currency="BRL", total=Decimal("10.50"),
                       payment_gateway="pix",
                       customer=CustomerRef(platform_id="c", first_name="Zé", locale="pt"),
                       line_items=(LineItem(title="Cup", quantity=2, price=Decimal("5.25")),),
                       tracking=Tracking(number="N", url="https://t.example/N", company="X"),
                       status_url="https://s.example/9")
    order = Order(platform_id="o-9", number="9", status="shipped", currency="BRL",
                  total="10.50", payment_gateway="pix", tracking=None,
                  snapshot=event.to_snapshot())
    assert event_from_order(order) == event


# ---- Send test ---------------------------------------------------------------------------


def test_send_test_writes_one_message_to_the_owners_number(
        app: Flask, owner: FlaskClient) -> None:
    store_id = make_store(app)
    data = editor_data(owner, store_id, var_1="order_number", test_phone="912 345 678")
    response = owner.post(f"/stores/{store_id}/automations/order_confirmation/test", data=data)
    assert response.status_code == 303
    assert response.headers["Location"].startswith(f"/stores/{store_id}/messages")
    with app.app_context():
        messages = list(db.session().scalars(select(Message)))
    assert len(messages) == 1
    message = messages[0]
    assert message.cause.startswith("test:") and message.step == "order_confirmation"
    assert (message.to, message.template, message.order_id, message.customer_id) == \
        ("+351912345678", "order_confirmation", None, None)
    assert message.payload["to"] == "351912345678"
    template = message.payload["template"]
    assert template["name"] == "order_confirmation" and template["language"] == {"code": "en"}
    assert [p["text"] for p in template["components"][0]["parameters"]] == \
        ["#2002", "#2002", money("54.80")]
    assert message.state != "pending"  # the inline queue ran the send job
    page = text_of(owner.get(response.headers["Location"]))
    assert "Test message queued to +351912345678" in page
    assert f'id="message-{message.id}" class="state-{message.state} is-highlighted"' in page
    # The saved automation did not change.
    assert automation(app, store_id, "order_confirmation").variables[0] == "first_name"


def test_a_cod_test_message_has_its_buttons_but_answers_no_real_order(
        app: Flask, owner: FlaskClient) -> None:
    store_id = make_store(app)
    data = editor_data(owner, store_id, "cod_confirmation", template="cod_confirmation",
                       var_3=None, on_cancel="tag", test_phone="912 345 678")
    response = owner.post(f"/stores/{store_id}/automations/cod_confirmation/test", data=data)
    assert response.status_code == 303
    with app.app_context():
        message = db.session().scalars(select(Message)).one()
    buttons = [c for c in message.payload["template"]["components"] if c["type"] == "button"]
    assert [(b["sub_type"], b["index"], b["parameters"][0]["payload"]) for b in buttons] == [
        ("quick_reply", "0", "storechat:cod:confirm:test"),
        ("quick_reply", "1", "storechat:cod:cancel:test")]


def test_send_test_refuses_a_bad_number_and_bad_values(app: Flask, owner: FlaskClient) -> None:
    store_id = make_store(app)
    url = f"/stores/{store_id}/automations/order_confirmation/test"
    response = owner.post(url, data=editor_data(owner, store_id, test_phone="12"))
    assert response.status_code == 400
    # The country by its name, and an example number from it (issue 21: "for PT").
    assert ("Enter your WhatsApp number with its country code, e.g. +351 912 345 678 (a "
            "number without one is read as a number in Portugal)") in text_of(response)
    response = owner.post(url, data=editor_data(owner, store_id, test_phone="+351912345678",
                                                var_2="bogus"))
    assert response.status_code == 400
    assert ids(app, Message, store_id) == []


def test_send_test_is_throttled_per_store(app: Flask, owner: FlaskClient) -> None:
    store_id = make_store(app)
    url = f"/stores/{store_id}/automations/order_confirmation/test"
    data = editor_data(owner, store_id, test_phone="+351912345678")
    for _ in range(TEST_SENDS_PER_WINDOW):
        assert owner.post(url, data=data).status_code == 303
    response = owner.post(url, data=data)
    assert response.status_code == 429
    assert f"At most {TEST_SENDS_PER_WINDOW} test messages every 10 minutes" in \
        text_of(response)
    with app.app_context():
        assert db.session().scalar(select(func.count(Message.id))) == TEST_SENDS_PER_WINDOW


# ---- Who may open these pages ------------------------------------------------------------


def test_another_owners_store_and_unknown_journeys_answer_404(
        app: Flask, owner: FlaskClient) -> None:
    mine = make_store(app)
    create_owner(app, "other@example.com")
    theirs = make_store(app, email="other@example.com", name="Other shop")
    data = editor_data(owner, mine, test_phone="+351912345678")
    for url in (f"/stores/{theirs}/automations",
                f"/stores/{theirs}/automations/order_confirmation"):
        assert owner.get(url).status_code == 404
    for url in (f"/stores/{theirs}/automations",
                f"/stores/{theirs}/automations/order_confirmation",
                f"/stores/{theirs}/automations/order_confirmation/preview",
                f"/stores/{theirs}/automations/order_confirmation/test",
                f"/stores/{mine}/automations/no_such_journey/preview"):
        assert owner.post(url, data=data).status_code == 404, url
    assert owner.get(f"/stores/{mine}/automations/no_such_journey").status_code == 404
    assert ids(app, Message, theirs) == [] and ids(app, Message, mine) == []
    assert automation(app, theirs, "order_confirmation").variables[0] == "first_name"


def test_signed_out_visitors_are_sent_to_sign_in(app: Flask, client: FlaskClient) -> None:
    create_owner(app, "owner@example.com")
    store_id = make_store(app)
    response = client.get(f"/stores/{store_id}/automations")
    assert response.status_code == 302 and "/signin" in response.headers["Location"]
    sign_in(client, "owner@example.com")
    assert client.get(f"/stores/{store_id}/automations").status_code == 200


def test_a_post_without_its_csrf_token_is_refused(app: Flask, owner: FlaskClient) -> None:
    store_id = make_store(app)
    data = editor_data(owner, store_id, csrf_token=None, delay="5")
    response = owner.post(f"/stores/{store_id}/automations/order_confirmation", data=data)
    assert response.status_code == 400
    assert automation(app, store_id, "order_confirmation").delay_seconds == 0


def test_conditions_read_as_plain_sentences() -> None:
    """Issue 21: "Orders not paid on delivery" meant "not cash on delivery"."""
    from plugin.admin.journeys import condition_words

    assert condition_words({"payment": "not_cod", "unpaid_only": True}) == [
        "All orders except cash on delivery", "Only while the order still awaits payment"]
    assert condition_words({"payment": "cod"}) == ["Cash-on-delivery orders only"]

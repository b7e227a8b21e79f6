"""The shop assistant through the signed WhatsApp webhook and the fake Graph API: the exact
bodies it sends for where-is-my-order (two orders, none, someone else's number), the
cancellation with confirmation at the fake Shopify and WooCommerce, browsing, the hand-over
that silences it, and what it never answers (STOP, reactions, unsupported messages)."""
from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

from flask import Flask
from sqlalchemy import select

from plugin.domain.assistant import Intent
from plugin.infra import db
from plugin.models import (
    AssistantSettings,
    CatalogItem,
    Conversation,
    ConversationNote,
    Customer,
    Message,
    Order,
    WhatsAppAccount,
)
from tests.fakes.graph import FakeGraph
from tests.pipeline import test_cod_answers as cod
from tests.pipeline import test_conversation_e2e as conversation
from tests.pipeline.test_auto_answers import switch_on as greeting_on
from tests.pipeline.test_cod_answers import ShopWorld, WooWorld
from tests.pipeline.test_conversation_e2e import SHOPPER

world = conversation.world
graph, shop, woo, woo_app = cod.graph, cod.shop, cod.woo, cod.woo_app
COD_APPS: set[int] = set()  # the COD worlds' apps (their tests call turn_on(cod=True))
World = tuple[Flask, FakeGraph, int]
ALL = [intent.value for intent in Intent]
NONE_TEXT = ("I can't find a recent order for this WhatsApp number. Would you like to talk "
             "to a person?")


def turn_on(app: Flask, store_id: int, *, intents: list[str] | None = None,
            on_cancel: str = "request", cod_world: bool = False) -> None:
    if cod_world:
        COD_APPS.add(id(app))
    with app.app_context(), db.transaction() as session:
        session.add(AssistantSettings(store_id=store_id, enabled=True,
                                      intents=ALL if intents is None else intents,
                                      on_cancel=on_cancel))


def send(app: Flask, message: dict[str, Any]) -> str:
    """Meta delivers one message from the shopper, signed, to our webhook; its wamid."""
    # Meta's pair limit spaces messages to one shopper: the test's seconds have passed.
    app.extensions["storechat.limiter"].storage.reset()
    wamid = f"wamid.IN.{time.time_ns()}"
    # The COD worlds (Shopify, WooCommerce) have their own secret and shopper.
    secret, shopper = ((cod.APP_SECRET, cod.SHOPPER) if id(app) in COD_APPS
                       else (conversation.APP_SECRET, SHOPPER))
    value = {"messaging_product": "whatsapp",
             "metadata": {"display_phone_number": "15550000000",
                          "phone_number_id": conversation.PHONE_NUMBER_ID},
             "contacts": [{"profile": {"name": "Ana"}, "wa_id": shopper}],
             "messages": [{"from": shopper, "timestamp": str(int(time.time())), "id": wamid,
                           **message}]}
    body = json.dumps({"object": "whatsapp_business_account",
                       "entry": [{"id": "WABA", "changes": [{"field": "messages",
                                                             "value": value}]}]}).encode()
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    response = app.test_client().post("/webhooks/whatsapp", data=body, headers={
        "Content-Type": "application/json", "X-Hub-Signature-256": signature})
    assert response.status_code == 200
    return wamid


def says(app: Flask, words: str) -> str:
    return send(app, {"type": "text", "text": {"body": words}})


def taps(app: Flask, row_id: str, kind: str = "button_reply") -> str:
    return send(app, {"type": "interactive", "interactive": {
        "type": kind, kind: {"id": row_id, "title": "tapped"}}})


def bodies(fake: FakeGraph) -> list[dict[str, Any]]:
    """What the fake Graph API accepted, without our callback marker."""
    out = []
    for sent in fake.sent:
        body = dict(sent.payload)
        assert body.pop("biz_opaque_callback_data").startswith("storechat:")
        out.append(body)
    return out


def envelope(kind: str, content: dict[str, Any], to: str = SHOPPER) -> dict[str, Any]:
    return {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to,
            "type": kind, kind: content}


def text(words: str, preview: bool = False, to: str = SHOPPER) -> dict[str, Any]:
    return envelope("text", {"preview_url": preview, "body": words}, to)


def person_offer(to: str = SHOPPER) -> dict[str, Any]:
    return envelope("interactive", {"type": "button", "body": {"text": NONE_TEXT}, "action": {
        "buttons": [{"type": "reply", "reply": {"id": "bot:human:en:",
                                                "title": "Talk to a person"}}]}}, to)


def customer(app: Flask, store_id: int, phone: str, platform_id: str) -> int:
    with app.app_context(), db.transaction() as session:
        row = Customer(store_id=store_id, platform_id=platform_id, phone_e164=f"+{phone}",
                       first_name="Ana", tags=[])
        session.add(row)
        session.flush()
        return row.id


def order(app: Flask, store_id: int, customer_id: int, number: str, status: str = "paid",
          tracking: dict[str, Any] | None = None) -> None:
    with app.app_context(), db.transaction() as session:
        session.add(Order(store_id=store_id, platform_id=f"90{number}", number=f"#{number}",
                          customer_id=customer_id, status=status, currency="EUR",
                          total="20.00", tracking=tracking, snapshot={}))


def steps(app: Flask) -> list[tuple[str, str]]:
    with app.app_context():
        return [(m.cause, m.step) for m in db.session().scalars(
            select(Message).order_by(Message.id))]


# --- where is my order ------------------------------------------------------------------

def test_nothing_answers_until_the_owner_turns_it_on(world: World) -> None:
    app, fake, store_id = world
    says(app, "Where is my order?")
    assert fake.sent == []


def test_two_orders_give_a_list_and_the_chosen_one_its_status(world: World) -> None:
    app, fake, store_id = world
    turn_on(app, store_id)
    ana = customer(app, store_id, SHOPPER, "c-ana")
    order(app, store_id, ana, "1001")
    order(app, store_id, ana, "1002", status="fulfilled", tracking={
        "number": "3S123", "company": "PostNL", "url": "https://track.example/3S123",
        "estimated_delivery": "2026-12-09T12:00:00Z"})
    asked = says(app, "Hi, where is my order?")
    assert bodies(fake) == [envelope("interactive", {
        "type": "list", "body": {"text": "Which order do you mean?"},
        "action": {"button": "Your orders", "sections": [{"rows": [
            {"id": "bot:order:en:901002", "title": "#1002", "description": "on its way"},
            {"id": "bot:order:en:901001", "title": "#1001",
             "description": "being prepared"}]}]}})]
    tapped = taps(app, "bot:order:en:901002", "list_reply")
    assert bodies(fake)[1] == text("Order #1002: on its way.\nCarrier: PostNL\n"
                                   "Track it: https://track.example/3S123\n"
                                   "Expected delivery: 2026-12-09", preview=True)
    # Automatic answers, each once: cause "answer:<wamid>", step "bot:<intent>".
    assert steps(app) == [(f"answer:{asked}", "bot:wismo"), (f"answer:{tapped}", "bot:wismo")]


def test_no_order_says_so_and_offers_a_person(world: World) -> None:
    app, fake, store_id = world
    turn_on(app, store_id)
    says(app, "¿Dónde está mi pedido?")
    [body] = bodies(fake)
    assert body["interactive"]["body"]["text"] == (
        "No encuentro un pedido reciente para este número de WhatsApp. ¿Quieres hablar con "
        "una persona?")
    assert body["interactive"]["action"]["buttons"] == [{"type": "reply", "reply": {
        "id": "bot:human:es:", "title": "Hablar con alguien"}}]


def test_an_order_number_of_someone_else_reveals_nothing(world: World) -> None:
    app, fake, store_id = world
    turn_on(app, store_id)
    other = customer(app, store_id, "34600111222", "c-other")
    order(app, store_id, other, "2002", status="fulfilled",
          tracking={"url": "https://track.example/secret", "company": "DHL"})
    says(app, "where is my order #2002")
    taps(app, "bot:order:en:902002", "list_reply")  # a forged tap on the other's order
    assert bodies(fake) == [person_offer(), person_offer()]


def test_a_typed_order_number_of_ones_own_is_answered(world: World) -> None:
    app, fake, store_id = world
    turn_on(app, store_id)
    ana = customer(app, store_id, SHOPPER, "c-ana")
    order(app, store_id, ana, "1001")
    order(app, store_id, ana, "1003", status="cancelled")
    says(app, "tracking for 1003 please")
    assert bodies(fake) == [text("Order #1003: cancelled.")]


# --- talk to a person ---------------------------------------------------------------------

def test_handover_silences_the_assistant_and_the_greeting(world: World) -> None:
    app, fake, store_id = world
    turn_on(app, store_id)
    greeting_on(app, store_id)
    says(app, "where is my order")  # none: offered a person (and no greeting on top)
    tapped = taps(app, "bot:human:en:")
    says(app, "where is my order??")
    says(app, "hello?")
    assert bodies(fake) == [person_offer(),
                            text("A person from our team will answer you here soon.")]
    assert steps(app)[1] == (f"answer:{tapped}", "bot:human")
    with app.app_context():
        [talk] = db.session().scalars(select(Conversation)).all()
        assert talk.status == "open" and talk.bot_silenced_until is not None


# --- never answered ------------------------------------------------------------------------

def test_stop_gets_only_the_opt_out_handling(world: World) -> None:
    app, fake, store_id = world
    turn_on(app, store_id)
    says(app, "stop, where is my order")
    [asked] = bodies(fake)
    # The opt-out question, not the assistant.
    assert asked["interactive"]["action"]["buttons"][0]["reply"]["id"] == "STORECHAT_OPT_OUT"
    says(app, "STOP")
    assert len(fake.sent) == 1
    assert [step for _, step in steps(app) if step.startswith("bot:")] == []


def test_a_reaction_and_an_unsupported_message_get_nothing(world: World) -> None:
    app, fake, store_id = world
    turn_on(app, store_id)
    send(app, {"type": "reaction", "reaction": {"message_id": "wamid.OUT", "emoji": "📦"}})
    send(app, {"type": "unsupported", "errors": [{"code": 131051,
                                                   "title": "Message type unknown"}]})
    assert fake.sent == []


def test_a_4096_character_message_and_emoji_only(world: World) -> None:
    app, fake, store_id = world
    turn_on(app, store_id)
    says(app, "where is my order? " + "x" * (4096 - 19))
    says(app, "📦📦🙏")
    says(app, "y" * 4000 + " where is my order")  # past what is read: not a question to us
    assert bodies(fake) == [person_offer()]


# --- cancel --------------------------------------------------------------------------------

def cancel_buttons(number: str, platform_id: str, to: str = cod.SHOPPER) -> dict[str, Any]:
    return envelope("interactive", {
        "type": "button", "body": {"text": f"Cancel order {number}? This cannot be undone."},
        "action": {"buttons": [
            {"type": "reply", "reply": {"id": f"bot:cancel_yes:en:{platform_id}",
                                        "title": "Yes, cancel"}},
            {"type": "reply", "reply": {"id": f"bot:cancel_no:en:{platform_id}",
                                        "title": "No, keep it"}}]}}, to)


def test_shopify_cancel_asks_then_cancels_at_the_store(shop: ShopWorld) -> None:
    turn_on(shop.app, shop.store_id, on_cancel="cancel", cod_world=True)
    says(shop.app, "I want to cancel my order")
    assert bodies(shop.cloud) == [cancel_buttons("#1001", shop.order_id)]
    taps(shop.app, f"bot:cancel_yes:en:{shop.order_id}")
    assert bodies(shop.cloud)[1] == text(
        "Order #1001 is being cancelled. You'll get the store's confirmation soon.",
        to=cod.SHOPPER)
    [(name, variables)] = [m for m in shop.shopify.mutations if m[0] == "orderCancel"]
    assert variables["reason"] == "CUSTOMER"
    [remote] = [o for orders in shop.shopify.orders.values() for o in orders]
    assert remote.cancelled_at is not None


def test_cancel_my_order_is_the_assistants_and_cancel_alone_stays_an_opt_out_question(
        shop: ShopWorld) -> None:
    # "Cancel …" opening a sentence is read by the consent rules as a possible STOP; one that
    # names an order is a question for the assistant when it is on for cancelling.
    turn_on(shop.app, shop.store_id, intents=["wismo"], on_cancel="cancel", cod_world=True)
    says(shop.app, "Cancel my order please")  # the assistant is not on for cancelling
    [asked] = bodies(shop.cloud)
    assert asked["interactive"]["action"]["buttons"][0]["reply"]["id"] == "STORECHAT_OPT_OUT"
    with shop.app.app_context(), db.transaction() as session:
        session.scalars(select(AssistantSettings)).one().intents = ALL
    says(shop.app, "Cancel my order please")
    assert bodies(shop.cloud)[1] == cancel_buttons("#1001", shop.order_id)
    says(shop.app, "cancel these messages please")
    assert bodies(shop.cloud)[2]["interactive"]["action"]["buttons"][0]["reply"]["id"] == \
        "STORECHAT_OPT_OUT"


def test_shopify_no_keeps_the_order(shop: ShopWorld) -> None:
    turn_on(shop.app, shop.store_id, on_cancel="cancel", cod_world=True)
    says(shop.app, "I want to cancel it")
    taps(shop.app, f"bot:cancel_no:en:{shop.order_id}")
    assert bodies(shop.cloud)[1] == text("OK, order #1001 stays as it is.", to=cod.SHOPPER)
    assert [m for m in shop.shopify.mutations if m[0] == "orderCancel"] == []


def test_shopify_refuses_an_order_it_fulfilled_meanwhile(shop: ShopWorld) -> None:
    turn_on(shop.app, shop.store_id, on_cancel="cancel", cod_world=True)
    says(shop.app, "I want to cancel my order")
    [remote] = [o for orders in shop.shopify.orders.values() for o in orders]
    remote.fulfillment_status = "FULFILLED"  # shipped before the shopper tapped Yes
    taps(shop.app, f"bot:cancel_yes:en:{shop.order_id}")
    assert remote.cancelled_at is None
    assert [m for m in shop.shopify.mutations if m[0] == "orderCancel"] == []
    assert cod.run_scheduled(shop.app) == 0  # refused for good: not retried


def test_woocommerce_cancel_asks_then_cancels_at_the_store(woo: WooWorld) -> None:
    turn_on(woo.app, woo.store_id, on_cancel="cancel", cod_world=True)
    with woo.app.app_context():
        number = db.session().scalars(select(Order.number)).one()
    label = number if number.startswith("#") else f"#{number}"
    says(woo.app, "I would like to cancel my order")
    assert bodies(woo.cloud) == [cancel_buttons(label, woo.order_id)]
    taps(woo.app, f"bot:cancel_yes:en:{woo.order_id}")
    assert woo.site.orders[int(woo.order_id)]["status"] == "cancelled"
    assert woo.private_notes("StoreChat shop assistant")


def test_a_woocommerce_outage_is_retried_and_the_cancel_ends_done(woo: WooWorld) -> None:
    turn_on(woo.app, woo.store_id, on_cancel="cancel", cod_world=True)
    says(woo.app, "I would like to cancel my order")
    # Four 5xx exhaust the client's attempts: for the audit note of the reply, and for the
    # cancel itself; the queue puts both off.
    woo.site.fail_next(*[503] * 8)
    taps(woo.app, f"bot:cancel_yes:en:{woo.order_id}")
    assert woo.site.orders[int(woo.order_id)]["status"] == "on-hold"
    assert cod.run_scheduled(woo.app) >= 1
    assert woo.site.orders[int(woo.order_id)]["status"] == "cancelled"
    assert len(woo.private_notes("StoreChat shop assistant")) == 1


def test_a_fulfilled_order_cannot_be_cancelled(world: World) -> None:
    app, fake, store_id = world
    turn_on(app, store_id, on_cancel="cancel")
    ana = customer(app, store_id, SHOPPER, "c-ana")
    order(app, store_id, ana, "1001", status="completed")
    says(app, "can I cancel order 1001")
    taps(app, "bot:cancel_yes:en:901001")  # a stale or forged confirmation
    assert bodies(fake) == [text(
        "Order #1001 has already been sent, so it can no longer be cancelled.")] * 2


def test_cancel_as_a_request_notes_and_hands_over(world: World) -> None:
    app, fake, store_id = world
    turn_on(app, store_id)  # on_cancel "request", the default
    ana = customer(app, store_id, SHOPPER, "c-ana")
    order(app, store_id, ana, "1001")
    says(app, "I need to cancel my order")
    taps(app, "bot:cancel_yes:en:901001")
    assert bodies(fake)[1] == text("We've passed your request to cancel order #1001 to our "
                                   "team. They'll answer you here.")
    with app.app_context():
        [note] = db.session().scalars(select(ConversationNote.body)).all()
        assert "cancel order #1001" in note
        assert db.session().scalars(select(Conversation.bot_silenced_until)).one()
        assert db.session().scalars(select(Order.status)).one() == "paid"


def test_an_intent_the_owner_turned_off_is_not_answered(world: World) -> None:
    app, fake, store_id = world
    turn_on(app, store_id, intents=["wismo"])
    says(app, "I need to cancel my order")
    says(app, "talk to a person")
    assert fake.sent == []


# --- browse --------------------------------------------------------------------------------

def catalog(app: Flask, store_id: int, *, catalog_id: str | None) -> None:
    with app.app_context(), db.transaction() as session:
        account = session.scalars(select(WhatsAppAccount)).one()
        account.catalog_id = catalog_id
        for n, category in enumerate(("Dresses", "Dresses", "Shirts")):
            session.add(CatalogItem(
                store_id=store_id, variant_id=f"v{n}", product_id=f"p{n}",
                retailer_id=f"r{n}", title=f"Item {n}", category=category, state="synced",
                data={"title": f"Item {n}", "link": f"https://linen.example/p{n}"}))


def test_browse_lists_collections_then_sends_their_products(world: World) -> None:
    app, fake, store_id = world
    turn_on(app, store_id)
    catalog(app, store_id, catalog_id="CAT1")
    says(app, "show me your products")
    [listed] = bodies(fake)
    rows = listed["interactive"]["action"]["sections"][0]["rows"]
    assert [row["title"] for row in rows] == ["Dresses", "Shirts"]
    taps(app, rows[0]["id"], "list_reply")
    assert bodies(fake)[1] == envelope("interactive", {
        "type": "product_list", "header": {"type": "text", "text": "Dresses"},
        "body": {"text": "Here are some of our products:"},
        "action": {"catalog_id": "CAT1", "sections": [
            {"title": "Dresses", "product_items": [{"product_retailer_id": "r0"},
                                                   {"product_retailer_id": "r1"}]}]}})


def test_browse_without_a_catalog_sends_links(world: World) -> None:
    app, fake, store_id = world
    turn_on(app, store_id)
    catalog(app, store_id, catalog_id=None)
    says(app, "catalog")
    rows = bodies(fake)[0]["interactive"]["action"]["sections"][0]["rows"]
    taps(app, rows[1]["id"], "list_reply")
    assert bodies(fake)[1] == text("Here are some of our products:\n"
                                   "• Item 2: https://linen.example/p2")

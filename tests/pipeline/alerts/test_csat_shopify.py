"""The satisfaction survey after delivery on Shopify, through signed orders/create and
fulfillments/update webhooks, then Meta's signed webhook for the shopper's tap and list
reply: off by default; sent the flow's days after delivery, once however often the carrier
says so; outside the window as the csat template whose button brings the list; the first
score is stored, a second changes nothing; a low score opens the conversation for the team
with a note and silences automatic answers; STOP is respected; the figures add up."""
from __future__ import annotations

from typing import Any

import pytest

from plugin.domain import csat
from plugin.domain.outbox import MessageState
from plugin.models import SurveyState
from tests.pipeline.alerts.conftest import ShopifyAlerts
from tests.pipeline.alerts.csat_world import (
    approve_template,
    conversation,
    days_pass,
    messages,
    picks,
    sent,
    surveys,
    switch,
    taps_button,
)
from tests.pipeline.alerts.price_world import opt_in
from tests.pipeline.alerts.world import shopper

ANA = shopper(3)


def order(order_id: int) -> dict[str, Any]:
    """An orders/create body of Ana's, paid."""
    return {"id": order_id, "order_number": order_id, "name": f"#{order_id}",
            "currency": "EUR", "total_price": "40.00", "financial_status": "paid",
            "fulfillment_status": None,
            "customer": {"id": 1, "first_name": "Ana", "phone": ANA},
            "line_items": [{"title": "Shirt", "quantity": 1, "price": "40.00",
                            "product_id": 7, "variant_id": 7001}]}


def delivered(order_id: int) -> dict[str, Any]:
    """A fulfillments/update body: the carrier says the order was delivered."""
    return {"id": order_id * 10, "order_id": order_id, "name": f"#{order_id}.1",
            "status": "success", "shipment_status": "delivered", "line_items": []}


@pytest.fixture
def store(shopify: ShopifyAlerts) -> ShopifyAlerts:
    """The csat template approved; Ana, opted in, ordered #1001."""
    approve_template(shopify)
    shopify.webhook("orders/create", order(1001))
    opt_in(shopify, ANA)
    return shopify


def test_off_by_default_nothing_is_asked(store: ShopifyAlerts) -> None:
    store.webhook("fulfillments/update", delivered(1001))
    assert days_pass(store, 30) == 0
    assert surveys(store) == [] and sent(store) == []


def test_sent_days_after_delivery_once_then_the_list_round_trip(store: ShopifyAlerts) -> None:
    switch(store, on=True)
    store.webhook("fulfillments/update", delivered(1001))
    store.webhook("fulfillments/update", delivered(1001))  # the carrier says it again
    assert days_pass(store, 2) == 0  # not yet: 3 days by default
    assert days_pass(store, 3.1) == 1
    assert days_pass(store, 4) == 0  # once
    [survey] = surveys(store)
    [invitation] = sent(store)
    # Outside the 24-hour window: the template, its quick reply naming the survey.
    assert invitation["to"] == ANA.lstrip("+")
    assert invitation["template"]["components"] == [
        {"type": "body", "parameters": [{"type": "text", "text": "Ana"},
                                        {"type": "text", "text": "#1001"}]},
        {"type": "button", "sub_type": "quick_reply", "index": "0",
         "parameters": [{"type": "payload", "payload": f"csat:{survey.id}"}]}]
    taps_button(store, ANA, f"csat:{survey.id}", "wamid.TAP1")
    _, score_list = sent(store)
    rows = score_list["interactive"]["action"]["sections"][0]["rows"]
    assert [r["id"] for r in rows] == [f"csat:{survey.id}:{n}" for n in range(10, 0, -1)]
    assert score_list["interactive"]["body"]["text"] == csat.question("en", "#1001")
    picks(store, ANA, f"csat:{survey.id}:10", "wamid.PICK1")
    [survey] = surveys(store)
    assert (survey.state, survey.score) == (SurveyState.ANSWERED, 10)
    # 9 or more is thanked; every message the survey sent is automatic ("csat:" cause).
    assert sent(store)[-1]["text"]["body"] == csat.thanks("en")
    assert [(c, s) for c, s, _ in messages(store)] == [
        (f"csat:{survey.id}", "csat"), (f"csat:{survey.id}:reply", "csat_list"),
        (f"csat:{survey.id}:reply", "csat_thanks")]


def test_a_low_score_opens_the_conversation_and_the_first_answer_counts(
        store: ShopifyAlerts) -> None:
    switch(store, on=True)
    store.webhook("fulfillments/update", delivered(1001))
    assert days_pass(store, 3.1) == 1
    [survey] = surveys(store)
    picks(store, ANA, f"csat:{survey.id}:4", "wamid.PICK1")
    status, notes, silenced = conversation(store, ANA)
    assert status == "open" and silenced
    assert notes == ["Scored 4/10 in the satisfaction survey for order #1001. "
                     "Please get in touch."]
    before = len(store.graph.sent)
    # A second answer, and Meta delivering the first one again: nothing changes.
    picks(store, ANA, f"csat:{survey.id}:10", "wamid.PICK2")
    picks(store, ANA, f"csat:{survey.id}:4", "wamid.PICK1")
    store.webhook("fulfillments/update", delivered(1001))
    assert days_pass(store, 10) == 0
    [survey] = surveys(store)
    assert survey.score == 4
    assert len(store.graph.sent) == before  # no thanks, no greeting, no second survey
    assert conversation(store, ANA)[1] == notes


def test_stop_is_respected(store: ShopifyAlerts) -> None:
    switch(store, on=True)
    store.webhook("fulfillments/update", delivered(1001))
    store.writes(ANA, "STOP")
    assert days_pass(store, 3.1) == 1  # written, and the send job skips it
    assert sent(store) == []
    [(_, _, state)] = messages(store)
    assert state == MessageState.SKIPPED.value


def test_someone_elses_survey_is_not_theirs_to_answer(store: ShopifyAlerts) -> None:
    switch(store, on=True)
    store.webhook("fulfillments/update", delivered(1001))
    assert days_pass(store, 3.1) == 1
    [survey] = surveys(store)
    picks(store, shopper(4), f"csat:{survey.id}:1", "wamid.OTHER")
    assert surveys(store)[0].score is None

"""The pure decision over a due recovery step, and the message it plans."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from plugin.domain import recovery_messages as rm
from plugin.domain.events import LineItem
from plugin.domain.policy import SEND, Decision
from plugin.domain.recovery import CartView, Discount, cart_view

NOW = datetime(2026, 11, 20, 10, 0)
FACTS = rm.StepFacts(step=2, store_status="active", enabled=True, completed=False,
                     ordered_since=False, replied=False, emptied=False, phone="+34612345678",
                     later_due=None, template="cart_recovery_2", approved=True, policy=SEND,
                     now=NOW, local_now=NOW + timedelta(hours=1))


@pytest.mark.parametrize(("changes", "outcome", "reason"), [
    ({"store_status": "uninstalled"}, rm.Outcome.STOP, "the store is uninstalled"),
    ({"store_status": "reconnect-needed"}, rm.Outcome.STOP, "the store needs reconnecting"),
    ({"enabled": False}, rm.Outcome.SKIP, "cart recovery is off"),
    ({"completed": True}, rm.Outcome.SKIP, "recovered before step 2"),
    ({"ordered_since": True}, rm.Outcome.COMPLETE, "ordered since the cart"),
    ({"replied": True}, rm.Outcome.STOP, "the shopper replied"),
    ({"emptied": True}, rm.Outcome.STOP, "the cart was emptied"),
    ({"phone": None}, rm.Outcome.STOP, "no phone"),
    ({"later_due": 3}, rm.Outcome.SKIP, "step 3 is due too: only the latest step is sent"),
    ({"approved": False}, rm.Outcome.SKIP, "template cart_recovery_2 is not approved"),
    ({"policy": Decision(False, "no marketing opt-in")}, rm.Outcome.SKIP,
     "no marketing opt-in"),
    ({}, rm.Outcome.SEND, ""),
])
def test_each_reason_in_its_place(changes: dict[str, object], outcome: rm.Outcome,
                                  reason: str) -> None:
    verdict = rm.verdict(replace(FACTS, **changes))  # type: ignore[arg-type]
    assert (verdict.outcome, verdict.reason) == (outcome, reason)


def test_an_uninstalled_store_wins_over_everything_else() -> None:
    verdict = rm.verdict(replace(FACTS, store_status="uninstalled", enabled=False,
                                 completed=True, replied=True, phone=None))
    assert verdict == rm.Verdict(rm.Outcome.STOP, "the store is uninstalled")


def test_quiet_hours_defer_to_their_end_in_local_time() -> None:
    evening = datetime(2026, 11, 20, 22, 30)  # local
    verdict = rm.verdict(replace(FACTS, local_now=evening, policy=Decision(
        False, "quiet hours", defer=timedelta(hours=10, minutes=30))))
    assert verdict == rm.Verdict(rm.Outcome.DEFER, "quiet hours until 09:00",
                                 NOW + timedelta(hours=10, minutes=30))


CART = CartView(first_name="Ana", items=(
    LineItem(title="Linen shirt", quantity=2, price=Decimal("40"), variant_title="White / M",
             image_url="https://cdn.example.com/shirt.jpg"),), item_count=2,
    total=Decimal("80.00"), currency="EUR", link_url="https://chat.example.com/t/tok")
BODY = {"type": "BODY", "text": "Hi {{1}}, {{2}} waits: {{3}}"}
BUTTONS = {"type": "BUTTONS", "buttons": [
    {"type": "QUICK_REPLY", "text": "Stop promotions"},
    {"type": "URL", "text": "Open cart", "url": "https://chat.example.com/t/{{1}}"}]}
VARIABLES = ("first_name", "first_item", "cart_total")


def _template(*parts: dict[str, object], named: bool = False) -> rm.ApprovedTemplate:
    return rm.ApprovedTemplate(name="cart_recovery_1", language="en", components=parts,
                               named=named)


def test_the_plan_fills_body_image_and_the_url_button_by_its_index() -> None:
    header = {"type": "HEADER", "format": "IMAGE"}
    planned = rm.plan(_template(header, BODY, BUTTONS), VARIABLES, CART, "tok")
    assert planned == rm.PlannedStep(
        template="cart_recovery_1", language="en",
        body=("Ana", "Linen shirt (White / M)", "€80.00"),
        buttons=({"type": "button", "sub_type": "url", "index": "1",
                  "parameters": [{"type": "text", "text": "tok"}]},),
        header_image="https://cdn.example.com/shirt.jpg")


def test_named_variables_are_named_in_the_order_of_the_body() -> None:
    body = {"type": "BODY", "text": "Hi {{first_name}}, {{item}}: {{total}}"}
    planned = rm.plan(_template(body, named=True), VARIABLES, CART, "tok")
    assert isinstance(planned, rm.PlannedStep)
    assert planned.parameter_names == ("first_name", "item", "total")


@pytest.mark.parametrize(("header", "reason"), [
    ({"type": "HEADER", "format": "IMAGE"},
     "the template needs a product image and the cart has none"),
    ({"type": "HEADER", "format": "VIDEO"},
     "the template's video header cannot be filled from a cart"),
    ({"type": "HEADER", "format": "TEXT", "text": "For {{1}}"},
     "the template's header has a variable a cart cannot fill"),
])
def test_a_header_the_cart_cannot_fill_is_a_reason(header: dict[str, object],
                                                   reason: str) -> None:
    imageless = replace(CART, items=(replace(CART.items[0], image_url="http://x/a.jpg"),))
    assert rm.plan(_template(header, BODY), VARIABLES, imageless, "tok") == reason


def test_a_discount_field_without_a_code_is_a_reason() -> None:
    variables = (*VARIABLES, "discount_code")
    without_step_discount = cart_view(type("Row", (), {
        "items": [], "first_name": "Ana", "item_count": 1, "total": "1", "currency": "EUR"}))
    assert rm.plan(_template(BODY), variables, without_step_discount, "tok") == (
        "the template shows a discount and the step carries none")
    failed = replace(CART, discount_percent=Discount(10, 48).percent)
    assert rm.plan(_template(BODY), variables, failed, "tok") == (
        "the discount code could not be created")
    given = replace(CART, discount_percent=10, discount_code="SC-ABC")
    planned = rm.plan(_template(BODY), variables, given, "tok")
    assert isinstance(planned, rm.PlannedStep) and planned.body[-1] == "SC-ABC"

"""The starter template catalog: every template, in every language, as Meta accepts it."""
from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest

from plugin.domain.events import LineItem
from plugin.domain.journeys import button_kinds, render_text, starter_rules
from plugin.domain.recovery import DEFAULT_STEPS, CartView, render_cart_parameters
from plugin.domain.starter_templates import (
    EXAMPLES,
    LANGUAGES,
    MARKETING,
    NAMES,
    UTILITY,
    StarterDefinition,
    definitions,
)

PUBLIC_URL = "https://chat.example.com"
ALL = definitions(PUBLIC_URL)
PLACEHOLDER = re.compile(r"\{\{(\d+)\}\}")
EXPECTED_NAMES = {"order_confirmation", "cod_confirmation", "payment_reminder", "order_shipped",
                  "out_for_delivery", "order_delivered", "delivery_failed", "order_cancelled",
                  "order_refunded", "abandoned_cart", "back_in_stock", "cart_recovery_1",
                  "cart_recovery_2", "cart_recovery_3", "price_drop", "cross_sell", "csat"}
MARKETING_NAMES = {"abandoned_cart", "back_in_stock", "cart_recovery_1", "cart_recovery_2",
                   "cart_recovery_3", "price_drop", "cross_sell", "csat"}
URL_BUTTON_NAMES = {"order_shipped", "out_for_delivery", "delivery_failed", "cart_recovery_1",
                    "cart_recovery_2", "cart_recovery_3", "price_drop", "cross_sell"}


def test_every_template_exists_in_all_six_languages() -> None:
    assert LANGUAGES == ("en", "es", "pt_BR", "hi", "id", "ar")
    assert set(NAMES) == EXPECTED_NAMES
    assert {(d.name, d.language) for d in ALL} == {(n, lang) for n in NAMES for lang in LANGUAGES}
    assert [d.language for d in definitions(PUBLIC_URL, "hi")] == ["hi"] * len(NAMES)


@pytest.mark.parametrize("definition", ALL, ids=[f"{d.name}-{d.language}" for d in ALL])
def test_each_body_keeps_metas_rules(definition: StarterDefinition) -> None:
    body = definition.body
    numbers = [int(n) for n in PLACEHOLDER.findall(body)]
    assert numbers == list(range(1, len(definition.variables) + 1))  # {{1}}… in order
    assert len(body) <= 1024
    stripped = body.strip()
    assert not stripped.startswith("{{")
    # Meta treats "{{n}}." at the end as ending on a variable: real words must follow.
    assert not re.search(r"\{\{\d+\}\}[\W_]*$", stripped)
    assert not re.search(r"\}\}[\s\W]{0,2}\{\{", body)  # no two variables side by side
    assert "\t" not in body and "\n\n\n\n" not in body and "     " not in body
    words = [w for w in body.split() if "{{" not in w]
    assert len(words) >= 2 * len(numbers) + 1  # enough words per variable
    assert set(definition.variables) <= set(EXAMPLES)
    assert re.fullmatch(r"[a-z0-9_]+", definition.name)


@pytest.mark.parametrize("definition", ALL, ids=[f"{d.name}-{d.language}" for d in ALL])
def test_categories_buttons_and_footers(definition: StarterDefinition) -> None:
    marketing = definition.name in MARKETING_NAMES
    assert definition.category == (MARKETING if marketing else UTILITY)
    assert bool(definition.footer) == marketing and len(definition.footer) <= 60
    assert definition.journey == definition.name
    for button in definition.buttons:
        assert 0 < len(button["text"]) <= 25
    kinds = [b["type"] for b in definition.buttons]
    if definition.name == "cod_confirmation":
        assert kinds == ["QUICK_REPLY", "QUICK_REPLY"]
    elif definition.name == "csat":
        assert kinds == ["QUICK_REPLY"]  # its tap brings the list of scores
    elif definition.name in URL_BUTTON_NAMES:
        assert kinds == ["URL"]
        assert definition.buttons[0]["url"] == f"{PUBLIC_URL}/t/{{{{1}}}}"
    else:
        assert kinds == []


def test_a_name_has_the_same_variables_in_every_language() -> None:
    for name in NAMES:
        assert len({d.variables for d in ALL if d.name == name}) == 1, name


def test_create_request_is_metas_body() -> None:
    [shipped] = [d for d in definitions(PUBLIC_URL + "/", "pt_BR") if d.name == "order_shipped"]
    request = shipped.create_request()
    assert set(request) == {"name", "language", "category", "components"}
    assert (request["name"], request["language"], request["category"]) == (
        "order_shipped", "pt_BR", "UTILITY")
    body, buttons = request["components"]
    assert body["type"] == "BODY" and body["text"] == shipped.body
    assert body["example"] == {"body_text": [["Ana", "#1001", "DHL", "JD014600003828"]]}
    [button] = buttons["buttons"]
    assert buttons["type"] == "BUTTONS"
    assert button == {"type": "URL", "text": "Rastrear pedido",
                      "url": "https://chat.example.com/t/{{1}}",
                      "example": ["https://chat.example.com/t/q8Zr3kLmN2vXw7Yt"]}


def test_marketing_create_request_has_a_footer_and_cod_has_quick_replies() -> None:
    by_key = {(d.name, d.language): d.create_request() for d in ALL}
    cart = by_key[("abandoned_cart", "es")]["components"]
    assert [c["type"] for c in cart] == ["BODY", "FOOTER"]
    assert cart[1]["text"] == "Responde STOP para darte de baja"
    cod = by_key[("cod_confirmation", "ar")]["components"]
    assert cod[-1] == {"type": "BUTTONS", "buttons": [
        {"type": "QUICK_REPLY", "text": "نعم، أؤكد الطلب"},
        {"type": "QUICK_REPLY", "text": "إلغاء الطلب"}]}


# Cart recovery -------------------------------------------------------------------------------

RECOVERY = [d for d in ALL if d.name.startswith("cart_recovery_")]


def test_each_recovery_step_has_its_starter_with_the_steps_variables() -> None:
    for step in DEFAULT_STEPS:
        found = [d for d in RECOVERY if d.name == step.template]
        assert {d.language for d in found} == set(LANGUAGES), step.template
        assert {d.variables for d in found} == {step.variables}
        assert {d.journey for d in found} == {step.journey}  # the journey it serves
    assert len(RECOVERY) == len(DEFAULT_STEPS) * len(LANGUAGES)


@pytest.mark.parametrize("definition", RECOVERY, ids=[f"{d.name}-{d.language}" for d in RECOVERY])
def test_recovery_starters_are_marketing_with_a_link_and_an_opt_out(
        definition: StarterDefinition) -> None:
    assert definition.category == MARKETING
    [abandoned] = [d for d in ALL if (d.name, d.language) == ("abandoned_cart",
                                                               definition.language)]
    assert definition.footer == abandoned.footer and "STOP" in definition.footer
    [button] = definition.buttons
    assert button["type"] == "URL" and 0 < len(button["text"]) <= 25
    assert button["url"] == f"{PUBLIC_URL}/t/{{{{1}}}}"
    assert button["example"] == [f"{PUBLIC_URL}/t/q8Zr3kLmN2vXw7Yt"]
    # The engine sends the cart's token in that button, as it does for tracking.
    assert button_kinds(definition.create_request()["components"]) == ("url_dynamic",)


def test_recovery_copy_is_written_for_each_language() -> None:
    for name in ("cart_recovery_1", "cart_recovery_2", "cart_recovery_3"):
        bodies = [d.body for d in RECOVERY if d.name == name]
        labels = [d.buttons[0]["text"] for d in RECOVERY if d.name == name]
        assert len(set(bodies)) == len(LANGUAGES), name
        # Spanish and Brazilian Portuguese may share a label ("Finalizar compra"), no more.
        assert len(set(labels)) >= len(LANGUAGES) - 1, name
    by_key = {(d.name, d.language): d for d in RECOVERY}
    assert by_key[("cart_recovery_1", "en")].buttons[0]["text"] == "Complete my order"
    assert by_key[("cart_recovery_1", "es")].buttons[0]["text"] == "Finalizar compra"


def test_the_last_step_names_the_percent_and_the_code_in_every_language() -> None:
    for definition in (d for d in RECOVERY if d.name == "cart_recovery_3"):
        percent = definition.variables.index("discount_percent") + 1
        code = definition.variables.index("discount_code") + 1
        assert f"{{{{{percent}}}}}" in definition.body and f"{{{{{code}}}}}" in definition.body
        # The parameter carries the sign ("10%"): a second one in the copy would read "10%%".
        assert "%" not in definition.body


def test_recovery_create_request_is_json_meta_accepts() -> None:
    [step_3] = [d for d in RECOVERY if (d.name, d.language) == ("cart_recovery_3", "id")]
    request = json.loads(json.dumps(step_3.create_request(), ensure_ascii=False))
    assert (request["name"], request["language"], request["category"]) == (
        "cart_recovery_3", "id", "MARKETING")
    body, footer, buttons = request["components"]
    assert body == {"type": "BODY", "text": step_3.body,
                    "example": {"body_text": [["Ana", "Linen shirt (Blue / M)", "10%",
                                               "BACK-7KQ2XM"]]}}
    assert footer == {"type": "FOOTER", "text": "Balas STOP untuk berhenti berlangganan"}
    assert buttons == {"type": "BUTTONS", "buttons": [
        {"type": "URL", "text": "Pakai diskon saya", "url": "https://chat.example.com/t/{{1}}",
         "example": ["https://chat.example.com/t/q8Zr3kLmN2vXw7Yt"]}]}


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_real_cart_reads_whole_in_every_recovery_template(language: str) -> None:
    cart = CartView(first_name="Ana", items=(
        LineItem(title="Linen shirt", quantity=2, price=Decimal("29.90"), variant_title="Blue, M"),
        LineItem(title="Tote", quantity=1, price=Decimal("9.90"))), item_count=3,
        total=Decimal("69.70"), currency="EUR", discount_code="BACK-7KQ2XM", discount_percent=10)
    for step in DEFAULT_STEPS:
        [definition] = [d for d in RECOVERY if (d.name, d.language) == (step.template, language)]
        text = render_text(definition.body, render_cart_parameters(cart, step.variables,
                                                                   language))
        assert "{{" not in text and "Linen shirt (Blue, M)" in text
        if step.step == 3:
            assert "10%" in text and "BACK-7KQ2XM" in text
        else:
            assert "69" in text  # the total, formatted for the language


def test_recovery_starters_are_not_order_journeys() -> None:
    # Order rules come from JOURNEYS: a cart template never answers an order event.
    assert not [r for r in starter_rules() if r.template.startswith("cart_recovery_")]
    assert {r.journey for r in starter_rules()} <= set(NAMES)

"""The starter template catalog: every template, in every language, as Meta accepts it."""
from __future__ import annotations

import re

import pytest

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
                  "order_refunded", "abandoned_cart", "back_in_stock"}


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
    marketing = definition.name in ("abandoned_cart", "back_in_stock")
    assert definition.category == (MARKETING if marketing else UTILITY)
    assert bool(definition.footer) == marketing and len(definition.footer) <= 60
    assert definition.journey == definition.name
    for button in definition.buttons:
        assert 0 < len(button["text"]) <= 25
    kinds = [b["type"] for b in definition.buttons]
    if definition.name == "cod_confirmation":
        assert kinds == ["QUICK_REPLY", "QUICK_REPLY"]
    elif definition.name in ("order_shipped", "out_for_delivery", "delivery_failed"):
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

"""Journeys: which template an order event asks for, in which language, with which words."""
from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from plugin.domain.events import CustomerRef, EventKind, LineItem, OrderEvent, Tracking
from plugin.domain.journeys import (
    JOURNEYS,
    MAX_PARAMETER_CHARS,
    Rule,
    StoreFacts,
    choose_language,
    conditions_met,
    is_cash_on_delivery,
    item_summary,
    plan_messages,
    render_parameters,
    render_text,
    starter_rules,
)
from plugin.domain.money import format_money


def _event(kind: EventKind = EventKind.ORDER_PLACED, **changes: object) -> OrderEvent:
    values: dict[str, object] = dict(kind=kind, order_id="77", number="1001", status="x",
                                     currency="EUR", total=Decimal("54.8"),
                                     customer=CustomerRef(platform_id="c", first_name="Ana"))
    values.update(changes)
    return OrderEvent(**values)  # type: ignore[arg-type]


def _steps(event: OrderEvent, facts: StoreFacts | None = None) -> list[str]:
    return [p.step for p in plan_messages(event, starter_rules(), facts)]


def test_each_trigger_plans_its_journeys() -> None:
    assert _steps(_event()) == ["order_confirmation"]
    assert _steps(_event(payment_gateway="Cash on Delivery (COD)")) == ["cod_confirmation"]
    assert _steps(_event(awaiting_payment=True)) == ["order_confirmation", "payment_reminder"]
    for journey in JOURNEYS[3:]:
        assert _steps(_event(journey.trigger)) == [journey.name]
    assert _steps(_event(EventKind.ORDER_PAID)) == []
    assert _steps(_event(EventKind.UNKNOWN)) == []


def test_conditions_and_switch() -> None:
    assert is_cash_on_delivery("cod") and is_cash_on_delivery("Pago contra entrega")
    assert not is_cash_on_delivery("shopify_payments") and not is_cash_on_delivery("codepay")
    assert conditions_met(_event(payment_gateway="cod"), {"payment": "cod", "on_cancel": "x"})
    assert not conditions_met(_event(awaiting_payment=None), {"unpaid_only": True})
    off = Rule(journey="order_cancelled", trigger=EventKind.ORDER_CANCELLED,
               template="order_cancelled", enabled=False)
    assert plan_messages(_event(EventKind.ORDER_CANCELLED), [off]) == []


def test_the_reminder_waits_an_hour_by_default() -> None:
    [_, reminder] = plan_messages(_event(awaiting_payment=True), starter_rules())
    assert reminder.delay_seconds == 3600


def test_language_follows_the_customer_then_the_store_then_english() -> None:
    have = {("order_shipped", lang) for lang in ("en", "es", "pt_BR", "ar")}
    assert choose_language("order_shipped", ["es-MX", "en"], have, "en") == "es"
    assert choose_language("order_shipped", ["pt-PT", None], have, "en") == "pt_BR"
    assert choose_language("order_shipped", ["fr", "ar_SA"], have, "en") == "ar"
    assert choose_language("order_shipped", ["fr", "de"], have, "es") == "es"
    assert choose_language("order_shipped", [None, None], {("order_shipped", "hi")}, "en") == "hi"
    assert choose_language("not_synced", ["es"], have, "id") == "id"


def test_parameters_are_formatted_in_the_chosen_language() -> None:
    facts = StoreFacts(available={("order_confirmation", "es"), ("order_confirmation", "en")},
                       customer_locale="es_ES")
    items = (LineItem(title="Taza azul", quantity=2, price=Decimal("5")),
             LineItem(title="Té", quantity=1, price=Decimal("3")))
    [planned] = plan_messages(_event(total=Decimal("1299.5"), line_items=items),
                              starter_rules(), facts)
    assert planned.language == "es"
    assert planned.parameters == ("Ana", "#1001", "2× Taza azul, 1× Té", "1299,50\u00a0€")


def test_money_in_each_locale() -> None:
    assert format_money(Decimal("49.9"), "EUR", "en") == "€49.90"
    assert format_money(Decimal("49.9"), "EUR", "es") == "49,90\u00a0€"
    assert format_money(Decimal("1299"), "INR", "hi") == "₹1,299.00"
    assert format_money(Decimal("129900"), "INR", "hi") == "₹1,29,900.00"
    assert format_money(Decimal("1234.5"), "BRL", "pt_BR") == "R$\u00a01.234,50"
    assert format_money(Decimal("150000"), "IDR", "id") == "Rp\u00a0150.000"
    assert format_money(Decimal("49.9"), "SAR", "ar") == "49.90\u00a0ر.س."
    assert format_money(Decimal("10"), "USD", "en") == "$10.00"
    assert format_money(Decimal("0.125"), "KWD", "en") == "KWD\u00a00.125"


def test_item_summary_stays_short() -> None:
    items = tuple(LineItem(title=f"Item {n} " + "x" * 80, quantity=n, price=Decimal(1))
                  for n in range(1, 6))
    summary = item_summary(items, "pt_BR")
    assert summary.startswith("1× Item 1 ") and summary.endswith(" e mais 3")
    assert len(summary) < 120
    assert item_summary(items[:1], "en").count("×") == 1
    assert item_summary((), "en") == ""


def test_missing_values_have_words_in_the_language() -> None:
    event = _event(customer=None, tracking=Tracking(number="", company="UPS"))
    assert render_parameters(event, ["first_name", "carrier", "tracking_number", "status_url",
                                     "no_such_field"], "es") == (
        "cliente", "UPS", "aún no disponible", "-", "-")
    assert render_parameters(_event(customer=CustomerRef(platform_id="c", first_name="A\n\tB")),
                             ["first_name"]) == ("A B",)


@given(st.text(min_size=0, max_size=3000))
def test_parameters_fit_whatsapps_limit(name: str) -> None:
    event = _event(customer=CustomerRef(platform_id="c", first_name=name))
    [value] = render_parameters(event, ["first_name"])
    assert 0 < len(value) <= MAX_PARAMETER_CHARS
    assert "\n" not in value and "\t" not in value


def test_buttons_carry_the_tracking_token_and_cod_payloads() -> None:
    facts = StoreFacts(tracking_token="tok123")
    [shipped] = plan_messages(_event(EventKind.ORDER_FULFILLED), starter_rules(), facts)
    assert shipped.buttons == ({"type": "button", "sub_type": "url", "index": "0",
                                "parameters": [{"type": "text", "text": "tok123"}]},)
    [cod] = plan_messages(_event(payment_gateway="cod"), starter_rules(), facts)
    assert [b["parameters"][0]["payload"] for b in cod.buttons] == [
        "storechat:cod:confirm:77", "storechat:cod:cancel:77"]
    assert [b["index"] for b in cod.buttons] == ["0", "1"]
    # A synced template without buttons gets no button parameters.
    bare = StoreFacts(available={("order_shipped", "en")},
                      buttons={("order_shipped", "en"): ()}, tracking_token="tok123")
    [plain] = plan_messages(_event(EventKind.ORDER_FULFILLED), starter_rules(), bare)
    assert plain.buttons == ()


def test_render_text_fills_placeholders_and_keeps_unknown_ones() -> None:
    assert render_text("Hi {{1}}, order {{2}} {{3}}", ["Ana", "#1"]) == "Hi Ana, order #1 {{3}}"

"""Journeys: which template an order event asks for, and its words."""
from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from plugin.domain.events import CustomerRef, EventKind, OrderEvent, Tracking
from plugin.domain.journeys import (MAX_PARAMETER_CHARS, STARTER_TEMPLATES, plan_messages,
                                    render_parameters, render_text, starter_rules,
                                    template_payload)


def _event(kind: EventKind = EventKind.ORDER_PLACED, **changes: object) -> OrderEvent:
    values: dict[str, object] = dict(kind=kind, order_id="1", number="1001", status="x",
                                     currency="EUR", total=Decimal("54.8"),
                                     customer=CustomerRef(platform_id="c", first_name="Ana"))
    values.update(changes)
    return OrderEvent(**values)  # type: ignore[arg-type]


def test_each_starter_trigger_plans_exactly_its_template() -> None:
    rules = starter_rules()
    for template in STARTER_TEMPLATES:
        [planned] = plan_messages(_event(template.trigger), rules)
        assert planned.template == template.name
        assert planned.step == template.trigger.value
        assert len(planned.parameters) == len(template.variables)


def test_an_unknown_event_plans_nothing() -> None:
    assert plan_messages(_event(EventKind.UNKNOWN), starter_rules()) == []
    assert EventKind("orders/some_new_topic") is EventKind.UNKNOWN


def test_parameters_are_formatted_and_never_empty() -> None:
    event = _event(customer=None, tracking=Tracking(number="", company="UPS"))
    assert render_parameters(event, ["first_name", "order_total", "carrier", "tracking_number",
                                     "status_url", "no_such_field"]) == (
        "there", "EUR 54.80", "UPS", "(not yet available)", "-", "-")


@given(st.text(min_size=0, max_size=3000))
def test_parameters_fit_whatsapps_limit(name: str) -> None:
    event = _event(customer=CustomerRef(platform_id="c", first_name=name))
    [value] = render_parameters(event, ["first_name"])
    assert 0 < len(value) <= MAX_PARAMETER_CHARS


def test_render_text_fills_placeholders_and_keeps_unknown_ones() -> None:
    assert render_text("Hi {{1}}, order {{2}} {{3}}", ["Ana", "#1"]) == "Hi Ana, order #1 {{3}}"


def test_template_payload_is_a_cloud_api_body() -> None:
    assert template_payload("351912345678", "order_confirmation", "en", ["Ana"]) == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "351912345678",
        "type": "template",
        "template": {"name": "order_confirmation", "language": {"code": "en"},
                     "components": [{"type": "body",
                                     "parameters": [{"type": "text", "text": "Ana"}]}]},
    }

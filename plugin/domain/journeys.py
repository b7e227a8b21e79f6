"""Order journeys: which message an order event asks for, and with which words.

The starter templates give a new store working journeys after one click; the owner's
automations (rows in the database, passed here as `Rule`s) choose and tune them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Callable, Iterable

from plugin.domain.events import EventKind, OrderEvent

# WhatsApp rejects template parameters longer than this, and empty ones.
MAX_PARAMETER_CHARS = 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class StarterTemplate:
    """A template StoreChat proposes for a journey, in Meta's category and body syntax."""

    name: str
    trigger: EventKind
    body: str
    variables: tuple[str, ...]
    language: str = "en"
    category: str = "UTILITY"


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    """An enabled automation as the engine sees it: trigger → template with variables."""

    trigger: EventKind
    template: str
    language: str
    variables: tuple[str, ...]
    delay_seconds: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class PlannedMessage:
    """A message an event asks for; `step` makes it unique per order."""

    step: str
    template: str
    language: str
    parameters: tuple[str, ...]
    delay_seconds: int = 0


STARTER_TEMPLATES: tuple[StarterTemplate, ...] = (
    StarterTemplate(
        name="order_confirmation",
        trigger=EventKind.ORDER_PLACED,
        body="Hi {{1}}, thank you for your order {{2}}! Total: {{3}}. We'll let you know when it ships.",
        variables=("first_name", "order_number", "order_total"),
    ),
    StarterTemplate(
        name="payment_received",
        trigger=EventKind.ORDER_PAID,
        body="Hi {{1}}, we received your payment for order {{2}}. We're packing it now.",
        variables=("first_name", "order_number"),
    ),
    StarterTemplate(
        name="order_shipped",
        trigger=EventKind.ORDER_FULFILLED,
        body="Good news {{1}}: order {{2}} is on its way with {{3}}. Tracking number: {{4}}.",
        variables=("first_name", "order_number", "carrier", "tracking_number"),
    ),
    StarterTemplate(
        name="order_out_for_delivery",
        trigger=EventKind.ORDER_OUT_FOR_DELIVERY,
        body="Hi {{1}}, order {{2}} is out for delivery today.",
        variables=("first_name", "order_number"),
    ),
    StarterTemplate(
        name="order_delivered",
        trigger=EventKind.ORDER_DELIVERED,
        body="Hi {{1}}, order {{2}} has been delivered. Enjoy it!",
        variables=("first_name", "order_number"),
    ),
    StarterTemplate(
        name="order_cancelled",
        trigger=EventKind.ORDER_CANCELLED,
        body="Hi {{1}}, order {{2}} has been cancelled. Reply here if you have questions.",
        variables=("first_name", "order_number"),
    ),
    StarterTemplate(
        name="order_refunded",
        trigger=EventKind.ORDER_REFUNDED,
        body="Hi {{1}}, we refunded {{2}} for order {{3}}.",
        variables=("first_name", "order_total", "order_number"),
    ),
)


def _first_name(event: OrderEvent) -> str:
    return (event.customer.first_name if event.customer else "") or "there"


def _carrier(event: OrderEvent) -> str:
    return (event.tracking.company if event.tracking else "") or "our carrier"


def _tracking_number(event: OrderEvent) -> str:
    return (event.tracking.number if event.tracking else "") or "(not yet available)"


def format_money(amount: Decimal, currency: str) -> str:
    """A plain, unambiguous amount such as 'EUR 49.90' (locale formatting comes later)."""
    return f"{currency} {amount:.2f}"


ORDER_FIELDS: dict[str, Callable[[OrderEvent], str]] = {
    "first_name": _first_name,
    "order_number": lambda e: f"#{e.number}",
    "order_total": lambda e: format_money(e.total, e.currency),
    "carrier": _carrier,
    "tracking_number": _tracking_number,
    "tracking_url": lambda e: (e.tracking.url if e.tracking else "") or e.status_url,
    "status_url": lambda e: e.status_url,
}


def render_parameters(event: OrderEvent, variables: Iterable[str]) -> tuple[str, ...]:
    """The template parameters for an event: each named order field, never empty, capped."""
    values = []
    for name in variables:
        getter = ORDER_FIELDS.get(name)
        value = getter(event) if getter else ""
        values.append((value or "-")[:MAX_PARAMETER_CHARS])
    return tuple(values)


def plan_messages(event: OrderEvent, rules: Iterable[Rule]) -> list[PlannedMessage]:
    """The messages an order event asks for under the store's enabled rules."""
    return [
        PlannedMessage(
            step=rule.trigger.value,
            template=rule.template,
            language=rule.language,
            parameters=render_parameters(event, rule.variables),
            delay_seconds=rule.delay_seconds,
        )
        for rule in rules
        if rule.trigger is event.kind
    ]


def starter_rules() -> list[Rule]:
    """One rule per starter template: what a new store gets with one click."""
    return [
        Rule(trigger=t.trigger, template=t.name, language=t.language, variables=t.variables)
        for t in STARTER_TEMPLATES
    ]


_PLACEHOLDER = re.compile(r"\{\{(\d+)\}\}")


def render_text(body: str, parameters: Iterable[str]) -> str:
    """A template body with {{n}} replaced by the n-th parameter, as the shopper reads it."""
    values = list(parameters)

    def substitute(match: re.Match[str]) -> str:
        index = int(match.group(1)) - 1
        return values[index] if 0 <= index < len(values) else match.group(0)

    return _PLACEHOLDER.sub(substitute, body)


def template_payload(to: str, template: str, language: str,
                     parameters: Iterable[str]) -> dict[str, object]:
    """The Cloud API request body that sends a template with body parameters."""
    params = [{"type": "text", "text": value} for value in parameters]
    components = [{"type": "body", "parameters": params}] if params else []
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "template",
        "template": {"name": template, "language": {"code": language}, "components": components},
    }

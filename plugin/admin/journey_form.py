"""The automation editor's form: journeys and fields in the owner's words, and reading a
posted form into a draft with an error next to every value the engine could not use.

Order journeys map template blanks to order fields (domain.journeys.ORDER_FIELDS) and wait
at most 7 days. Cart recovery steps (journeys `cart_recovery_<n>`) map them to cart fields
(domain.recovery.CART_FIELDS), wait up to recovery.MAX_DELAY_MINUTES, and may carry a
discount; a discount field is refused on a step without one. The product flows (back in
stock, price drop, cross-sell: plugin.pipeline.alerts.flows) map them to the flow's own
fields (FLOW_FIELD_LABELS); cross-sell waits up to 60 days after delivery, an alert a day.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import MultiDict

from plugin.admin.message_views import body_text, placeholder_count
from plugin.admin.template_choice import APPROVED, MARKETING
from plugin.domain import alerts, cross_sell, csat, price_drops, recovery
from plugin.domain.journeys import COD_JOURNEY, ORDER_FIELDS, JourneyName
from plugin.models import Automation, Template
from plugin.pipeline.alerts import flows

# WhatsApp follows up on an order within days, not weeks; longer delays are typing mistakes.
MAX_DELAY_SECONDS = 7 * 24 * 3600
DELAY_UNITS = {"minutes": 60, "hours": 3600}
# A cart recovery step may wait days (the default third step waits 3).
RECOVERY_DELAY_UNITS = {"minutes": 60, "hours": 3600, "days": 86400}
RECOVERY_MAX_DELAY_SECONDS = recovery.MAX_DELAY_MINUTES * 60
ON_CANCEL = {"tag": "Tag the order and leave it open (you decide)",
             "cancel": "Cancel the order in the store"}
# Known journeys in the order an order lives them; others follow, by name.
JOURNEY_NAMES = {
    JourneyName.ORDER_CONFIRMATION: "Order confirmation",
    JourneyName.COD_CONFIRMATION: "Cash-on-delivery confirmation",
    JourneyName.PAYMENT_REMINDER: "Payment reminder",
    "payment_received": "Payment received",
    JourneyName.ORDER_SHIPPED: "Shipped, with tracking",
    JourneyName.OUT_FOR_DELIVERY: "Out for delivery",
    "order_out_for_delivery": "Out for delivery",
    JourneyName.ORDER_DELIVERED: "Delivered",
    JourneyName.DELIVERY_FAILED: "Delivery failed",
    JourneyName.ORDER_CANCELLED: "Cancelled",
    JourneyName.ORDER_REFUNDED: "Refunded",
}
FIELD_LABELS = {
    "first_name": "First name", "order_number": "Order number", "order_total": "Order total",
    "carrier": "Carrier", "tracking_number": "Tracking number", "tracking_url": "Tracking link",
    "status_url": "Order status link", "item_summary": "Items ordered",
    "estimated_delivery": "Estimated delivery", "payment_url": "Payment link",
}
CART_FIELD_LABELS = {
    "first_name": "First name", "first_item": "First item (with its variant)",
    "item_count": "Number of items", "item_summary": "Items in the cart",
    "cart_total": "Cart total", "cart_url": "Link back to the cart",
    "discount_code": "Discount code", "discount_percent": "Discount (percent)",
    "discount_expires": "Discount valid until",
}
# The product flows (plugin.pipeline.alerts.flows): their names, and the fields their
# template blanks may take.
FLOW_NAMES = {alerts.STEP: "Back in stock", price_drops.STEP: "Price drop",
              cross_sell.JOURNEY: "Cross-sell after delivery",
              csat.JOURNEY: "Satisfaction survey after delivery"}
FLOW_FIELD_LABELS = {
    alerts.STEP: {"first_name": "First name", "product_title": "Product (with its variant)",
                  "product_url": "Link to the product"},
    price_drops.STEP: {"first_name": "First name", "product_title": "Product (with its variant)",
                       "old_price": "Price before", "new_price": "Price now"},
    cross_sell.JOURNEY: {"first_name": "First name",
                         "product_titles": "Suggested products (names)",
                         "order_number": "Order delivered (number)"},
    csat.JOURNEY: {"first_name": "First name", "order_number": "Order delivered (number)"},
}
# A cross-sell waits days after delivery; an alert minutes or hours at most.
FLOW_DELAY_UNITS = {cross_sell.JOURNEY: {"hours": 3600, "days": 86400},
                    csat.JOURNEY: {"hours": 3600, "days": 86400}}


def is_recovery(journey: str) -> bool:
    """Whether the journey is a cart recovery step."""
    return recovery.step_number(journey) is not None


def journey_name(journey: str) -> str:
    """The journey as the owner calls it."""
    step = recovery.step_number(journey)
    if step is not None:
        return f"Cart recovery, step {step}"
    if journey in FLOW_NAMES:
        return FLOW_NAMES[journey]
    return JOURNEY_NAMES.get(journey, journey.replace("_", " ").capitalize())


def field_choices(journey: str = "") -> list[tuple[str, str]]:
    """Every field a variable of `journey` may take, (key, label): cart fields for a cart
    recovery step, order fields otherwise, as the engine defines them now."""
    if is_recovery(journey):
        return [(key, CART_FIELD_LABELS.get(key, key.replace("_", " ").capitalize()))
                for key in recovery.CART_FIELDS]
    if flows.is_flow(journey):
        return list(FLOW_FIELD_LABELS[journey].items())
    return [(key, FIELD_LABELS.get(key, key.replace("_", " ").capitalize()))
            for key in ORDER_FIELDS]


def delay_units(journey: str) -> dict[str, int]:
    """The units the journey's delay may be typed in, with their seconds."""
    if flows.is_flow(journey):
        return FLOW_DELAY_UNITS.get(journey, DELAY_UNITS)
    return RECOVERY_DELAY_UNITS if is_recovery(journey) else DELAY_UNITS


def noun(journey: str) -> str:
    """What fills the journey's template blanks, as the editor names it."""
    if is_recovery(journey):
        return "cart"
    if journey == cross_sell.JOURNEY:
        return "suggestion"
    if journey == csat.JOURNEY:
        return "survey"
    return "alert" if flows.is_flow(journey) else "order"


def delay_words(seconds: int) -> str:
    """'right away', 'after 2 hours', 'after 1 day 3 hours', 'after 45 minutes'."""
    if seconds <= 0:
        return "right away"
    parts = []
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count} {unit}{'s' if count != 1 else ''}")
    return "after " + (" ".join(parts) or "less than a minute")


def condition_words(conditions: dict[str, Any]) -> list[str]:
    """The automation's conditions as sentences."""
    words = []
    discount = recovery.discount_of(conditions)
    for key, value in sorted((conditions or {}).items()):
        if key == "payment":
            words.append({"cod": "Cash-on-delivery orders only",
                          "not_cod": "All orders except cash on delivery"}.get(
                              value, f"Only orders paid by {value}"))
        elif key == "unpaid_only":
            if value:
                words.append("Only while the order still awaits payment")
        elif key == "on_cancel":
            words.append("A Cancel reply " + ("cancels the order" if value == "cancel"
                                              else "tags the order"))
        elif key == "discount_percent":
            if discount is not None:
                words.append(f"{discount.percent}% off, one code per cart, valid "
                             f"{discount.hours} hours")
        elif key == "discount_hours":
            continue  # said with the percent
        else:
            words.append(f"{key.replace('_', ' ').capitalize()}: {value}")
    return words


def template_warning(name: str, language: str, templates: list[Template]) -> str:
    """Why WhatsApp would not deliver this template now ('' when it is approved)."""
    row = next((t for t in templates if (t.name, t.language) == (name, language)), None)
    if row is None:
        return (f"“{name}” ({language}) is not among this store's WhatsApp templates: "
                "choose another, or create it in WhatsApp Manager and sync.")
    if row.status.upper() != "APPROVED":
        reason = f" ({row.reason})" if row.reason else ""
        return f"The template is {row.status.lower()} at Meta{reason}: WhatsApp will not " \
               "deliver it until it is approved."
    return ""


@dataclass
class Draft:
    """What the form asks for, read as far as it can be (also when it has errors)."""

    template: Template | None
    name: str
    language: str
    variables: list[str]
    delay_seconds: int
    enabled: bool
    conditions: dict[str, Any]


@dataclass
class Form:
    """The editor form: what the fields show (strings) and the errors by field name."""

    values: dict[str, str]
    variables: list[str]
    errors: dict[str, str] = field(default_factory=dict)


def form_from_automation(automation: Automation) -> Form:
    """The editor's fields for the saved automation."""
    seconds = automation.delay_seconds
    units = delay_units(automation.journey)
    unit = next((u for u, size in sorted(units.items(), key=lambda kv: -kv[1])
                 if seconds and seconds % size == 0), "minutes")
    conditions = automation.conditions or {}
    discount = recovery.discount_of(conditions)
    return Form(values={
        "template": automation.template, "language": automation.language,
        "delay": str(seconds // units[unit]), "delay_unit": unit,
        "enabled": "1" if automation.enabled else "",
        "on_cancel": str(conditions.get("on_cancel", "tag")),
        "discount_percent": str(discount.percent if discount else 0),
        "discount_hours": str(discount.hours if discount else 48),
        "order": "", "test_phone": "",
    }, variables=[str(v) for v in automation.variables or []])


def read_form(data: MultiDict[str, str], automation: Automation,
              templates: list[Template]) -> tuple[Form, Draft]:
    """The posted editor → (the form to show again, the draft); form.errors empty when valid."""
    names = ("template", "language", "delay", "delay_unit", "on_cancel", "order", "test_phone",
             "discount_percent", "discount_hours")
    values = {name: data.get(name, "").strip() for name in names}
    values["enabled"] = "1" if data.get("enabled") == "1" else ""
    form = Form(values=values, variables=[])
    row = _template(form, automation, templates)
    conditions = dict(automation.conditions or {})
    if is_recovery(automation.journey):
        conditions = _discount(form, conditions)
    count = placeholder_count(body_text(row.components)) if row else 0
    fields = dict(field_choices(automation.journey))
    what = noun(automation.journey)
    for n in range(1, count + 1):
        value = data.get(f"var_{n}", "")
        form.variables.append(value)
        if value not in fields:
            form.errors[f"var_{n}"] = f"Choose the {what} field that fills {{{{{n}}}}}."
        elif (value in recovery.DISCOUNT_FIELDS and recovery.discount_of(conditions) is None
              and "discount_percent" not in form.errors):
            form.errors[f"var_{n}"] = ("This step gives no discount: set a discount below, "
                                       "or choose another field.")
    if (flows.is_flow(automation.journey) and row is not None
            and row.category.upper() != MARKETING and "template" not in form.errors):
        # A product alert or suggestion is marketing: under a utility template it would
        # go to shoppers who never opted in, and Meta may reclassify or block it.
        form.errors["template"] = (
            "A satisfaction survey is marketing: choose a marketing template."
            if automation.journey == csat.JOURNEY else
            "Product alerts and suggestions are marketing: choose a marketing template.")
    if automation.journey == COD_JOURNEY:
        if values["on_cancel"] not in ON_CANCEL:
            form.errors["on_cancel"] = "Choose what a Cancel reply does."
        conditions["on_cancel"] = values["on_cancel"]
    draft = Draft(template=row, name=values["template"], language=values["language"],
                  variables=form.variables, delay_seconds=_delay(form, automation.journey),
                  enabled=bool(values["enabled"]), conditions=conditions)
    return form, draft


def _template(form: Form, automation: Automation, templates: list[Template]) -> Template | None:
    values = form.values
    row = next((t for t in templates if (t.name, t.language)
                == (values["template"], values["language"])), None)
    languages = [t.language for t in templates if t.name == values["template"]]
    if not languages:
        form.errors["template"] = "Choose one of this store's templates."
    elif row is None:
        form.errors["language"] = (f"“{values['template']}” exists in "
                                   f"{', '.join(sorted(languages))} only.")
    elif row.status.upper() != APPROVED and (row.name, row.language) != (
            automation.template, automation.language):
        # WhatsApp delivers only approved templates: a journey switched to one in review,
        # rejected or never submitted would send nothing. The journey's own template stays
        # savable (its warning says why it does not send).
        state = ("not submitted to Meta yet" if row.status.upper() == "DRAFT"
                 else f"{row.status.lower()} at Meta")
        form.errors["template"] = (f"“{row.name}” ({row.language}) is {state}: choose an "
                                   "approved template, or wait for its approval.")
    return row


def _discount(form: Form, conditions: dict[str, Any]) -> dict[str, Any]:
    """A recovery step's discount fields into its conditions (none when the percent is 0)."""
    conditions = {k: v for k, v in conditions.items()
                  if k not in ("discount_percent", "discount_hours")}
    try:
        percent = int(form.values["discount_percent"] or "0")
    except ValueError:
        form.errors["discount_percent"] = "Enter a whole percentage (0 for no discount)."
        return conditions
    if not 0 <= percent <= recovery.MAX_DISCOUNT_PERCENT:
        form.errors["discount_percent"] = (f"Enter from 0 (no discount) to "
                                           f"{recovery.MAX_DISCOUNT_PERCENT} percent.")
        return conditions
    if percent == 0:
        return conditions
    try:
        hours = int(form.values["discount_hours"] or "0")
    except ValueError:
        hours = 0
    if not 0 < hours <= recovery.MAX_DISCOUNT_HOURS:
        form.errors["discount_hours"] = (f"Enter from 1 to {recovery.MAX_DISCOUNT_HOURS} "
                                         "hours (30 days).")
        return conditions
    return {**conditions, "discount_percent": percent, "discount_hours": hours}


def longest_delay_seconds(journey: str) -> int:
    """The longest wait an automation may have: its flow's own, a recovery step's, else
    a journey's 7 days (the editor and the API both hold to it)."""
    return flows.MAX_DELAY_SECONDS.get(journey) or (
        RECOVERY_MAX_DELAY_SECONDS if is_recovery(journey) else MAX_DELAY_SECONDS)


def _delay(form: Form, journey: str) -> int:
    units = delay_units(journey)
    most_seconds = longest_delay_seconds(journey)
    unit = form.values["delay_unit"]
    if unit not in units:
        names = list(units)
        form.errors["delay"] = f"Choose {', '.join(names[:-1])} or {names[-1]}."
        return 0
    try:
        amount = int(form.values["delay"] or "0")
    except ValueError:
        form.errors["delay"] = f"Enter a whole number of {unit}."
        return 0
    seconds = amount * units[unit]
    if not 0 <= seconds <= most_seconds:
        most = most_seconds // units[unit]
        form.errors["delay"] = (f"Enter from 0 to {most} {unit} "
                                f"(at most {most_seconds // 86400} days).")
    return seconds

"""Order journeys: which message an order event asks for, in which language, with which words.

The engine is pure. Per store it takes the enabled automations (`Rule`s), what the store has
(approved template languages, their buttons, its locale) and the order event, and plans the
messages: template, language, body parameters, button parameters and delay. The journey name
is the outbox step, so each journey sends at most once per order.
"""
from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from plugin.domain import cod, starter_templates
from plugin.domain.events import EventKind, LineItem, OrderEvent
from plugin.domain.money import format_money

# WhatsApp rejects template parameters longer than this, and empty ones.
MAX_PARAMETER_CHARS = 1024
# The item summary names this many lines, then "and N more"; each title is cut to fit.
SUMMARY_ITEMS = 2
SUMMARY_TITLE_CHARS = 40
# The language used when neither the shopper's nor the store's is available.
FALLBACK_LANGUAGE = "en"
# Default delay of the payment reminder.
PAYMENT_REMINDER_DELAY_SECONDS = 3600



class JourneyName(enum.StrEnum):
    """The journeys StoreChat ships; each name is also the outbox step of its messages."""

    ORDER_CONFIRMATION = "order_confirmation"
    COD_CONFIRMATION = "cod_confirmation"
    PAYMENT_REMINDER = "payment_reminder"
    ORDER_SHIPPED = "order_shipped"
    OUT_FOR_DELIVERY = "out_for_delivery"
    ORDER_DELIVERED = "order_delivered"
    DELIVERY_FAILED = "delivery_failed"
    ORDER_CANCELLED = "order_cancelled"
    ORDER_REFUNDED = "order_refunded"


COD_JOURNEY = JourneyName.COD_CONFIRMATION


@dataclass(frozen=True, slots=True)
class Journey:
    """A journey StoreChat ships: its trigger and default conditions and delay."""

    name: str
    trigger: EventKind
    conditions: Mapping[str, Any] = field(default_factory=dict)
    delay_seconds: int = 0


JOURNEYS: tuple[Journey, ...] = (
    Journey(JourneyName.ORDER_CONFIRMATION, EventKind.ORDER_PLACED, {"payment": "not_cod"}),
    Journey(COD_JOURNEY, EventKind.ORDER_PLACED, {"payment": "cod", "on_cancel": "tag"}),
    Journey(JourneyName.PAYMENT_REMINDER, EventKind.ORDER_PLACED,
            {"payment": "not_cod", "unpaid_only": True}, PAYMENT_REMINDER_DELAY_SECONDS),
    Journey(JourneyName.ORDER_SHIPPED, EventKind.ORDER_FULFILLED),
    Journey(JourneyName.OUT_FOR_DELIVERY, EventKind.ORDER_OUT_FOR_DELIVERY),
    Journey(JourneyName.ORDER_DELIVERED, EventKind.ORDER_DELIVERED),
    Journey(JourneyName.DELIVERY_FAILED, EventKind.ORDER_DELIVERY_FAILED),
    Journey(JourneyName.ORDER_CANCELLED, EventKind.ORDER_CANCELLED),
    Journey(JourneyName.ORDER_REFUNDED, EventKind.ORDER_REFUNDED),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    """An automation as the engine sees it: trigger → template with variables."""

    journey: str
    trigger: EventKind
    template: str
    language: str = FALLBACK_LANGUAGE
    variables: tuple[str, ...] = ()
    conditions: Mapping[str, Any] = field(default_factory=dict)
    delay_seconds: int = 0
    enabled: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class StoreFacts:
    """What planning needs to know about the store and the shopper beyond the event."""

    # Approved (template name, language) pairs; a name absent here is not synced yet.
    available: Collection[tuple[str, str]] = ()
    # Button kinds ("url_dynamic", "quick_reply", …) per (name, language) when known.
    buttons: Mapping[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)
    customer_locale: str | None = None
    store_locale: str | None = None
    tracking_token: str = ""
    # The variable names of templates written with named variables, per (name, language),
    # in the order the variables mapping follows; absent for numbered ones.
    parameter_names: Mapping[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class PlannedMessage:
    """A message an event asks for; `step` (the journey) makes it unique per order."""

    step: str
    template: str
    language: str
    parameters: tuple[str, ...]
    buttons: tuple[dict[str, Any], ...] = ()
    delay_seconds: int = 0
    parameter_names: tuple[str, ...] = ()  # named variables, one per parameter; () = numbered


def starter_rules() -> list[Rule]:
    """One rule per shipped journey, each with the starter template of the same name."""
    variables = {d.name: d.variables for d in starter_templates.definitions("", "en")}
    return [Rule(journey=j.name, trigger=j.trigger, template=j.name,
                 variables=variables[j.name], conditions=dict(j.conditions),
                 delay_seconds=j.delay_seconds) for j in JOURNEYS]


# Conditions ----------------------------------------------------------------------------------

# Words payment gateways use for cash on delivery, matched on lower-cased, accent-free text:
# Shopify's manual gateway names ("Cash on Delivery (COD)") and WooCommerce's `cod` id.
_COD_PATTERN = re.compile(
    r"\bcod\b|cash on delivery|collect on delivery|pay(ment)? on delivery|cash on receipt"
    r"|contra ?entrega|contra ?reembolso|a la livraison|nachnahme|alla consegna"
    r"|na entrega|rembours|bayar di tempat"
)


def is_cash_on_delivery(gateway: str) -> bool:
    """True when a gateway name or id (or a comma-joined list of them) is cash on delivery."""
    folded = unicodedata.normalize("NFKD", gateway).encode("ascii", "ignore").decode().lower()
    return bool(_COD_PATTERN.search(re.sub(r"[^a-z0-9]+", " ", folded)))


def conditions_met(event: OrderEvent, conditions: Mapping[str, Any]) -> bool:
    """Whether an event passes an automation's conditions.

    `payment`: "cod" | "not_cod"; `unpaid_only`: only while the order awaits payment (it is
    checked again at send time). Unknown keys (such as `on_cancel`) are not conditions.
    """
    payment = conditions.get("payment")
    cod = is_cash_on_delivery(event.payment_gateway)
    if payment == "cod" and not cod or payment == "not_cod" and cod:
        return False
    if conditions.get("unpaid_only") and event.awaiting_payment is not True:
        return False
    return True


# Language ------------------------------------------------------------------------------------

def _code(locale: str | None) -> str:
    return (locale or "").strip().replace("-", "_").lower()


def base_language(locale: str | None) -> str:
    """The language of a locale or template language code: 'pt' for 'pt-BR' and 'pt_PT'."""
    return _code(locale).split("_")[0]


def choose_language(template: str, preferred: Sequence[str | None],
                    available: Collection[tuple[str, str]], default: str) -> str:
    """The template language for a shopper: the first of `preferred` (customer, then store
    locale) the store has for this template, exactly or by base language ("pt-PT" → pt_BR);
    then `default`, then "en", then any. `default` when the template is not synced at all."""
    languages = sorted(lang for name, lang in available if name == template)
    if not languages:
        return default
    by_code = {_code(lang): lang for lang in languages}
    for wanted in [*preferred, default, FALLBACK_LANGUAGE]:
        code = _code(wanted)
        if not code:
            continue
        if code in by_code:
            return by_code[code]
        base = code.split("_")[0]
        same_base = [lang for c, lang in by_code.items() if c.split("_")[0] == base]
        if same_base:
            return by_code.get(base, same_base[0])
    return languages[0]


# Parameters ----------------------------------------------------------------------------------

# Words that stand in for a missing value, per language (WhatsApp refuses empty parameters).
_FALLBACKS: dict[str, dict[str, str]] = {
    "first_name": {"en": "there", "es": "cliente", "pt_BR": "cliente", "hi": "ग्राहक",
                   "id": "Kak", "ar": "عميلنا العزيز"},
    "carrier": {"en": "our carrier", "es": "nuestra mensajería", "pt_BR": "nossa parceira",
                "hi": "हमारा कूरियर", "id": "kurir kami", "ar": "شركة الشحن"},
    "tracking_number": {"en": "not available yet", "es": "aún no disponible",
                        "pt_BR": "ainda não disponível", "hi": "अभी उपलब्ध नहीं",
                        "id": "belum tersedia", "ar": "غير متوفر بعد"},
}
_MORE = {"en": "{items} and {n} more", "es": "{items} y {n} más", "pt_BR": "{items} e mais {n}",
         "hi": "{items} और {n} अन्य", "id": "{items} dan {n} lainnya",
         "ar": "{items} و{n} منتجات أخرى"}
# Runs of white space except the no-break space money formatting puts between amount and
# symbol (it keeps "49,90 €" on one line).
_SPACES = re.compile(r"[^\S\u00a0]+")


def _lang_key(language: str) -> str:
    code = _code(language)
    if code.startswith("pt"):
        return "pt_BR"
    base = code.split("_")[0]
    return base if base in _MORE else FALLBACK_LANGUAGE


def item_summary(items: Sequence[LineItem], language: str = FALLBACK_LANGUAGE) -> str:
    """"2× Blue Mug, 1× Tea and 3 more", within WhatsApp's parameter limits."""
    lines = [i for i in items if i.title]
    shown = ", ".join(f"{max(i.quantity, 1)}× {_cut(_clean(i.title), SUMMARY_TITLE_CHARS)}"
                      for i in lines[:SUMMARY_ITEMS])
    rest = len(lines) - SUMMARY_ITEMS
    if rest > 0:
        return _MORE[_lang_key(language)].format(items=shown, n=rest)
    return shown


def _tracking_field(name: str) -> Callable[[OrderEvent, str], str]:
    return lambda e, _lang: getattr(e.tracking, name) if e.tracking else ""


ORDER_FIELDS: dict[str, Callable[[OrderEvent, str], str]] = {
    "first_name": lambda e, _l: e.customer.first_name if e.customer else "",
    "order_number": lambda e, _l: f"#{e.number}" if e.number else "",
    "order_total": lambda e, lang: format_money(e.total, e.currency, lang),
    "item_summary": lambda e, lang: item_summary(e.line_items, lang),
    "carrier": _tracking_field("company"),
    "tracking_number": _tracking_field("number"),
    "tracking_url": lambda e, _l: (e.tracking.url if e.tracking else "") or e.status_url,
    "estimated_delivery": lambda e, _l: (e.tracking.estimated_delivery[:10]
                                         if e.tracking else ""),
    "status_url": lambda e, _l: e.status_url,
    "payment_url": lambda e, _l: e.payment_url or e.status_url,
}
"""The order fields an automation can map to template variables."""


def _clean(value: str) -> str:
    # Template parameters may not hold new lines, tabs or runs of more than four spaces.
    return _SPACES.sub(" ", value).strip()


def _cut(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[:limit - 1].rstrip() + "…"


def render_parameters(event: OrderEvent, variables: Iterable[str],
                      language: str = FALLBACK_LANGUAGE) -> tuple[str, ...]:
    """The body parameters for an event: each named order field in `language`, cleaned,
    never empty, within WhatsApp's length limit."""
    values = []
    for name in variables:
        getter = ORDER_FIELDS.get(name)
        value = _clean(getter(event, language)) if getter else ""
        if not value:
            value = _FALLBACKS.get(name, {}).get(_lang_key(language), "-")
        values.append(_cut(value, MAX_PARAMETER_CHARS))
    return tuple(values)


# Buttons -------------------------------------------------------------------------------------

def button_kinds(components: Iterable[Mapping[str, Any]]) -> tuple[str, ...]:
    """The kind of each button of a template, from Meta's components: "url_dynamic" (a URL
    with {{1}}), "url", "quick_reply", or the lower-cased type of any other button."""
    kinds: list[str] = []
    for component in components:
        if str(component.get("type", "")).upper() != "BUTTONS":
            continue
        for button in component.get("buttons") or []:
            kind = str(button.get("type", "")).lower()
            if kind == "url" and "{{" in str(button.get("url", "")):
                kind = "url_dynamic"
            kinds.append(kind)
    return tuple(kinds)


_STARTER_BUTTONS: dict[str, tuple[str, ...]] = {
    d.name: button_kinds(d.create_request()["components"])
    for d in starter_templates.definitions("https://storechat.invalid", "en")
}


def button_parameters(kinds: Sequence[str], journey: str, order_id: str,
                      tracking_token: str) -> tuple[dict[str, Any], ...]:
    """The button components a send needs: the tracking token for a dynamic URL button, and
    the COD answer payloads for the COD journey's quick replies."""
    components: list[dict[str, Any]] = []
    # The COD template's two quick replies, in order; the button-reply handler reads them.
    replies = [cod.payload_for(cod.Answer.CONFIRM, order_id),
               cod.payload_for(cod.Answer.CANCEL, order_id)]
    for index, kind in enumerate(kinds):
        if kind == "url_dynamic" and tracking_token:
            components.append({"type": "button", "sub_type": "url", "index": str(index),
                               "parameters": [{"type": "text", "text": tracking_token}]})
        elif kind == "quick_reply" and journey == COD_JOURNEY and replies:
            payload = replies.pop(0)
            components.append({"type": "button", "sub_type": "quick_reply",
                               "index": str(index),
                               "parameters": [{"type": "payload", "payload": payload}]})
    return tuple(components)


# Planning ------------------------------------------------------------------------------------

def plan_messages(event: OrderEvent, rules: Iterable[Rule],
                  facts: StoreFacts | None = None) -> list[PlannedMessage]:
    """The messages an order event asks for under the store's enabled rules."""
    facts = facts or StoreFacts()
    planned = []
    for rule in rules:
        if not rule.enabled or rule.trigger is not event.kind:
            continue
        if not conditions_met(event, rule.conditions):
            continue
        language = choose_language(rule.template, [facts.customer_locale, facts.store_locale],
                                   facts.available, rule.language)
        kinds = facts.buttons.get((rule.template, language),
                                  _STARTER_BUTTONS.get(rule.template, ()))
        planned.append(PlannedMessage(
            step=rule.journey,
            template=rule.template,
            language=language,
            parameters=render_parameters(event, rule.variables, language),
            buttons=button_parameters(kinds, rule.journey, event.order_id,
                                      facts.tracking_token),
            delay_seconds=rule.delay_seconds,
            parameter_names=facts.parameter_names.get((rule.template, language), ()),
        ))
    return planned


_PLACEHOLDER = re.compile(r"\{\{\s*([a-z0-9_]+)\s*\}\}")


def render_text(body: str, parameters: Iterable[str]) -> str:
    """A template body with {{n}} replaced by the n-th parameter, as the shopper reads it;
    a named variable ({{first_name}}) takes the parameter of its place among the body's
    distinct names, in order of first appearance (how journeys map them)."""
    values = list(parameters)
    names = list(dict.fromkeys(m for m in _PLACEHOLDER.findall(body) if not m.isdigit()))

    def substitute(match: re.Match[str]) -> str:
        key = match.group(1)
        index = int(key) - 1 if key.isdigit() else names.index(key)
        return values[index] if 0 <= index < len(values) else match.group(0)

    return _PLACEHOLDER.sub(substitute, body)


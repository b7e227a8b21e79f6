"""The automations page: each journey of a store with its template, variables, delay and
switch; an editor with a live phone preview rendered from a recent order; "send test".

`GET /stores/<id>/automations` lists the journeys (`POST` installs the starter journeys when
there are none). `GET /stores/<id>/automations/<journey>` shows the editor, `POST` saves it:
wherever a value is not one the engine can use (a template the store does not have in that
language, a variable that is not an order field, a delay out of range), the page answers 400
and says so next to the field, and nothing is saved.

`POST …/<journey>/preview` answers the phone preview for the form's current values, nothing
saved (plugin/static/journeys.js calls it as the owner edits). `POST …/<journey>/test` writes
one outbox message to the owner's own number with those values and enqueues it.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from adapters.whatsapp import messages
from plugin.admin.message_views import (
    Bubble,
    body_text,
    bubble,
    event_from_order,
    placeholder_count,
    sample_event,
)
from plugin.admin.template_choice import (
    APPROVED,
    category_warning,
    journey_templates,
    shopper_languages,
)
from plugin.auth import tenancy
from plugin.auth.guard import protect
from plugin.domain.events import OrderEvent
from plugin.domain.journeys import (
    COD_JOURNEY,
    ORDER_FIELDS,
    JourneyName,
    button_kinds,
    button_parameters,
    render_parameters,
)
from plugin.domain.phones import country_code_hint, to_e164, wa_recipient
from plugin.infra import db, queue
from plugin.models import Automation, Message, Order, Store, Template
from plugin.pipeline import outbox
from plugin.pipeline.orders import TOKEN_KEY, parameter_names

blueprint = protect(Blueprint("journeys_admin", __name__))

# WhatsApp follows up on an order within days, not weeks; longer delays are typing mistakes.
MAX_DELAY_SECONDS = 7 * 24 * 3600
DELAY_UNITS = {"minutes": 60, "hours": 3600}
# The preview offers this many of the store's newest orders to render with.
RECENT_ORDERS = 10
# "Send test" writes real messages: at most this many per store in the window, so the
# button cannot be used to message strangers in bulk.
TEST_SENDS_PER_WINDOW = 5
TEST_WINDOW = timedelta(minutes=10)
TEST_CAUSE_PREFIX = "test:"
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


def journey_name(journey: str) -> str:
    """The journey as the owner calls it."""
    return JOURNEY_NAMES.get(journey, journey.replace("_", " ").capitalize())


def field_choices() -> list[tuple[str, str]]:
    """Every order field a variable may take, (key, label), as the engine defines them now."""
    return [(key, FIELD_LABELS.get(key, key.replace("_", " ").capitalize()))
            for key in ORDER_FIELDS]


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
    unit = "hours" if seconds and seconds % 3600 == 0 else "minutes"
    return Form(values={
        "template": automation.template, "language": automation.language,
        "delay": str(seconds // DELAY_UNITS[unit]), "delay_unit": unit,
        "enabled": "1" if automation.enabled else "",
        "on_cancel": str((automation.conditions or {}).get("on_cancel", "tag")),
        "order": "", "test_phone": "",
    }, variables=[str(v) for v in automation.variables or []])


def read_form(data: MultiDict[str, str], automation: Automation,
              templates: list[Template]) -> tuple[Form, Draft]:
    """The posted editor → (the form to show again, the draft); form.errors empty when valid."""
    names = ("template", "language", "delay", "delay_unit", "on_cancel", "order", "test_phone")
    values = {name: data.get(name, "").strip() for name in names}
    values["enabled"] = "1" if data.get("enabled") == "1" else ""
    form = Form(values=values, variables=[])
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
    count = placeholder_count(body_text(row.components)) if row else 0
    for n in range(1, count + 1):
        value = data.get(f"var_{n}", "")
        form.variables.append(value)
        if value not in ORDER_FIELDS:
            form.errors[f"var_{n}"] = f"Choose the order field that fills {{{{{n}}}}}."
    conditions = dict(automation.conditions or {})
    if automation.journey == COD_JOURNEY:
        if values["on_cancel"] not in ON_CANCEL:
            form.errors["on_cancel"] = "Choose what a Cancel reply does."
        conditions["on_cancel"] = values["on_cancel"]
    draft = Draft(template=row, name=values["template"], language=values["language"],
                  variables=form.variables, delay_seconds=_delay(form), enabled=bool(
                      values["enabled"]), conditions=conditions)
    return form, draft


def _delay(form: Form) -> int:
    unit = form.values["delay_unit"]
    if unit not in DELAY_UNITS:
        form.errors["delay"] = "Choose minutes or hours."
        return 0
    try:
        amount = int(form.values["delay"] or "0")
    except ValueError:
        form.errors["delay"] = f"Enter a whole number of {unit}."
        return 0
    seconds = amount * DELAY_UNITS[unit]
    if not 0 <= seconds <= MAX_DELAY_SECONDS:
        most = MAX_DELAY_SECONDS // DELAY_UNITS[unit]
        form.errors["delay"] = f"Enter from 0 to {most} {unit} (at most 7 days)."
    return seconds


# ---- Data the pages read ---------------------------------------------------------------


def _templates(store: Store) -> list[Template]:
    return list(db.session().scalars(
        tenancy.scoped(select(Template), Template).where(Template.store_id == store.id)
        .order_by(Template.name, Template.language)))


def _automations(store: Store) -> list[Automation]:
    rows = db.session().scalars(tenancy.scoped(select(Automation), Automation)
                                .where(Automation.store_id == store.id))
    known = list(JOURNEY_NAMES)
    return sorted(rows, key=lambda a: (known.index(a.journey) if a.journey in known
                                       else len(known), a.journey))


def _automation(store: Store, journey: str) -> Automation:
    row = db.session().scalars(tenancy.scoped(select(Automation), Automation).where(
        Automation.store_id == store.id, Automation.journey == journey)).first()
    if row is None:
        abort(404)
    return row


def recent_orders(store: Store) -> list[Order]:
    """The store's newest orders, for the preview to render with."""
    return list(db.session().scalars(
        tenancy.scoped(select(Order), Order).where(Order.store_id == store.id)
        .order_by(Order.id.desc()).limit(RECENT_ORDERS)))


def preview_event(store: Store, choice: str) -> tuple[OrderEvent, Order | None]:
    """The order to render with: the chosen recent order, else the newest, else a sample."""
    orders = recent_orders(store)
    if choice == "sample" or not orders:
        return sample_event(store.currency), None
    order = next((o for o in orders if str(o.id) == choice), orders[0])
    return event_from_order(order), order


def _bubble(store: Store, draft: Draft) -> tuple[Bubble | None, Order | None, tuple[str, ...]]:
    event, order = preview_event(store, request.values.get("order", ""))
    if draft.template is None:
        return None, order, ()
    parameters = render_parameters(event, draft.variables, language=draft.language)
    return bubble(draft.template.components, parameters), order, parameters


# ---- Pages -----------------------------------------------------------------------------


@blueprint.get("/stores/<int:store_id>/automations")
def index(store_id: int) -> ResponseReturnValue:
    """Every journey of the store with its template, variables, delay, conditions, status."""
    store = tenancy.get_or_404(Store, store_id)
    templates = _templates(store)
    labels = dict(field_choices())
    rows = [{
        "automation": a, "name": journey_name(a.journey),
        "mapping": [(n, labels.get(v, v)) for n, v in enumerate(a.variables or [], 1)],
        "delay": delay_words(a.delay_seconds), "conditions": condition_words(a.conditions),
        "warning": template_warning(a.template, a.language, templates),
    } for a in _automations(store)]
    return render_template("journeys/index.html", store=store, rows=rows)


@blueprint.post("/stores/<int:store_id>/automations")
def install(store_id: int) -> ResponseReturnValue:
    """Install the starter journeys (and their templates) on a store that has none."""
    store = tenancy.get_or_404(Store, store_id)
    try:
        from plugin.platforms.starters import install_starters
    except ImportError:  # the starters module ships with the journeys engine
        flash("The starter journeys are not available in this version yet.", "error")
        return redirect(url_for(".index", store_id=store.id), 303)
    with db.transaction() as session:
        install_starters(session, session.get(Store, store.id))
    flash("Starter journeys set up. Check each one's template before switching it on.")
    return redirect(url_for(".index", store_id=store.id), 303)


def _page(store: Store, automation: Automation, form: Form, draft: Draft | None,
          status: int = 200) -> ResponseReturnValue:
    templates = _templates(store)
    if draft is None:
        row = next((t for t in templates if (t.name, t.language)
                    == (automation.template, automation.language)), None)
        draft = Draft(template=row, name=automation.template, language=automation.language,
                      variables=form.variables, delay_seconds=automation.delay_seconds,
                      enabled=automation.enabled, conditions=dict(automation.conditions or {}))
    shown, order, _ = _bubble(store, draft)
    counts = {(t.name, t.language): placeholder_count(body_text(t.components))
              for t in templates}
    # Offered: approved templates in the shoppers' languages (and the one chosen now).
    offered = journey_templates(templates, shopper_languages(db.session(), store),
                                (draft.name, draft.language))
    return render_template(
        "journeys/edit.html", store=store, automation=automation, form=form,
        name=journey_name(automation.journey), templates=templates,
        template_names=sorted({t.name for t in offered}),
        languages=sorted({t.language for t in offered}),
        languages_of={n: " ".join(t.language for t in offered if t.name == n)
                      for n in {t.name for t in offered}},
        category_warning=category_warning(automation.trigger, draft.template),
        rows=max([len(form.variables), *counts.values(), 0]),
        count=counts.get((draft.name, draft.language), len(form.variables)),
        fields=field_choices(), on_cancel=ON_CANCEL, orders=recent_orders(store),
        bubble=shown, preview_order=order, draft=draft,
        body=body_text(draft.template.components) if draft.template else "",
        warning=template_warning(draft.name, draft.language, templates),
        delay_units=DELAY_UNITS, max_tests=TEST_SENDS_PER_WINDOW,
    ), status


@blueprint.get("/stores/<int:store_id>/automations/<journey>")
def edit(store_id: int, journey: str) -> ResponseReturnValue:
    """The editor with the saved automation, and its preview for the newest order."""
    store = tenancy.get_or_404(Store, store_id)
    automation = _automation(store, journey)
    return _page(store, automation, form_from_automation(automation), None)


@blueprint.post("/stores/<int:store_id>/automations/<journey>")
def save(store_id: int, journey: str) -> ResponseReturnValue:
    """Save the editor if every value is usable; otherwise 400 with the errors shown."""
    store = tenancy.get_or_404(Store, store_id)
    automation = _automation(store, journey)
    form, draft = read_form(request.form, automation, _templates(store))
    if form.errors:
        return _page(store, automation, form, draft, 400)
    with db.transaction() as session:
        row = session.get(Automation, automation.id)
        row.template, row.language = draft.name, draft.language
        row.variables = list(draft.variables)
        row.delay_seconds, row.enabled = draft.delay_seconds, draft.enabled
        row.conditions = draft.conditions
    flash(f"{journey_name(journey)} saved.")
    return redirect(url_for(".edit", store_id=store.id, journey=journey), 303)


@blueprint.post("/stores/<int:store_id>/automations/<journey>/preview")
def preview(store_id: int, journey: str) -> ResponseReturnValue:
    """The phone preview for the form's current values (nothing saved), and its errors."""
    store = tenancy.get_or_404(Store, store_id)
    automation = _automation(store, journey)
    templates = _templates(store)
    form, draft = read_form(request.form, automation, templates)
    shown, order, _ = _bubble(store, draft)
    form.errors.pop("test_phone", None)
    html = render_template("journeys/_phone.html", store=store, bubble=shown,
                           preview_order=order, draft=draft)
    body = body_text(draft.template.components) if draft.template else ""
    return jsonify(html=html, errors=form.errors, body=body,
                   placeholders=placeholder_count(body),
                   warning=template_warning(draft.name, draft.language, templates),
                   category_warning=category_warning(automation.trigger, draft.template))


def _tests_in_window(store: Store) -> int:
    since = db.utcnow() - TEST_WINDOW
    return int(db.session().scalar(select(func.count(Message.id)).where(
        Message.store_id == store.id, Message.cause.startswith(TEST_CAUSE_PREFIX),
        Message.created_at >= since)) or 0)


@blueprint.post("/stores/<int:store_id>/automations/<journey>/test")
def send_test(store_id: int, journey: str) -> ResponseReturnValue:
    """Send the form's message (as previewed) to the owner's own number, once, throttled."""
    store = tenancy.get_or_404(Store, store_id)
    automation = _automation(store, journey)
    form, draft = read_form(request.form, automation, _templates(store))
    phone = to_e164(form.values["test_phone"], store.country)
    if phone is None:
        form.errors["test_phone"] = ("Enter your WhatsApp number "
                                     f"{country_code_hint(store.country)}.")
    elif _tests_in_window(store) >= TEST_SENDS_PER_WINDOW:
        form.errors["test_phone"] = (f"At most {TEST_SENDS_PER_WINDOW} test messages every "
                                     f"{TEST_WINDOW.seconds // 60} minutes; try again later.")
        return _page(store, automation, form, draft, 429)
    if form.errors or draft.template is None or phone is None:
        return _page(store, automation, form, draft, 400)
    _shown, order, parameters = _bubble(store, draft)
    # Buttons as a real send has them; a COD answer names no real order ("test"), so a tap
    # on the test message changes nothing at the store.
    token = str((order.snapshot if order else {}).get(TOKEN_KEY) or "test")
    buttons = button_parameters(button_kinds(draft.template.components), journey, "test",
                                token)
    try:
        payload = messages.template(wa_recipient(phone), draft.name, draft.language,
                                    body=parameters, buttons=buttons,
                                    parameter_names=parameter_names(draft.template))
    except messages.MessageLimitError as error:
        form.errors["test_phone"] = ("This message cannot be sent: it breaks a WhatsApp "
                                     f"limit ({error}).")
        return _page(store, automation, form, draft, 400)
    with db.transaction() as session:
        message_id = outbox.write(
            session, store_id=store.id, cause=TEST_CAUSE_PREFIX + secrets.token_hex(8),
            step=journey, to=phone, template=draft.name, payload=payload)
        assert message_id is not None  # the cause is new: nothing to collide with
        queue.enqueue_after_commit(session, queue.Job.SEND_MESSAGE, message_id)
    flash(f"Test message queued to {phone}. Watch it here: the ticks show when it is sent, "
          "delivered and read.")
    return redirect(url_for("message_log.store_messages", store_id=store.id,
                            highlight=message_id), 303)


def init_app(app: Flask) -> None:
    """Register the automations pages."""
    app.register_blueprint(blueprint)

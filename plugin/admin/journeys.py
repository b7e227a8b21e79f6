"""The automations page: each journey of a store with its template, variables, delay and
switch; an editor with a live phone preview rendered from a recent order (a recent cart for a
cart recovery step); "send test".

`GET /stores/<id>/automations` lists the journeys (`POST` installs the starter journeys when
there are none); cart recovery steps are listed on their own page (plugin.admin.recovery),
linked from here. `GET /stores/<id>/automations/<journey>` shows the editor, `POST` saves it:
wherever a value is not one the engine can use (a template the store does not have in that
language, a variable that is not an order or cart field, a delay or discount out of range),
the page answers 400 and says so next to the field, and nothing is saved
(plugin.admin.journey_form reads the form; plugin.admin.journey_preview renders the phone).

`POST …/<journey>/preview` answers the phone preview for the form's current values, nothing
saved (plugin/static/journeys.js calls it as the owner edits). `POST …/<journey>/test` writes
one outbox message to the owner's own number with those values and enqueues it.
"""
from __future__ import annotations

import secrets
from datetime import timedelta

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

from adapters.whatsapp import messages
from plugin.admin.journey_form import (
    JOURNEY_NAMES,
    MAX_DELAY_SECONDS,
    ON_CANCEL,
    Draft,
    Form,
    condition_words,
    delay_units,
    delay_words,
    field_choices,
    form_from_automation,
    is_recovery,
    journey_name,
    noun,
    read_form,
    template_warning,
)
from plugin.admin.journey_preview import recent_orders, render
from plugin.admin.message_views import Bubble, body_text, placeholder_count
from plugin.admin.template_choice import category_warning, journey_templates, shopper_languages
from plugin.auth import tenancy
from plugin.auth.guard import protect
from plugin.domain import csat, recovery
from plugin.domain.journeys import button_kinds, button_parameters
from plugin.domain.phones import country_code_hint, to_e164, wa_recipient
from plugin.infra import db, queue
from plugin.models import Automation, Checkout, Message, Order, Store, Template
from plugin.pipeline import outbox
from plugin.pipeline.alerts import flows
from plugin.pipeline.alerts import stats as flow_stats
from plugin.pipeline.csat import stats as csat_stats
from plugin.pipeline.orders import TOKEN_KEY, parameter_names
from plugin.pipeline.recovery import stats as recovery_stats

__all__ = ["MAX_DELAY_SECONDS", "condition_words", "delay_words", "journey_name"]

blueprint = protect(Blueprint("journeys_admin", __name__))

# "Send test" writes real messages: at most this many per store in the window, so the
# button cannot be used to message strangers in bulk.
TEST_SENDS_PER_WINDOW = 5
TEST_WINDOW = timedelta(minutes=10)
TEST_CAUSE_PREFIX = "test:"
# What starts each product flow, as its editor says it.
FLOW_LEADS = {
    "back_in_stock": "Sent when a variant a shopper asked about is back in stock, to the "
                     "shoppers who asked, first come first served, in proportion to the units.",
    "price_drop": "Sent when a variant's price falls by the store's threshold, to the "
                  "shoppers who asked and those with it in an open cart, once in 30 days.",
    "csat": "Sent after an order is delivered, asking for a score from 1 to 10 (a list "
            "message; outside the 24-hour window the template's button opens it). A score of "
            "6 or less opens the conversation for the team; 9 or more is thanked.",
    "cross_sell": "Sent after an order is delivered, suggesting in-stock products bought "
                  "together with it (else of the same category), never one already bought.",
}


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


def _bubble(store: Store, journey: str, draft: Draft
            ) -> tuple[Bubble | None, Order | Checkout | None, tuple[str, ...]]:
    return render(store, journey, draft, request.values.get("order", ""))


def _subject(subject: Order | Checkout | None) -> dict[str, Order | Checkout | None]:
    """What the phone template says the preview was rendered with."""
    return {"preview_order": subject if isinstance(subject, Order) else None,
            "preview_cart": subject if isinstance(subject, Checkout) else None}


# ---- Pages -----------------------------------------------------------------------------


@blueprint.get("/stores/<int:store_id>/automations")
def index(store_id: int) -> ResponseReturnValue:
    """Every journey of the store with its template, variables, delay, conditions, status."""
    store = tenancy.get_or_404(Store, store_id)
    with db.transaction() as session:  # the product flows, with their defaults, once
        flows.install(session, session.get(Store, store.id))
    templates = _templates(store)
    labels = dict(field_choices())
    automations = _automations(store)
    # Cart recovery steps have their own page (figures, one switch): linked, not repeated.
    steps = [a for a in automations if is_recovery(a.journey)]
    rows = [{
        "automation": a, "name": journey_name(a.journey),
        "mapping": [(n, labels.get(v, v)) for n, v in enumerate(a.variables or [], 1)],
        "delay": delay_words(a.delay_seconds), "conditions": condition_words(a.conditions),
        "warning": template_warning(a.template, a.language, templates),
    } for a in automations if not is_recovery(a.journey) and not flows.is_flow(a.journey)]
    return render_template("journeys/index.html", store=store, rows=rows,
                           recovery_steps=len(steps),
                           recovery_on=sum(a.enabled for a in steps),
                           flow_rows=_flow_rows(store, automations, templates),
                           flow_days=recovery_stats.DEFAULT_DAYS,
                           survey=_survey_row(store, automations, templates))


def _flow_rows(store: Store, automations: list[Automation],
               templates: list[Template]) -> list[dict[str, object]]:
    """The product flows with their words, switch and figures of the last 30 days."""
    period = recovery_stats.last_days(db.utcnow())
    figures = flow_stats.figures(db.session(), store, period)
    by_journey = {a.journey: a for a in automations}
    return [{"automation": by_journey[journey], "name": journey_name(journey),
             "delay": _flow_delay(journey, by_journey[journey].delay_seconds),
             "warning": template_warning(by_journey[journey].template,
                                         by_journey[journey].language, templates),
             "figures": figures[journey],
             "revenue": ", ".join(f"{amount} {code}".strip()
                                  for code, amount in sorted(figures[journey].revenue.items()))}
            for journey in flows.FLOWS if journey in by_journey and journey in figures]


def _survey_row(store: Store, automations: list[Automation],
                templates: list[Template]) -> dict[str, object] | None:
    """The satisfaction survey with its switch and figures of the last 30 days."""
    automation = next((a for a in automations if a.journey == csat.JOURNEY), None)
    if automation is None:
        return None
    period = recovery_stats.last_days(db.utcnow())
    return {"automation": automation, "name": journey_name(csat.JOURNEY),
            "delay": _flow_delay(csat.JOURNEY, automation.delay_seconds),
            "warning": template_warning(automation.template, automation.language, templates),
            "figures": csat_stats.figures(db.session(), store.id, period)}


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


def _flow_delay(journey: str, seconds: int) -> str:
    """'right away', or for cross-sell '7 days after delivery'."""
    if journey not in ("cross_sell", "csat"):
        return delay_words(seconds)
    if seconds <= 0:
        return "right after delivery"
    return delay_words(seconds).removeprefix("after ") + " after delivery"


def _page(store: Store, automation: Automation, form: Form, draft: Draft | None,
          status: int = 200) -> ResponseReturnValue:
    templates = _templates(store)
    if draft is None:
        row = next((t for t in templates if (t.name, t.language)
                    == (automation.template, automation.language)), None)
        draft = Draft(template=row, name=automation.template, language=automation.language,
                      variables=form.variables, delay_seconds=automation.delay_seconds,
                      enabled=automation.enabled, conditions=dict(automation.conditions or {}))
    shown, subject, _ = _bubble(store, automation.journey, draft)
    counts = {(t.name, t.language): placeholder_count(body_text(t.components))
              for t in templates}
    # Offered: approved templates in the shoppers' languages (and the one chosen now).
    offered = journey_templates(templates, shopper_languages(db.session(), store),
                                (draft.name, draft.language))
    recovering = is_recovery(automation.journey)
    flow = flows.is_flow(automation.journey)
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
        fields=field_choices(automation.journey), on_cancel=ON_CANCEL,
        orders=[] if recovering or flow else recent_orders(store), recovering=recovering,
        noun=noun(automation.journey), flow_lead=FLOW_LEADS.get(automation.journey, ""),
        flow=flow, max_delay=delay_words(flows.MAX_DELAY_SECONDS.get(
            automation.journey, MAX_DELAY_SECONDS)).removeprefix("after "),
        bubble=shown, draft=draft, **_subject(subject),
        body=body_text(draft.template.components) if draft.template else "",
        warning=template_warning(draft.name, draft.language, templates),
        delay_units=delay_units(automation.journey), max_tests=TEST_SENDS_PER_WINDOW,
        min_delay=recovery.MIN_DELAY_MINUTES, max_discount=recovery.MAX_DISCOUNT_PERCENT,
        max_discount_hours=recovery.MAX_DISCOUNT_HOURS,
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
    shown, subject, _ = _bubble(store, journey, draft)
    form.errors.pop("test_phone", None)
    html = render_template("journeys/_phone.html", store=store, bubble=shown, draft=draft,
                           recovering=is_recovery(journey), flow=flows.is_flow(journey),
                           **_subject(subject))
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
    _shown, subject, parameters = _bubble(store, journey, draft)
    order = subject if isinstance(subject, Order) else None
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

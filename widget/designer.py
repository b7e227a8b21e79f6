"""The widget designer in the admin: every widget setting, a live preview of the real widget,
a link to the widget's figures (now on the Analytics page), the newest opt-ins, and how to
put the widget on a storefront.

`GET /stores/<id>/widget` shows the form; `POST` saves it. The form is read into the raw
settings document `widget.settings.clean()` understands; wherever cleaning would change what
the owner typed (a bad colour, a phone number that is not valid for the store's country, an
hour span that does not parse, a text too long, a number out of range), the page answers 400
and says so next to the field, and nothing is saved. What is saved is `clean()`'s output.

`POST /stores/<id>/widget/preview` answers the public config (config.json's shape) for the
form's current values without saving anything; plugin/static/designer.js hands it to the real
widget script through its preview hook (see widget/static/widget.js, `data-preview`).
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from zoneinfo import available_timezones

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from plugin.auth import tenancy
from plugin.auth.guard import protect
from plugin.domain import business_hours
from plugin.domain.phones import country_code_hint, to_e164
from plugin.infra import db, responses
from plugin.models import Store, WhatsAppAccount, WidgetSettings
from widget import optin_log, settings
from widget.i18n import LANGUAGES, language

blueprint = protect(Blueprint("widget_designer", __name__))

# The Shopify theme app extension's app embed block (extensions/storechat-widget/blocks/).
EMBED_BLOCK_HANDLE = "app-embed"  # extensions/storechat-widget/blocks/app-embed.liquid
DAY_NAMES = {"mon": "Monday", "tue": "Tuesday", "wed": "Wednesday", "thu": "Thursday",
             "fri": "Friday", "sat": "Saturday", "sun": "Sunday"}
LANGUAGE_NAMES = {"en": "English", "es": "Español", "pt": "Português", "fr": "Français",
                  "de": "Deutsch", "it": "Italiano", "nl": "Nederlands", "ar": "العربية",
                  "he": "עברית", "tr": "Türkçe", "ru": "Русский", "hi": "हिन्दी",
                  "id": "Bahasa Indonesia", "pl": "Polski"}
PURPOSE_NAMES = {"order_updates": "Order updates", "back_in_stock": "Back in stock",
                 "marketing": "Offers and news (marketing)"}


@lru_cache(maxsize=1)
def timezones() -> tuple[str, ...]:
    """IANA timezone names the server knows, sorted."""
    return tuple(sorted(available_timezones()))


@dataclass
class Form:
    """The designer form: what is shown in the fields (strings) and the errors by field."""

    values: dict[str, str]
    agents: list[dict[str, str]]
    hours: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)

    def prefixed(self, prefix: str) -> list[str]:
        """The errors of the fields whose names start with `prefix` (agent rows)."""
        return [text for name, text in self.errors.items() if name.startswith(prefix)]


def _form_from_settings(cleaned: dict[str, Any], enabled: bool, timezone: str) -> Form:
    optin = cleaned["optin"]
    values = {
        "enabled": "1" if enabled else "",
        "position": cleaned["position"], "color": cleaned["color"].lower(),
        "lang": cleaned["lang"], "greeting": cleaned["greeting"], "cta": cleaned["cta"],
        "away": cleaned["away"], "timezone": timezone,
        "hours_mode": "set" if cleaned["hours"] else "always",
        "holidays": "\n".join(cleaned["holidays"]),
        "show_on": "\n".join(cleaned["show_on"]), "hide_on": "\n".join(cleaned["hide_on"]),
        "devices": cleaned["devices"], "delay": str(cleaned["delay"]),
        "scroll": str(cleaned["scroll"]), "message": cleaned["message"],
        "optin_enabled": "1" if optin["enabled"] else "", "optin_purpose": optin["purpose"],
        "optin_text": optin["text"],
    }
    agents = [{"name": a["name"], "phone": a["phone"], "role": a["role"]}
              for a in cleaned["agents"]]
    hours = {day: ", ".join(f"{a}-{b}" for a, b in cleaned["hours"].get(day, []))
             for day in DAY_NAMES}
    return Form(values=values, agents=agents, hours=hours)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.replace("\r", "").split("\n") if line.strip()]


def _number(form: Form, name: str, low: int, high: int, unit: str) -> int:
    raw = form.values[name].strip() or "0"
    try:
        value = int(raw)
    except ValueError:
        form.errors[name] = f"Enter a whole number of {unit}."
        return 0
    if not low <= value <= high:
        form.errors[name] = f"Enter a number from {low} to {high}."
    return value


def _text(form: Form, name: str, limit: int) -> str:
    value = form.values[name].strip()
    if len(value) > limit:
        form.errors[name] = f"At most {limit} characters (this has {len(value)})."
    return value


def _choice(form: Form, name: str, choices: tuple[str, ...] | list[str], message: str) -> str:
    value = form.values[name]
    if value not in choices:
        form.errors[name] = message
    return value


def _agents(form: Form, country: str | None) -> list[dict[str, str]]:
    agents = []
    rows = [a for a in form.agents if any(v.strip() for v in a.values())]
    if len(rows) > settings.MAX_AGENTS:
        form.errors["agents"] = f"At most {settings.MAX_AGENTS} agents."
    for index, row in enumerate(rows):
        name, phone, role = row["name"].strip(), row["phone"].strip(), row["role"].strip()
        problems = []
        e164 = to_e164(phone, country)
        if not phone:
            problems.append("add a phone number")
        elif e164 is None:
            problems.append(f"“{phone}” is not a valid phone number; write it "
                            f"{country_code_hint(country)}")
        if len(name) > 80 or len(role) > 80:
            problems.append("name and role have at most 80 characters")
        if problems:
            form.errors[f"agent-{index}"] = "Agent " + str(index + 1) + ": " + "; ".join(problems)
        # Read against the store's country once, here, and kept in E.164 from now on.
        agents.append({"name": name, "phone": e164 or phone, "role": role})
    form.agents = rows
    return agents


def _hours(form: Form) -> dict[str, list[list[str]]]:
    if form.values["hours_mode"] != "set":
        if form.values["hours_mode"] != "always":
            form.errors["hours_mode"] = "Choose always open or set hours."
        return {}
    hours: dict[str, list[list[str]]] = {}
    for day in DAY_NAMES:
        try:
            hours[day] = [list(span) for span in business_hours.parse_spans(form.hours[day])]
        except ValueError as problem:
            form.errors[f"hours-{day}"] = f"{DAY_NAMES[day]}: {problem}"
            hours[day] = []
    return hours


def _holidays(form: Form) -> list[str]:
    try:
        return [day.isoformat() for day in business_hours.parse_holidays(form.values["holidays"])]
    except ValueError as problem:
        form.errors["holidays"] = f"Holidays: {problem}"
        return []


def _patterns(form: Form, name: str) -> list[str]:
    patterns = _lines(form.values[name])
    if len(patterns) > settings.MAX_PATTERNS:
        form.errors[name] = f"At most {settings.MAX_PATTERNS} patterns."
    elif any(len(p) > 200 for p in patterns):
        form.errors[name] = "A pattern has at most 200 characters."
    elif any(not p.startswith(("/", "*")) for p in patterns):
        form.errors[name] = "Patterns are page paths: start each with / (or *), e.g. /products/*."
    return patterns


def read_form(data: MultiDict[str, str],
              country: str | None) -> tuple[Form, dict[str, Any], bool, str]:
    """The posted form → (the form to show again, the raw settings, enabled, timezone).

    form.errors is empty when clean() keeps every value exactly as typed."""
    names = ("position", "color", "lang", "greeting", "cta", "away", "timezone", "hours_mode",
             "holidays", "show_on", "hide_on", "devices", "delay", "scroll", "message",
             "optin_purpose", "optin_text")
    values = {name: data.get(name, "") for name in names}
    values["enabled"] = "1" if data.get("enabled") == "1" else ""
    values["optin_enabled"] = "1" if data.get("optin_enabled") == "1" else ""
    # A hand-made form with uneven lists keeps only the complete rows.
    agents = [{"name": n, "phone": p, "role": r} for n, p, r in zip(
        data.getlist("agent_name"), data.getlist("agent_phone"), data.getlist("agent_role"),
        strict=False)]
    hours = {day: data.get(f"hours_{day}", "") for day in DAY_NAMES}
    form = Form(values=values, agents=agents, hours=hours)

    color = values["color"].strip()
    if not settings.COLOR_PATTERN.match(color):
        form.errors["color"] = "Use a colour written as #RRGGBB, e.g. #0B7A5C."
    timezone = values["timezone"].strip()
    if timezone and timezone not in timezones():
        form.errors["timezone"] = "Choose a timezone from the list, e.g. Europe/Lisbon."
    raw = {
        "position": _choice(form, "position", ("start", "end"), "Choose a side."),
        "color": color,
        "lang": _choice(form, "lang", ("", *LANGUAGES), "Choose a language from the list."),
        "greeting": _text(form, "greeting", settings.TEXT_LIMIT),
        "cta": _text(form, "cta", 60),
        "away": _text(form, "away", settings.TEXT_LIMIT),
        "agents": _agents(form, country),
        "hours": _hours(form),
        "holidays": _holidays(form),
        "show_on": _patterns(form, "show_on"),
        "hide_on": _patterns(form, "hide_on"),
        "devices": _choice(form, "devices", ("all", "mobile", "desktop"), "Choose devices."),
        "delay": _number(form, "delay", 0, 600, "seconds"),
        "scroll": _number(form, "scroll", 0, 100, "percent"),
        "message": _text(form, "message", settings.MESSAGE_LIMIT),
        "optin": {
            "enabled": values["optin_enabled"] == "1",
            "purpose": _choice(form, "optin_purpose", settings.OPTIN_PURPOSES,
                               "Choose what shoppers sign up for."),
            "text": _text(form, "optin_text", settings.TEXT_LIMIT),
        },
    }
    if raw["optin"]["enabled"] and not raw["optin"]["text"]:
        form.errors["optin_text"] = "Write the consent text shoppers agree to."
    return form, raw, values["enabled"] == "1", timezone


def _settings_row(store: Store) -> WidgetSettings | None:
    return db.session().scalars(tenancy.scoped(select(WidgetSettings), WidgetSettings)
                                .where(WidgetSettings.store_id == store.id)).first()


def _accounts(store: Store) -> list[WhatsAppAccount]:
    return list(db.session().scalars(
        tenancy.scoped(select(WhatsAppAccount), WhatsAppAccount)
        # A row without a token only carries a sandbox catalog: it is no number to chat to.
        .where(WhatsAppAccount.store_id == store.id, WhatsAppAccount.access_token.is_not(None))
        .order_by(WhatsAppAccount.id)))


def install(store: Store) -> dict[str, Any]:
    """How the widget gets onto this store's pages."""
    config = current_app.config["STORECHAT"]
    public_url = config.public_url.rstrip("/")
    snippet = f'<script src="{public_url}/widget.js" data-store="{store.key}" defer></script>'
    deep_link = None
    if store.platform == "shopify" and config.shopify_api_key:
        deep_link = (f"https://{store.domain}/admin/themes/current/editor?context=apps"
                     f"&activateAppId={config.shopify_api_key}/{EMBED_BLOCK_HANDLE}")
    return {"snippet": snippet, "deep_link": deep_link, "public_url": public_url}


def _preview_config(store: Store, raw: dict[str, Any], timezone: str) -> dict[str, Any]:
    """config.json for the form's values, as a storefront page would get it, shown always:
    the preview ignores the on/off switch, page and device rules and timing."""
    draft = WidgetSettings(store_id=store.id, enabled=True,
                           settings=settings.clean(raw, store.country))
    config = settings.public_config(store, draft, _accounts(store))
    if config.get("enabled"):
        config.update(show=[], hide=[], devices="all", delay=0, scroll=0)
        if timezone in timezones():
            config["tz"] = timezone
    return config


def _page(store: Store, form: Form, row: WidgetSettings | None,
          status: int = 200) -> ResponseReturnValue:
    """The designer page. The admin CSP allows styles from 'self' only; the preview widget
    styles its Shadow DOM with a <style> it creates, so this page's CSP also allows styles
    carrying this response's nonce, which the widget copies from its script tag."""
    nonce = secrets.token_urlsafe(16)
    body = render_template(
        "widget/designer.html", store=store, form=form, row=row,
        nonce=nonce, optins=optin_log.recent(store),
        install=install(store), has_number=bool(_accounts(store)),
        timezones=timezones(), languages=[(code, LANGUAGE_NAMES.get(code, code))
                                          for code in LANGUAGES],
        default_lang=language(store.locale), day_names=DAY_NAMES, purposes=PURPOSE_NAMES,
        max_agents=settings.MAX_AGENTS,
        default_message=settings.DEFAULTS["message"],
    )
    return body, status, {"Content-Security-Policy": responses.admin_csp(style_nonce=nonce)}


@blueprint.get("/stores/<int:store_id>/widget")
def page(store_id: int) -> ResponseReturnValue:
    """The designer with the saved settings."""
    store = tenancy.get_or_404(Store, store_id)
    row = _settings_row(store)
    cleaned = settings.clean(row.settings if row else {}, store.country)
    form = _form_from_settings(cleaned, row.enabled if row else True, store.timezone or "")
    return _page(store, form, row)


@blueprint.post("/stores/<int:store_id>/widget")
def save(store_id: int) -> ResponseReturnValue:
    """Save the form if clean() keeps every value; otherwise 400 with the errors shown."""
    store = tenancy.get_or_404(Store, store_id)
    form, raw, enabled, timezone = read_form(request.form, store.country)
    row = _settings_row(store)
    if form.errors:
        return _page(store, form, row, 400)
    cleaned = settings.clean(raw, store.country)
    with db.transaction() as session:
        row = session.scalars(tenancy.scoped(select(WidgetSettings), WidgetSettings)
                              .where(WidgetSettings.store_id == store.id)).first()
        if row is None:
            row = WidgetSettings(store_id=store.id)
            session.add(row)
        row.settings = cleaned
        row.enabled = enabled
        owned = session.get(Store, store.id)
        if owned is not None:
            owned.timezone = timezone or None
    flash("Widget settings saved. Storefronts show them within a minute.")
    return redirect(url_for(".page", store_id=store.id), 303)


@blueprint.post("/stores/<int:store_id>/widget/preview")
def preview(store_id: int) -> ResponseReturnValue:
    """The public config for the form's current values (nothing saved), and its errors."""
    store = tenancy.get_or_404(Store, store_id)
    form, raw, _enabled, timezone = read_form(request.form, store.country)
    return jsonify(config=_preview_config(store, raw, timezone), errors=form.errors)

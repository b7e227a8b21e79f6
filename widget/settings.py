"""A store's widget settings: safe defaults, validation of what the owner typed, and the
public config the storefront script receives (never a secret, never more than it needs).

Texts stay plain text here: the script renders them with textContent, so `<script>` in a
store name is shown as those characters. Values that reach CSS or URLs (colours, phone
numbers, positions) are checked against strict patterns instead.
"""
from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from plugin.domain import business_hours
from plugin.domain.phones import stored_e164, to_e164, wa_recipient
from plugin.models import Store, WhatsAppAccount, WidgetSettings
from widget.i18n import LANGUAGES, RTL, language, strings

# Version of the config document the script understands.
CONFIG_VERSION = 1
DEFAULT_COLOR = "#0B7A5C"  # WhatsApp-like green with 5.3:1 contrast against white
OPTIN_PURPOSES = ("order_updates", "back_in_stock", "marketing")
MAX_AGENTS = 10
MAX_PATTERNS = 20
TEXT_LIMIT = 300
MESSAGE_LIMIT = 1000
# What a storefront gets when there is no widget to show, whatever the reason.
OFF: dict[str, Any] = {"v": CONFIG_VERSION, "enabled": False}

COLOR_PATTERN = re.compile(r"^#[0-9a-fA-F]{6}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

DEFAULTS: dict[str, Any] = {
    "position": "end",  # end = right on LTR pages, left on RTL pages; or "start"
    "color": DEFAULT_COLOR,
    "lang": "",  # "" = from the page's lang attribute
    "greeting": "",  # "" = the greeting in the shopper's language
    "cta": "",  # "" = "Chat on WhatsApp" in the shopper's language
    "away": "",  # "" = the away note in the shopper's language
    "agents": [],  # [{"name", "role", "phone": E.164}]; none = the store's WhatsApp number
    "hours": {},  # {"mon": [["09:00", "18:00"]], ...} in the store's timezone; {} = always
    "holidays": [],  # ["2026-12-25", ...]: closed all day, whatever "hours" says
    "show_on": [],  # URL path patterns (* wildcard); [] = everywhere
    "hide_on": [],
    "devices": "all",  # all | mobile | desktop
    "delay": 0,  # seconds before the button appears
    "scroll": 0,  # or once the page is scrolled this many percent
    "message": "Hi! I have a question about:\n{product} {variant}\n{price}\n{url}",
    "optin": {"enabled": False, "purpose": "order_updates",
              "text": "Send me order updates on WhatsApp."},
}


def _text(value: Any, default: str, limit: int = TEXT_LIMIT) -> str:
    if not isinstance(value, str):
        return default
    return _CONTROL.sub("", value).strip()[:limit]


def _int(value: Any, default: int, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return default
    return max(low, min(high, int(value)))


def _patterns(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [p for p in (_text(v, "", 200) for v in value[:MAX_PATTERNS]) if p]


def _agents(value: Any, country: str | None) -> list[dict[str, str]]:
    """Agents with their numbers in E.164: kept with the country code, a number is read the
    same whatever the store's country is later (an agent abroad stays valid)."""
    agents = []
    for item in value[:MAX_AGENTS] if isinstance(value, list) else []:
        if not isinstance(item, dict):
            continue
        raw = item.get("phone")
        phone = stored_e164(raw if isinstance(raw, str) else None, country)
        if phone:
            agents.append({"name": _text(item.get("name"), "", 80),
                           "role": _text(item.get("role"), "", 80), "phone": phone})
    return agents


def _hours(value: Any) -> dict[str, list[list[str]]]:
    week = business_hours.read(value, None, None).week
    return {day: [[f"{start:%H:%M}", f"{end:%H:%M}"] for start, end in spans]
            for day, spans in week.items()}


def _holidays(value: Any) -> list[str]:
    return [day.isoformat() for day in sorted(business_hours.read(None, value, None).holidays)]


def clean(raw: Any, country: str | None = None) -> dict[str, Any]:
    """Owner input → a settings document with every key present and every value safe."""
    raw = raw if isinstance(raw, dict) else {}
    optin = raw.get("optin") if isinstance(raw.get("optin"), dict) else {}
    default_optin = DEFAULTS["optin"]
    return {
        "position": raw.get("position") if raw.get("position") in ("start", "end") else "end",
        "color": raw["color"] if isinstance(raw.get("color"), str)
        and COLOR_PATTERN.match(raw["color"]) else DEFAULT_COLOR,
        "lang": raw.get("lang") if raw.get("lang") in LANGUAGES else "",
        "greeting": _text(raw.get("greeting"), ""),
        "cta": _text(raw.get("cta"), "", 60),
        "away": _text(raw.get("away"), ""),
        "agents": _agents(raw.get("agents"), country),
        "hours": _hours(raw.get("hours")),
        "holidays": _holidays(raw.get("holidays"))[:business_hours.MAX_HOLIDAYS],
        "show_on": _patterns(raw.get("show_on")),
        "hide_on": _patterns(raw.get("hide_on")),
        "devices": raw.get("devices") if raw.get("devices") in ("all", "mobile", "desktop")
        else "all",
        "delay": _int(raw.get("delay"), 0, 0, 600),
        "scroll": _int(raw.get("scroll"), 0, 0, 100),
        "message": _text(raw.get("message"), DEFAULTS["message"], MESSAGE_LIMIT)
        or DEFAULTS["message"],
        "optin": {
            "enabled": optin.get("enabled") is True,
            "purpose": optin.get("purpose") if optin.get("purpose") in OPTIN_PURPOSES
            else default_optin["purpose"],
            "text": _text(optin.get("text"), "") or default_optin["text"],
        },
    }


def text_color(background: str) -> str:
    """Black or white, whichever reads better on the owner's colour (WCAG luminance)."""
    channels = [int(background[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "#ffffff" if (1.05 / (luminance + 0.05)) >= (luminance + 0.05) / 0.05 else "#111111"


def _timezone(store: Store) -> str:
    zone = store.timezone or "UTC"
    try:
        ZoneInfo(zone)
    except (KeyError, ValueError, OSError):  # unknown (ZoneInfoNotFoundError) or malformed
        return "UTC"
    return zone


def public_config(store: Store, row: WidgetSettings | None, accounts: list[WhatsAppAccount],
                  page_lang: str | None = None) -> dict[str, Any]:
    """What /widget/<key>/config.json answers, in the owner's language if they chose one,
    else the page's. A store that is not active, a widget that is turned off, or a widget
    with no number to open gets {"enabled": false} only."""
    off = dict(OFF)
    if not store.active or (row is not None and not row.enabled):
        return off
    settings = clean(row.settings if row is not None else {}, store.country)
    # The script builds wa.me links, which take the number without its plus.
    agents = [dict(agent, phone=wa_recipient(agent["phone"])) for agent in settings["agents"]]
    if not agents:
        phones = [to_e164(a.display_phone, store.country) for a in accounts]
        agents = [{"name": store.name, "role": "", "phone": wa_recipient(p)}
                  for p in phones if p][:1]
    if not agents:
        return off
    optin = settings["optin"]
    lang = language(settings["lang"], page_lang, store.locale)
    return {
        "v": CONFIG_VERSION,
        "enabled": True,
        "name": store.name,
        "position": settings["position"],
        "color": settings["color"],
        "text": text_color(settings["color"]),
        "lang": lang,
        "dir": "rtl" if lang in RTL else "ltr",
        "strings": strings(lang),
        "greeting": settings["greeting"],
        "cta": settings["cta"],
        "away": settings["away"],
        "agents": agents,
        "tz": _timezone(store),
        "hours": settings["hours"],
        # Past holidays are of no use to a shopper's browser (a day's slack for zones
        # behind the server's clock).
        "holidays": [day for day in settings["holidays"]
                     if day >= (date.today() - timedelta(days=1)).isoformat()],
        "show": settings["show_on"],
        "hide": settings["hide_on"],
        "devices": settings["devices"],
        "delay": settings["delay"],
        "scroll": settings["scroll"],
        "message": settings["message"],
        "optin": {"purpose": optin["purpose"], "text": optin["text"]}
        if optin["enabled"] else None,
    }


def confirm_number(store: Store, accounts: list[WhatsAppAccount],
                   config: dict[str, Any]) -> str:
    """Where a shopper who opted in writes to confirm (digits, for wa.me): the store's
    connected WhatsApp number, whose inbound messages make the opt-in count, else the
    widget's first agent."""
    for account in accounts:
        e164 = to_e164(account.display_phone, store.country)
        if e164:
            return wa_recipient(e164)
    agents = config.get("agents") or []
    return str(agents[0]["phone"]) if agents else ""

"""Greeting and away messages in the admin: on/off, the silence after which a shopper is
greeted again, and the words in each starter language, with the store's hours beside them.

`GET|POST /stores/<id>/automations/answers`. The rules are plugin.domain.auto_answers';
the store's business hours are edited in its widget and read here to say whether the away
message would be sent right now.
"""
from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from plugin.auth import tenancy
from plugin.auth.guard import protect
from plugin.domain import auto_answers, business_hours
from plugin.domain.starter_templates import LANGUAGES
from plugin.domain.template_rules import LANGUAGES as LANGUAGE_NAMES
from plugin.infra import db
from plugin.models import AnswerSettings, Store
from plugin.pipeline.auto_answers import rules_for
from plugin.pipeline.store_hours import hours_for

blueprint = protect(Blueprint("auto_answers", __name__))


@blueprint.route("/stores/<int:store_id>/automations/answers", methods=["GET", "POST"])
def page(store_id: int) -> ResponseReturnValue:
    """Read or change the store's greeting and away messages."""
    store = tenancy.get_or_404(Store, store_id)
    session = db.session()
    rules = rules_for(session, store.id)
    values: dict[str, Any] = {
        "greeting_enabled": rules.greeting_enabled,
        "greeting_after_days": str(rules.greeting_after_days),
        "away_enabled": rules.away_enabled,
        **{f"greeting_{lang}": rules.greetings.get(lang, "") for lang in LANGUAGES},
        **{f"away_{lang}": rules.aways.get(lang, "") for lang in LANGUAGES},
    }
    errors: dict[str, str] = {}
    if request.method == "POST":
        values, errors, wanted = _read(request.form)
        if not errors:
            row = session.scalars(select(AnswerSettings).where(
                AnswerSettings.store_id == store.id)).first()
            if row is None:
                row = AnswerSettings(store_id=store.id)
                session.add(row)
            for name, value in wanted.items():
                setattr(row, name, value)
            session.commit()
            flash("Greeting and away messages saved.")
            return redirect(url_for("auto_answers.page", store_id=store.id))
    hours = hours_for(session, store)
    now = db.utcnow()
    return render_template(
        "journeys/answers.html", store=store, languages=LANGUAGES,
        language_names=LANGUAGE_NAMES, form={"values": values, "errors": errors},
        hours=hours, open_now=business_hours.is_open(hours, now),
        next_open=business_hours.next_open(hours, now),
        limits={"min_days": auto_answers.MIN_AFTER_DAYS, "max_days": auto_answers.MAX_AFTER_DAYS,
                "text_max": auto_answers.TEXT_MAX},
    ), 422 if errors else 200


def _read(form: Any) -> tuple[dict[str, Any], dict[str, str], dict[str, Any]]:
    """The posted form → (values to show again, errors by field, columns to save)."""
    values: dict[str, Any] = {
        "greeting_enabled": form.get("greeting_enabled") == "on",
        "away_enabled": form.get("away_enabled") == "on",
        "greeting_after_days": form.get("greeting_after_days", "").strip(),
    }
    errors: dict[str, str] = {}
    texts: dict[str, dict[str, str]] = {"greeting": {}, "away": {}}
    for kind in texts:
        for lang in LANGUAGES:
            name = f"{kind}_{lang}"
            values[name] = form.get(name, "").strip()
            problem = auto_answers.check_text(values[name])
            if problem:
                errors[name] = f"{LANGUAGE_NAMES[lang]}: {problem}"
            if values[name]:
                texts[kind][lang] = values[name]
    if "{back}" in " ".join(texts["greeting"].values()):
        errors["greeting_en"] = errors.get("greeting_en") or (
            "{back} belongs in the away message: a greeting is sent during opening hours too.")
    days = values["greeting_after_days"]
    if not days.isdigit() or not (auto_answers.MIN_AFTER_DAYS <= int(days)
                                  <= auto_answers.MAX_AFTER_DAYS):
        errors["greeting_after_days"] = (f"A whole number of days from "
                                         f"{auto_answers.MIN_AFTER_DAYS} to "
                                         f"{auto_answers.MAX_AFTER_DAYS}.")
    for kind, label in (("greeting", "greeting"), ("away", "away message")):
        if values[f"{kind}_enabled"] and not texts[kind]:
            errors[f"{kind}_en"] = (f"Write the {label} in at least one language, or turn it "
                                    "off.")
    wanted = {
        "greeting_enabled": values["greeting_enabled"], "away_enabled": values["away_enabled"],
        "greeting_after_days": int(days) if days.isdigit() else auto_answers.GREETING_AFTER_DAYS,
        "greetings": texts["greeting"], "aways": texts["away"],
    }
    return values, errors, wanted


def init_app(app: Flask) -> None:
    """Register the greeting and away page."""
    app.register_blueprint(blueprint)

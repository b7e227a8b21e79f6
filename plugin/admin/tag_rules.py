"""The store's tag rules in the admin: the thresholds of the automatic tags, each with its
default, and whether tags are copied to the store platform's customers.

`GET|POST /stores/<id>/customers/tag-rules`. Saving marks every customer of the store for
recomputation and the high_value threshold for a refresh: the housekeeping's daily pass
takes them within minutes (plugin.pipeline.customer_tags), so a save does no heavy work.
"""
from __future__ import annotations

from dataclasses import fields

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import update

from plugin.auth import tenancy
from plugin.auth.guard import protect
from plugin.domain.customer_tags import TagRules
from plugin.infra import db
from plugin.models import Customer, Store
from plugin.pipeline import customer_tags

blueprint = protect(Blueprint("tag_rules", __name__))

# Each rule's field: its label, and whether the owner types it as a percentage.
LABELS: dict[str, tuple[str, bool]] = {
    "new_days": ("new: first order within … days", False),
    "frequent_orders": ("frequent: at least … orders", False),
    "frequent_days": ("frequent: … within this many days", False),
    "at_risk_days": ("at_risk: no order or message for … days", False),
    "deal_share": ("deal_seeker: at least …% of orders with a discount code", True),
    "high_value_top_share": ("high_value: average order in the top …% of customers", True),
}


@blueprint.route("/stores/<int:store_id>/customers/tag-rules", methods=["GET", "POST"])
def page(store_id: int) -> ResponseReturnValue:
    """Read or change the store's tag rules."""
    store = tenancy.get_or_404(Store, store_id)
    session = db.session()
    settings = customer_tags.settings_for(session, store.id)
    rules = TagRules.from_json(settings.rules)
    errors: dict[str, str] = {}
    values = {f.name: _shown(f.name, getattr(rules, f.name)) for f in fields(TagRules)}
    if request.method == "POST":
        values = {name: request.form.get(name, "").strip() for name in values}
        wanted = {}
        for name, raw in values.items():
            number = _read(name, raw)
            if number is None:
                errors[name] = ("A percentage from 1 to 100." if LABELS[name][1]
                                else "A whole number from 1 to 3650.")
            else:
                wanted[name] = number
        if not errors:
            settings.rules = TagRules.from_json(wanted).to_json()
            settings.write_back = request.form.get("write_back") == "on"
            settings.threshold_computed_at = None
            settings.updated_at = db.utcnow()
            session.execute(update(Customer).where(Customer.store_id == store.id)
                            .values(tags_computed_at=None))
            session.commit()
            flash("Tag rules saved. Every customer's tags are recomputed within minutes.")
            return redirect(url_for("tag_rules.page", store_id=store.id))
    session.commit()  # the settings row, when this was the first visit
    return render_template("customers/tag_rules.html", store=store, labels=LABELS,
                           form={"values": values, "errors": errors}, settings=settings,
                           defaults={f.name: _shown(f.name, f.default) for f in fields(TagRules)}
                           ), 422 if errors else 200


def _shown(name: str, value: object) -> str:
    if LABELS[name][1]:
        return f"{float(value) * 100:g}"  # type: ignore[arg-type]
    return str(value)


def _read(name: str, raw: str) -> int | float | None:
    try:
        number = float(raw) if LABELS[name][1] else int(raw)
    except ValueError:
        return None
    if LABELS[name][1]:
        return number / 100 if 0 < number <= 100 else None
    return number if 1 <= number <= 3650 else None


def init_app(app: Flask) -> None:
    """Register the tag rules page."""
    app.register_blueprint(blueprint)

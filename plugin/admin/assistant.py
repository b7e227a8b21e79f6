"""The shop assistant in the admin: on/off, which intents it answers, and what a shopper's
confirmed cancellation does (cancel at the store, or a request for the team).

`GET|POST /stores/<id>/automations/assistant`. The intents are plugin.domain.assistant's;
the answers are plugin.pipeline.assistant's.
"""
from __future__ import annotations

from flask import Blueprint, Flask, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from plugin.auth import tenancy
from plugin.auth.guard import protect
from plugin.domain.assistant import Intent
from plugin.infra import db
from plugin.models import AssistantSettings, Store
from plugin.pipeline.assistant import ON_CANCEL_CHOICES, settings_for

blueprint = protect(Blueprint("assistant_admin", __name__))

INTENT_LABELS = {
    Intent.WISMO: ("Where is my order", "Finds the shopper's recent orders by their number "
                   "(or an order number they type, only if it is theirs) and answers with its "
                   "status, carrier, tracking link and expected delivery."),
    Intent.CANCEL: ("Cancel my order", "Asks the shopper to confirm with buttons; only "
                    "orders not yet sent can be cancelled."),
    Intent.BROWSE: ("Browse products", "Your collections as a list, then their products "
                    "from your WhatsApp catalog (as links when there is no catalog)."),
    Intent.HUMAN: ("Talk to a person", "Opens the conversation for your team; the assistant "
                   "stays silent there until it is resolved, or for a day."),
}
ON_CANCEL_LABELS = {
    "request": "Ask the team: a note on the conversation, handed to a person",
    "cancel": "Cancel the order in the store at once",
}
# The intents a new assistant answers when the owner turns it on.
DEFAULT_INTENTS = [intent.value for intent in Intent]


@blueprint.route("/stores/<int:store_id>/automations/assistant", methods=["GET", "POST"])
def page(store_id: int) -> ResponseReturnValue:
    """Read or change the store's shop assistant."""
    store = tenancy.get_or_404(Store, store_id)
    session = db.session()
    row = settings_for(session, store.id)
    if request.method == "POST":
        on_cancel = request.form.get("on_cancel", "")
        if on_cancel not in ON_CANCEL_CHOICES:
            flash("Choose what a confirmed cancellation does.")
            return redirect(url_for("assistant_admin.page", store_id=store.id))
        if row is None:
            row = AssistantSettings(store_id=store.id)
            session.add(row)
        row.enabled = request.form.get("enabled") == "on"
        row.intents = [i.value for i in Intent if request.form.get(f"intent_{i.value}") == "on"]
        row.on_cancel = on_cancel
        session.commit()
        flash("Shop assistant saved.")
        return redirect(url_for("assistant_admin.page", store_id=store.id))
    return render_template(
        "journeys/assistant.html", store=store, intents=INTENT_LABELS,
        on_cancel_labels=ON_CANCEL_LABELS,
        enabled=bool(row and row.enabled),
        chosen=set(row.intents if row is not None else DEFAULT_INTENTS),
        on_cancel=row.on_cancel if row is not None else "request")


def init_app(app: Flask) -> None:
    """Register the shop assistant page."""
    app.register_blueprint(blueprint)

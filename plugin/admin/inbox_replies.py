"""Quick replies: a store's saved answers (at most 50), typed as /shortcut in the inbox's
composer, with {{customer_name}}, {{order_number}} and {{tracking_link}} filled in."""
from __future__ import annotations

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from plugin.auth import tenancy
from plugin.auth.guard import protect
from plugin.auth.roles import Role
from plugin.domain import inbox
from plugin.domain.inbox import InboxError
from plugin.infra import db
from plugin.models import QuickReply, Store
from plugin.pipeline.inbox import quick_replies

blueprint = protect(Blueprint("inbox_replies", __name__), minimum=Role.AGENT)


@blueprint.route("/stores/<int:store_id>/inbox/quick-replies", methods=["GET", "POST"])
def page(store_id: int) -> ResponseReturnValue:
    """The library, and the form that adds a reply (or changes one by its shortcut)."""
    store = tenancy.get_or_404(Store, store_id)
    session = db.session()
    if request.method == "POST":
        try:
            saved = quick_replies.save(session, store.id, request.form.get("shortcut", ""),
                                       request.form.get("body", ""))
            session.commit()
            flash(f"Quick reply /{saved.shortcut} saved.")
        except InboxError as error:
            session.rollback()
            flash(str(error), "error")
        return redirect(url_for("inbox_replies.page", store_id=store.id))
    return render_template("inbox/replies.html", store=store,
                           replies=quick_replies.library(session, store.id),
                           most=inbox.QUICK_REPLIES_MAX, variables=inbox.VARIABLES)


@blueprint.post("/stores/<int:store_id>/inbox/quick-replies/<int:reply_id>/delete")
def delete(store_id: int, reply_id: int) -> ResponseReturnValue:
    """Delete one quick reply of the store."""
    store = tenancy.get_or_404(Store, store_id)
    session = db.session()
    reply = session.scalars(select(QuickReply).where(
        QuickReply.id == reply_id, QuickReply.store_id == store.id)).first()
    if reply is None:
        abort(404)
    session.delete(reply)
    session.commit()
    flash(f"Quick reply /{reply.shortcut} deleted.")
    return redirect(url_for("inbox_replies.page", store_id=store.id))


def init_app(app: Flask) -> None:
    """Register the quick replies page."""
    app.register_blueprint(blueprint)

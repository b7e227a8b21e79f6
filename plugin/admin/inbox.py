"""The team inbox (nav section "Inbox"): the conversation list with its filters, one
conversation with its composer, and the actions on it (reply, assign, status, snooze,
tags, notes, mark as read). The open page asks `updates` every few seconds with the ETag of
what it shows: 304 while nothing changed, else the new list and thread, drawn here.

Every route goes through plugin.auth.tenancy: another store's conversation answers 404.
Media of received messages is served by plugin.admin.inbox_media; quick replies are
managed in plugin.admin.inbox_replies.
"""
from __future__ import annotations

import hashlib
from datetime import datetime

from flask import (
    Blueprint,
    Flask,
    abort,
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

from plugin.admin import inbox_views
from plugin.auth import tenancy
from plugin.auth.guard import protect
from plugin.auth.roles import Role
from plugin.domain.inbox import InboxError
from plugin.infra import db
from plugin.models import Conversation, Customer, Store
from plugin.pipeline.inbox import (
    attachments,
    compose,
    manage,
    people,
    products,
    quick_replies,
)

# The team inbox is what agents are for.
blueprint = protect(Blueprint("inbox_admin", __name__), minimum=Role.AGENT)

# How often the open page asks for news (milliseconds): a new message shows within this
# (plus the server's time). An unchanged page costs two indexed reads and a 304.
POLL_MS = 700
# Room for the form's other fields beside an attachment at the size cap.
ATTACHMENT_OVERHEAD = 64 * 1024


def conversation_or_404(store: Store, conversation_id: int) -> Conversation:
    """One conversation of a store the principal may see; 404 otherwise."""
    found = db.session().scalars(select(Conversation).where(
        Conversation.id == conversation_id, Conversation.store_id == store.id)).first()
    if found is None:
        abort(404)
    return found


def viewer_id() -> int | None:
    """The signed-in person's id (None for a Shopify shop session)."""
    return tenancy.current().owner_id


def _author() -> tuple[int, str]:
    principal = tenancy.current()
    return principal.owner_id or 0, principal.label


def _context(store: Store, filters: inbox_views.Filters,
             selected: Conversation | None) -> dict[str, object]:
    session = db.session()
    now = db.utcnow()
    thread = inbox_views.thread(session, selected, now) if selected is not None else None
    return {
        "store": store, "filters": filters, "now": now, "thread": thread,
        "rows": inbox_views.conversations(session, store.id, filters, viewer_id(), now),
        "unread": inbox_views.unread_counts(session, store.id, viewer_id()),
        "people": people.assignable_people(session, store),
        "templates": compose.approved_templates(session, store.id),
        "replies": quick_replies.library(session, store.id),
        "snoozes": inbox_views.snooze_choices(now), "poll_ms": POLL_MS,
    }


@blueprint.get("/stores/<int:store_id>/inbox")
def page(store_id: int) -> ResponseReturnValue:
    """The inbox: the list, and the conversation chosen with ?c=<id>."""
    store = tenancy.get_or_404(Store, store_id)
    selected_id = request.args.get("c", type=int)
    selected = conversation_or_404(store, selected_id) if selected_id else None
    context = _context(store, inbox_views.Filters.read(request.args), selected)
    # The composer's product picker (only while the window is open: cards are free-form).
    query = request.args.get("pq", "")[:60]
    thread = context["thread"]
    open_window = isinstance(thread, inbox_views.Thread) and thread.window.open
    return render_template("inbox/page.html", **context, product_query=query,
                           products=products.search(db.session(), store.id, query)
                           if open_window else [])


@blueprint.get("/stores/<int:store_id>/inbox/updates")
def updates(store_id: int) -> ResponseReturnValue:
    """The list and the open thread as HTML fragments, with an ETag: 304 when unchanged.

    The ETag comes from a fingerprint read with two indexed queries (inbox_views.version),
    so an unchanged page costs no rendering; the minute the page was drawn is part of it,
    so relative words ("snoozed until") never go stale for long."""
    store = tenancy.get_or_404(Store, store_id)
    selected_id = request.args.get("c", type=int)
    selected = conversation_or_404(store, selected_id) if selected_id else None
    fingerprint = "|".join((inbox_views.version(db.session(), store.id, selected),
                            request.query_string.decode(), str(tenancy.current().owner_id),
                            db.utcnow().strftime("%Y%m%d%H%M")))
    etag = hashlib.sha256(fingerprint.encode()).hexdigest()[:32]
    headers = {"ETag": f'"{etag}"', "Cache-Control": "no-cache"}
    if request.if_none_match.contains(etag):
        return "", 304, headers
    context = _context(store, inbox_views.Filters.read(request.args), selected)
    listing = render_template("inbox/_list.html", **context)
    thread = render_template("inbox/_thread.html", **context) if selected else ""
    response = jsonify(list_html=listing, thread_html=thread)
    response.headers.update(headers)
    return response


def _back(store: Store, conversation: Conversation) -> ResponseReturnValue:
    args = {k: v for k, v in request.form.items() if k in ("view", "status", "tag", "q")}
    return redirect(url_for("inbox_admin.page", store_id=store.id, c=conversation.id, **args)
                    + "#composer")


def _loaded(store_id: int, conversation_id: int) -> tuple[Store, Conversation, Customer]:
    store = tenancy.get_or_404(Store, store_id)
    conversation = conversation_or_404(store, conversation_id)
    customer = db.session().get(Customer, conversation.customer_id)
    assert customer is not None
    return store, conversation, customer


@blueprint.url_value_preprocessor
def _allow_attachments(endpoint: str | None, values: dict[str, object] | None) -> None:
    # Before every before_request hook (they read the body): a reply may carry a file up to
    # the inbox's media cap, above the usual request cap; a larger one is refused (413).
    if endpoint == f"{blueprint.name}.reply":
        request.max_content_length = max(
            current_app.config["STORECHAT"].inbox_media_max_bytes + ATTACHMENT_OVERHEAD,
            current_app.config["MAX_CONTENT_LENGTH"] or 0)


@blueprint.post("/stores/<int:store_id>/inbox/<int:conversation_id>/reply")
def reply(store_id: int, conversation_id: int) -> ResponseReturnValue:
    """Send what the composer holds: text (a /shortcut expands), buttons, a list, a
    location request, product cards, or a template; refusals are shown above the composer."""
    store, conversation, customer = _loaded(store_id, conversation_id)
    session = db.session()
    author_id, _ = _author()
    form = request.form
    mode = form.get("mode", "text")
    text = quick_replies.expand(session, customer, form.get("text", ""))
    upload = request.files.get("attachment")
    try:
        if upload is not None and upload.filename:
            attachments.send_file(session, conversation, customer, author_id,
                                  upload.read(), upload.mimetype or "",
                                  upload.filename, text)
        elif mode == "buttons":
            compose.send_buttons(session, conversation, customer, author_id, text,
                                 form.getlist("button"))
        elif mode == "list":
            compose.send_list(session, conversation, customer, author_id, text,
                              form.get("list_button", ""), form.getlist("row"))
        elif mode == "products":
            products.send(session, conversation, customer, author_id,
                          form.getlist("product"), text, form.get("header", ""))
        elif mode == "location":
            compose.send_location_request(session, conversation, customer, author_id, text)
        elif mode == "template":
            name, _, language = form.get("template", "").partition("|")
            compose.send_template(session, conversation, customer, author_id, name, language,
                                  form.getlist("variable"))
        else:
            compose.send_text(session, conversation, customer, author_id, text)
        session.commit()
    except InboxError as error:
        session.rollback()
        flash(str(error), "error")
    return _back(store, conversation)


@blueprint.post("/stores/<int:store_id>/inbox/<int:conversation_id>/manage")
def change(store_id: int, conversation_id: int) -> ResponseReturnValue:
    """Assign, change the status or snooze, set tags, add a note, or mark as read."""
    store, conversation, _ = _loaded(store_id, conversation_id)
    session = db.session()
    form = request.form
    action = form.get("action", "")
    try:
        if action == "assign":
            chosen = form.get("assignee", "")
            manage.assign(session, conversation, int(chosen) if chosen.isdigit() else None)
        elif action == "assign_me":
            manage.assign(session, conversation, viewer_id())
        elif action == "status":
            until = form.get("snoozed_until", "")
            manage.set_status(session, conversation, form.get("status", ""),
                              _parse_time(until) if until else None)
        elif action == "tags":
            manage.set_tags(session, conversation, form.get("tags", "").split(","))
        elif action == "note":
            author_id, label = _author()
            manage.add_note(session, conversation, author_id or None, label,
                            form.get("note", ""))
        elif action == "read":
            manage.mark_read(session, conversation)
        else:
            abort(400)
        session.commit()
    except InboxError as error:
        session.rollback()
        flash(str(error), "error")
    return _back(store, conversation)


def _parse_time(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value).replace(tzinfo=None)
    except ValueError:
        raise InboxError("Snooze until a date and time like 2026-12-24T09:00.") from None


def init_app(app: Flask) -> None:
    """Register the inbox pages, its media and its quick replies."""
    from plugin.admin import inbox_media, inbox_replies

    app.register_blueprint(blueprint)
    inbox_media.init_app(app)
    inbox_replies.init_app(app)

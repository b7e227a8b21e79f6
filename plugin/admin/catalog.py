"""The catalog page of a store: the connected Meta catalog, the current or last sync with
its progress, items counted by state, one page of items (filter by state, search by title
or retailer id) with each refusal or kept-out reason in words, recent batches, and the
owner's actions: sync now, check against Meta, retry one or every failed item.

Routes (blueprint "catalog_admin"): `GET /stores/<id>/catalog` (page) and the POST forms
`…/catalog/sync` and `…/catalog/retry`. Every query is scoped to the caller's stores
(plugin.auth.tenancy); another owner's store answers 404. The page only reads the catalog
tables; what it asks of the sync goes through plugin.pipeline.catalog.requests.
"""
from __future__ import annotations

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from plugin.admin import catalog_views as views
from plugin.admin.message_views import time_until
from plugin.auth import tenancy
from plugin.auth.guard import protect
from plugin.infra import db, ids
from plugin.models import Store, SyncKind
from plugin.pipeline.catalog.requests import request_sync, retry_items

blueprint = protect(Blueprint("catalog_admin", __name__))

# Items per page of the table.
PAGE_SIZE = 50
# The running sync's panel asks the API for its progress this often (catalog.js).
POLL_SECONDS = 5


@blueprint.get("/stores/<int:store_id>/catalog")
def index(store_id: int) -> ResponseReturnValue:
    """The catalog page; 400 in words for a filter, search or page that cannot be read."""
    store = tenancy.get_or_404(Store, store_id)
    shown = request.args.get("state", "")
    if shown and shown not in views.FILTERS:
        abort(400, description="There is no such item state to filter by: choose one from "
                               "the list.")
    search = request.args.get("q", "").strip()
    problem = views.search_problem(search)
    if problem:
        abort(400, description=problem)
    raw_after = request.args.get("after")
    after = ids.parse_row_id(raw_after)
    if raw_after is not None and after is None:
        abort(400, description="This page of the list does not exist: start again from "
                               "the first page.")
    session = db.session()
    rows, following = views.items(session, store.id, views.FILTERS.get(shown, ()), search,
                                  after, PAGE_SIZE)
    sync = views.current_sync(session, store.id)
    account = views.account(session, store.id)
    catalog = views.connection(session, store)
    now = db.utcnow()
    throttled = (catalog.throttled_until if catalog.throttled_until is not None
                 and catalog.throttled_until > now else None)
    return render_template(
        "catalog/index.html", store=store, account=account, catalog=catalog,
        connected=catalog.connected, counts=views.counts(session, store.id),
        sync=sync, running=views.is_running(sync), batches=views.recent_batches(session,
                                                                                store.id),
        rows=rows, following=following, after=after, shown=shown, search=search,
        throttled=throttled, throttle_left=time_until(throttled - now) if throttled else "",
        views=views, poll_seconds=POLL_SECONDS)


@blueprint.post("/stores/<int:store_id>/catalog/sync")
def sync(store_id: int) -> ResponseReturnValue:
    """Queue a full sync or a check against Meta (the running one stands if one is)."""
    store = tenancy.get_or_404(Store, store_id)
    kind = request.form.get("kind", SyncKind.FULL)
    if kind not in views.KIND_WORDS:
        abort(400, description="Choose a full sync or a check against Meta.")
    with db.transaction() as session:
        if not views.connection(session, store).connected:
            flash("Connect a catalog in the WhatsApp settings first: there is nothing to "
                  "sync to yet.", "error")
            return _back(store)
        owned = session.get(Store, store.id)
        assert owned is not None  # tenancy found it a moment ago
        running = views.unfinished(session, store.id, kind)
        request_sync(session, owned, kind, "owner")
    words = views.KIND_WORDS[kind]
    flash(f"{words} is already under way: this page shows its progress." if running
          else f"{words} started: this page shows its progress.")
    return _back(store)


@blueprint.post("/stores/<int:store_id>/catalog/retry")
def retry(store_id: int) -> ResponseReturnValue:
    """Send failed items again: the one named by `item_id`, or every failed one."""
    store = tenancy.get_or_404(Store, store_id)
    raw = request.form.get("item_id")
    item_id = ids.parse_row_id(raw)
    if raw is not None and item_id is None:
        abort(400, description="That item cannot be found: reload the page and try again.")
    with db.transaction() as session:
        owned = session.get(Store, store.id)
        assert owned is not None
        count = retry_items(session, owned, None if item_id is None else [item_id])
    if count:
        flash(f"{count} item{'s' if count != 1 else ''} will be sent to Meta again.")
    else:
        flash("Nothing to retry: no failed item matched (it may have been sent already).")
    return _back(store, state=request.form.get("back_state", ""),
                 search=request.form.get("back_q", ""))


def _back(store: Store, state: str = "", search: str = "") -> ResponseReturnValue:
    """Back to the page, on the list the owner was reading (a filter we know, a search
    the page would take)."""
    args = {"state": state} if state in views.FILTERS else {}
    if search and views.search_problem(search) is None:
        args["q"] = search
    return redirect(url_for(".index", store_id=store.id, **args), 303)


def init_app(app: Flask) -> None:
    """Register the catalog page."""
    app.register_blueprint(blueprint)

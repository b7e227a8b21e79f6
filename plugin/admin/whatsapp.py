"""The WhatsApp page of a store in the admin: connect a number (verified with Meta), see its
templates with their review status, sync them, submit the starter templates, and read why
recent messages failed, in words an owner understands.

Its Catalog panel connects a Meta catalog to the number (plugin.platforms.whatsapp.catalog):
the one connected, with its visibility and cart toggles, or a choice of the business's
catalogs and a new one; without a token, a sandbox catalog.

Routes (blueprint "whatsapp_admin"): `GET /stores/<id>/whatsapp` (page) and the POST forms
`…/connect`, `…/sync`, `…/starters`, `…/disconnect`, `…/catalog/connect`,
`…/catalog/settings`. Every query is scoped to the caller's stores (plugin.auth.tenancy);
another owner's store answers 404. A number row without a token only carries a sandbox
catalog: it is not a connected number.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from adapters.whatsapp.errors import explain
from plugin.admin import catalog_views
from plugin.auth import tenancy
from plugin.auth.guard import protect
from plugin.auth.roles import Role
from plugin.domain.errors import (
    AccountError,
    CatalogConnectError,
    NumberConnectError,
    SendError,
)
from plugin.domain.outbox import MessageState
from plugin.infra import db, responses
from plugin.models import Message, Store, Template, WhatsAppAccount
from plugin.platforms.whatsapp import catalog, number, templates

blueprint = protect(Blueprint("whatsapp_admin", __name__), minimum=Role.OWNER)
T = TypeVar("T")

# Failed messages shown on the page, newest first.
FAILED_ROWS = 20
FORM_FIELDS = ("phone_number_id", "waba_id", "access_token")


def _account(store: Store, *, with_token: bool = True) -> WhatsAppAccount | None:
    query = (tenancy.scoped(select(WhatsAppAccount), WhatsAppAccount)
             .where(WhatsAppAccount.store_id == store.id).order_by(WhatsAppAccount.id))
    if with_token:
        query = query.where(WhatsAppAccount.access_token.is_not(None))
    return db.session().scalars(query).first()


def _catalog_panel(store: Store) -> dict[str, Any]:
    """The Catalog panel: the connected catalog, or what may be connected. Meta is asked
    for the choice only when the owner opens it (`?catalog=choose`), so the page never
    waits on Graph calls it does not need."""
    row = _account(store, with_token=False)
    panel: dict[str, Any] = {"account": row if row and row.catalog_id else None,
                             "options": None, "error": "", "closed": False, "builtin": None}
    if panel["account"] is None and row is None:
        # The demo store has a sandbox catalog of its own: nothing to connect.
        built_in = catalog_views.connection(db.session(), store)
        if built_in.connected:
            panel["builtin"] = built_in
            return panel
    if panel["account"] is None:
        if row is not None and row.access_token and request.args.get("catalog") != "choose":
            panel["closed"] = True  # a real number: the choice opens on demand
            return panel
        try:
            panel["options"] = catalog.options(db.session(), store)
        except CatalogConnectError as error:
            panel["error"] = error.message
    return panel


def _templates(store: Store) -> list[Template]:
    return list(db.session().scalars(
        tenancy.scoped(select(Template), Template).where(Template.store_id == store.id)
        .order_by(Template.name, Template.language)))


def _failed(store: Store) -> list[dict[str, Any]]:
    rows = db.session().scalars(
        tenancy.scoped(select(Message), Message)
        .where(Message.store_id == store.id, Message.state == MessageState.FAILED.value)
        .order_by(Message.id.desc()).limit(FAILED_ROWS))
    return [{"message": m, "explanation": explain(m.error_code)} for m in rows]


def _page(store: Store, values: dict[str, str] | None = None,
          errors: dict[str, str] | None = None, status: int = 200) -> ResponseReturnValue:
    account = _account(store)
    body = render_template(
        "whatsapp/number.html", store=store, account=account,
        default=None if account else number.installation_account(store),
        templates=_templates(store), failed=_failed(store),
        values=values or {}, errors=errors or {}, catalog=_catalog_panel(store),
    )
    policy = responses.ADMIN_CSP.format(ancestors=responses.frame_ancestors())
    return body, status, {"Content-Security-Policy": policy}


def _back(store: Store) -> ResponseReturnValue:
    return redirect(url_for(".page", store_id=store.id), 303)


@blueprint.get("/stores/<int:store_id>/whatsapp")
def page(store_id: int) -> ResponseReturnValue:
    """The number (or the connect form), its templates and recent failures."""
    return _page(tenancy.get_or_404(Store, store_id))


@blueprint.post("/stores/<int:store_id>/whatsapp/connect")
def connect(store_id: int) -> ResponseReturnValue:
    """Verify and save a number; 400 with the reason next to the field when Meta says no."""
    store = tenancy.get_or_404(Store, store_id)
    values = {name: request.form.get(name, "") for name in FORM_FIELDS}
    try:
        with db.transaction() as session:
            owned = session.get(Store, store.id)
            account = number.connect_number(
                session, owned, values["phone_number_id"], values["waba_id"],
                values["access_token"])
            name = account.verified_name or account.display_phone or account.phone_number_id
    except NumberConnectError as error:
        values["access_token"] = ""  # a secret is never echoed back into the page
        return _page(store, values, {error.field or "form": error.message}, 400)
    flash(f"Connected: {name}. StoreChat now gets this number's messages and statuses.")
    _sync(store, announce=False)
    return _back(store)


@blueprint.post("/stores/<int:store_id>/whatsapp/sync")
def sync(store_id: int) -> ResponseReturnValue:
    """Read the templates from WhatsApp now."""
    store = tenancy.get_or_404(Store, store_id)
    _sync(store, announce=True)
    return _back(store)


@blueprint.post("/stores/<int:store_id>/whatsapp/starters")
def starters(store_id: int) -> ResponseReturnValue:
    """Submit the starter templates the account does not have yet, then sync."""
    store = tenancy.get_or_404(Store, store_id)
    public_url = current_app.config["STORECHAT"].public_url

    def work(session: Session, account: WhatsAppAccount) -> list[str]:
        return templates.create_starter_templates(
            session, account, public_url,
            languages=templates.starter_languages(session.get(Store, store.id)))

    created = _with_account(store, work)
    if created is None:
        return _back(store)
    if created:
        flash(f"Submitted {len(created)} starter template(s) for WhatsApp's review: "
              f"{', '.join(sorted(set(created)))}. Review usually takes minutes to a day.")
    else:
        flash("Your WhatsApp account already has every starter template.")
    _sync(store, announce=False)
    return _back(store)


@blueprint.post("/stores/<int:store_id>/whatsapp/disconnect")
def disconnect(store_id: int) -> ResponseReturnValue:
    """Forget the store's number and its token (templates stay until the next sync)."""
    store = tenancy.get_or_404(Store, store_id)
    with db.transaction() as session:
        session.execute(delete(WhatsAppAccount).where(WhatsAppAccount.store_id == store.id))
    flash("The number was disconnected; StoreChat no longer sends from it.")
    return _back(store)


@blueprint.post("/stores/<int:store_id>/whatsapp/catalog/connect")
def connect_catalog(store_id: int) -> ResponseReturnValue:
    """Connect the chosen (or a new) catalog and start its first sync; Meta's refusal is
    shown in plain words."""
    store = tenancy.get_or_404(Store, store_id)
    choice = request.form.get("catalog_id", "").strip()
    with db.transaction() as session:
        try:
            account = catalog.connect_catalog(session, session.get(Store, store.id),
                                              "" if choice == "new" else choice)
            name = account.catalog_name
        except CatalogConnectError as error:
            # Commits only what the refusal flagged (an invalid token), nothing of the catalog.
            flash(error.message, "error")
            return _back(store)
    flash(f"Catalog connected: {name}. Your products are on their way to it; the first "
          "sync has started.")
    return _back(store)


@blueprint.post("/stores/<int:store_id>/whatsapp/catalog/settings")
def catalog_settings(store_id: int) -> ResponseReturnValue:
    """Show or hide the catalog and the cart on the number."""
    store = tenancy.get_or_404(Store, store_id)
    visible, cart = request.form.get("catalog_visible") == "on", request.form.get(
        "cart_enabled") == "on"
    with db.transaction() as session:
        try:
            catalog.set_commerce(session, session.get(Store, store.id),
                                 catalog_visible=visible, cart_enabled=cart)
        except CatalogConnectError as error:
            flash(error.message, "error")
            return _back(store)
    flash("Catalog " + ("shown" if visible else "hidden") + " on WhatsApp; cart "
          + ("on." if cart else "off."))
    return _back(store)


def _sync(store: Store, announce: bool) -> None:
    def work(session: Session, account: WhatsAppAccount) -> templates.SyncResult:
        return templates.sync_templates(session, account)

    result = _with_account(store, work)
    if result is not None and announce:
        flash(f"Templates synced: {result.total} in WhatsApp ({result.added} new, "
              f"{result.removed} removed).")


def _with_account(store: Store, work: Callable[[Session, WhatsAppAccount], T]) -> T | None:
    """Run `work(session, account)` in a transaction with the store's number (or the
    installation's default); flash why not and return None when it cannot."""
    with db.transaction() as session:
        account = session.scalars(select(WhatsAppAccount).where(
            WhatsAppAccount.store_id == store.id, WhatsAppAccount.access_token.is_not(None))
            .order_by(WhatsAppAccount.id)).first()
        account = account or number.installation_account(store)
        if account is None:
            flash("Connect a WhatsApp number first.", "error")
            return None
        try:
            return work(session, account)
        except AccountError as error:
            if account.id is not None:
                account.needs_reauth = True
            flash(f"WhatsApp refused the access token ({error.reason}); connect the number "
                  "again with a valid token.", "error")
        except SendError as error:
            flash(f"WhatsApp did not answer as expected: {error.reason}. Try again in a "
                  "minute.", "error")
    return None


def init_app(app: Flask) -> None:
    """Register the WhatsApp admin page."""
    app.register_blueprint(blueprint)

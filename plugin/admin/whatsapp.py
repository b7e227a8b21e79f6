"""The WhatsApp page of a store in the admin: connect a number (verified with Meta), see its
templates with their review status, sync them, submit the starter templates, and read why
recent messages failed, in words an owner understands.

Routes (blueprint "whatsapp_admin"): `GET /stores/<id>/whatsapp` (page) and the POST forms
`…/connect`, `…/sync`, `…/starters`, `…/disconnect`. Every query is scoped to the caller's
stores (plugin.auth.tenancy); another owner's store answers 404.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from adapters.whatsapp.errors import explain
from plugin.auth import tenancy
from plugin.auth.guard import protect
from plugin.domain.errors import AccountError, NumberConnectError, SendError
from plugin.domain.outbox import MessageState
from plugin.infra import db, responses
from plugin.models import Message, Store, Template, WhatsAppAccount
from plugin.platforms.whatsapp import number, templates

blueprint = protect(Blueprint("whatsapp_admin", __name__))
T = TypeVar("T")

# Failed messages shown on the page, newest first.
FAILED_ROWS = 20
FORM_FIELDS = ("phone_number_id", "waba_id", "access_token")


def _account(store: Store) -> WhatsAppAccount | None:
    return db.session().scalars(
        tenancy.scoped(select(WhatsAppAccount), WhatsAppAccount)
        .where(WhatsAppAccount.store_id == store.id).order_by(WhatsAppAccount.id)).first()


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
        values=values or {}, errors=errors or {},
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
            WhatsAppAccount.store_id == store.id).order_by(WhatsAppAccount.id)).first()
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

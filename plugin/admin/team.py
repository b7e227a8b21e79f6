"""Settings → Team: the store's owner invites people as agents or admins, resends or
withdraws invitations, changes members' roles and removes members.

`GET /stores/<id>/team` lists the owner, the members with their roles and the pending
invitations. `POST …/team/invite` (email, role) and `POST …/team/invites/<id>/resend`
answer the page with the new link shown once (it is never stored or put in a redirect: only
its hash is kept; there is no mail server, the owner passes it on). Withdrawing, changing a
role and removing redirect back (303). Only the store's owner opens any of it
(plugin.auth.roles); another store's ids answer 404 (plugin.auth.tenancy).
"""
from __future__ import annotations

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue

from plugin.auth import members, tenancy
from plugin.auth.guard import protect
from plugin.auth.roles import Role
from plugin.domain.errors import SignInError
from plugin.infra import db
from plugin.models import Owner, Store, StoreInvite

blueprint = protect(Blueprint("team_admin", __name__), minimum=Role.OWNER)

# What each role a member can have may open, as the invite form explains it.
ROLES = {
    Role.AGENT: "Customers and, once it is here, the inbox. No settings, automations or "
                "campaigns.",
    Role.ADMIN: "Everything except the owner's settings: the team, the store connection, "
                "the WhatsApp number and API tokens.",
}


def _render(store: Store, status: int = 200, **context: object) -> ResponseReturnValue:
    session = db.session()
    owner = session.get(Owner, store.owner_id) if store.owner_id else None
    now = db.utcnow()
    response = current_app.make_response((render_template(
        "settings/team.html", store=store, owner=owner, roles=ROLES,
        members=members.members(session, store.id),
        pending=members.pending(session, store.id), now=now,
        lifetime_days=members.INVITE_LIFETIME.days, **context), status))
    # The page may show a new invitation link: no cache may keep a copy.
    response.headers["Cache-Control"] = "no-store"
    return response


def _link(invite: StoreInvite, token: str) -> dict[str, str]:
    return {"email": invite.email, "role": invite.role,
            "link": url_for("auth.join", token=token, _external=True)}


@blueprint.get("/stores/<int:store_id>/team")
def page(store_id: int) -> ResponseReturnValue:
    """The store's owner, members and pending invitations, and the form to invite."""
    return _render(tenancy.get_or_404(Store, store_id))


@blueprint.post("/stores/<int:store_id>/team/invite")
def invite(store_id: int) -> ResponseReturnValue:
    """Invite an email as agent or admin: the page with its link shown once, or 400 with
    the reason it cannot be sent."""
    store = tenancy.get_or_404(Store, store_id)
    email = request.form.get("email", "")[:300]
    role = request.form.get("role", "")
    try:
        with db.transaction() as session:
            row, token = members.invite(session, store, email, role, tenancy.current().label)
            new_link = _link(row, token)
    except SignInError as error:
        return _render(store, 400, error=str(error), email=email, role=role)
    return _render(store, new_link=new_link)


@blueprint.post("/stores/<int:store_id>/team/invites/<int:invite_id>/resend")
def resend(store_id: int, invite_id: int) -> ResponseReturnValue:
    """A new link for a pending invitation, with a new expiry; the old link stops working."""
    store = tenancy.get_or_404(Store, store_id)
    with db.transaction() as session:
        found = members.resend(session, store.id, invite_id)
        if found is None:
            abort(404, description="No such invitation: it was used or withdrawn already.")
        new_link = _link(*found)
    return _render(store, new_link=new_link, resent=True)


@blueprint.post("/stores/<int:store_id>/team/invites/<int:invite_id>/withdraw")
def withdraw(store_id: int, invite_id: int) -> ResponseReturnValue:
    """Withdraw a pending invitation: its link stops working at once."""
    store = tenancy.get_or_404(Store, store_id)
    with db.transaction() as session:
        if not members.withdraw(session, store.id, invite_id):
            abort(404, description="No such invitation: it was used or withdrawn already.")
    flash("Invitation withdrawn: its link no longer works.")
    return redirect(url_for(".page", store_id=store.id), 303)


@blueprint.post("/stores/<int:store_id>/team/members/<int:member_id>/role")
def change_role(store_id: int, member_id: int) -> ResponseReturnValue:
    """Give a member another role; it applies from their next request."""
    store = tenancy.get_or_404(Store, store_id)
    try:
        with db.transaction() as session:
            changed = members.change_role(session, store.id, member_id,
                                          request.form.get("role", ""))
    except SignInError as error:
        return _render(store, 400, error=str(error))
    if changed is None:
        abort(404, description="No such member: they were removed already.")
    flash(f"{changed.email} is now {changed.role.name.lower()} of this store.")
    return redirect(url_for(".page", store_id=store.id), 303)


@blueprint.post("/stores/<int:store_id>/team/members/<int:member_id>/remove")
def remove(store_id: int, member_id: int) -> ResponseReturnValue:
    """Take a member out of the team: their next request no longer reaches this store."""
    store = tenancy.get_or_404(Store, store_id)
    with db.transaction() as session:
        email = members.remove(session, store.id, member_id)
    if email is None:
        abort(404, description="No such member: they were removed already.")
    flash(f"{email} was removed from the team: they can no longer open this store.")
    return redirect(url_for(".page", store_id=store.id), 303)


def init_app(app: Flask) -> None:
    """Register the Team settings page."""
    app.register_blueprint(blueprint)

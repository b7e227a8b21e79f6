"""More than one owner: the Team page, invitation links, and open sign-up.

`GET /settings/owners` (endpoint `auth.owners`): the signed-in owner's account, the owners
they invited, their pending invitations (withdraw one with its button), and a form that
makes an invitation link, shown once (there is no mail server: the owner copies it).
`/invite/<token>`: the invitee chooses a password and becomes a new owner with no store.
`/signup`: anyone may create an owner account, only when STORECHAT_OPEN_SIGNUP=1; a 404
page saying it is closed otherwise.

The routes live on the `auth` blueprint (plugin.auth.views), whose CSRF check covers every
form here; the Team page also needs a signed-in owner account (a Shopify shop gets 403).
"""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from limits import RateLimitItemPerHour

from plugin.auth import invites, roles, tenancy
from plugin.auth.accounts import email_problem, normalise_email
from plugin.auth.guard import require_principal
from plugin.auth.passwords import MIN_PASSWORD_LENGTH, password_problem
from plugin.auth.roles import Role
from plugin.auth.views import SIGNED_IN_ENDPOINTS, blueprint, start_session
from plugin.domain.errors import SignInError
from plugin.infra import db, ratelimit
from plugin.models import Owner

# Sign-up tries per address and hour: enough for a typo or two, too few to mass-create
# accounts (each one could connect stores and send messages).
SIGNUPS_PER_HOUR = 5
# The session key holding a new invitation link until the Team page shows it, once.
_NEW_LINK = "new_invite"


def owner_page(view: Callable[..., ResponseReturnValue]) -> Callable[..., ResponseReturnValue]:
    """Require a signed-in owner account (the sign-in redirect, 401 or 403 otherwise);
    the guard then checks the CSRF token of a form post."""
    SIGNED_IN_ENDPOINTS.add(f"{blueprint.name}.{view.__name__}")
    # Inviting other owner accounts is for owners (and accounts with no store yet), never
    # for someone who only works in another's store.
    roles.declare_endpoint(f"{blueprint.name}.{view.__name__}", Role.OWNER)

    @wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> ResponseReturnValue:
        refused = require_principal()  # also checks the role declared above
        if refused is not None:
            return refused
        tenancy.owner_id_or_403()
        return view(*args, **kwargs)
    return guarded


def _team_page(owner_id: int, status: int = 200, email: str = "") -> ResponseReturnValue:
    tx = db.session()
    me = tx.get(Owner, owner_id)
    inviter = tx.get(Owner, me.invited_by_id) if me and me.invited_by_id else None
    return render_template(
        "auth/owners.html", me=me, inviter=inviter, invited=invites.invited(tx, owner_id),
        pending=invites.pending(tx, owner_id), new_link=session.pop(_NEW_LINK, None),
        email=email, lifetime_days=invites.INVITE_LIFETIME.days), status


@blueprint.get("/settings/owners")
@owner_page
def owners() -> ResponseReturnValue:
    """The Team page: who I am, whom I invited, my pending invitations, invite another."""
    return _team_page(tenancy.owner_id_or_403())


@blueprint.post("/settings/owners/invite")
@owner_page
def owners_invite() -> ResponseReturnValue:
    """Make an invitation link; the Team page shows it once (303 there), or the reason not."""
    owner_id = tenancy.owner_id_or_403()
    typed = request.form.get("email", "")
    try:
        with db.transaction() as tx:
            email, token = invites.create(tx, typed, owner_id)
    except SignInError as error:
        flash(str(error), "error")
        return _team_page(owner_id, 400, typed)
    session[_NEW_LINK] = {"email": email,
                          "link": url_for("auth.invite", token=token, _external=True)}
    return redirect(url_for("auth.owners"), 303)


@blueprint.post("/settings/owners/invites/<int:invite_id>/revoke")
@owner_page
def owners_revoke(invite_id: int) -> ResponseReturnValue:
    """Withdraw one of my unused invitations: its link stops working at once."""
    with db.transaction() as tx:
        done = invites.revoke(tx, tenancy.owner_id_or_403(), invite_id)
    if not done:
        abort(404, description="No such invitation: it was used or withdrawn already.")
    flash("Invitation withdrawn: its link no longer works.")
    return redirect(url_for("auth.owners"), 303)


@blueprint.route("/invite/<token>", methods=["GET", "POST"])
def invite(token: str) -> ResponseReturnValue:
    """Accept an invitation: choose a password, become a new owner with no store."""
    try:
        with db.transaction() as tx:
            email = invites.invited_email(tx, token)
    except SignInError as error:
        return render_template("auth/invite_invalid.html", reason=str(error)), 404
    if request.method == "GET":
        return render_template("auth/invite.html", token=token, email=email,
                               min_length=MIN_PASSWORD_LENGTH)
    password = request.form.get("password", "")
    problem = password_problem(password, request.form.get("confirm", ""))
    if problem:
        flash(problem, "error")
        return render_template("auth/invite.html", token=token, email=email,
                               min_length=MIN_PASSWORD_LENGTH), 400
    try:
        with db.transaction() as tx:
            owner = invites.accept(tx, token, password)
            start_session(owner)
    except SignInError as error:
        return render_template("auth/invite_invalid.html", reason=str(error)), 404
    flash("Welcome to StoreChat. Your owner account is ready: connect a store to begin.")
    return redirect(url_for("admin.index"))


def _signup_limited() -> bool:
    item = RateLimitItemPerHour(SIGNUPS_PER_HOUR)
    return not ratelimit.limiter().hit(item, "signup", request.remote_addr or "-")


@blueprint.route("/signup", methods=["GET", "POST"])
def signup() -> ResponseReturnValue:
    """Open sign-up for new store owners, when the instance allows it."""
    if not current_app.config["STORECHAT"].open_signup:
        return render_template("auth/signup_closed.html"), 404
    if request.method == "GET":
        return render_template("auth/signup.html", min_length=MIN_PASSWORD_LENGTH)
    email = request.form.get("email", "")
    if _signup_limited():
        flash("Too many sign-ups from this address. Try again in an hour.", "error")
        return render_template("auth/signup.html", email=email,
                               min_length=MIN_PASSWORD_LENGTH), 429
    problem = email_problem(normalise_email(email)) or password_problem(
        request.form.get("password", ""), request.form.get("confirm", ""))
    try:
        if problem:
            raise SignInError(problem)
        with db.transaction() as tx:
            owner = invites.sign_up(tx, email, request.form.get("password", ""))
            start_session(owner)
    except SignInError as error:
        flash(str(error), "error")
        return render_template("auth/signup.html", email=email,
                               min_length=MIN_PASSWORD_LENGTH), 400
    flash("Welcome to StoreChat. Your owner account is ready: connect a store to begin.")
    return redirect(url_for("admin.index"))

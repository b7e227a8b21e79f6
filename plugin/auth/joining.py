"""Joining a store's team from an invitation link: `/join/<token>` (endpoint `auth.join`).

Who opens the link decides what the page offers:
- signed in with the invited email: a button to join with this account;
- signed in as someone else: why not, and a way to sign out;
- not signed in, and the email has an account: sign in (then back here) to join;
- not signed in, and no account yet: choose a password; the account starts in this store.
An unusable link (forged, withdrawn, resent, used, expired) answers 404 saying which.
The route lives on the `auth` blueprint, whose CSRF check covers the forms.
"""
from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue

from plugin.auth import members
from plugin.auth.passwords import MIN_PASSWORD_LENGTH, password_problem
from plugin.auth.views import blueprint, start_session
from plugin.domain.errors import SignInError
from plugin.infra import db
from plugin.models import Owner


def _invalid(reason: str) -> ResponseReturnValue:
    return render_template("auth/invite_invalid.html", reason=reason), 404


def _page(invitation: members.Invitation, token: str, status: int = 200) -> ResponseReturnValue:
    tx = db.session()
    owner_id = session.get("owner_id")
    me = tx.get(Owner, owner_id) if owner_id else None
    has_account = me is not None or members.account_for(tx, invitation.email) is not None
    return render_template("auth/join.html", invitation=invitation, token=token, me=me,
                           has_account=has_account, min_length=MIN_PASSWORD_LENGTH), status


def _joined(invitation: members.Invitation) -> ResponseReturnValue:
    flash(f"You joined {invitation.store_name} as {invitation.role.name.lower()}.")
    return redirect(url_for("admin.index"), 303)


@blueprint.route("/join/<token>", methods=["GET", "POST"])
def join(token: str) -> ResponseReturnValue:
    """Accept an invitation into a store's team, with an account old or new."""
    try:
        with db.transaction() as tx:
            invitation = members.invitation(tx, token)
    except SignInError as error:
        return _invalid(str(error))
    if request.method == "GET":
        return _page(invitation, token)
    owner_id = session.get("owner_id")
    try:
        if owner_id is not None:
            with db.transaction() as tx:
                me = tx.get(Owner, owner_id)
                if me is None:
                    raise SignInError("Sign in again, then open the link.")
                joined = members.join(tx, token, me)
            return _joined(joined)
        problem = password_problem(request.form.get("password", ""),
                                   request.form.get("confirm", ""))
        if problem:
            flash(problem, "error")
            return _page(invitation, token, 400)
        with db.transaction() as tx:
            account, joined = members.join_new(tx, token, request.form.get("password", ""))
            start_session(account)
    except SignInError as error:
        flash(str(error), "error")
        return _page(invitation, token, 400)
    return _joined(joined)

"""Sign-in, sign-out, first-run set-up, password reset and WordPress sign-in links."""
from __future__ import annotations

import logging
import time

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from plugin.auth import accounts, check_csrf, shopify, throttle, wordpress
from plugin.auth.next_url import same_site_path
from plugin.auth.passwords import password_problem
from plugin.infra import db
from plugin.models import Owner
from plugin.platforms.stores import by_key

log = logging.getLogger(__name__)

blueprint = Blueprint("auth", __name__)
# Endpoints of this blueprint that need a signed-in owner (plugin.auth.owners.owner_page):
# their guard checks CSRF once it knows the caller, as every admin page does, so an
# anonymous form post is sent to sign in rather than refused for its token.
SIGNED_IN_ENDPOINTS: set[str] = set()


@blueprint.before_request
def _check_csrf() -> None:
    if request.endpoint not in SIGNED_IN_ENDPOINTS:
        check_csrf()


def start_session(owner: Owner) -> None:
    """Start a fresh session for this owner (a new token: no session fixation)."""
    session.clear()
    session.rotate()  # type: ignore[attr-defined]
    session["owner_id"] = owner.id
    owner.last_sign_in_at = db.utcnow()


def _safe_next(target: str | None) -> str:
    # Only paths on this site: never an open redirect to another host.
    return same_site_path(target) or url_for("admin.index")


def _client_address() -> str:
    return request.remote_addr or "unknown"


@blueprint.route("/signin", methods=["GET", "POST"])
def signin() -> ResponseReturnValue:
    """The sign-in form; throttled per account and per address."""
    with db.transaction() as tx:
        first_run = not accounts.has_owner(tx)
    if request.method == "GET":
        return render_template("auth/signin.html", first_run=first_run,
                               next=request.args.get("next", ""))
    email = accounts.normalise_email(request.form.get("email", ""))
    password = request.form.get("password", "")
    wait = throttle.wait_seconds(email, _client_address())
    if wait:
        minutes = max(1, round(wait / 60))
        flash(f"Too many failed sign-ins. Try again in about {minutes} minute"
              f"{'s' if minutes != 1 else ''}, or reset your password.", "error")
        return render_template("auth/signin.html", first_run=first_run, email=email,
                               next=request.form.get("next", "")), 429
    with db.transaction() as tx:
        owner = accounts.authenticate(tx, email, password)
        if owner is not None:
            start_session(owner)
    if owner is None:
        throttle.record_failure(email, _client_address())
        flash("That email and password do not match an account.", "error")
        return render_template("auth/signin.html", first_run=first_run, email=email,
                               next=request.form.get("next", "")), 401
    return redirect(_safe_next(request.form.get("next")))


@blueprint.post("/signout")
def signout() -> ResponseReturnValue:
    """End this session (the row is deleted, so a copied cookie stops working too)."""
    session.clear()
    flash("You are signed out.")
    return redirect(url_for("auth.signin"))


@blueprint.route("/setup", methods=["GET", "POST"])
def setup() -> ResponseReturnValue:
    """Create the first owner with the one-time link that `storechat serve` printed."""
    token = request.values.get("token", "")
    with db.transaction() as tx:
        if accounts.has_owner(tx):
            flash("StoreChat already has an owner: sign in.")
            return redirect(url_for("auth.signin"))
        valid = bool(token) and accounts.setup_token_valid(tx, token)
    if not valid:
        return render_template("auth/setup_invalid.html"), 404
    if request.method == "GET":
        return render_template("auth/setup.html", token=token)
    email = request.form.get("email", "")
    password = request.form.get("password", "")
    problem = accounts.email_problem(accounts.normalise_email(email)) or password_problem(
        password, request.form.get("confirm", ""))
    if problem:
        flash(problem, "error")
        return render_template("auth/setup.html", token=token, email=email), 400
    try:
        with db.transaction() as tx:
            owner = accounts.create_first_owner(tx, token, email, password)
            start_session(owner)
    except accounts.SignInError as error:
        flash(str(error), "error")
        return redirect(url_for("auth.signin"))
    flash("Welcome to StoreChat. Your owner account is ready.")
    return redirect(url_for("admin.index"))


@blueprint.route("/reset", methods=["GET", "POST"])
def reset_request() -> ResponseReturnValue:
    """Ask for a reset link; with no mail server it is written to the log."""
    if request.method == "GET":
        return render_template("auth/reset_request.html")
    email = accounts.normalise_email(request.form.get("email", ""))
    with db.transaction() as tx:
        owner = tx.scalars(select(Owner).where(Owner.email == email)).first()
        if owner is not None:
            link = url_for("auth.reset", token=accounts.reset_token(owner), _external=True)
            # No mail server is configured in this build: the operator reads the link here.
            log.warning("password reset link for %s (valid 1 hour, once): %s", email, link)
    flash("If that email has an account, a reset link is on its way. Without a mail "
          "server, the link is in the StoreChat log.")
    return redirect(url_for("auth.signin"))


@blueprint.route("/reset/<token>", methods=["GET", "POST"])
def reset(token: str) -> ResponseReturnValue:
    """Choose a new password with a reset link; every other session ends."""
    try:
        with db.transaction() as tx:
            owner = accounts.owner_for_reset(tx, token)
            if request.method == "GET":
                return render_template("auth/reset.html", token=token)
            password = request.form.get("password", "")
            problem = password_problem(password, request.form.get("confirm", ""))
            if problem:
                flash(problem, "error")
                return render_template("auth/reset.html", token=token), 400
            accounts.set_password(tx, owner, password)
            start_session(owner)
    except accounts.SignInError as error:
        flash(str(error), "error")
        return redirect(url_for("auth.reset_request"))
    flash("Your password is changed, and every other session is signed out.")
    return redirect(url_for("admin.index"))


@blueprint.get("/auth/wordpress")
def wordpress_signin() -> ResponseReturnValue:
    """Sign in through a link from the WordPress companion plugin's settings page."""
    args = request.args
    store = by_key(args.get("store", ""))
    try:
        with db.transaction() as tx:
            store = wordpress.verify(tx, store, args.get("ts", ""), args.get("nonce", ""),
                                     args.get("signature", ""), int(time.time()))
            owner = tx.get(Owner, store.owner_id)
            if owner is None:
                raise wordpress.LinkError("This store is not linked to a StoreChat owner yet.")
            start_session(owner)
    except wordpress.LinkError as error:
        return render_template("auth/link_invalid.html", reason=str(error)), 403
    return redirect(url_for("admin.index"))


@blueprint.get(shopify.PATCH_ID_TOKEN_PATH)
def patch_id_token() -> ResponseReturnValue:
    """Shopify's bounce page: gets a fresh ID token from App Bridge, then reloads."""
    response = shopify.patch_id_token_page()
    if response.status_code == 404:
        abort(404)
    return response

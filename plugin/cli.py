"""The `storechat` command (also `flask --app plugin …`): serve, worker, db, stores, sweep."""
from __future__ import annotations

import logging
import sys
import threading

import click
from flask import Flask, current_app
from flask.cli import (
    AppGroup,
    FlaskGroup,
    load_dotenv,
    routes_command,
    shell_command,
    with_appcontext,
)

from plugin.config import ConfigError, load_settings

log = logging.getLogger("storechat")

db_cli = AppGroup("db", help="Database schema.")
stores_cli = AppGroup("stores", help="Connected stores.")
owners_cli = AppGroup("owners", help="Owner accounts.")
team_cli = AppGroup("team", help="A store's team members.")


def _link_base() -> str:
    """Where a printed link should point: STORECHAT_PUBLIC_URL (or STORECHAT_PORT) when
    set, else the running `serve`'s address (it may listen on any --port), else the default."""
    from plugin.infra.serve import serving_url

    settings = current_app.config["STORECHAT"]
    if settings.public_url_configured:
        return str(settings.public_url)
    return serving_url(current_app.instance_path) or str(settings.public_url)


@owners_cli.command("setup-link")
@click.option("--base-url", default=None, help="Where browsers reach StoreChat "
              "(default: STORECHAT_PUBLIC_URL, else the running serve's address).")
def owners_setup_link(base_url: str | None) -> None:
    """Print a one-time link that creates the first owner account."""
    from plugin.auth import accounts
    from plugin.infra import db

    base = base_url or _link_base()
    with db.transaction() as session:
        if accounts.has_owner(session):
            raise click.ClickException("an owner account exists: sign in, or reset its "
                                       "password from the sign-in page")
        token = accounts.new_setup_token(session)
    click.echo(f"{base.rstrip('/')}/setup?token={token}")


@owners_cli.command("invite-link")
@click.option("--email", required=True, help="Who is invited (they sign in with it).")
@click.option("--base-url", default=None, help="Where browsers reach StoreChat "
              "(default: STORECHAT_PUBLIC_URL, else the running serve's address).")
def owners_invite_link(email: str, base_url: str | None) -> None:
    """Print a one-time link that creates a new owner account (with no store) for EMAIL."""
    from plugin.auth import invites
    from plugin.domain.errors import SignInError
    from plugin.infra import db

    base = base_url or _link_base()
    try:
        with db.transaction() as session:
            email, token = invites.create(session, email, invited_by=None)
    except SignInError as error:
        raise click.ClickException(str(error)) from None
    days = invites.INVITE_LIFETIME.days
    click.echo(f"invitation for {email} (works once, for {days} days):", err=True)
    click.echo(f"{base.rstrip('/')}/invite/{token}")


@team_cli.command("invite-link")
@click.option("--store", "store_id", type=int, required=True, help="The store's id.")
@click.option("--email", required=True, help="Who is invited (they sign in with it).")
@click.option("--role", type=click.Choice(["agent", "admin"]), default="agent",
              show_default=True, help="Agent: customers and the inbox; admin: all but the "
              "owner's settings.")
@click.option("--base-url", default=None, help="Where browsers reach StoreChat "
              "(default: STORECHAT_PUBLIC_URL, else the running serve's address).")
def team_invite_link(store_id: int, email: str, role: str, base_url: str | None) -> None:
    """Print a one-time link that puts EMAIL in the store's team as ROLE."""
    from plugin.auth import members
    from plugin.domain.errors import SignInError
    from plugin.infra import db
    from plugin.models import Store

    base = base_url or _link_base()
    try:
        with db.transaction() as session:
            store = session.get(Store, store_id)
            if store is None:
                raise click.ClickException(f"no store {store_id}: `storechat stores list`")
            row, token = members.invite(session, store, email, role, "command line")
            email = row.email
    except SignInError as error:
        raise click.ClickException(str(error)) from None
    days = members.INVITE_LIFETIME.days
    click.echo(f"invitation for {email} as {role} (works once, for {days} days):", err=True)
    click.echo(f"{base.rstrip('/')}/join/{token}")


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database schema to the newest version."""
    from plugin.infra import migrate

    before = migrate.current_revision()
    migrate.upgrade()
    after = migrate.current_revision()
    if before == after:
        click.echo(f"database is up to date ({after})")
    else:
        click.echo(f"database upgraded from {before or 'empty'} to {after}")


@db_cli.command("revision")
@click.option("-m", "--message", required=True, help="What the migration changes.")
@click.option("--autogenerate/--empty", default=True, help="Compare the models to the database.")
def db_revision(message: str, autogenerate: bool) -> None:
    """Write a new migration script (for developers)."""
    from plugin.infra import migrate

    migrate.revision(message, autogenerate)


@click.command("worker")
@click.option("--threads", default=4, show_default=True, help="Jobs run at once.")
@with_appcontext
def worker(threads: int) -> None:
    """Run a queue consumer (with the sweeper, the relay and the periodic housekeeping)
    until SIGINT or SIGTERM."""
    from plugin.infra import heartbeat
    from plugin.infra.queue import create_consumer
    from plugin.pipeline import sweep

    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    settings = app.config["STORECHAT"]
    stop = threading.Event()
    # Beats from before the consumer starts: /healthz fails while no worker beats.
    heartbeat.start_thread(app, stop)
    sweep.start_threads(app, stop)
    consumer = create_consumer(threads)
    log.info("worker started: %d threads, queue on %s", threads,
             "SQLite" if settings.embedded else "Redis")
    try:
        consumer.run()
    finally:
        stop.set()


@click.command("sweep")
@with_appcontext
def sweep_once() -> None:
    """Re-enqueue lost events and messages once (workers do this on their own)."""
    from plugin.pipeline import sweep

    report = sweep.sweep()
    click.echo(f"re-enqueued {report.events} events and {report.messages} messages")


@stores_cli.command("list")
def stores_list() -> None:
    """List stores with their platform, status and key."""
    from plugin.platforms.stores_cli import list_stores

    list_stores()


@stores_cli.command("connect-whatsapp")
@click.argument("store_key")
@click.option("--phone-number-id", required=True, help="From WhatsApp Manager › API setup.")
@click.option("--waba-id", required=True, help="The WhatsApp Business Account id.")
@click.option("--token", prompt=True, hide_input=True, help="A system-user access token.")
@click.option("--throughput", default=80, show_default=True, help="Messages per second.")
def stores_connect_whatsapp(store_key: str, phone_number_id: str, waba_id: str, token: str,
                            throughput: int) -> None:
    """Connect a WhatsApp number to a store (its token is stored encrypted)."""
    from plugin.platforms.stores_cli import connect_whatsapp

    connect_whatsapp(store_key, phone_number_id, waba_id, token, throughput)


@click.command("analytics-backfill")
@click.option("--store", "store_id", type=int, default=None, help="Only this store's id.")
@with_appcontext
def analytics_backfill(store_id: int | None) -> None:
    """Fill every analytics figure from the rows already there (once, after upgrading to
    them; again only to repair): message, revenue, holdout and ad figures are recounted;
    reactions, attributions and conversation figures are filled where they are missing.
    One transaction per store; a second run changes nothing."""
    from plugin.infra import db
    from plugin.pipeline import analytics_backfill as backfill

    with db.transaction() as session:
        stores = backfill.store_ids(session, store_id)
    if store_id is not None and not stores:
        raise click.ClickException(f"no store {store_id}: `storechat stores list`")
    for sid in stores:
        with db.transaction() as session:
            report = backfill.run(session, sid)
        click.echo("\n".join(report.lines()))


def init_app(app: Flask) -> None:
    """Register StoreChat's commands on the app's CLI."""
    from plugin.infra.serve import serve

    app.cli.add_command(serve)
    app.cli.add_command(worker)
    app.cli.add_command(sweep_once)
    app.cli.add_command(db_cli)
    app.cli.add_command(stores_cli)
    app.cli.add_command(owners_cli)
    app.cli.add_command(team_cli)
    app.cli.add_command(analytics_backfill)


def main() -> None:
    """Entry point of the `storechat` command."""
    load_dotenv()
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # Alembic narrates every step at INFO; `db upgrade` prints its own one-line summary.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        load_settings()
    except ConfigError as error:
        click.echo(f"storechat: configuration error: {error}", err=True)
        sys.exit(2)
    from plugin import create_app

    # No `run`: Flask's development server is not how StoreChat is served (use `serve`).
    group = FlaskGroup(name="storechat", create_app=create_app, add_default_commands=False,
                       add_version_option=False, load_dotenv=False,
                       help="StoreChat: WhatsApp commerce for your store.")
    group.add_command(shell_command)
    group.add_command(routes_command)
    group.main(prog_name="storechat")


if __name__ == "__main__":
    main()

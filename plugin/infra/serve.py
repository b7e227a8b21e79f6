"""`storechat serve`: gunicorn plus one embedded queue consumer, stopped together."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from functools import partial
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from plugin.config import DEFAULT_HOST, DEFAULT_PORT, default_public_url
from plugin.infra.lifeline import die_with_parent

# How long children get to finish their work after SIGTERM before they are killed.
STOP_GRACE_SECONDS = 15
# A running `serve` leaves its public URL in the instance folder for the link commands run
# from another terminal (`storechat owners invite-link`): with STORECHAT_PUBLIC_URL unset,
# they could not know which --port it was started with.
SERVING_URL_FILE = "serving-url"


@click.command("serve")
@click.option("--host", default=DEFAULT_HOST, show_default=True, envvar="STORECHAT_HOST")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=int,
              envvar="STORECHAT_PORT")
@click.option("--web-workers", default=2, show_default=True, help="gunicorn worker processes.")
@click.option("--threads", default=4, show_default=True, help="Threads per web worker.")
@click.option("--worker/--no-worker", "embedded_worker", default=True, show_default=True,
              help="Run a queue consumer alongside (off when `storechat worker`s run elsewhere).")
@click.option("--worker-threads", default=2, show_default=True)
@with_appcontext
def serve(host: str, port: int, web_workers: int, threads: int, embedded_worker: bool,
          worker_threads: int) -> None:
    """Serve StoreChat with gunicorn and an embedded worker until Ctrl-C."""
    from plugin.infra import migrate

    if not migrate.is_current():
        raise click.ClickException(
            "the database schema is not current: run `storechat db upgrade`")
    settings = current_app.config["STORECHAT"]
    commands = {
        "web": [sys.executable, "-m", "gunicorn", "--bind", f"{host}:{port}",
                "--workers", str(web_workers), "--worker-class", "gthread",
                "--threads", str(threads), "--graceful-timeout", "10",
                "--log-level", "warning", "--config", "python:plugin.infra.gunicorn_hooks",
                "plugin:create_app()"],
    }
    if embedded_worker:
        commands["worker"] = [sys.executable, "-m", "plugin.cli", "worker",
                              "--threads", str(worker_threads)]
    # gunicorn runs in its own process group, so a terminal's Ctrl-C reaches only this
    # supervisor, which stops it with one SIGTERM: signalled by the terminal (SIGINT) and by
    # its master (SIGQUIT) at once, a gthread worker can deadlock until it is SIGKILLed.
    groups = {"web": 0}
    stopping = _trap_stop_signals()
    # A `kill -9` of this supervisor runs none of its clean-up: the kernel then sends each
    # child SIGTERM (a graceful stop), so no gunicorn keeps answering with no worker behind
    # it and holding the port against the next `serve` (its workers watch it the same way).
    lifeline = partial(die_with_parent, os.getpid(), signal.SIGTERM)
    environment = child_environment(os.environ, host, port)
    children = {name: subprocess.Popen(cmd, env=environment, process_group=groups.get(name),
                                       preexec_fn=lifeline)
                for name, cmd in commands.items()}
    where = f"http://{host}:{port}/"
    setup_link = _first_run_link(where)
    transport = ("Cloud API" if settings.whatsapp_access_token
                 else "sandbox (nothing is really sent)")
    click.echo(
        f"\nStoreChat is running at {where}\n"
        f"  database: {settings.database_url.split('@')[-1]}\n"
        f"  queue:    {'SQLite (embedded)' if settings.embedded else 'Redis'}"
        f"{', embedded worker' if embedded_worker else ', no worker in this process group'}\n"
        f"  WhatsApp: {transport}\n"
        "Press Ctrl-C to stop.\n"
    )
    if setup_link:
        click.echo("No owner account yet. Create it with this one-time link (valid 24 hours):\n"
                   f"  {setup_link}\n")
    serving = Path(current_app.instance_path) / SERVING_URL_FILE
    serving.write_text(public_url(environment) + "\n")
    try:
        code = _supervise(children, stopping)
    finally:
        serving.unlink(missing_ok=True)
    sys.exit(code)


def public_url(environ: Mapping[str, str]) -> str:
    """Where browsers reach StoreChat: STORECHAT_PUBLIC_URL, else where serve listens."""
    return environ.get("STORECHAT_PUBLIC_URL", "").strip() or default_public_url(environ)


def serving_url(instance_path: str | Path) -> str | None:
    """The public URL of the `serve` running on this instance folder, if one is."""
    try:
        return (Path(instance_path) / SERVING_URL_FILE).read_text().strip() or None
    except OSError:
        return None


def child_environment(environ: Mapping[str, str], host: str, port: int) -> dict[str, str]:
    """The environment of serve's children: this one, plus where the web server listens, so
    that a public URL left unset follows `--port` in every process (config.default_public_url)
    instead of naming port 8000 in widget snippets, tracking links and connection keys."""
    return {**environ, "STORECHAT_HOST": host, "STORECHAT_PORT": str(port)}


def _first_run_link(base_url: str) -> str | None:
    """A one-time set-up link while no owner exists; StoreChat never has a default password."""
    from plugin.auth import accounts
    from plugin.infra import db

    with db.transaction() as session:
        if accounts.has_owner(session):
            return None
        token = accounts.new_setup_token(session)
    return f"{base_url.rstrip('/')}/setup?token={token}"


def _trap_stop_signals() -> dict[str, int | None]:
    """Record stop signals instead of dying, from before the first child starts."""
    stopping: dict[str, int | None] = {"signal": None}

    def on_signal(signum: int, _frame: object) -> None:
        stopping["signal"] = signum

    # SIGHUP: a closed terminal no longer reaches gunicorn's own group; stop it from here.
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, on_signal)
    return stopping


def _supervise(children: dict[str, subprocess.Popen[bytes]],
               stopping: dict[str, int | None]) -> int:
    """Wait until a signal arrives or a child dies; then stop every child. Exit code."""
    died = None
    while stopping["signal"] is None and died is None:
        died = next((name for name, p in children.items() if p.poll() is not None), None)
        time.sleep(0.2)
    if died:
        click.echo(f"storechat: the {died} process exited ({children[died].returncode}); stopping",
                   err=True)
    for process in children.values():
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for process in children.values():
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    click.echo("StoreChat stopped.")
    return 0 if died is None else 1

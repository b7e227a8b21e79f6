"""What both halves of `bench/send` share: the message they send, a fresh instance pointed at
the fake Graph API, a child process per step, and the sent times they count."""
from __future__ import annotations

import multiprocessing
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.storechat import environ_for, run_python, sqlite_url

API_VERSION = "v23.0"
LIMITED_PER_S = 80
AIM_TOLERANCE = 0.05
# "Off": a throughput no run here can reach, so the limiter never says no.
UNLIMITED_PER_S = 1_000_000


def body(to: str) -> dict[str, Any]:
    """An order-confirmation template, as the journeys send it."""
    from adapters.whatsapp import messages

    return messages.template(to, "order_confirmation", "en", body=["Ana", "#1001", "EUR 54.80"])


def in_child(target: Any, *args: Any) -> None:
    """Run target(*args) in a fresh process (own app, engine and limiter); raise if it fails."""
    process = multiprocessing.get_context("spawn").Process(target=target, args=args)
    process.start()
    process.join()
    if process.exitcode != 0:
        raise RuntimeError(f"{target.__name__} exited {process.exitcode}")


def fresh_instance(work: Path, name: str, graph_url: str) -> dict[str, str]:
    """A migrated SQLite instance whose WhatsApp Graph API is the fake."""
    folder = work / name
    folder.mkdir()
    environ = environ_for(folder, sqlite_url(folder))
    environ.update(WHATSAPP_GRAPH_URL=graph_url, WHATSAPP_API_VERSION=API_VERSION)
    run_python(["-m", "plugin.cli", "db", "upgrade"], environ)
    return environ


def sent_times(environ: dict[str, str]) -> tuple[list[datetime], dict[str, int]]:
    """Every sent_at, sorted, and the count of rows in each state."""
    os.environ.update(environ)
    from sqlalchemy import func, select

    from plugin import create_app
    from plugin.infra import db
    from plugin.models import Message

    app = create_app()
    with app.app_context():
        session = db.session()
        times = sorted(session.scalars(select(Message.sent_at).where(
            Message.sent_at.is_not(None))))
        states = dict(session.execute(select(Message.state, func.count()).group_by(
            Message.state)).all())
    app.extensions["storechat.engine"].dispose()
    return times, {str(k): int(v) for k, v in states.items()}

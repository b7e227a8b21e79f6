"""GET /healthz for load balancers: 200 only when the database takes a write and, where
jobs run in worker processes, a worker has beaten recently."""
from __future__ import annotations

from flask import Blueprint, Flask, current_app, jsonify
from flask.typing import ResponseReturnValue

from plugin.infra import db, heartbeat

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz() -> ResponseReturnValue:
    """200 {"status": "ok"}; 503 when a write fails or no worker beat within the staleness."""
    # A write, not a SELECT: a locked or read-only database still answers reads.
    heartbeat.beat("web")
    settings = current_app.config["STORECHAT"]
    if settings.queue_immediate:
        return jsonify(status="ok")  # jobs run inside the web process: no worker to wait for
    seen = heartbeat.last_seen("worker")
    if seen is None:
        return _unavailable("no worker has been seen yet: is `storechat worker` running?")
    age = int((db.utcnow() - seen).total_seconds())
    if age > settings.worker_stale_seconds:
        return _unavailable(f"no worker has been seen for {age} s "
                            f"(more than {settings.worker_stale_seconds} s)")
    return jsonify(status="ok")


def _unavailable(detail: str) -> ResponseReturnValue:
    return jsonify(error="Service Unavailable", detail=detail), 503


def init_app(app: Flask) -> None:
    """Register the health check."""
    app.register_blueprint(blueprint)

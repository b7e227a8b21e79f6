"""GET /healthz: 200 only when the database answers, for load balancers."""
from __future__ import annotations

from flask import Blueprint, Flask, jsonify
from flask.typing import ResponseReturnValue

from plugin.infra import db

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz() -> ResponseReturnValue:
    """200 {"status": "ok"} when the database answers; database errors answer 503."""
    db.ping()
    return jsonify(status="ok")


def init_app(app: Flask) -> None:
    """Register the health check."""
    app.register_blueprint(blueprint)

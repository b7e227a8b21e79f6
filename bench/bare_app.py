"""The baseline: a bare Flask app that answers 200 to any POST, served like StoreChat."""
from __future__ import annotations

from flask import Flask

app = Flask(__name__)


@app.post("/", defaults={"path": ""})
@app.post("/<path:path>")
def accept(path: str) -> tuple[str, int]:
    """Answer 200 without reading, verifying or storing anything."""
    return "ok", 200

"""gunicorn settings module for `storechat serve` (`--config python:plugin.infra.gunicorn_hooks`).

Only names that are gunicorn settings are read from here.
"""
from __future__ import annotations

import signal
from typing import Any

from plugin.infra.lifeline import die_with_parent


def post_fork(server: Any, _worker: Any) -> None:
    """In each new web worker: stop (SIGTERM, gracefully) if the gunicorn master dies."""
    die_with_parent(server.pid, signal.SIGTERM)

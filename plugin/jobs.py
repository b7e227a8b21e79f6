"""Huey jobs. Each takes a row id, runs inside an app context, and is safe to run twice."""
from __future__ import annotations

from typing import Any, Callable

from flask import Flask
from huey import Huey


def register(huey: Huey, app: Flask) -> dict[str, Any]:
    """Register StoreChat's jobs on `huey`, bound to `app`; returns them by name."""
    from plugin import processing, sending

    def bind(name: str, func: Callable[[int], None]) -> Any:
        def job(row_id: int) -> None:
            with app.app_context():
                func(row_id)

        job.__name__ = name
        return huey.task(name=name)(job)

    return {
        "process_event": bind("process_event", processing.process_event),
        "send_message": bind("send_message", sending.send_message),
    }

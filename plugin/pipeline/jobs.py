"""Huey jobs. Each takes a row id, runs inside an app context, and is safe to run twice."""
from __future__ import annotations

from typing import Any, Callable

from flask import Flask
from huey import Huey

from plugin.pipeline import cod_answers, order_notes, process, send, store_gateway
from plugin.platforms.whatsapp import templates


def register(huey: Huey, app: Flask) -> dict[str, Any]:
    """Register StoreChat's jobs on `huey`, bound to `app`; returns them by name."""
    def bind(name: str, func: Callable[[int], None], **retry: Any) -> Any:
        def job(row_id: int) -> None:
            with app.app_context():
                func(row_id)

        job.__name__ = name
        return huey.task(name=name, **retry)(job)

    return {
        "process_event": bind("process_event", process.process_event),
        "send_message": bind("send_message", send.send_message),
        # These call a store's admin; a passing failure raises and Huey retries with backoff.
        "cod_answer": bind("cod_answer", cod_answers.apply_answer, **cod_answers.JOB_RETRY),
        "audit_message": bind("audit_message", order_notes.note_message,
                              **store_gateway.JOB_RETRY),
        "sync_templates": bind("sync_templates", templates.sync_job),
    }

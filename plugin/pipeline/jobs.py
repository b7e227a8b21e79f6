"""Huey jobs. Each takes a row id, runs inside an app context, and is safe to run twice."""
from __future__ import annotations

from typing import Any, Callable

from flask import Flask
from huey import Huey


def register(huey: Huey, app: Flask) -> dict[str, Any]:
    """Register StoreChat's jobs on `huey`, bound to `app`; returns them by name."""
    from plugin.pipeline import cod_answers as cod
    from plugin.pipeline import order_notes as audit
    from plugin.pipeline import process as processing
    from plugin.pipeline import send as sending
    from plugin.platforms.whatsapp import number as whatsapp_account

    def bind(name: str, func: Callable[[int], None], **retry: Any) -> Any:
        def job(row_id: int) -> None:
            with app.app_context():
                func(row_id)

        job.__name__ = name
        return huey.task(name=name, **retry)(job)

    return {
        "process_event": bind("process_event", processing.process_event),
        "send_message": bind("send_message", sending.send_message),
        # These call a store's admin; a passing failure raises and Huey retries with backoff.
        "cod_answer": bind("cod_answer", cod.apply_answer, **cod.JOB_RETRY),
        "audit_message": bind("audit_message", audit.note_message, **audit.JOB_RETRY),
        "sync_templates": bind("sync_templates", whatsapp_account.sync_job),
    }

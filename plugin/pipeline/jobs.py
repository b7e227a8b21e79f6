"""Huey jobs. Each takes a row id, runs inside an app context, and is safe to run twice."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from huey import Huey

from plugin.infra.queue import Job
from plugin.pipeline import cod_answers, order_notes, process, send, store_gateway
from plugin.platforms.whatsapp import authoring, templates


def register(huey: Huey, app: Flask) -> dict[Job, Any]:
    """Register StoreChat's jobs on `huey`, bound to `app`; returns them by name."""
    def bind(name: Job, func: Callable[[int], None], **retry: Any) -> Any:
        def job(row_id: int) -> None:
            with app.app_context():
                func(row_id)

        job.__name__ = name.value
        return huey.task(name=name.value, **retry)(job)

    return {
        Job.PROCESS_EVENT: bind(Job.PROCESS_EVENT, process.process_event),
        Job.SEND_MESSAGE: bind(Job.SEND_MESSAGE, send.send_message),
        # These call a store's admin; a passing failure raises and Huey retries with backoff.
        Job.COD_ANSWER: bind(Job.COD_ANSWER, cod_answers.apply_answer,
                             **cod_answers.JOB_RETRY),
        Job.AUDIT_MESSAGE: bind(Job.AUDIT_MESSAGE, order_notes.note_message,
                                **store_gateway.JOB_RETRY),
        Job.SYNC_TEMPLATES: bind(Job.SYNC_TEMPLATES, templates.sync_job),
        Job.SANDBOX_TEMPLATE_REVIEW: bind(Job.SANDBOX_TEMPLATE_REVIEW,
                                          authoring.sandbox_review),
    }

"""Huey jobs. Each takes a row id, runs inside an app context, and is safe to run twice."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from huey import Huey, crontab

from plugin.infra.queue import Job, Periodic
from plugin.pipeline import (
    assistant_cancel,
    carts,
    cod_answers,
    order_notes,
    process,
    sandbox,
    send,
    store_gateway,
    sweep,
    tag_write_back,
)
from plugin.pipeline.campaigns import delivery as campaign_delivery
from plugin.pipeline.campaigns import runner as campaign_runner
from plugin.pipeline.catalog import runner as catalog
from plugin.pipeline.inbox import manage as inbox_manage
from plugin.pipeline.inbox import media as inbox_media
from plugin.pipeline.recovery import send as recovery_send
from plugin.platforms.whatsapp import authoring, templates


def register(huey: Huey, app: Flask) -> dict[Job, Any]:
    """Register StoreChat's jobs and periodic tasks on `huey`, bound to `app`; returns the
    jobs by name (periodic tasks are run by the consumers' scheduler, never enqueued)."""
    def bind(name: Job, func: Callable[[int], None], **retry: Any) -> Any:
        def job(row_id: int) -> None:
            with app.app_context():
                func(row_id)

        job.__name__ = name.value
        return huey.task(name=name.value, **retry)(job)

    def housekeeping() -> None:
        with app.app_context():
            sweep.housekeep()

    housekeeping.__name__ = Periodic.HOUSEKEEPING.value
    huey.periodic_task(crontab(minute=f"*/{sweep.HOUSEKEEPING_MINUTES}"),
                       name=Periodic.HOUSEKEEPING.value)(housekeeping)

    return {
        Job.PROCESS_EVENT: bind(Job.PROCESS_EVENT, process.process_event),
        Job.SEND_MESSAGE: bind(Job.SEND_MESSAGE, send.send_message),
        # These call a store's admin; a passing failure raises and Huey retries with backoff.
        Job.COD_ANSWER: bind(Job.COD_ANSWER, cod_answers.apply_answer,
                             **cod_answers.JOB_RETRY),
        Job.CART_CHECKOUT: bind(Job.CART_CHECKOUT, carts.checkout, **carts.JOB_RETRY),
        Job.AUDIT_MESSAGE: bind(Job.AUDIT_MESSAGE, order_notes.note_message,
                                **store_gateway.JOB_RETRY),
        Job.SYNC_TEMPLATES: bind(Job.SYNC_TEMPLATES, templates.sync_job),
        Job.SANDBOX_TEMPLATE_REVIEW: bind(Job.SANDBOX_TEMPLATE_REVIEW,
                                          authoring.sandbox_review),
        # The demo shopper's phone reporting back (plugin.pipeline.sandbox).
        Job.SANDBOX_DELIVERED: bind(Job.SANDBOX_DELIVERED, sandbox.report_delivered),
        Job.SANDBOX_READ: bind(Job.SANDBOX_READ, sandbox.report_read),
        # A claimed recovery step; a lost or failed job comes back when its claim lapses.
        Job.RECOVERY_STEP: bind(Job.RECOVERY_STEP, recovery_send.send_step),
        Job.CATALOG_SYNC: bind(Job.CATALOG_SYNC, catalog.run_sync),
        Job.CATALOG_SEND: bind(Job.CATALOG_SEND, catalog.send_due),
        Job.CATALOG_CHECK: bind(Job.CATALOG_CHECK, catalog.check_batch),
        # Calls the store's REST API; a passing failure raises and Huey retries with backoff.
        Job.CATALOG_PRODUCT: bind(Job.CATALOG_PRODUCT, catalog.read_product,
                                  **store_gateway.JOB_RETRY),
        # Calls the store's admin; a passing failure raises and Huey retries with backoff.
        Job.CUSTOMER_TAGS: bind(Job.CUSTOMER_TAGS, tag_write_back.write_back,
                                **store_gateway.JOB_RETRY),
        # One tick of a campaign's run; a lost or failed tick comes back when its lease lapses.
        Job.CAMPAIGN_RUN: bind(Job.CAMPAIGN_RUN, campaign_runner.run),
        Job.CAMPAIGN_SEND: bind(Job.CAMPAIGN_SEND, campaign_delivery.send_due),
        # Calls Meta; a passing failure raises and Huey retries (the row stays pending).
        Job.INBOX_MEDIA: bind(Job.INBOX_MEDIA, inbox_media.fetch, **inbox_media.JOB_RETRY),
        Job.INBOX_READ: bind(Job.INBOX_READ, inbox_manage.send_read_receipt),
        # Calls the store's admin; a passing failure raises and Huey retries with backoff.
        Job.ASSISTANT_CANCEL: bind(Job.ASSISTANT_CANCEL, assistant_cancel.cancel_order,
                                   **assistant_cancel.JOB_RETRY),
    }

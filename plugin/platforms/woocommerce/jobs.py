"""The WooCommerce jobs, registered on the app's Huey next to plugin.pipeline.jobs' ones."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask

from plugin.infra.queue import Job
from plugin.platforms.woocommerce import lifecycle, reconcile


def register(app: Flask) -> None:
    """Add `woocommerce_setup` and `woocommerce_reconcile` (each takes a store id)."""
    huey = app.extensions["storechat.huey"]
    jobs: dict[Job, Any] = app.extensions["storechat.jobs"]

    def bind(name: Job, func: Callable[[int], object]) -> Any:
        def job(store_id: int) -> None:
            with app.app_context():
                func(store_id)

        job.__name__ = name.value
        return huey.task(name=name.value)(job)

    jobs[Job.WOOCOMMERCE_SETUP] = bind(Job.WOOCOMMERCE_SETUP, lifecycle.setup)
    jobs[Job.WOOCOMMERCE_RECONCILE] = bind(Job.WOOCOMMERCE_RECONCILE, reconcile.reconcile)

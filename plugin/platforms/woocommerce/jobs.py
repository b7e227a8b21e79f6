"""The WooCommerce jobs, registered on the app's Huey next to plugin.pipeline.jobs' ones."""
from __future__ import annotations

from typing import Any, Callable

from flask import Flask

from plugin.platforms.woocommerce import lifecycle, reconcile


def register(app: Flask) -> None:
    """Add `woocommerce_setup` and `woocommerce_reconcile` (each takes a store id)."""
    huey = app.extensions["storechat.huey"]
    jobs: dict[str, Any] = app.extensions["storechat.jobs"]

    def bind(name: str, func: Callable[[int], object]) -> Any:
        def job(store_id: int) -> None:
            with app.app_context():
                func(store_id)

        job.__name__ = name
        return huey.task(name=name)(job)

    jobs["woocommerce_setup"] = bind("woocommerce_setup", lifecycle.setup)
    jobs["woocommerce_reconcile"] = bind("woocommerce_reconcile", reconcile.reconcile)

"""Webhook provisioning: list first, then create what is missing; each webhook gets its own
secret, kept in credentials["webhooks"][str(id)] for the receiver. Idempotent."""
from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

from flask import current_app

from adapters.woocommerce.client import Webhook, WooClient
from plugin.infra import db
from plugin.models import Store
from plugin.platforms.stores import credentials
from plugin.platforms.woocommerce.sites import update_credentials

log = logging.getLogger(__name__)

# What StoreChat listens to. Orders drive messages; products drive the catalog.
TOPICS = ("order.created", "order.updated", "order.deleted",
          "product.created", "product.updated", "product.deleted")


@dataclass(frozen=True, slots=True)
class ProvisionReport:
    """What one provisioning pass changed at the store."""

    created: int = 0
    reenabled: int = 0
    rekeyed: int = 0
    removed: int = 0


def delivery_url(store_key: str) -> str:
    """Where the store's webhooks deliver."""
    base = current_app.config["STORECHAT"].public_url.rstrip("/")
    return f"{base}/webhooks/woocommerce/{store_key}"


def provision(store_id: int, api: WooClient) -> ProvisionReport:
    """Make the store have exactly one active webhook per topic whose secret we know."""
    store = db.session().get(Store, store_id, populate_existing=True)
    if store is None:
        return ProvisionReport()
    target = delivery_url(store.key)
    known = {str(k): str(v) for k, v in credentials(store).get("webhooks", {}).items()}
    ours = [h for h in api.webhooks() if h.delivery_url == target]
    created = reenabled = rekeyed = removed = 0
    keep: dict[str, str] = {}
    for topic in TOPICS:
        mine = sorted((h for h in ours if h.topic == topic),
                      key=lambda h: (str(h.id) not in known, h.id))
        for extra in mine[1:]:  # duplicates from an interrupted run: one is enough
            api.delete(f"webhooks/{extra.id}", {"force": "true"})
            removed += 1
        hook = mine[0] if mine else None
        if hook is None:
            secret = _secret()
            made = api.post("webhooks", {"name": f"StoreChat {topic}", "topic": topic,
                                         "delivery_url": target, "secret": secret,
                                         "status": "active"})
            hook_id = str(made["id"])
            created += 1
        elif str(hook.id) not in known:
            # Listed secrets are write-only: a webhook we lost the secret of gets a new one.
            secret = _secret()
            api.put(f"webhooks/{hook.id}", {"secret": secret, "status": "active"})
            hook_id = str(hook.id)
            rekeyed += 1
        else:
            hook_id, secret = str(hook.id), known[str(hook.id)]
            if hook.status != "active":  # disabled after failed deliveries, or paused
                api.put(f"webhooks/{hook.id}", {"status": "active"})
                reenabled += 1
        keep[hook_id] = secret
        # Saved one at a time: a delivery may arrive as soon as the webhook exists.
        update_credentials(store_id, lambda v, i=hook_id, s=secret:
                           v.setdefault("webhooks", {}).__setitem__(i, s))
    update_credentials(store_id, lambda v: v.update(webhooks=keep))
    report = ProvisionReport(created, reenabled, rekeyed, removed)
    if report != ProvisionReport():
        log.info("woocommerce: store %s webhooks: %s", store_id, report)
    return report


def remove(store_id: int, api: WooClient) -> int:
    """Delete every webhook of ours at the store (force=true: they cannot be trashed)."""
    store = db.session().get(Store, store_id, populate_existing=True)
    if store is None:
        return 0
    target = delivery_url(store.key)
    hooks: list[Webhook] = [h for h in api.webhooks() if h.delivery_url == target]
    for hook in hooks:
        api.delete(f"webhooks/{hook.id}", {"force": "true"})
    return len(hooks)


def _secret() -> str:
    return secrets.token_urlsafe(32)

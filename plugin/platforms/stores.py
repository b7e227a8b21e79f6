"""Looking up stores and their secrets."""
from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import select

from plugin.infra import db
from plugin.models import Store


def by_key(key: str, platform: str | None = None) -> Store | None:
    """The store with this public key (and platform, if given), or None."""
    query = select(Store).where(Store.key == key)
    if platform:
        query = query.where(Store.platform == platform)
    return db.session().scalars(query).first()


def credentials(store: Store) -> dict[str, Any]:
    """The store's decrypted credentials document ({} when it has none)."""
    return json.loads(store.credentials) if store.credentials else {}


def set_credentials(store: Store, values: dict[str, Any]) -> None:
    """Replace the store's credentials; they are encrypted when the row is written."""
    store.credentials = json.dumps(values, sort_keys=True)


def webhook_secret(store: Store) -> bytes:
    """The secret the store's webhooks are signed with (b'' if none: nothing verifies)."""
    return str(credentials(store).get("webhook_secret", "")).encode()


# Receivers need a store's id and webhook secret on every delivery. Each process keeps them
# this long instead of a query and a decryption per request; a rotated secret or a removed
# store takes effect everywhere within this time.
TARGET_CACHE_SECONDS = 10.0
# Past this many entries the cache is emptied (a flood of made-up keys must not grow it).
TARGET_CACHE_SIZE = 10_000


@dataclass(frozen=True, slots=True)
class WebhookTarget:
    """What a webhook receiver needs to know about the store a delivery is for."""

    store_id: int
    key: str
    credentials: dict[str, Any]

    def secret(self, name: str) -> bytes:
        """A signing secret from the credentials (b'' when absent: nothing verifies)."""
        return str(self.credentials.get(name, "")).encode()


def webhook_target(key: str, platform: str, fresh: bool = False) -> WebhookTarget | None:
    """The store a webhook URL names, with its secrets (briefly cached unless `fresh`);
    None if unknown."""
    cache: dict[tuple[str, str], tuple[float, WebhookTarget | None]] = (
        current_app.extensions.setdefault("storechat.webhook_targets", {}))
    now = time.monotonic()
    hit = cache.get((key, platform))
    if not fresh and hit is not None and now - hit[0] < TARGET_CACHE_SECONDS:
        return hit[1]
    row = db.session().execute(
        select(Store.id, Store.credentials).where(Store.key == key, Store.platform == platform)
    ).first()
    target = None
    if row is not None:
        values = json.loads(row.credentials) if row.credentials else {}
        target = WebhookTarget(store_id=row.id, key=key, credentials=values)
    if len(cache) >= TARGET_CACHE_SIZE:
        cache.clear()
    cache[(key, platform)] = (now, target)
    return target


def new_secret() -> str:
    """A fresh random secret for signing webhooks."""
    return secrets.token_urlsafe(32)

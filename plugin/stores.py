"""Looking up stores and their secrets."""
from __future__ import annotations

import json
import secrets
from typing import Any

from sqlalchemy import select

from plugin import db
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


def new_secret() -> str:
    """A fresh random secret for signing webhooks."""
    return secrets.token_urlsafe(32)

"""The connection key a WooCommerce owner pastes into the StoreChat WordPress plugin.

Format: ``sc1.`` + base64url (no padding) of the JSON object
``{"url": StoreChat public URL, "store": store key, "secret": connection secret}``.
The WordPress plugin (widget/wordpress/storechat/includes/connection-key.php) parses it with
the same rules; keep the two in step.
"""
from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from adapters.json_body import loads
from plugin.domain.errors import PayloadError

PREFIX = "sc1."
# Far above a real key (~150 characters); stops a pasted novel before decoding it.
MAX_KEY_LENGTH = 2048
# The secret signs sign-in links and cart events, so a short one is refused.
MIN_SECRET_LENGTH = 16
MAX_SECRET_LENGTH = 256
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")
_STORE_KEY = re.compile(r"[A-Za-z0-9_-]{1,32}")
_PRINTABLE = re.compile(r"[\x21-\x7e]+")  # printable ASCII, no spaces


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectionKey:
    """What a connection key carries: where StoreChat is, which store, and the shared secret."""

    url: str
    store: str
    secret: str = field(repr=False)  # never in a log line or a traceback

    @property
    def webhook_url(self) -> str:
        """Where the plugin posts its signed cart and checkout events."""
        return f"{self.url}/webhooks/woocommerce/{self.store}"


def make_connection_key(public_url: str, store_key: str, secret: str) -> str:
    """The key to show a store owner; ValueError if any part would not parse back."""
    key = ConnectionKey(url=_clean_url(public_url), store=_clean_store(store_key),
                        secret=_clean_secret(secret))
    payload = json.dumps({"url": key.url, "store": key.store, "secret": key.secret},
                         separators=(",", ":")).encode()
    return PREFIX + base64.urlsafe_b64encode(payload).decode().rstrip("=")


def parse_connection_key(key: str) -> ConnectionKey:
    """The parts of a pasted connection key; ValueError saying what is wrong otherwise."""
    text = key.strip() if isinstance(key, str) else ""
    if not text:
        raise ValueError("The connection key is empty.")
    if len(text) > MAX_KEY_LENGTH:
        raise ValueError("The connection key is too long: copy it again from StoreChat.")
    if not text.startswith(PREFIX):
        raise ValueError("This is not a StoreChat connection key (it should start with 'sc1.').")
    encoded = text[len(PREFIX):]
    if not _BASE64URL.fullmatch(encoded) or len(encoded) % 4 == 1:
        raise ValueError("The connection key is damaged: copy it again from StoreChat.")
    try:
        raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        data = loads(raw.decode("utf-8"))
    except (binascii.Error, UnicodeDecodeError, PayloadError):
        raise ValueError("The connection key is damaged: copy it again from StoreChat.") from None
    if not isinstance(data, dict):
        raise ValueError("The connection key is damaged: copy it again from StoreChat.")
    fields = {name: data.get(name) for name in ("url", "store", "secret")}
    missing = [name for name, value in fields.items() if not isinstance(value, str) or not value]
    if missing:
        raise ValueError(f"The connection key has no {', '.join(missing)}.")
    return ConnectionKey(url=_clean_url(fields["url"]), store=_clean_store(fields["store"]),
                         secret=_clean_secret(fields["secret"]))


def _clean_url(url: str) -> str:
    url = url.strip()
    try:
        parts = urlsplit(url) if _PRINTABLE.fullmatch(url) else None
    except ValueError:  # e.g. an unclosed IPv6 bracket
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("The StoreChat URL in the connection key must be an http(s) URL.")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ValueError("The StoreChat URL in the connection key must be a plain base URL.")
    return url.rstrip("/")


def _clean_store(store_key: str) -> str:
    if not _STORE_KEY.fullmatch(store_key):
        raise ValueError("The store key in the connection key is not valid.")
    return store_key


def _clean_secret(secret: str) -> str:
    fits = MIN_SECRET_LENGTH <= len(secret) <= MAX_SECRET_LENGTH
    if not fits or not _PRINTABLE.fullmatch(secret):
        raise ValueError(f"The connection secret must be {MIN_SECRET_LENGTH}-{MAX_SECRET_LENGTH} "
                         "printable characters without spaces.")
    return secret

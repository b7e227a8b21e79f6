"""Where a message goes: the sandbox (recorded, never sent) or WhatsApp's Cloud API."""
from __future__ import annotations

import uuid
from typing import Any, Protocol

import httpx
from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from adapters.whatsapp.client import CloudClient
from plugin.models import Owner, Store, WhatsAppAccount


class Transport(Protocol):
    """Sends one Cloud API message body and returns its wamid."""

    name: str
    sender_id: str

    def send(self, payload: dict[str, Any]) -> str:
        """Send `payload`; return the wamid or raise a plugin.domain.errors.SendError."""

    def send_marketing(self, payload: dict[str, Any]) -> str:
        """Send a marketing template: through the Marketing Messages API where the number
        is onboarded, else as `send` does."""


class SandboxTransport:
    """Accepts every message without sending it: the body stays on the message row, and
    the admin shows it in the phone preview."""

    name = "sandbox"
    sender_id = "sandbox"

    def send(self, payload: dict[str, Any]) -> str:
        """Record nothing more than a fresh wamid; the caller stores the body."""
        return f"wamid.sandbox.{uuid.uuid4().hex}"

    def send_marketing(self, payload: dict[str, Any]) -> str:
        """As `send`: the sandbox has one way in."""
        return self.send(payload)


class CloudTransport:
    """Sends through the Cloud API from one phone number."""

    name = "cloud"

    def __init__(self, client: CloudClient, phone_number_id: str, token: str, *,
                 marketing_api: bool = False) -> None:
        self._client = client
        self._token = token
        self.sender_id = phone_number_id
        self.marketing_api = marketing_api

    def send(self, payload: dict[str, Any]) -> str:
        """POST the body to /<phone number id>/messages."""
        return self._client.send_message(self.sender_id, self._token, payload)

    def send_marketing(self, payload: dict[str, Any]) -> str:
        """POST a marketing template to /<phone number id>/marketing_messages when the
        number is onboarded to the Marketing Messages API, else to /messages."""
        if self.marketing_api:
            return self._client.send_marketing_message(self.sender_id, self._token, payload)
        return self.send(payload)


def cloud_client() -> CloudClient:
    """This process's Cloud API client: one pooled httpx client for every store's number."""
    extensions = current_app.extensions
    if "storechat.cloud" not in extensions:
        settings = current_app.config["STORECHAT"]
        http = httpx.Client(limits=httpx.Limits(max_connections=50))
        extensions["storechat.cloud"] = CloudClient(
            http, settings.whatsapp_graph_url, settings.whatsapp_api_version
        )
    return extensions["storechat.cloud"]


def for_account(session: Session, account: WhatsAppAccount | None, store: Store,
                client: CloudClient | None = None) -> Transport:
    """The transport for a store's number: the Cloud API when it has a token, else the
    installation's default number where it serves the store, else the sandbox. `client`
    replaces this process's shared Cloud API client (the batch engine's HTTP/2 one)."""
    if account is not None and account.access_token:
        return CloudTransport(client or cloud_client(), account.phone_number_id,
                              account.access_token,
                              marketing_api=account.marketing_messages_api)
    settings = current_app.config["STORECHAT"]
    if default_number_serves(session, store):
        return CloudTransport(client or cloud_client(), settings.whatsapp_phone_number_id,
                              settings.whatsapp_access_token)
    return SandboxTransport()


def default_number_serves(session: Session, store: Store) -> bool:
    """Whether the installation's default number (WHATSAPP_* settings) may send for `store`.

    It is the installation's own number, for a single-store self-hosted install: it serves a
    real store of the first owner (the account made with the set-up link) or one no owner
    account holds (a Shopify install). Never the demo store, and never a store of an owner
    invited later, who would otherwise send from, and see the templates of, someone else's
    number: they connect their own.
    """
    settings = current_app.config["STORECHAT"]
    if store.platform == "demo" or not (settings.whatsapp_access_token
                                        and settings.whatsapp_phone_number_id):
        return False
    if store.owner_id is None:
        return True
    return store.owner_id == session.scalar(select(func.min(Owner.id)))

"""A store's WhatsApp number: connecting it, verified with Meta and its webhooks subscribed.

Nothing is saved for a number Meta does not confirm: `connect_number` raises `NumberConnectError`
with a sentence the admin form shows next to the field at fault. Its templates are kept in
step by `plugin.platforms.whatsapp.templates`.
"""
from __future__ import annotations

import logging
import re

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from adapters.whatsapp.client import CloudClient, PhoneNumberInfo
from plugin.domain.errors import AccountError, NumberConnectError, PermanentError, SendError
from plugin.infra import db
from plugin.models import Store, WhatsAppAccount
from plugin.pipeline.transports import cloud_client, default_number_serves

log = logging.getLogger(__name__)

# Messages per second Meta allows by throughput level (Cloud API "Throughput" page).
THROUGHPUT_MPS = {"STANDARD": 80, "HIGH": 1000}
# Graph object ids are digits; anything else never reaches a URL path.
_GRAPH_ID = re.compile(r"[0-9]{5,32}")
_TOKEN = re.compile(r"[A-Za-z0-9_\-.|]{20,2048}")
# A store without a token gets a sandbox catalog with this id prefix (whatsapp.catalog).
SANDBOX_CATALOG_PREFIX = "sandbox-"


def client() -> CloudClient:
    """The process's shared Cloud API client (the one sends use)."""
    return cloud_client()


# Connecting ---------------------------------------------------------------------------------

def connect_number(session: Session, store: Store, phone_number_id: str, waba_id: str,
                   token: str, api: CloudClient | None = None) -> WhatsAppAccount:
    """Verify the number with Meta, subscribe the app to the WABA, then save the account
    (token encrypted). Raises NumberConnectError, saving nothing, when any step fails."""
    phone_number_id, waba_id, token = phone_number_id.strip(), waba_id.strip(), token.strip()
    if store.platform == "demo":
        raise NumberConnectError("The demo store only sends to the sandbox preview; connect a "
                           "number to one of your real stores instead.")
    if not _GRAPH_ID.fullmatch(phone_number_id):
        raise NumberConnectError("Enter the Phone number ID from WhatsApp Manager (API Setup): a "
                           "long number, not the phone number itself.", "phone_number_id")
    if not _GRAPH_ID.fullmatch(waba_id):
        raise NumberConnectError("Enter the WhatsApp Business Account ID: a long number shown "
                           "next to the phone number in API Setup.", "waba_id")
    if not _TOKEN.fullmatch(token):
        raise NumberConnectError("Paste the whole access token (it starts with EAA and has no "
                           "spaces).", "access_token")
    taken = session.scalars(select(WhatsAppAccount).where(
        WhatsAppAccount.phone_number_id == phone_number_id,
        WhatsAppAccount.store_id != store.id)).first()
    if taken is not None:
        raise NumberConnectError("This number is already connected to another store.",
                           "phone_number_id")
    api = api or client()
    info = _verify(api, phone_number_id, token)
    _subscribe(api, waba_id, token)
    account = session.scalars(select(WhatsAppAccount).where(
        WhatsAppAccount.store_id == store.id).order_by(WhatsAppAccount.id)).first()
    if account is None:
        account = WhatsAppAccount(store_id=store.id, phone_number_id=phone_number_id)
        session.add(account)
    if account.phone_number_id != phone_number_id or account.waba_id != waba_id:
        account.templates_synced_at = None  # another number's templates: sync afresh
    if (account.catalog_id or "").startswith(SANDBOX_CATALOG_PREFIX):
        # The sandbox catalog was never Meta's: the real WABA's catalog is connected anew.
        account.catalog_id, account.catalog_name, account.catalog_connected_at = None, "", None
        account.catalog_visible = account.cart_enabled = False
    account.phone_number_id = phone_number_id
    account.waba_id = waba_id
    account.access_token = token
    account.needs_reauth = False
    account.subscribed_at = db.utcnow()
    _apply_info(account, info)
    session.flush()
    return account


def _verify(api: CloudClient, phone_number_id: str, token: str) -> PhoneNumberInfo:
    try:
        return api.phone_number_info(phone_number_id, token)
    except AccountError:
        raise NumberConnectError("WhatsApp did not accept this access token: it may be mistyped, "
                           "expired or revoked. Create a permanent token for a system user "
                           "with the whatsapp_business_messaging and "
                           "whatsapp_business_management permissions and paste it again.",
                           "access_token") from None
    except PermanentError:
        raise NumberConnectError("WhatsApp could not find this Phone number ID with this token. "
                           "Check it in WhatsApp Manager → API Setup, and that the token's "
                           "system user has access to the number.", "phone_number_id") from None
    except SendError as error:
        raise NumberConnectError(f"WhatsApp did not answer ({error.reason}); try again in a "
                           "minute.") from None


def _subscribe(api: CloudClient, waba_id: str, token: str) -> None:
    try:
        api.subscribe_app(waba_id, token)
    except PermanentError:
        raise NumberConnectError("The number was found, but this token cannot manage that "
                           "WhatsApp Business Account ID. Check the ID and that the token "
                           "has whatsapp_business_management.", "waba_id") from None
    except SendError as error:
        raise NumberConnectError("WhatsApp did not subscribe StoreChat to the account's messages "
                           f"({error.reason}); try again in a minute.") from None


def _apply_info(account: WhatsAppAccount, info: PhoneNumberInfo) -> None:
    account.display_phone = info.display_phone_number[:32]
    account.verified_name = info.verified_name[:255]
    account.quality_rating = info.quality_rating[:20]
    if info.throughput_level in THROUGHPUT_MPS:
        account.throughput_mps = THROUGHPUT_MPS[info.throughput_level]


def installation_account(store: Store) -> WhatsAppAccount | None:
    """The installation's default number (WHATSAPP_* settings) as an unsaved account, for a
    real store without its own number that the default serves (transports.
    default_number_serves); None otherwise."""
    if not default_number_serves(db.session(), store):
        return None
    settings = current_app.config["STORECHAT"]
    return WhatsAppAccount(store_id=store.id, phone_number_id=settings.whatsapp_phone_number_id,
                           waba_id=settings.whatsapp_waba_id,
                           access_token=settings.whatsapp_access_token)

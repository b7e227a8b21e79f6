"""A store's Meta catalog: connected to its WhatsApp Business Account, shown on its number.

Meta allows one catalog per WABA, so `connect_catalog` uses the catalog the WABA already
has; otherwise it connects one the WABA's business owns (chosen by the owner) or creates one
named after the store. It then turns on the number's catalog and cart
(whatsapp_commerce_settings), records the catalog on the store's WhatsAppAccount and asks
for a first full sync. Every refusal is a CatalogConnectError in plain words, nothing saved.

Without a WhatsApp token (the sandbox transport) the store gets a **sandbox catalog**
("sandbox-<store id>", "<store name> (sandbox)") on a token-less account row named like the
sandbox's pretend number, so the whole catalog flow can be tried on `make run`; the sync's
sandbox gateway answers its batches in process. Connecting a real number later forgets it
(number.connect_number).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from adapters.whatsapp.catalog import INVALID_TOKEN, CatalogApi, RemoteCatalog
from plugin.domain.errors import CatalogConnectError, CatalogError
from plugin.infra import db
from plugin.models import Store, WhatsAppAccount
from plugin.pipeline import sandbox
from plugin.pipeline.catalog.items import catalog_changed
from plugin.pipeline.catalog.requests import request_sync
from plugin.pipeline.transports import cloud_client, default_number_serves
from plugin.platforms.whatsapp.number import SANDBOX_CATALOG_PREFIX

# Meta's limit on a catalog's name is generous; ours keeps it readable in Commerce Manager.
CATALOG_NAME_LIMIT = 100
SANDBOX_SUFFIX = " (sandbox)"


@dataclass(frozen=True)
class CatalogOptions:
    """What the owner may connect: the WABA's catalog if it has one, else the business's."""

    sandbox: bool
    connected: RemoteCatalog | None = None
    available: list[RemoteCatalog] = field(default_factory=list)


def api() -> CatalogApi:
    """Catalog calls over this process's shared Cloud API client."""
    return CatalogApi(cloud_client())


def account_of(session: Session, store: Store) -> WhatsAppAccount | None:
    """The store's account row (its own number, or its sandbox catalog's), if any."""
    return session.scalars(select(WhatsAppAccount).where(
        WhatsAppAccount.store_id == store.id).order_by(WhatsAppAccount.id)).first()


def is_sandbox(account: WhatsAppAccount | None) -> bool:
    """Whether the account has no token, so its catalog is the sandbox's."""
    return account is None or not account.access_token


def options(session: Session, store: Store, catalogs: CatalogApi | None = None
            ) -> CatalogOptions:
    """The catalogs the owner may pick from (none to pick in the sandbox)."""
    account = _cloud_account(session, store)
    if account is None:
        return CatalogOptions(sandbox=True)
    if account.needs_reauth:
        raise CatalogConnectError("Connect the number again with a new access token first.")
    catalogs = catalogs or api()
    token = str(account.access_token)
    try:
        connected = catalogs.waba_catalogs(account.waba_id, token)
        if connected:
            return CatalogOptions(sandbox=False, connected=connected[0])
        business = catalogs.owner_business(account.waba_id, token)
        return CatalogOptions(sandbox=False,
                              available=catalogs.business_catalogs(business, token))
    except CatalogError as error:
        raise _refusal(account, error, flag=False, doing="list your catalogs") from None


def connect_catalog(session: Session, store: Store, catalog_id: str = "",
                    catalogs: CatalogApi | None = None) -> WhatsAppAccount:
    """Connect the WABA's catalog, the business catalog `catalog_id`, or (when '') a new one
    named after the store; show it and the cart on the number; record it and queue a first
    full sync. CatalogConnectError (nothing saved) when Meta or the choice says no."""
    account = _cloud_account(session, store)
    before = _connected_catalog_id(session, store)
    if account is None:
        account = _sandbox_catalog(session, store)
    else:
        catalogs = catalogs or api()
        try:
            chosen = _choose(session, account, catalogs, catalog_id.strip(), _name(store))
            catalogs.set_commerce_settings(account.phone_number_id, str(account.access_token),
                                           catalog_visible=True, cart_enabled=True)
        except CatalogError as error:
            raise _refusal(account, error) from None
        account.catalog_id, account.catalog_name = chosen.id, chosen.name[:255]
        account.catalog_visible = account.cart_enabled = True
    account.catalog_connected_at = db.utcnow()
    session.flush()
    if account.catalog_id != before:
        # Nothing of ours is in the new catalog yet: every listable item goes to it.
        catalog_changed(session, store)
    request_sync(session, store, trigger="connect")
    return account


def _connected_catalog_id(session: Session, store: Store) -> str | None:
    """The catalog the store's items were last sent to, if any."""
    return session.scalars(select(WhatsAppAccount.catalog_id).where(
        WhatsAppAccount.store_id == store.id, WhatsAppAccount.catalog_id.is_not(None))
        .order_by(WhatsAppAccount.id).limit(1)).first()


def set_commerce(session: Session, store: Store, *, catalog_visible: bool, cart_enabled: bool,
                 catalogs: CatalogApi | None = None) -> WhatsAppAccount:
    """Show or hide the catalog and the cart on the store's number."""
    account = account_of(session, store)
    if account is None or not account.catalog_id:
        raise CatalogConnectError("Connect a catalog first.")
    if not is_sandbox(account):
        try:
            (catalogs or api()).set_commerce_settings(
                account.phone_number_id, str(account.access_token),
                catalog_visible=catalog_visible, cart_enabled=cart_enabled)
        except CatalogError as error:
            raise _refusal(account, error, doing="change the number's catalog settings") \
                from None
    account.catalog_visible, account.cart_enabled = catalog_visible, cart_enabled
    session.flush()
    return account


def _cloud_account(session: Session, store: Store) -> WhatsAppAccount | None:
    """The store's own number with a token; None means the sandbox catalog. A store that
    sends through the installation's default number must connect its own first: the
    default WABA's one catalog is not this store's to take."""
    account = account_of(session, store)
    if account is not None and account.access_token:
        return account
    if default_number_serves(session, store):
        raise CatalogConnectError(
            "This store sends from the installation's default WhatsApp number, whose "
            "catalog belongs to whoever runs StoreChat. Connect the store's own number "
            "first, then its catalog.")
    return None


def _choose(session: Session, account: WhatsAppAccount, catalogs: CatalogApi,
            catalog_id: str, name: str) -> RemoteCatalog:
    token = str(account.access_token)
    connected = catalogs.waba_catalogs(account.waba_id, token)
    if connected:
        current = connected[0]
        if catalog_id and catalog_id != current.id:
            shown = current.name or current.id
            raise CatalogConnectError(
                f"This WhatsApp Business Account already has the catalog “{shown}” "
                "connected, and Meta allows one catalog per account. Use it, or disconnect "
                "it in Meta's Commerce Manager first.")
        chosen = current
    else:
        business = catalogs.owner_business(account.waba_id, token)
        if catalog_id:
            owned = {c.id: c for c in catalogs.business_catalogs(business, token)}
            if catalog_id not in owned:
                raise CatalogConnectError("That catalog is not one your Meta business owns; "
                                          "pick one from the list or create a new one.")
            chosen = owned[catalog_id]
        else:
            chosen = catalogs.create_catalog(business, token, name)
        catalogs.connect_catalog(account.waba_id, token, chosen.id)
    _refuse_shared(session, account, chosen.id)
    return chosen


def _refuse_shared(session: Session, account: WhatsAppAccount, catalog_id: str) -> None:
    """Two stores writing one catalog would delete each other's items as orphans."""
    other = session.scalars(select(WhatsAppAccount.store_id).where(
        WhatsAppAccount.catalog_id == catalog_id,
        WhatsAppAccount.store_id != account.store_id)).first()
    if other is not None:
        raise CatalogConnectError("Another StoreChat store already syncs into this catalog; "
                                  "each store needs its own WhatsApp Business Account and "
                                  "catalog.")


def _sandbox_catalog(session: Session, store: Store) -> WhatsAppAccount:
    account = account_of(session, store)
    if account is None:
        account = WhatsAppAccount(store_id=store.id, phone_number_id=sandbox.number_for(store))
        session.add(account)
    account.catalog_id = f"{SANDBOX_CATALOG_PREFIX}{store.id}"
    account.catalog_name = (_name(store) + SANDBOX_SUFFIX)[:255]
    account.catalog_visible = account.cart_enabled = True
    return account


def _name(store: Store) -> str:
    return (store.name or store.domain or f"Store {store.id}").strip()[:CATALOG_NAME_LIMIT]


def _refusal(account: WhatsAppAccount, error: CatalogError, flag: bool = True,
             doing: str = "connect the catalog") -> CatalogConnectError:
    """Meta's refusal in plain words; an invalid token also flags the number (`flag`: not
    when only reading, as a page view does)."""
    if error.code == INVALID_TOKEN:
        account.needs_reauth = account.needs_reauth or flag
        return CatalogConnectError("WhatsApp no longer accepts this number's access token. "
                                   "Connect the number again with a new token, then the "
                                   "catalog.")
    return CatalogConnectError(f"Meta did not {doing}: {error.reason}")

"""What the `storechat stores` commands do."""
from __future__ import annotations

import click
from sqlalchemy import select

from plugin.infra import db
from plugin.models import Store, WhatsAppAccount


def list_stores() -> None:
    """Print one line per store: id, platform, status, key, domain, WhatsApp number."""
    session = db.session()
    stores = list(session.scalars(select(Store).order_by(Store.id)))
    if not stores:
        click.echo("no stores yet: open StoreChat in a browser to connect one or try the demo")
        return
    for store in stores:
        numbers = ", ".join(a.phone_number_id for a in store.whatsapp_accounts) or "sandbox"
        click.echo(f"{store.id:>4}  {store.platform:<12} {store.status:<17} {store.key}  "
                   f"{store.domain}  whatsapp: {numbers}")


def connect_whatsapp(store_key: str, phone_number_id: str, waba_id: str, token: str,
                     throughput: int) -> None:
    """Attach (or update) a store's WhatsApp number and its encrypted token."""
    with db.transaction() as session:
        store = session.scalars(select(Store).where(Store.key == store_key)).first()
        if store is None:
            raise click.ClickException(
                f"no store has the key {store_key!r} (see `storechat stores list`)")
        account = session.scalars(
            select(WhatsAppAccount).where(WhatsAppAccount.phone_number_id == phone_number_id)
        ).first()
        if account is not None and account.store_id != store.id:
            raise click.ClickException("that phone number id is connected to another store")
        if account is None:
            account = WhatsAppAccount(store_id=store.id, phone_number_id=phone_number_id)
            session.add(account)
        account.waba_id = waba_id
        account.access_token = token
        account.throughput_mps = throughput
        account.needs_reauth = False
    click.echo(f"WhatsApp number {phone_number_id} connected to {store.domain}")

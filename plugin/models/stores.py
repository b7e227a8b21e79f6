"""Stores (a Shopify shop, a WooCommerce site, the demo store) and their WhatsApp numbers."""
from __future__ import annotations

import enum
import secrets
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from plugin.infra.crypto import EncryptedText
from plugin.infra.db import utcnow
from plugin.models.base import Base


class StoreStatus(str, enum.Enum):
    """Where a store stands with StoreChat; only ACTIVE stores get messages sent."""

    ACTIVE = "active"
    RECONNECT_NEEDED = "reconnect-needed"
    UNINSTALLED = "uninstalled"


def new_store_key() -> str:
    """A public, unguessable key that names a store in webhook and widget URLs."""
    return secrets.token_urlsafe(12)


class Store(Base):
    """One connected store; its credentials are encrypted at rest."""

    __tablename__ = "stores"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(32), unique=True, default=new_store_key)
    platform: Mapped[str] = mapped_column(String(20))  # shopify | woocommerce | demo
    # The signed-in owner who manages it; Shopify stores are reached through App Home instead.
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("owners.id", ondelete="SET NULL"), index=True
    )
    domain: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255), default="")
    status: Mapped[str] = mapped_column(String(20), default=StoreStatus.ACTIVE.value)
    country: Mapped[str | None] = mapped_column(String(2))
    currency: Mapped[str | None] = mapped_column(String(3))
    timezone: Mapped[str | None] = mapped_column(String(64))
    locale: Mapped[str | None] = mapped_column(String(16))
    # Platform credentials: Shopify access/refresh tokens, WooCommerce consumer key/secret,
    # the demo store's webhook secret. A JSON document, encrypted as one value.
    credentials: Mapped[str | None] = mapped_column(EncryptedText)
    access_expires_at: Mapped[datetime | None]
    refresh_expires_at: Mapped[datetime | None]
    # While set and in the future, one worker is refreshing this store's access token and
    # the others wait for it (plugin.platforms.shopify.tokens): a refresh token works only once.
    token_lease_until: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    uninstalled_at: Mapped[datetime | None]
    # An order within this many days after a cart recovery message counts as recovered.
    recovery_attribution_days: Mapped[int] = mapped_column(default=7, server_default="7")
    # A back-in-stock or price-drop subscription lapses this many days after it was made.
    alert_expiry_days: Mapped[int] = mapped_column(default=90, server_default="90")
    # The smallest price fall, in percent, that alerts (plugin.domain.price_drops).
    price_drop_percent: Mapped[int] = mapped_column(default=5, server_default="5")
    # Marketing limits (plugin.domain.policy): per customer and rolling week; for customers
    # tagged at_risk, `at_risk_cap` per `at_risk_cap_days`; quiet hours [start, end) local.
    marketing_weekly_cap: Mapped[int] = mapped_column(default=2, server_default="2")
    at_risk_cap: Mapped[int] = mapped_column(default=1, server_default="1")
    at_risk_cap_days: Mapped[int] = mapped_column(default=10, server_default="10")
    quiet_start_hour: Mapped[int] = mapped_column(default=21, server_default="21")
    quiet_end_hour: Mapped[int] = mapped_column(default=9, server_default="9")
    # Last-touch revenue attribution (plugin.domain.attribution): an order counts for the
    # message its customer clicked within `attribution_click_days`, or read within
    # `attribution_read_hours`, before placing it.
    attribution_click_days: Mapped[int] = mapped_column(default=5, server_default="5")
    attribution_read_hours: Mapped[int] = mapped_column(default=12, server_default="12")
    # The share of cart sequences, in percent, held out of cart recovery to measure its lift.
    recovery_holdout_percent: Mapped[int] = mapped_column(default=0, server_default="0")

    whatsapp_accounts: Mapped[list[WhatsAppAccount]] = relationship(back_populates="store")

    __table_args__ = (
        # One row per Shopify shop, even when two first loads of App Home race.
        Index("uq_stores_shopify_domain", "domain", unique=True,
              sqlite_where=text("platform = 'shopify'"),
              postgresql_where=text("platform = 'shopify'")),
    )

    @property
    def active(self) -> bool:
        """True when messages may be sent for this store."""
        return self.status == StoreStatus.ACTIVE.value


class WhatsAppAccount(Base):
    """A WhatsApp Business phone number connected to a store."""

    __tablename__ = "whatsapp_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("stores.id", ondelete="CASCADE"), index=True)
    phone_number_id: Mapped[str] = mapped_column(String(64), unique=True)
    waba_id: Mapped[str] = mapped_column(String(64), default="")
    display_phone: Mapped[str] = mapped_column(String(32), default="")
    access_token: Mapped[str | None] = mapped_column(EncryptedText)
    catalog_id: Mapped[str | None] = mapped_column(String(64))
    catalog_name: Mapped[str] = mapped_column(String(255), default="")
    # The number shows the catalog (storefront icon, product messages) and takes carts.
    catalog_visible: Mapped[bool] = mapped_column(default=False)
    cart_enabled: Mapped[bool] = mapped_column(default=False)
    catalog_connected_at: Mapped[datetime | None]
    # Meta throttled this catalog's calls (X-Business-Use-Case-Usage): wait until then.
    catalog_throttled_until: Mapped[datetime | None]
    # Messages per second Meta allows this number (80 by default, up to 1,000 when upgraded).
    throughput_mps: Mapped[int] = mapped_column(default=80)
    needs_reauth: Mapped[bool] = mapped_column(default=False)
    # Onboarded to Meta's Marketing Messages API: marketing templates go to its endpoint.
    marketing_messages_api: Mapped[bool] = mapped_column(default=False, server_default=false())
    # What Meta told us when the number was connected and verified.
    verified_name: Mapped[str] = mapped_column(String(255), default="")
    quality_rating: Mapped[str] = mapped_column(String(20), default="")
    subscribed_at: Mapped[datetime | None]  # the app was subscribed to the WABA's webhooks
    templates_synced_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    store: Mapped[Store] = relationship(back_populates="whatsapp_accounts")

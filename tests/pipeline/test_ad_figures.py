"""Click-to-WhatsApp ads, through signed webhooks: the shopper's first message from an ad
counts one conversation for it (a second message, or a second ad later, does not), and the
shopper's orders count for that ad once each, taken back out when cancelled."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from plugin.infra import db
from plugin.pipeline import ad_figures
from tests.pipeline.test_recovery_send import Clock
from tests.worlds.attribution import ads, from_ad
from tests.worlds.recovery_rows import RecoveryWorld, running_world, shopify_order

T = datetime(2026, 11, 20, 12)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    now = Clock(T)
    monkeypatch.setattr(db, "utcnow", now)
    return now


@pytest.fixture
def world(tmp_path: Path, clock: Clock) -> Iterator[RecoveryWorld]:
    yield from running_world(tmp_path)


def test_an_ads_conversations_and_orders(world: RecoveryWorld, clock: Clock) -> None:
    from_ad(world, "AD-1", "Linen week", T - timedelta(hours=2))
    from_ad(world, "AD-1", "Linen week", T - timedelta(hours=1))  # the same shopper again
    from_ad(world, "AD-2", "Belts", T - timedelta(minutes=30))  # remembered: the first ad
    from_ad(world, "AD-1", "Linen week", T - timedelta(minutes=20), wa_id="351911111111")
    assert ads(world) == {("AD-1", ""): (2, 0, 0)}
    clock.now = T
    assert world.shopify("orders/create", shopify_order(), event_id="o-1") == 200
    assert world.shopify("orders/create", shopify_order(), event_id="o-1") == 200
    assert world.shopify("orders/paid", shopify_order()) == 200
    assert ads(world) == {("AD-1", ""): (2, 0, 0), ("AD-1", "EUR"): (0, 1, 398_000)}
    with world.app.app_context():
        [ad] = ad_figures.figures(db.session(), world.shop_id, T.date(), T.date())
    assert (ad.source_id, ad.source_type, ad.headline, ad.conversations, ad.orders) == (
        "AD-1", "ad", "Linen week", 2, 1)
    assert {c: str(v) for c, v in ad.revenue.items()} == {"EUR": "398.00"}

    assert world.shopify("orders/cancelled", shopify_order(
        cancelled_at="2026-11-21T12:00:00Z")) == 200
    assert ads(world)[("AD-1", "EUR")] == (0, 0, 0)


def test_a_customer_without_an_ad_counts_for_none(world: RecoveryWorld) -> None:
    assert world.shopify("orders/create", shopify_order()) == 200
    assert ads(world) == {}


def test_the_backfill_recounts_the_same_figures(world: RecoveryWorld, clock: Clock) -> None:
    from_ad(world, "AD-1", "Linen week", T - timedelta(hours=2))
    clock.now = T
    assert world.shopify("orders/create", shopify_order()) == 200
    assert world.shopify("orders/create", shopify_order(id=5, name="#1002",
                                                        cancelled_at="2026-11-20T13:00:00Z")
                         ) == 200
    live = ads(world)
    assert live == {("AD-1", ""): (1, 0, 0), ("AD-1", "EUR"): (0, 1, 398_000)}
    for _ in range(2):  # a repair run replaces, never adds
        with world.app.app_context(), db.transaction() as session:
            assert ad_figures.backfill(session, world.shop_id) == 1
        assert ads(world) == live


def test_a_partial_refund_keeps_the_ads_order(world: RecoveryWorld, clock: Clock) -> None:
    from_ad(world, "AD-1", "Linen week", T - timedelta(hours=2))
    clock.now = T
    assert world.shopify("orders/create", shopify_order()) == 200
    refund = {"id": 1, "order_id": shopify_order()["id"], "refund_line_items": [],
              "transactions": [{"kind": "refund", "status": "success", "amount": "100.00",
                                "currency": "EUR"}]}
    assert world.shopify("refunds/create", refund) == 200
    assert ads(world)[("AD-1", "EUR")] == (0, 1, 398_000)

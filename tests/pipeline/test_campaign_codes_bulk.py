"""Many unique campaign codes at a Shopify store, in bulk, over the fake Admin GraphQL:
one discount made with the first code, the others added to it by `discountRedeemCodeBulkAdd`
in calls of at most 250 whose jobs are read until done; each code made once — not again by
a second run, nor after a crash that lost our record of a finished job; a full discount
makes the codes beyond it go on another; a code taken by someone else's discount is an error.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select, update

from plugin.domain.outbox import MessageState
from plugin.infra import db
from plugin.models import Campaign, CampaignCode, Message, Store
from plugin.pipeline.campaigns import codes, links
from plugin.platforms import discount_batches, discounts
from plugin.platforms.shopify import shops
from tests.fakes.shopify import FakeShopify
from tests.pipeline.test_campaign_codes import _shopify_store, _start
from tests.worlds import campaigns as world
from tests.worlds.shopify import SHOP

UNIQUE = {"mode": "unique", "percent": 15, "hours": 24}


def unique_campaign(app: Flask, recipients: int) -> tuple[int, world.World]:
    w = world.build(app, store_id=_shopify_store(app), reachable=recipients, unreachable=0)
    return world.create(app, w, discount=UNIQUE), w


def discounts_made(shopify: FakeShopify) -> dict[str, set[str]]:
    """Each discount the fake shop holds (by id) with all of its codes."""
    ids = {row["id"] for row in shopify.discounts.codes[SHOP].values()}
    return {i: shopify.discounts.discount_codes(SHOP, i) for i in ids}


def test_many_unique_codes_go_in_bulk_once_each_before_any_send(
        shop_app: Flask, fake: tuple[FakeShopify, str]) -> None:
    shopify, _ = fake
    campaign_id, w = unique_campaign(shop_app, 600)
    _start(shop_app, campaign_id)
    expected = {codes.code_for(campaign_id, c) for c in w.reachable}
    # One discount (its first code), then 599 codes in calls of 250, 250 and 99.
    assert shopify.discounts.creates == 1
    assert shopify.discounts.bulk_adds == [250, 250, 99]
    [(discount, held)] = discounts_made(shopify).items()
    assert held == expected
    [made] = shopify.discounts.codes[SHOP].values()
    assert made["usageLimit"] == 1  # Shopify applies it to each code: single use
    assert made["customerGets"]["value"] == {"percentage": 0.15}
    # Each job was read until done (the fake answers done: false to the first read).
    assert shopify.discounts.bulk_reads >= 2 * 3
    with shop_app.app_context():
        rows = list(db.session().scalars(select(Message).where(
            Message.cause == links.cause(campaign_id))))
        # Every recipient's message carries their code; the first slice is on its way.
        assert {r.payload["template"]["components"][0]["parameters"][2]["text"]
                for r in rows} == expected
        assert any(r.state == MessageState.SENT.value for r in rows)
        assert codes.make_missing(campaign_id) == 0  # a second run has nothing to do
    assert shopify.discounts.creates == 1 and len(shopify.discounts.bulk_adds) == 3


def test_a_crash_after_a_bulk_job_makes_no_code_twice(
        shop_app: Flask, fake: tuple[FakeShopify, str]) -> None:
    shopify, _ = fake
    campaign_id, w = unique_campaign(shop_app, 300)
    _start(shop_app, campaign_id)
    before = discounts_made(shopify)
    # Shopify's job finished, our record of 40 of its codes was lost with the worker.
    with shop_app.app_context(), db.transaction() as session:
        session.execute(update(CampaignCode).where(
            CampaignCode.campaign_id == campaign_id,
            CampaignCode.customer_id.in_(w.reachable[-40:])).values(created_at=None))
    with shop_app.app_context():
        assert codes.make_missing(campaign_id) == 0
    # Sent again, answered TAKEN, found on this discount: recorded, nothing new made.
    assert shopify.discounts.bulk_adds[-1] == 40
    assert discounts_made(shopify) == before
    assert shopify.discounts.creates == 1


def test_a_full_discount_puts_the_next_codes_on_another(
        shop_app: Flask, fake: tuple[FakeShopify, str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    shopify, _ = fake
    # The ceiling, lowered on both sides so that the test stays small.
    shopify.discounts.max_codes_per_discount = 100
    monkeypatch.setattr(discount_batches, "CODES_PER_DISCOUNT", 100)
    campaign_id, w = unique_campaign(shop_app, 250)
    _start(shop_app, campaign_id)
    made = discounts_made(shopify)
    assert sorted(len(c) for c in made.values()) == [50, 100, 100]
    assert set().union(*made.values()) == {codes.code_for(campaign_id, c) for c in w.reachable}
    assert shopify.discounts.creates == 3


def test_a_code_taken_by_another_discount_is_an_error_not_a_success(
        shop_app: Flask, fake: tuple[FakeShopify, str]) -> None:
    shopify, _ = fake
    campaign_id, w = unique_campaign(shop_app, 30)
    # Someone made one of the codes on a discount of their own, with the same code.
    clash = codes.code_for(campaign_id, w.reachable[7])
    shopify.discounts.codes.setdefault(SHOP, {})[clash] = {
        "id": "gid://shopify/DiscountCodeNode/1", "code": clash, "title": "theirs"}
    _start(shop_app, campaign_id)  # the runner makes the codes: the store refuses one
    with shop_app.app_context():
        campaign = db.session().get_one(Campaign, campaign_id)
        assert campaign.state == "preparing"  # nothing sent while a code is missing
        assert "Shopify refused 1 codes" in (campaign.reason or "")
        with db.transaction() as session:
            left = list(session.scalars(select(CampaignCode.code).where(
                CampaignCode.campaign_id == campaign_id, CampaignCode.created_at.is_(None))))
    assert left == [clash]  # the other 29 are made and recorded


def test_the_fake_refuses_more_than_250_codes_a_call(
        shop_app: Flask, fake: tuple[FakeShopify, str]) -> None:


    shopify, _ = fake
    store_id = _shopify_store(shop_app)
    with shop_app.app_context():
        store = db.session().get_one(Store, store_id)
        discounts.make_code(store, "SC-ANCHOR", 10, datetime.now(UTC) + timedelta(hours=1),
                            single_use=True, purpose="Campaign")
        api = shops.admin_client(store.id, store.domain)
        target = discount_batches.discount_id(api, "SC-ANCHOR")
        assert target is not None
        data = api.execute(discount_batches.BULK_ADD_MUTATION, {
            "discountId": target, "codes": [{"code": f"SC-X{n}"} for n in range(251)]})
        with pytest.raises(ValueError):
            discount_batches.add_codes(api, target, [f"SC-X{n}" for n in range(251)])
    refused = data["discountRedeemCodeBulkAdd"]
    assert refused["bulkCreation"] is None
    assert refused["userErrors"][0]["code"] == "TOO_MANY_ARGUMENTS"
    assert discounts_made(shopify)[target] == {"SC-ANCHOR"}


def test_codes_made_over_many_ticks_land_in_the_same_groups(
        shop_app: Flask, fake: tuple[FakeShopify, str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    shopify, _ = fake
    shopify.discounts.max_codes_per_discount = 100
    monkeypatch.setattr(discount_batches, "CODES_PER_DISCOUNT", 100)
    monkeypatch.setattr(codes, "BULK_CODES_PER_TICK", 60)  # each tick ends inside a group
    monkeypatch.setattr(codes, "BULK_FROM", 1)
    campaign_id, w = unique_campaign(shop_app, 250)
    _start(shop_app, campaign_id)
    with shop_app.app_context():
        for _ in range(10):
            if codes.make_missing(campaign_id) == 0:
                break
        assert codes.make_missing(campaign_id) == 0
    made = discounts_made(shopify)
    assert sorted(len(c) for c in made.values()) == [50, 100, 100]
    assert set().union(*made.values()) == {codes.code_for(campaign_id, c) for c in w.reachable}
    assert shopify.discounts.creates == 3
    assert max(shopify.discounts.bulk_adds) <= 60

"""A campaign's discount codes at a Shopify store, over the fake Admin GraphQL: one
single-use code per recipient (or one shared code), every one made before the first send,
and each made once: not again by a second run, nor by a retry after a crash that made
some of them at the store but lost our record of it."""
from __future__ import annotations

from flask import Flask
from sqlalchemy import select, update

from plugin.domain.outbox import MessageState
from plugin.infra import db
from plugin.models import Campaign, CampaignCode, Message, Store
from plugin.pipeline.campaigns import codes, controls, links
from tests.fakes.shopify import FakeShopify
from tests.worlds import campaigns as world
from tests.worlds.shopify import SHOP, id_token


def _shopify_store(app: Flask) -> int:
    response = app.test_client().get(f"/shopify/app?shop={SHOP}&id_token={id_token()}")
    assert response.status_code == 200, response.get_data(as_text=True)
    with app.app_context():
        store_id = db.session().scalars(select(Store.id).where(Store.domain == SHOP)).one()
        store = db.session().get_one(Store, store_id)
        store.timezone = None  # no quiet hours, whatever the hour of the test run
        db.session().commit()
        return store_id


def _start(app: Flask, campaign_id: int) -> None:
    with app.app_context(), db.transaction() as session:
        controls.start(session, session.get_one(Campaign, campaign_id), scheduled_at=None,
                       deadline_at=None)


def test_unique_codes_are_made_once_each_before_any_send(
        shop_app: Flask, fake: tuple[FakeShopify, str]) -> None:
    shopify, _ = fake
    w = world.build(shop_app, store_id=_shopify_store(shop_app), reachable=6)
    campaign_id = world.create(shop_app, w, discount={"mode": "unique", "percent": 15,
                                                      "hours": 24})
    _start(shop_app, campaign_id)
    expected = {codes.code_for(campaign_id, c) for c in w.reachable}
    assert set(shopify.discounts.codes[SHOP]) == expected
    assert shopify.discounts.creates == 6
    for made in shopify.discounts.codes[SHOP].values():
        assert made["usageLimit"] == 1
        assert made["customerGets"]["value"] == {"percentage": 0.15}
    with shop_app.app_context(), db.transaction() as session:
        rows = list(session.scalars(select(Message).where(
            Message.cause == links.cause(campaign_id))))
        sent = {r.payload["template"]["components"][0]["parameters"][2]["text"]
                for r in rows if r.state == MessageState.SENT.value}
        assert sent == expected
        # A crash after the store made two codes, before our record of them committed.
        session.execute(update(CampaignCode).where(
            CampaignCode.campaign_id == campaign_id,
            CampaignCode.customer_id.in_(w.reachable[:2])).values(created_at=None))
    with shop_app.app_context():
        assert codes.make_missing(campaign_id) == 0  # found at the store, not made again
        assert codes.make_missing(campaign_id) == 0  # and a second run has nothing to do
    assert shopify.discounts.creates == 6


def test_a_shared_code_is_made_once_for_everyone(
        shop_app: Flask, fake: tuple[FakeShopify, str]) -> None:
    shopify, _ = fake
    w = world.build(shop_app, store_id=_shopify_store(shop_app), reachable=4)
    campaign_id = world.create(shop_app, w)
    _start(shop_app, campaign_id)
    [(code, made)] = shopify.discounts.codes[SHOP].items()
    assert code == codes.code_for(campaign_id, None)
    assert "usageLimit" not in made and made["appliesOncePerCustomer"] is True
    assert shopify.discounts.creates == 1

"""A campaign's unique codes at a WooCommerce store, over the fake site's REST API: made in
`coupons/batch` requests of at most 100 before the first send, each code made once and
given to one recipient; a worker that dies after the store made a batch, or an answer lost
on the way back, makes no coupon twice and leaves no recipient without a code; a coupon the
store refuses is said to the owner by name."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from plugin.infra import db
from plugin.models import Campaign, CampaignCode, Message, Store
from plugin.pipeline.campaigns import codes, links
from tests.fakes.woocommerce import FakeWooCommerce
from tests.pipeline.test_campaign_codes import _start
from tests.worlds import campaigns as world
from tests.worlds.woocommerce import connect, woo_store

UNIQUE = {"mode": "unique", "percent": 15, "hours": 24}
BATCH = "/wc/v3/coupons/batch"


def unique_campaign(app: Flask, client: FlaskClient, site: FakeWooCommerce,
                    recipients: int) -> tuple[int, world.World]:
    connect(client, site)
    store_id = woo_store(app).id
    with app.app_context():
        store = db.session().get_one(Store, store_id)
        store.timezone = None  # no quiet hours, whatever the hour of the test run
        db.session().commit()
    w = world.build(app, store_id=store_id, reachable=recipients, unreachable=0)
    return world.create(app, w, discount=UNIQUE), w


def coupon_calls(site: FakeWooCommerce) -> list[tuple[str, str]]:
    """Every REST call the site had about coupons: (method, path)."""
    return [(method, path) for method, path, _ in site.requests if "/coupons" in path]


def codes_by_recipient(app: Flask, campaign_id: int) -> dict[int, str]:
    """Each recipient's code, as recorded made (a recipient left without one is missing)."""
    with app.app_context():
        rows = db.session().execute(select(CampaignCode.customer_id, CampaignCode.code).where(
            CampaignCode.campaign_id == campaign_id, CampaignCode.created_at.is_not(None)))
        return {int(row.customer_id): row.code for row in rows}


def test_250_unique_codes_take_three_batches_each_code_once(
        woo_app: Flask, owner_client: FlaskClient, site: FakeWooCommerce) -> None:
    campaign_id, w = unique_campaign(woo_app, owner_client, site, 250)
    started = datetime.now(UTC)
    _start(woo_app, campaign_id)
    assert site.coupon_batches == [100, 100, 50]
    assert coupon_calls(site) == [("POST", BATCH)] * 3  # no lookup, no single POST
    expected = {c: codes.code_for(campaign_id, c) for c in w.reachable}
    assert codes_by_recipient(woo_app, campaign_id) == expected
    assert len(set(expected.values())) == 250  # one code per recipient, none shared
    made = {row["code"]: row for row in site.coupons.values()}
    assert set(made) == {code.lower() for code in expected.values()}
    assert set(site.coupon_attempts.values()) == {1}  # each code sent to the store once
    for coupon in made.values():  # what the one-coupon call makes, coupon by coupon
        assert (coupon["discount_type"], coupon["amount"]) == ("percent", "15.00")
        assert (coupon["usage_limit"], coupon["usage_limit_per_user"]) == (1, 1)
        assert coupon["individual_use"] is True
        ends = datetime.fromisoformat(coupon["date_expires_gmt"]).replace(tzinfo=UTC)
        assert started + timedelta(hours=24) - timedelta(seconds=1) <= ends \
            <= datetime.now(UTC) + timedelta(hours=24)
    with woo_app.app_context():
        messages = db.session().execute(select(Message.customer_id, Message.payload).where(
            Message.cause == links.cause(campaign_id)))
        sent = {m.customer_id: m.payload["template"]["components"][0]["parameters"][2]["text"]
                for m in messages}
        assert sent == expected  # every recipient's message carries their own code
        assert codes.make_missing(campaign_id) == 0  # a second run has nothing to do
    assert len(coupon_calls(site)) == 3


def test_a_worker_dying_after_a_batch_resumes_without_a_coupon_twice(
        woo_app: Flask, owner_client: FlaskClient, site: FakeWooCommerce,
        monkeypatch: pytest.MonkeyPatch) -> None:
    campaign_id, w = unique_campaign(woo_app, owner_client, site, 250)
    record = codes._record
    calls: list[int] = []

    def dies_after_the_first(code_ids: list[int]) -> None:
        calls.append(len(code_ids))
        if len(calls) > 1:  # the store made the second batch; our record of it dies here
            raise RuntimeError("worker killed")
        record(code_ids)
    monkeypatch.setattr(codes, "_record", dies_after_the_first)
    _start(woo_app, campaign_id)  # the tick fails (logged); the campaign waits
    assert site.coupon_batches == [100, 100] and len(site.coupons) == 200
    with woo_app.app_context():
        campaign = db.session().get_one(Campaign, campaign_id)
        assert campaign.state == "preparing"
        with db.transaction() as session:
            assert codes.missing(session, campaign_id) == 150
    monkeypatch.setattr(codes, "_record", record)
    world.tick(woo_app, campaign_id)  # the sweeper's retry, once the lease lapsed
    # The lost batch again (the store already has its codes: made), then the last 50.
    assert site.coupon_batches == [100, 100, 100, 50]
    assert len(site.coupons) == 250
    expected = {c: codes.code_for(campaign_id, c) for c in w.reachable}
    assert codes_by_recipient(woo_app, campaign_id) == expected
    assert {row["code"] for row in site.coupons.values()} == {
        code.lower() for code in expected.values()}
    first = [code.lower() for code in list(expected.values())[:100]]
    assert all(site.coupon_attempts[code] == 1 for code in first)  # recorded: not resent
    assert sorted(set(site.coupon_attempts.values())) == [1, 2]
    with woo_app.app_context():
        campaign = db.session().get_one(Campaign, campaign_id)
        assert campaign.state == "sending" and not campaign.reason


def test_an_answer_lost_on_the_way_back_is_retried_and_nothing_is_made_twice(
        woo_app: Flask, owner_client: FlaskClient, site: FakeWooCommerce) -> None:
    campaign_id, w = unique_campaign(woo_app, owner_client, site, 250)
    site.lose_next_answers(0, 502)  # the second batch is made, its answer is a 502
    _start(woo_app, campaign_id)
    # The client sent the second batch again (as it retries any 5xx): all "already exist".
    assert site.coupon_batches == [100, 100, 100, 50]
    assert len(site.coupons) == 250
    assert codes_by_recipient(woo_app, campaign_id) == {
        c: codes.code_for(campaign_id, c) for c in w.reachable}
    with woo_app.app_context():
        assert db.session().get_one(Campaign, campaign_id).state == "sending"


def test_a_coupon_the_store_refuses_is_named_to_the_owner_the_others_made(
        woo_app: Flask, owner_client: FlaskClient, site: FakeWooCommerce) -> None:
    campaign_id, w = unique_campaign(woo_app, owner_client, site, 30)
    clash = codes.code_for(campaign_id, w.reachable[7])
    site.refused_coupons[clash.lower()] = ("coupon_prefix_reserved",
                                           "Codes starting with SC- are reserved.")
    _start(woo_app, campaign_id)
    with woo_app.app_context():
        campaign = db.session().get_one(Campaign, campaign_id)
        assert campaign.state == "preparing"  # nothing sent while a code is missing
        reason = campaign.reason or ""
        assert "WooCommerce refused 1 coupons" in reason
        assert clash in reason and "coupon_prefix_reserved" in reason
        with db.transaction() as session:
            left = list(session.scalars(select(CampaignCode.code).where(
                CampaignCode.campaign_id == campaign_id, CampaignCode.created_at.is_(None))))
            sent = session.scalar(select(Message.id).where(
                Message.cause == links.cause(campaign_id), Message.state == "sent"))
    assert left == [clash]  # the other 29 are made and recorded
    assert sent is None
    assert site.coupon_batches == [30]


def test_a_store_with_a_lower_batch_limit_gets_smaller_batches(
        woo_app: Flask, owner_client: FlaskClient, site: FakeWooCommerce) -> None:
    site.batch_limit = 40  # the owner's woocommerce_rest_batch_items_limit filter
    campaign_id, w = unique_campaign(woo_app, owner_client, site, 120)
    _start(woo_app, campaign_id)
    # 100 and 50 refused with a 413 (nothing made), then 25 at a time.
    assert site.coupon_batches == [100, 50, 25, 25, 25, 25, 20]
    assert len(site.coupons) == 120 and set(site.coupon_attempts.values()) == {1}
    assert len(codes_by_recipient(woo_app, campaign_id)) == 120
    assert max(site.coupon_batches) <= 100


def test_a_store_down_through_every_retry_leaves_the_campaign_waiting_then_done(
        woo_app: Flask, owner_client: FlaskClient, site: FakeWooCommerce) -> None:
    campaign_id, w = unique_campaign(woo_app, owner_client, site, 150)
    site.fail_next(0, 503, 503, 503, 503)  # the first batch lands; the second never does
    _start(woo_app, campaign_id)
    with woo_app.app_context():
        campaign = db.session().get_one(Campaign, campaign_id)
        assert campaign.state == "preparing"
        assert "try 1/3" in (campaign.reason or "") and "503" in (campaign.reason or "")
    assert site.coupon_batches == [100] and len(codes_by_recipient(woo_app, campaign_id)) == 100
    world.tick(woo_app, campaign_id)  # the store is back
    assert site.coupon_batches == [100, 50]
    assert set(site.coupon_attempts.values()) == {1}
    assert codes_by_recipient(woo_app, campaign_id) == {
        c: codes.code_for(campaign_id, c) for c in w.reachable}
    with woo_app.app_context():
        assert db.session().get_one(Campaign, campaign_id).state == "sending"

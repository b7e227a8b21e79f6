"""Idempotent webhook provisioning, and reconciliation after an outage: the disabled webhook
is re-enabled and the missed orders are recorded exactly once."""
from __future__ import annotations

from datetime import timedelta

import httpx
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from plugin.infra import db
from plugin.models import InboundEvent
from plugin.platforms.woocommerce import provision, reconcile, sites
from tests.fakes.woocommerce import MAX_DELIVERY_FAILURES, FakeWooCommerce
from tests.worlds.woocommerce import connect, creds, woo_store


def _provision(app: Flask) -> provision.ProvisionReport:
    store_id = woo_store(app).id
    with app.app_context():
        return sites.with_client(store_id, lambda s, api: provision.provision(store_id, api))


def _events(app: Flask) -> list[str]:
    with app.app_context():
        return list(db.session().scalars(select(InboundEvent.dedupe_key).where(
            InboundEvent.source == "woocommerce", InboundEvent.dedupe_key.contains(":order:"))))


def test_provisioning_twice_changes_nothing(woo_app: Flask, owner_client: FlaskClient,
                                           site: FakeWooCommerce) -> None:
    connect(owner_client, site)
    before = dict(creds(woo_app)["webhooks"])
    assert _provision(woo_app) == provision.ProvisionReport()
    assert len(site.webhooks) == 6 and creds(woo_app)["webhooks"] == before


def test_provisioning_repairs_lost_secrets_duplicates_and_deletions(
        woo_app: Flask, owner_client: FlaskClient, site: FakeWooCommerce) -> None:
    connect(owner_client, site)
    hooks = sorted(site.webhooks)
    del site.webhooks[hooks[0]]  # deleted in the WordPress admin
    lost = hooks[1]
    sites_creds = creds(woo_app)["webhooks"]
    with woo_app.app_context():
        sites.update_credentials(woo_store(woo_app).id,
                                 lambda v: v["webhooks"].pop(str(lost)))
    twin = dict(site.webhooks[hooks[2]], id=999)
    site.webhooks[999] = twin  # an interrupted run left a duplicate
    report = _provision(woo_app)
    assert (report.created, report.rekeyed, report.removed) == (1, 1, 1)
    values = creds(woo_app)["webhooks"]
    assert len(site.webhooks) == 6 and set(values) == {str(i) for i in site.webhooks}
    assert values[str(lost)] == site.webhooks[lost]["secret"] != sites_creds[str(lost)]


def _refuse(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("StoreChat is down", request=request)


def test_reconciliation_after_an_outage(woo_app: Flask, owner_client: FlaskClient,
                                        site: FakeWooCommerce) -> None:
    connect(owner_client, site)
    store = woo_store(woo_app)
    up = site.http
    site.http = httpx.Client(transport=httpx.MockTransport(_refuse))
    orders = [site.add_order() for _ in range(3)]
    # WC_Webhook::failed_delivery counts to 6, and the 7th failure in a row disables it.
    for _ in range(MAX_DELIVERY_FAILURES + 2):
        site.update_order(orders[0]["id"], status="processing")
    [updated] = [h for h in site.webhooks.values() if h["topic"] == "order.updated"]
    assert updated["status"] == "disabled"
    site.http = up
    with woo_app.app_context():
        report = reconcile.reconcile(store.id)
    assert report is not None and report.webhooks and report.webhooks.reenabled >= 1
    assert all(h["status"] == "active" for h in site.webhooks.values())
    expected = {f"{store.key}:order:{o['id']}:{site.orders[o['id']]['date_modified_gmt']}"
                for o in orders}
    assert set(_events(woo_app)) == expected and report.orders_recorded == 3
    with woo_app.app_context():
        again = reconcile.reconcile(store.id)
    assert again is not None and again.orders_recorded == 0
    assert sorted(_events(woo_app)) == sorted(expected)  # exactly once
    # A late webhook of an already-polled state lands on the same row.
    site.dispatch("order.updated", site.orders[orders[0]["id"]])
    assert site.deliveries[-1]["status"] == 200
    assert sorted(_events(woo_app)) == sorted(expected)
    # The next change flows through the re-enabled webhook.
    site.update_order(orders[1]["id"], status="completed")
    assert len(_events(woo_app)) == 4


def test_a_long_backlog_is_caught_up_in_capped_runs(woo_app: Flask, owner_client: FlaskClient,
                                                    site: FakeWooCommerce) -> None:
    connect(owner_client, site)
    store = woo_store(woo_app)
    site.http = httpx.Client(transport=httpx.MockTransport(_refuse))
    for _ in range(250):
        site.add_order()
    with woo_app.app_context():
        first = sites.with_client(store.id, lambda s, api: reconcile.poll_orders(
            store.id, store.key, api, limit=100))
        assert first == (100, 100)
        cursor = creds(woo_app)["last_modified_gmt"]
        runs = [sites.with_client(store.id, lambda s, api: reconcile.poll_orders(
            store.id, store.key, api, limit=100)) for _ in range(3)]
    assert creds(woo_app)["last_modified_gmt"] > cursor
    assert len(set(_events(woo_app))) == 250
    assert runs[-1] is not None and runs[-1][1] == 0


def test_reconcile_is_enqueued_once_per_interval(woo_app: Flask, owner_client: FlaskClient,
                                                 site: FakeWooCommerce) -> None:
    connect(owner_client, site)
    with woo_app.app_context():
        now = db.utcnow()
        assert reconcile.enqueue_due(now) == 1
        assert reconcile.enqueue_due(now) == 0  # another worker's sweep in the same interval
        later = now + timedelta(seconds=reconcile.RECONCILE_INTERVAL_SECONDS)
        assert reconcile.enqueue_due(later) == 1

"""Batches: one claim per row, every batch checked, Meta's refusals explained, throttling
waited out, and a killed send recovered by the sweeper."""
from __future__ import annotations

from flask import Flask
from sqlalchemy import select, update

from plugin.domain.catalog_batches import Method
from plugin.infra import db
from plugin.models import (
    BatchState,
    CatalogBatch,
    CatalogItem,
    ItemState,
    Store,
    WhatsAppAccount,
)
from plugin.pipeline.catalog import batches, items, upkeep
from plugin.pipeline.catalog.requests import retry_items
from tests.fakes.catalog_gateway import MetaLikeCatalog
from tests.pipeline.catalog.conftest import Shop, later, product

DUE = items.DEBOUNCE_SECONDS + 1


def _add(app: Flask, shop: Shop, *events: object) -> None:
    with app.app_context(), db.transaction() as session:
        store = session.get(Store, shop.id)
        for event in events:
            items.apply_product_event(session, store, event)  # type: ignore[arg-type]


def _batch(app: Flask, batch_id: int) -> CatalogBatch:
    with app.app_context(), db.transaction() as session:
        batch = session.get(CatalogBatch, batch_id)
        session.expunge(batch)
    return batch


def _last_batch_id(app: Flask) -> int:
    with app.app_context(), db.transaction() as session:
        return session.scalars(select(CatalogBatch.id).order_by(CatalogBatch.id.desc())).first()


def test_a_refused_item_shows_metas_reason_and_a_retry_resends_it(
        app: Flask, cloud_shop: Shop, meta: MetaLikeCatalog) -> None:
    rid = f"{cloud_shop.id}-p1-v1"
    meta.refuse[rid] = "image_link: Image URL could not be downloaded (HTTP 403)."
    meta.warn[f"{cloud_shop.id}-p2-v1"] = "description: Description is too short."
    _add(app, cloud_shop, product("p1"), product("p2"))
    with app.app_context():
        assert batches.send_due(cloud_shop.id, later(DUE)) == 1
        assert batches.check_batch(_last_batch_id(app))
    failed = cloud_shop.row("p1-v1")
    assert failed.state == ItemState.FAILED and failed.sent_hash is None
    assert failed.reason is not None
    assert failed.reason.startswith("WhatsApp could not use the product's image")
    assert "Image URL could not be downloaded (HTTP 403)" in failed.reason  # Meta's words
    warned = cloud_shop.row("p2-v1")
    assert warned.state == ItemState.SYNCED and "too short" in warned.warnings[0]
    batch = _batch(app, _last_batch_id(app))
    assert (batch.state, batch.errors, batch.warnings) == (BatchState.FINISHED, 1, 1)
    del meta.refuse[rid]  # the owner fixed the image
    with app.app_context(), db.transaction() as session:
        assert retry_items(session, session.get(Store, cloud_shop.id), [failed.id]) == 1
    with app.app_context():  # retry queued a send, which ran (inline queue)
        batches.check_batch(_last_batch_id(app))
    assert meta.sent()[-1].retailer_id == rid and rid in meta.items
    assert cloud_shop.row("p1-v1").state == ItemState.SYNCED


def test_throttling_waits_then_resumes_and_nothing_is_lost_or_sent_twice(
        app: Flask, cloud_shop: Shop, meta: MetaLikeCatalog) -> None:
    _add(app, cloud_shop, product("p1"), product("p2"))
    meta.throttle["items_batch"] = 120
    with app.app_context():
        assert batches.send_due(cloud_shop.id, later(DUE)) == 0
        with db.transaction() as session:
            account = session.scalars(select(WhatsAppAccount)).one()
            assert account.catalog_throttled_until is not None
            until = account.catalog_throttled_until
        # Still inside Meta's wait: nothing is tried.
        assert batches.send_due(cloud_shop.id, later(60)) == 0
    assert meta.calls == ["items_batch"]
    assert {r.state for r in cloud_shop.rows()} == {ItemState.PENDING}
    meta.throttle["batch_status"] = 30
    with app.app_context():
        assert batches.send_due(cloud_shop.id, until) == 1
        batch_id = _last_batch_id(app)
        assert not batches.check_batch(batch_id, until)
        assert batches.check_batch(batch_id, later(400))
    assert {r.state for r in cloud_shop.rows()} == {ItemState.SYNCED}
    assert sorted(r.retailer_id for r in meta.sent()) == [f"{cloud_shop.id}-p1-v1",
                                                          f"{cloud_shop.id}-p2-v1"]


def test_an_unfinished_batch_is_polled_until_meta_finishes_it(
        app: Flask, cloud_shop: Shop, meta: MetaLikeCatalog) -> None:
    meta.unfinished_polls = 2
    _add(app, cloud_shop, product("p1"))
    with app.app_context():
        batches.send_due(cloud_shop.id, later(DUE))
        batch_id = _last_batch_id(app)
        assert not batches.check_batch(batch_id)
        first_wait = _batch(app, batch_id).check_at
        assert not batches.check_batch(batch_id)
        assert _batch(app, batch_id).check_at > first_wait  # backs off
        assert cloud_shop.row("p1-v1").state == ItemState.SENDING
        assert batches.check_batch(batch_id)
        assert not batches.check_batch(batch_id)  # applied once
    assert cloud_shop.row("p1-v1").state == ItemState.SYNCED
    assert _batch(app, batch_id).checks == 3


def test_a_row_changed_while_its_batch_is_out_stays_pending_for_the_next(
        app: Flask, cloud_shop: Shop, meta: MetaLikeCatalog) -> None:
    _add(app, cloud_shop, product("p1"))
    with app.app_context():
        batches.send_due(cloud_shop.id, later(DUE))
        first = _last_batch_id(app)
    _add(app, cloud_shop, product("p1", price="30.00"))
    with app.app_context():
        # Not sent again while the first batch may still land after it.
        assert batches.send_due(cloud_shop.id, later(DUE * 2)) == 0
        batches.check_batch(first)
    row = cloud_shop.row("p1-v1")
    assert row.state == ItemState.PENDING and row.sent_hash not in (None, row.content_hash)
    with app.app_context():
        assert batches.send_due(cloud_shop.id, later(DUE * 2)) == 1
        batches.check_batch(_last_batch_id(app))
    assert cloud_shop.row("p1-v1").state == ItemState.SYNCED
    assert meta.items[f"{cloud_shop.id}-p1-v1"].price == "30.00 EUR"


def test_two_workers_never_put_one_item_in_two_batches(
        app: Flask, cloud_shop: Shop, meta: MetaLikeCatalog) -> None:
    _add(app, cloud_shop, *[product(f"p{n}") for n in range(10)])
    with app.app_context():
        with db.transaction() as session:
            first, requests = batches.claim_due(session, session.get(Store, cloud_shop.id),
                                             meta.catalog_id, later(DUE))
            assert first is not None and len(requests) == 10
        with db.transaction() as session:
            second, none = batches.claim_due(session, session.get(Store, cloud_shop.id),
                                          meta.catalog_id, later(DUE))
            assert second is None and none == []
        assert batches.send_due(cloud_shop.id, later(DUE)) == 0


def test_a_send_killed_before_meta_answered_is_recovered_by_the_sweeper(
        app: Flask, cloud_shop: Shop, meta: MetaLikeCatalog) -> None:
    _add(app, cloud_shop, product("p1"), product("p2", deleted=True))
    with app.app_context():
        with db.transaction() as session:  # the claim committed, then the worker died
            batch, _ = batches.claim_due(session, session.get(Store, cloud_shop.id),
                                      meta.catalog_id, later(DUE))
            assert batch is not None
            batch_id = batch.id
        assert cloud_shop.row("p1-v1").state == ItemState.SENDING
        upkeep.recover(later(DUE), later(DUE - 30))
        assert _batch(app, batch_id).state == BatchState.SENT  # may still be talking to Meta
        upkeep.recover(later(upkeep.SEND_STUCK_SECONDS + DUE + 1), later(DUE))
        assert _batch(app, batch_id).state == BatchState.FAILED
        # The release queued nothing by itself; the lost send comes back on the next sweep.
        assert cloud_shop.row("p1-v1").state == ItemState.PENDING
        assert batches.send_due(cloud_shop.id, later(upkeep.SEND_STUCK_SECONDS + DUE + 2)) == 1
        batches.check_batch(_last_batch_id(app))
    assert cloud_shop.row("p1-v1").state == ItemState.SYNCED
    assert [r.method for r in meta.sent()] == [Method.UPDATE]


def test_a_lost_check_is_enqueued_again(app: Flask, cloud_shop: Shop,
                                        meta: MetaLikeCatalog) -> None:
    _add(app, cloud_shop, product("p1"))
    with app.app_context():
        batches.send_due(cloud_shop.id, later(DUE))
        batch_id = _last_batch_id(app)
        with db.transaction() as session:
            session.execute(update(CatalogBatch).values(check_at=later(-600)))
        # The sweep's re-enqueued check runs inline here (the test queue is immediate).
        upkeep.recover(db.utcnow(), later(-60))
    assert _batch(app, batch_id).state == BatchState.FINISHED
    assert cloud_shop.row("p1-v1").state == ItemState.SYNCED
    assert [c for c in meta.calls if c == "batch_status"] == ["batch_status"]


def test_more_than_one_batch_worth_goes_in_several_calls(
        app: Flask, cloud_shop: Shop, meta: MetaLikeCatalog, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(batches, "MAX_BATCH_REQUESTS", 4)
    _add(app, cloud_shop, product("p1", variants=10))
    with app.app_context():
        assert batches.send_due(cloud_shop.id, later(DUE)) == 3
    assert [len(b.requests) for b in meta.batches.values()] == [4, 4, 2]
    with app.app_context(), db.transaction() as session:
        assert session.scalars(select(CatalogItem.batch_id).distinct()).all().__len__() == 3


def test_workers_sending_at_once_share_the_rows_without_overlap(
        app: Flask, cloud_shop: Shop, meta: MetaLikeCatalog, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import threading
    monkeypatch.setattr(batches, "MAX_BATCH_REQUESTS", 3)
    monkeypatch.setattr(batches, "BATCHES_PER_JOB", 100)
    _add(app, cloud_shop, *[product(f"p{n}") for n in range(40)])
    when = later(DUE)

    def worker() -> None:
        with app.app_context():
            batches.send_due(cloud_shop.id, when)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sent = [r.retailer_id for r in meta.sent()]
    assert len(sent) == 40 == len(set(sent))
    assert {r.state for r in cloud_shop.rows()} == {ItemState.SENDING}

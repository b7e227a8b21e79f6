"""A store's recovery sequence: installed from the defaults, switched on in one click."""
from __future__ import annotations

from plugin.domain import recovery
from plugin.infra import db
from plugin.models import Automation, Store
from plugin.pipeline.recovery import steps as recovery_steps


def _store(session) -> Store:  # type: ignore[no-untyped-def]
    store = Store(platform="woocommerce", domain="shop.example", locale="es-ES")
    session.add(store)
    session.flush()
    return store


def test_one_click_turns_on_the_three_default_steps_in_the_store_language(app) -> None:  # type: ignore[no-untyped-def]
    with app.app_context(), db.transaction() as session:
        store = _store(session)
        assert recovery_steps.store_steps(session, store.id) == []
        recovery_steps.set_enabled(session, store, True)
        steps = recovery_steps.store_steps(session, store.id)
    assert [(s.step, s.template, s.language, s.delay_minutes) for s in steps] == [
        (1, "cart_recovery_1", "es", 60), (2, "cart_recovery_2", "es", 1440),
        (3, "cart_recovery_3", "es", 4320)]
    assert steps[2].discount == recovery.Discount(10, 48)
    assert steps[0].discount is None


def test_turning_off_keeps_the_owners_edits_and_on_again_restores_them(app) -> None:  # type: ignore[no-untyped-def]
    with app.app_context(), db.transaction() as session:
        store = _store(session)
        recovery_steps.set_enabled(session, store, True)
        row = session.query(Automation).filter_by(store_id=store.id,
                                                  journey="cart_recovery_2").one()
        row.delay_seconds = 0
        recovery_steps.set_enabled(session, store, False)
        assert recovery_steps.store_steps(session, store.id) == []
        recovery_steps.set_enabled(session, store, True)
        steps = recovery_steps.store_steps(session, store.id)
    assert [s.delay_minutes for s in steps] == [60, 0, 4320]

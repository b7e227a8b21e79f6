"""Starter automations: a new store gets every journey once, the owner's edits survive."""
from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from plugin.domain.journeys import JOURNEYS
from plugin.infra import db
from plugin.models import Automation, Store
from plugin.platforms.starters import install_starters, starter_language


def test_install_creates_each_journey_once_and_keeps_edits(app: Flask) -> None:
    with app.app_context(), db.transaction() as session:
        store = Store(platform="woocommerce", domain="https://shop.example.com", locale="es_ES")
        session.add(store)
        session.flush()
        assert install_starters(session, store) == len(JOURNEYS)
        reminder = session.scalars(select(Automation).where(
            Automation.journey == "payment_reminder")).one()
        reminder.enabled = False
        reminder.delay_seconds = 7200
        assert install_starters(session, store) == 0
        rows = {a.journey: a for a in session.scalars(select(Automation))}
    assert set(rows) == {j.name for j in JOURNEYS}
    assert (rows["payment_reminder"].enabled, rows["payment_reminder"].delay_seconds) == (
        False, 7200)
    cod = rows["cod_confirmation"]
    assert (cod.trigger, cod.template, cod.language) == ("order_placed", "cod_confirmation", "es")
    assert cod.conditions == {"payment": "cod", "on_cancel": "tag"}
    assert rows["order_shipped"].variables == ["first_name", "order_number", "carrier",
                                              "tracking_number"]


def test_starter_language_from_a_store_locale() -> None:
    assert starter_language("pt-PT") == "pt_BR"
    assert starter_language("ar_SA") == "ar"
    assert starter_language("hi") == "hi"
    assert starter_language("nl") == "en"
    assert starter_language(None) == "en"

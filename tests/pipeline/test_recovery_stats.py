"""Cart recovery figures over hand-made rows: per step and overall, revenue per currency exact
in JPY (0 decimals) and KWD (3), reasons counted by kind, the period and the store respected;
and the recent carts with each step's state in words."""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from flask import Flask
from sqlalchemy import event

from plugin.infra import db
from plugin.models import Checkout, RecoveryStep
from plugin.pipeline.recovery import carts as recovery_carts
from plugin.pipeline.recovery import stats as recovery_stats
from tests.admin.test_journeys import make_store
from tests.conftest import create_owner
from tests.worlds import recovery_figures
from tests.worlds.recovery_figures import EXPECTED

FIGURE_NAMES = ("sent", "delivered", "read", "clicked", "failed", "not_sent", "recovered")


@pytest.fixture
def stores(app: Flask) -> tuple[int, int]:
    create_owner(app, "owner@example.com")
    create_owner(app, "other@example.com")
    mine = make_store(app)
    theirs = make_store(app, email="other@example.com", name="Other shop")
    recovery_figures.install(app, mine)
    recovery_figures.build(app, mine, theirs)
    return mine, theirs


def _figures(app: Flask, store_id: int, days: int = 30) -> recovery_stats.Figures:
    with app.app_context():
        period = recovery_stats.last_days(db.utcnow() + timedelta(seconds=1), days)
        return recovery_stats.figures(db.session(), store_id, period, [1, 2, 3])


def test_each_step_counts_what_its_messages_did(app: Flask, stores: tuple[int, int]) -> None:
    figures = _figures(app, stores[0])
    assert (figures.carts_seen, figures.reachable) == (EXPECTED["carts_seen"],
                                                       EXPECTED["reachable"])
    assert [row.step for row in figures.steps] == [1, 2, 3]
    for row in figures.steps:
        expected = EXPECTED[row.step]
        assert {name: getattr(row, name) for name in FIGURE_NAMES} == {
            name: expected[name] for name in FIGURE_NAMES}, row.step
        assert row.revenue == {code: Decimal(v) for code, v in expected["revenue"].items()}


def test_revenue_is_summed_exactly_per_currency(app: Flask, stores: tuple[int, int]) -> None:
    total = _figures(app, stores[0]).total
    assert total.revenue == {"JPY": Decimal("12800"), "KWD": Decimal("20.000")}
    assert str(total.revenue["KWD"]) == "20.000"  # 12.345 + 7.655, no float on the way
    assert total.recovered == 3 and total.sent == 6 and total.clicked == 2


def test_why_carts_got_no_message_counts_reasons_by_kind(
        app: Flask, stores: tuple[int, int]) -> None:
    assert _figures(app, stores[0]).reasons == EXPECTED["reasons"]


def test_the_period_leaves_older_carts_and_messages_out(
        app: Flask, stores: tuple[int, int]) -> None:
    wide = _figures(app, stores[0], days=90)
    assert wide.carts_seen == EXPECTED["carts_seen"] + 1
    assert wide.total.revenue["EUR"] == Decimal("99.00")
    narrow = _figures(app, stores[0], days=1)
    assert narrow.total.recovered == 0 and narrow.total.revenue == {}
    assert narrow.steps[0].sent == 1  # only Ana's step 1 was sent in the last day


def test_another_stores_rows_are_never_counted(app: Flask, stores: tuple[int, int]) -> None:
    theirs = _figures(app, stores[1])
    assert theirs.total.revenue == {"JPY": Decimal("99999")}
    mine = _figures(app, stores[0])
    assert "99999" not in str(mine.total.revenue)


def test_the_figures_take_a_fixed_number_of_queries(app: Flask,
                                                    stores: tuple[int, int]) -> None:
    """Counting is done by the database: more carts do not mean more queries."""
    statements: list[str] = []
    with app.app_context():
        engine = db.session().get_bind()

        def count(*_args: object) -> None:
            statements.append("x")

        event.listen(engine, "before_cursor_execute", count)
        try:
            recovery_stats.figures(db.session(), stores[0],
                                   recovery_stats.last_days(db.utcnow(), 30))
        finally:
            event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 5


def test_an_unreadable_stored_total_counts_as_zero() -> None:
    assert recovery_stats.amount("12.345") == Decimal("12.345")
    assert recovery_stats.amount("abc") == Decimal(0)
    assert recovery_stats.amount("NaN") == Decimal(0)
    assert recovery_stats.amount(None) == Decimal(0)


@pytest.mark.parametrize(("reason", "kind"), [
    ("quiet hours until 09:00", "quiet hours"),
    ("recovered before step 2", "recovered before step 2"),
    ("no phone (national number)", "no phone"),
    (None, "no reason recorded"),
])
def test_reasons_that_name_a_moment_count_together(reason: str | None, kind: str) -> None:
    assert recovery_stats.reason_kind(reason) == kind


def test_recent_carts_show_each_step_in_words(app: Flask, stores: tuple[int, int]) -> None:
    with app.app_context():
        rows = {row.first_name: row for row in
                recovery_carts.recent(db.session(), stores[0], 20)}
    assert set(rows) == {"Marta", "Yousef", "Leonor", "Ana", "Rui", "Nuno", "Bea", "Olga"}
    marta = rows["Marta"]
    assert [s.words for s in marta.steps] == [
        "sent, read, clicked", "skipped: recovered before step 2",
        "skipped: recovered before step 2"]
    assert marta.recovered_words == "¥12,800" and marta.recovered_step == 1
    assert marta.phone == "+81 •••••••678"
    assert rows["Yousef"].recovered_words == "KWD\xa012.345"
    ana = rows["Ana"]
    assert ana.steps[0].words == "sent, failed"
    assert ana.steps[1].words.endswith("(quiet hours until 09:00)")
    assert ana.steps[1].words.startswith("due ")
    assert ana.recovered_words == "" and ana.total_words == "€49.90"
    assert rows["Bea"].steps[1].words == "being sent now"
    assert rows["Rui"].steps[0].words == "stopped: no consent"
    nuno = rows["Nuno"]
    assert not nuno.has_phone and nuno.steps == ()
    assert nuno.phone == f"no phone: {recovery_figures.NO_PHONE_PROBLEM}"


def test_only_the_latest_cycle_of_a_cart_is_shown(app: Flask, stores: tuple[int, int]) -> None:
    with app.app_context(), db.transaction() as session:
        rui = next(c for c in recovery_carts.recent(session, stores[0], 20)
                   if c.first_name == "Rui")
        checkout = session.get(Checkout, rui.id)
        assert checkout is not None
        session.add(RecoveryStep(checkout_id=checkout.id, step=1, cycle=2,
                                 due_at=datetime(2030, 1, 1, 9, 0), state="scheduled"))
    with app.app_context():
        row = recovery_carts.cart_rows(db.session(), [db.session().get(Checkout, rui.id)])[0]
    assert [s.words for s in row.steps] == ["due 2030-01-01 09:00 UTC"]

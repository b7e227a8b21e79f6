"""`storechat analytics-backfill` fills every analytics table from the raw rows: for any
history made through the live paths (hypothesis), a store taken back to before the tables
existed gets the very rows the live paths kept, table by table; a second run changes
nothing, and so does a run on a store counted live from the start."""
from __future__ import annotations

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from plugin.infra import db
from plugin.models import Conversation, ConversationRollup, ReceivedMessage, ReplyClock
from plugin.pipeline import conversation_rollups
from tests.worlds.backfill import (
    ACTIONS,
    EVERY_TABLE,
    SHOPPERS,
    before_the_upgrade,
    live_history,
    run_backfill,
    snapshot_of,
)

steps = st.lists(st.tuples(st.sampled_from(ACTIONS), st.integers(0, SHOPPERS - 1),
                           # A minute at least between two things: what happens in the same
                           # instant has no order in the raw rows.
                           st.integers(1, 600), st.integers(0, 40)), min_size=1, max_size=20)


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(history=steps)
def test_the_backfill_rebuilds_every_table_the_live_paths_kept(
        app: Flask, history: list[tuple[str, int, int, int]]) -> None:
    store_id, clock = live_history(app, history)
    live = snapshot_of(app, store_id)
    # On a store counted live from the start, the backfill changes nothing.
    run_backfill(app, store_id, clock)
    assert snapshot_of(app, store_id) == live
    with app.app_context(), db.transaction() as session:
        before_the_upgrade(session, store_id)
    run_backfill(app, store_id, clock)
    rebuilt = snapshot_of(app, store_id)
    for table, rows in live.items():
        assert rebuilt[table] == rows, table
    # And a second run changes nothing.
    run_backfill(app, store_id, clock)
    assert snapshot_of(app, store_id) == live


def test_a_rich_history_fills_every_table(app: Flask) -> None:
    """One fixed history that reaches every table, so the property above is never vacuous."""
    store_id, clock = live_history(app, EVERY_TABLE)
    live = snapshot_of(app, store_id)
    assert all(live[table] for table in live), [t for t in live if not live[t]]
    with app.app_context(), db.transaction() as session:
        before_the_upgrade(session, store_id)
    report = run_backfill(app, store_id, clock)
    assert snapshot_of(app, store_id) == live
    assert report.revenue.attributed == len(live["order_attributions"])
    assert report.reactions.clicked == 1 and report.reactions.opted_out == 1
    assert report.conversations.before is None
    assert report.conversations.clocks == len(live["reply_clocks"])


def test_only_the_days_before_the_first_counted_one_are_filled(app: Flask) -> None:
    """Resolutions are kept only in the figures: a live-counted day is never recounted, the
    days before it are replayed, and a conversation resolved now has its clock closed."""
    history = [("text", 0, 0, 0), ("team", 0, 30, 1), ("text", 0, 3 * 1440, 1),
               ("text", 1, 5, 2)]
    store_id, clock = live_history(app, history)
    live = snapshot_of(app, store_id)
    first_day = min(day for day, *_ in live["conversation_rollups"])
    last_day = max(day for day, *_ in live["conversation_rollups"])
    with app.app_context(), db.transaction() as session:
        before_the_upgrade(session, store_id)
        # The upgrade came between: the last day's figures were counted live, with a
        # resolution the raw rows do not hold.
        conversation_rollups.add_rows(session, [
            {"store_id": store_id, "day": day, "figure": figure, "detail": detail, "n": n}
            for day, figure, detail, n in live["conversation_rollups"] if day == last_day]
            + [{"store_id": store_id, "day": last_day, "figure": "resolved", "detail": "",
                "n": 1}])
        # The first shopper's conversation, which began before the upgrade.
        conversation = session.scalars(select(Conversation).join(
            ReceivedMessage, ReceivedMessage.conversation_id == Conversation.id).where(
            Conversation.store_id == store_id).order_by(ReceivedMessage.received_at)).first()
        assert conversation is not None
        conversation.status = "resolved"
        resolved_customer = conversation.customer_id
    report = run_backfill(app, store_id, clock)
    assert report.conversations.before == last_day
    with app.app_context():
        session = db.session()
        found = sorted((r.day, r.figure, r.detail, r.n) for r in session.scalars(
            select(ConversationRollup).where(ConversationRollup.store_id == store_id)) if r.n)
        clock_row = session.scalars(select(ReplyClock).where(
            ReplyClock.customer_id == resolved_customer)).one()
    # Every day as the live paths counted it, and the live day's resolution kept.
    assert found == sorted(live["conversation_rollups"] + [(last_day, "resolved", "", 1)])
    assert first_day < last_day
    assert not clock_row.open and clock_row.waiting_since is None
    # Run again: the first counted day is now the first day, and nothing moves.
    again = run_backfill(app, store_id, clock)
    assert again.conversations.figures == 0 and again.conversations.before == first_day


def test_the_command_fills_one_store_or_all_and_says_what_it_wrote(app: Flask) -> None:
    history = [("text", 0, 0, 0), ("team", 0, 30, 1), ("campaign", 0, 5, 1),
               ("click", 0, 5, 0), ("order", 0, 30, 3)]
    store_id, clock = live_history(app, history)
    other_id, _ = live_history(app, history)
    live = snapshot_of(app, store_id)
    with app.app_context(), db.transaction() as session:
        before_the_upgrade(session, store_id)
        before_the_upgrade(session, other_id)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["analytics-backfill", "--store", str(store_id)])
    assert result.exit_code == 0, result.output
    assert f"store {store_id}:" in result.output and f"store {other_id}:" not in result.output
    assert "1 orders attributed" in result.output
    assert "1 clicks" in result.output
    assert snapshot_of(app, store_id) == live
    assert not snapshot_of(app, other_id)["message_rollups"]
    everyone = runner.invoke(args=["analytics-backfill"])
    assert everyone.exit_code == 0, everyone.output
    assert f"store {other_id}:" in everyone.output
    assert snapshot_of(app, other_id)["message_rollups"]
    missing = runner.invoke(args=["analytics-backfill", "--store", "999999"])
    assert missing.exit_code != 0 and "no store 999999" in missing.output

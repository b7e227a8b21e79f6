"""Conversation rollups kept as events arrive equal a brute-force count over the events
(hypothesis), reply times count business hours only, and the real paths call the hooks:
a webhook's message, an outbox reply, a resolution, a survey score."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugin.infra import db
from plugin.models import Store
from plugin.pipeline import conversation_report, conversation_rollups, message_figures
from tests.worlds.conversation_figures import (
    START,
    STEP,
    TEXTS,
    Event,
    brute_force,
    brute_keywords,
    feed,
    keywords_rolled_up,
    make_store,
    rolled_up,
)

_EVENT = st.tuples(
    st.integers(min_value=0, max_value=96),  # quarter-hours after the previous event
    st.integers(min_value=0, max_value=2),
    st.sampled_from(("inbound", "inbound", "auto", "team", "team", "resolve", "csat")),
    st.sampled_from(TEXTS),
    st.integers(min_value=1, max_value=10))


def _events(drawn: list[tuple[int, int, str, str, int]]) -> list[Event]:
    at, events = START, []
    for gap, customer, kind, text, score in drawn:
        at += gap * STEP
        events.append(Event(at=at, customer=customer, kind=kind, text=text, score=score))
    return events


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(drawn=st.lists(_EVENT, min_size=1, max_size=25))
def test_the_rollups_equal_a_brute_force_count(app: Flask,
                                               drawn: list[tuple[int, int, str, str, int]]
                                               ) -> None:
    events = _events(drawn)
    store_id, customers = make_store(app)
    with app.app_context(), db.transaction() as session:
        feed(session, store_id, customers, events)
    with app.app_context():
        session = db.session()
        assert rolled_up(session, store_id) == brute_force(events)
        assert keywords_rolled_up(session, store_id) == brute_keywords(events)
        # The page's figures are the period's sums of the same counts.
        store = session.get(Store, store_id)
        assert store is not None
        span = message_figures.period(store, 90, now=events[-1].at + timedelta(minutes=1))
        found = conversation_report.figures(session, store, span)
        expected = brute_force(events)
        assert found.resolved == sum(n for (_d, f, _x), n in expected.items()
                                     if f == "resolved")
        assert found.times["team"].seconds == sum(
            n for (_d, f, w), n in expected.items() if f == "reply_s" and w == "team")
        assert found.csat_count == sum(1 for e in events if e.kind == "csat")


def test_a_reply_across_a_weekend_counts_only_the_open_minutes(app: Flask) -> None:
    # Friday 16:50 in New York (21:50 UTC) → Monday 09:10: 10 minutes on Friday, Saturday's
    # two open hours (09:00–11:00), none on Sunday, 10 on Monday. A message sent Saturday
    # at 10:55 waits 5 minutes that day and 10 on Monday.
    store_id, customers = make_store(app)
    friday = datetime(2026, 11, 6, 21, 50)  # 16:50 EST
    monday = datetime(2026, 11, 9, 14, 10)  # 09:10 EST
    events = [Event(at=friday, customer=0, kind="inbound", text="hello?"),
              Event(at=monday, customer=0, kind="team"),
              Event(at=datetime(2026, 11, 7, 15, 55), customer=1, kind="inbound",
                    text="still open?"),
              Event(at=monday, customer=1, kind="auto")]
    with app.app_context(), db.transaction() as session:
        feed(session, store_id, customers, sorted(events, key=lambda e: e.at))
    with app.app_context():
        session = db.session()
        store = session.get(Store, store_id)
        assert store is not None
        found = conversation_report.figures(session, store, message_figures.period(
            store, 7, now=monday))
    assert found.times["team"].first_seconds == (10 + 120 + 10) * 60
    assert found.times["any"].first_seconds == (140 + 15) * 60
    assert found.times["any"].first_over_target == 2  # 140 and 15 minutes: both over 5
    assert found.automatic_share == 50.0


def test_a_night_and_a_holiday_are_not_counted(app: Flask) -> None:
    store_id, customers = make_store(app)
    # Wednesday 25 November 16:55 EST → Friday 27 November 09:05: Thursday is a holiday.
    events = [Event(at=datetime(2026, 11, 25, 21, 55), customer=0, kind="inbound",
                    text="gift wrap?"),
              Event(at=datetime(2026, 11, 27, 14, 5), customer=0, kind="team")]
    with app.app_context(), db.transaction() as session:
        feed(session, store_id, customers, events)
    with app.app_context():
        session = db.session()
        store = session.get(Store, store_id)
        assert store is not None
        found = conversation_report.figures(session, store, message_figures.period(
            store, 7, now=events[-1].at))
    assert (found.times["team"].count, found.times["team"].seconds) == (1, 10 * 60)


def test_a_message_too_short_to_tell_takes_the_customers_locale_then_the_stores(
        app: Flask) -> None:
    store_id, customers = make_store(app)
    with app.app_context(), db.transaction() as session:
        store = session.get(Store, store_id)
        assert store is not None
        store.locale = "pt-BR"
        conversation_rollups.received(session, store_id, customers[0], START, kind="text",
                                      text="tracking errado", locale=None)
        conversation_rollups.received(session, store_id, customers[1], START, kind="text",
                                      text="tracking", locale="es_MX")
        conversation_rollups.received(session, store_id, customers[1], START, kind="text",
                                      text="where is the tracking")  # its own stop words
    with app.app_context():
        found = {(language, term) for _day, language, term in
                 keywords_rolled_up(db.session(), store_id)}
    assert found == {("pt_BR", "tracking"), ("pt_BR", "errado"), ("pt_BR", "tracking errado"),
                     ("es", "tracking"), ("en", "tracking")}


def test_keyword_trends_compare_with_the_period_before_and_show_the_top_terms(
        app: Flask) -> None:
    store_id, _customers = make_store(app)
    now = datetime(2026, 12, 6, 17, 0)  # noon in New York
    with app.app_context(), db.transaction() as session:
        store = session.get(Store, store_id)
        assert store is not None
        span = message_figures.period(store, 7, now=now)
        this_week, last_week, older = span.last, span.first - timedelta(days=1), \
            span.first - timedelta(days=8)
        for day, language, term, n in (
                (this_week, "en", "refund", 5), (span.first, "en", "refund", 1),
                (last_week, "en", "refund", 2), (this_week, "en", "size", 3),
                (last_week, "en", "size", 7), (last_week, "en", "gone", 9),
                (older, "en", "size", 100), (this_week, "es", "talla", 2)):
            for _ in range(n):
                conversation_rollups.count_terms(session, store_id, day, language, [term])
        trends = conversation_report.keyword_trends(session, store, span, top=2)
    assert {language: [(t.term, t.now, t.before, t.change) for t in terms]
            for language, terms in trends.items()} == {
        "en": [("refund", 6, 2, 4), ("size", 3, 7, -4)],  # "gone" was last week only
        "es": [("talla", 2, 0, 2)]}
    assert list(trends) == ["en", "es"]

"""Segment counts in SQL equal a brute-force filter in Python over the same random
customers, for definitions hypothesis draws; and the campaign's batched walk."""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugin.domain import segments as domain
from plugin.domain.consent import needs_confirmation
from plugin.domain.segments import Definition
from plugin.infra import db
from plugin.models import ConsentEntry, Customer, CustomerTag, Store
from plugin.pipeline import segments

NOW = datetime(2026, 6, 1, 12, 0, 0)
TAGS = ("new", "frequent", "at_risk", "vip", "deal_seeker")
COUNTRIES = ("PT", "BR", "US", "ES")
LANGUAGES = ("pt", "en", "es")
LOCALES = (None, "pt-BR", "pt_PT", "PT", "en", "en-US", "es_ES", "esp", "e")
SOURCES = ("widget", "woocommerce_cart", "api", "whatsapp_start", "whatsapp_stop", "checkout")
PURPOSES = ("marketing", "order_updates", "back_in_stock")


@dataclass
class Row:
    """One customer as the reference filter sees it."""

    id: int
    phone: str | None
    wa_id: str | None
    country: str | None
    locale: str | None
    order_count: int
    spent_cents: int
    last_order_at: datetime | None
    last_inbound_at: datetime | None
    tags: set[str]
    consent: dict[str, tuple[bool, str, datetime]]  # newest entry per purpose


def _moment(rng: random.Random) -> datetime | None:
    if rng.random() < 0.25:
        return None
    return NOW - timedelta(days=rng.choice([0, 1, 6, 7, 8, 29, 30, 31, 89, 90, 91, 400]),
                           seconds=rng.choice([0, 0, 1, 3599]),
                           microseconds=rng.choice([0, 0, 400000]))


def _build(app: Flask, seed: int, size: int = 160) -> tuple[int, list[Row]]:
    rng = random.Random(seed)
    rows: list[Row] = []
    with app.app_context(), db.transaction() as session:
        store = Store(platform="demo", domain="seg.example")
        other = Store(platform="demo", domain="other.example")
        session.add_all([store, other])
        session.flush()
        for n in range(size):
            # Every tenth customer belongs to another store: never counted.
            owner = other if n % 10 == 9 else store
            phone = rng.choice([None, "+351912345678", "+5511987654321", "+12025550123"])
            wa_id = rng.choice([None, None, "351912345678", "12025550123"])
            customer = Customer(
                store_id=owner.id, platform_id=f"p{n}", tags=[], phone_e164=phone, wa_id=wa_id,
                country=rng.choice((None, *COUNTRIES)), locale=rng.choice(LOCALES),
                order_count=rng.choice([0, 1, 2, 3, 5]),
                spent_cents=rng.choice([0, 999, 1000, 5000, 10000, 10001]),
                last_order_at=_moment(rng), last_inbound_at=_moment(rng))
            session.add(customer)
            session.flush()
            tags = set(rng.sample(TAGS, rng.randint(0, 3)))
            for tag in tags:
                session.add(CustomerTag(store_id=owner.id, customer_id=customer.id, tag=tag,
                                        source=rng.choice(["auto", "manual"])))
            consent: dict[str, tuple[bool, str, datetime]] = {}
            for _ in range(rng.randint(0, 4)):
                purpose = rng.choice(PURPOSES)
                entry = (rng.random() < 0.7, rng.choice(SOURCES),
                         NOW - timedelta(days=rng.choice([0, 1, 40]),
                                         seconds=rng.choice([0, 1]),
                                         microseconds=rng.choice([0, 300000])))
                session.add(ConsentEntry(store_id=owner.id, customer_id=customer.id,
                                         purpose=purpose, granted=entry[0], source=entry[1],
                                         created_at=entry[2]))
                session.flush()
                # Newest by time, the later id winning a tie: as the log is read.
                if purpose not in consent or entry[2] >= consent[purpose][2]:
                    consent[purpose] = entry
            if owner is store:
                rows.append(Row(customer.id, phone, wa_id, customer.country, customer.locale,
                                customer.order_count, customer.spent_cents,
                                customer.last_order_at, customer.last_inbound_at, tags,
                                consent))
        return store.id, rows


def _language(locale: str | None) -> str | None:
    if not locale:
        return None
    return locale.replace("-", "_").split("_")[0].lower()


def _criteria(d: Definition, r: Row) -> list[bool]:
    ago = lambda n: NOW - timedelta(days=n)  # noqa: E731
    found = [tag in r.tags for tag in d.tags_include]
    if d.spend_min is not None or d.spend_max is not None:
        found.append((d.spend_min is None or r.spent_cents >= d.spend_min * 100)
                     and (d.spend_max is None or r.spent_cents <= d.spend_max * 100))
    if d.orders_min is not None or d.orders_max is not None:
        found.append((d.orders_min is None or r.order_count >= d.orders_min)
                     and (d.orders_max is None or r.order_count <= d.orders_max))
    if d.last_order_within_days is not None:
        found.append(r.last_order_at is not None
                     and r.last_order_at >= ago(d.last_order_within_days))
    if d.last_order_before_days is not None:
        found.append(r.last_order_at is not None
                     and r.last_order_at < ago(d.last_order_before_days))
    heard = [t for t in (r.last_order_at, r.last_inbound_at) if t is not None]
    if d.interaction_within_days is not None:
        found.append(bool(heard) and max(heard) >= ago(d.interaction_within_days))
    if d.interaction_before_days is not None:
        found.append(bool(heard) and max(heard) < ago(d.interaction_before_days))
    if d.countries:
        found.append(r.country in d.countries)
    if d.languages:
        found.append(_language(r.locale) in d.languages)
    if d.consent_purpose:
        found.append(r.consent.get(d.consent_purpose, (False,))[0] is True)
    return found


def _matches(d: Definition, r: Row) -> bool:
    if any(tag in r.tags for tag in d.tags_exclude):
        return False
    found = _criteria(d, r)
    if not found:
        return True
    return all(found) if d.match == "all" else any(found)


def _reason(r: Row) -> str:
    """The send policy's reading, from plugin.domain.consent and policy, row by row."""
    if r.phone is None and r.wa_id is None:
        return domain.NO_NUMBER
    newest = r.consent.get("marketing")
    if newest is None:
        return domain.NO_OPT_IN
    granted, source, at = newest
    if not granted:
        return domain.OPTED_OUT
    if needs_confirmation(granted, source, at, r.last_inbound_at):
        return domain.UNCONFIRMED
    recipient = r.phone or f"+{r.wa_id}"
    if recipient.startswith("+1"):
        return domain.US_NUMBER
    return domain.REACHABLE


def _expected(d: Definition, rows: list[Row]) -> segments.Audience:
    reasons = [_reason(r) for r in rows if _matches(d, r)]
    return segments.Audience(
        matched=len(reasons), reachable=reasons.count(domain.REACHABLE),
        left_out={reason: reasons.count(reason) for reason in domain.LEFT_OUT})


_days = st.none() | st.sampled_from([1, 7, 30, 31, 90, 365])
definitions = st.builds(
    lambda match, inc, exc, smin, smax, omin, omax, low, lob, iw, ib, countries, langs, purpose:
    domain.parse({"match": match, "tags_include": inc, "tags_exclude": [t for t in exc
                                                                        if t not in inc],
                  "spend_min": smin, "spend_max": smax if smin is None or smax is None
                  or smax >= smin else smin, "orders_min": omin,
                  "orders_max": omax if omin is None or omax is None or omax >= omin else omin,
                  "last_order_within_days": low, "last_order_before_days": lob,
                  "interaction_within_days": iw, "interaction_before_days": ib,
                  "countries": countries, "languages": langs, "consent_purpose": purpose}),
    st.sampled_from(["all", "any"]), st.lists(st.sampled_from(TAGS), max_size=2, unique=True),
    st.lists(st.sampled_from(TAGS), max_size=2, unique=True),
    st.none() | st.sampled_from(["0", "9.99", "10", "50.00", "100.01"]),
    st.none() | st.sampled_from(["10", "100", "100.01"]),
    st.none() | st.integers(0, 5), st.none() | st.integers(0, 5),
    _days, _days, _days, _days,
    st.lists(st.sampled_from(COUNTRIES), max_size=2), st.lists(st.sampled_from(LANGUAGES),
                                                              max_size=2),
    st.none() | st.sampled_from(PURPOSES))


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(definition=definitions)
def test_counts_equal_a_brute_force_filter(app: Flask, definition: Definition) -> None:
    global _DATA
    if _DATA is None or _DATA[0] is not app:
        _DATA = (app, *_build(app, seed=17))
    _, store_id, rows = _DATA
    with app.app_context():
        assert segments.count(db.session(), store_id, definition, NOW) == \
            _expected(definition, rows)


_DATA: tuple[Flask, int, list[Row]] | None = None


def test_reachable_ids_walk_in_batches_of_one_query(app: Flask) -> None:
    store_id, rows = _build(app, seed=5, size=300)
    definition = domain.parse({"match": "any", "orders_min": 1, "tags_include": ["vip"]})
    expected = [r.id for r in rows
                if _matches(definition, r) and _reason(r) == domain.REACHABLE]
    assert len(expected) > 10
    with app.app_context():
        session = db.session()
        queries: list[str] = []

        def counted(*_: object) -> None:
            queries.append("q")

        from sqlalchemy import event
        engine = session.get_bind()
        event.listen(engine, "before_cursor_execute", counted)
        try:
            batches = list(segments.reachable_batches(session, store_id, definition, batch=7,
                                                      now=NOW))
        finally:
            event.remove(engine, "before_cursor_execute", counted)
        assert [i for batch in batches for i in batch] == expected
        assert all(len(b) == 7 for b in batches[:-1]) and batches
        assert len(queries) == len(batches) + 1  # the last, empty one ends the walk
        audience = segments.count(session, store_id, definition, NOW)
        assert audience.reachable == len(expected)


def test_a_segment_with_no_criteria_matches_the_whole_store(app: Flask) -> None:
    store_id, rows = _build(app, seed=3, size=40)
    with app.app_context():
        audience = segments.count(db.session(), store_id, domain.parse({}), NOW)
    assert audience.matched == len(rows)
    assert audience.reachable + sum(audience.left_out.values()) == len(rows)
    # The random data reaches every reason, so the brute-force comparison tests each.
    assert audience.reachable and all(audience.left_out.values()), audience

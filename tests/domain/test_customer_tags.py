"""The automatic tag rules, each at its boundary, and the owner's adjustments."""
from __future__ import annotations

from datetime import datetime, timedelta

from plugin.domain.customer_tags import (
    AT_RISK,
    DEAL_SEEKER,
    FREQUENT,
    HIGH_VALUE,
    NEW,
    CustomerFacts,
    TagRules,
    automatic_tags,
    clean_tag,
    placed_time,
    top_share_rank,
)

NOW = datetime(2026, 6, 1, 12, 0, 0)
DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)


def _facts(**changes: object) -> CustomerFacts:
    base: dict[str, object] = dict(now=NOW, order_count=1, recent_orders=0, discounted_orders=0,
                                   first_order_at=NOW - 100 * DAY, last_order_at=NOW - 20 * DAY,
                                   last_inbound_at=None, avg_order_cents=1000)
    base.update(changes)
    return CustomerFacts(**base)  # type: ignore[arg-type]


def test_new_is_a_first_order_at_most_seven_days_old() -> None:
    assert NEW in automatic_tags(_facts(first_order_at=NOW - 7 * DAY), TagRules(), None)
    assert NEW not in automatic_tags(_facts(first_order_at=NOW - 7 * DAY - SECOND),
                                     TagRules(), None)
    assert NEW not in automatic_tags(_facts(first_order_at=None, last_order_at=None,
                                            order_count=0), TagRules(), None)


def test_frequent_is_three_orders_in_the_window() -> None:
    assert FREQUENT in automatic_tags(_facts(recent_orders=3), TagRules(), None)
    assert FREQUENT not in automatic_tags(_facts(recent_orders=2), TagRules(), None)


def test_at_risk_is_thirty_days_without_an_order_or_a_message() -> None:
    rules = TagRules()
    assert AT_RISK in automatic_tags(_facts(last_order_at=NOW - 30 * DAY), rules, None)
    assert AT_RISK not in automatic_tags(_facts(last_order_at=NOW - 30 * DAY + SECOND),
                                         rules, None)
    # A message since breaks the silence; a customer who never ordered is not at risk.
    assert AT_RISK not in automatic_tags(_facts(last_order_at=NOW - 60 * DAY,
                                                last_inbound_at=NOW - 29 * DAY), rules, None)
    assert AT_RISK not in automatic_tags(_facts(order_count=0, first_order_at=None,
                                                last_order_at=None,
                                                last_inbound_at=NOW - 90 * DAY), rules, None)


def test_deal_seeker_is_half_or_more_of_the_orders_discounted() -> None:
    assert DEAL_SEEKER in automatic_tags(_facts(order_count=4, discounted_orders=2),
                                         TagRules(), None)
    assert DEAL_SEEKER not in automatic_tags(_facts(order_count=5, discounted_orders=2),
                                             TagRules(), None)
    assert DEAL_SEEKER not in automatic_tags(_facts(order_count=0, discounted_orders=0,
                                                    first_order_at=None, last_order_at=None),
                                             TagRules(), None)


def test_high_value_compares_with_the_threshold_ties_included() -> None:
    assert HIGH_VALUE in automatic_tags(_facts(avg_order_cents=9000), TagRules(), 9000)
    assert HIGH_VALUE not in automatic_tags(_facts(avg_order_cents=8999), TagRules(), 9000)
    assert HIGH_VALUE not in automatic_tags(_facts(avg_order_cents=10**9), TagRules(), None)


def test_the_top_share_rank() -> None:
    assert top_share_rank(4, 0.2) is None  # too few customers to say
    assert top_share_rank(5, 0.2) == 1
    assert top_share_rank(10, 0.2) == 2
    assert top_share_rank(11, 0.2) == 3  # 2.2 customers: the top 20 % takes the third
    assert top_share_rank(100, 0.2) == 20


def test_owner_rules_override_defaults_and_bad_values_keep_them() -> None:
    rules = TagRules.from_json({"new_days": 14, "deal_share": 0.75, "frequent_orders": "5",
                                "at_risk_days": 0, "high_value_top_share": True, "x": 1})
    assert rules == TagRules(new_days=14, deal_share=0.75)
    assert TagRules.from_json(rules.to_json()) == rules
    assert NEW in automatic_tags(_facts(first_order_at=NOW - 14 * DAY), rules, None)


def test_manual_tags_and_times_are_read_safely() -> None:
    assert clean_tag("  VIP Customer! ") == "vip_customer"
    assert clean_tag("!!!") is None
    assert placed_time("2008-01-10T11:00:00-05:00") == datetime(2008, 1, 10, 16, 0)
    assert placed_time("2024-03-15T10:30:00") is None  # no offset: zone unknown
    assert placed_time("soon") is None

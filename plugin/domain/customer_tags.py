"""Automatic customer tags: the rules, their defaults, and the owner's adjustments.

Each rule reads a few facts about one customer (their orders and their last message) and
says whether a tag applies. The owner may adjust every threshold per store; a value they
did not set keeps its default. The `high_value` rule compares the customer's average order
value with a per-store threshold computed from all customers (see `top_share_rank`).
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timedelta
from typing import Any

# The automatic tags, as stored and as filters name them.
NEW = "new"
FREQUENT = "frequent"
AT_RISK = "at_risk"
DEAL_SEEKER = "deal_seeker"
HIGH_VALUE = "high_value"
AUTOMATIC = (NEW, FREQUENT, AT_RISK, DEAL_SEEKER, HIGH_VALUE)
# Where a tag came from: a rule, the owner, or a keyword in the shopper's messages.
SOURCE_AUTO = "auto"
SOURCE_MANUAL = "manual"
SOURCE_KEYWORD = "keyword"

# `new`: the first order was placed within this many days.
NEW_DAYS = 7
# `frequent`: at least FREQUENT_ORDERS orders within FREQUENT_DAYS days.
FREQUENT_ORDERS = 3
FREQUENT_DAYS = 90
# `at_risk`: has ordered, and neither ordered nor wrote to the store for this many days.
AT_RISK_DAYS = 30
# `deal_seeker`: at least this share of their orders used a discount code.
DEAL_SHARE = 0.5
# `high_value`: average order value within the store's top share of customers...
HIGH_VALUE_TOP_SHARE = 0.2
# ...once the store has at least this many customers with orders (a top 20 % of three
# customers says nothing about anyone).
HIGH_VALUE_MIN_CUSTOMERS = 5

# A manual tag: letters, digits, '-' and '_', lower case, at most this long.
TAG_MAX_LENGTH = 40


@dataclass(frozen=True, slots=True, kw_only=True)
class TagRules:
    """A store's thresholds (the defaults above unless its owner changed them)."""

    new_days: int = NEW_DAYS
    frequent_orders: int = FREQUENT_ORDERS
    frequent_days: int = FREQUENT_DAYS
    at_risk_days: int = AT_RISK_DAYS
    deal_share: float = DEAL_SHARE
    high_value_top_share: float = HIGH_VALUE_TOP_SHARE

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> TagRules:
        """Rules from stored JSON: an unknown key is ignored, a value of the wrong type or
        out of range keeps its default; never raises."""
        values: dict[str, Any] = {}
        for field in fields(cls):
            value = (data or {}).get(field.name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                continue
            if field.type == "int" and isinstance(value, int) and 1 <= value <= 3650:
                values[field.name] = value
            elif field.type == "float" and 0 < value <= 1:
                values[field.name] = float(value)
        return cls(**values)

    def to_json(self) -> dict[str, Any]:
        """JSON-safe, as stored."""
        return asdict(self)


@dataclass(frozen=True, slots=True, kw_only=True)
class CustomerFacts:
    """What the rules read about one customer, at `now` (all times naive UTC)."""

    now: datetime
    order_count: int  # orders that count (not cancelled, refunded or deleted)
    recent_orders: int  # of those, placed within rules.frequent_days
    discounted_orders: int
    first_order_at: datetime | None
    last_order_at: datetime | None
    last_inbound_at: datetime | None
    avg_order_cents: int


def automatic_tags(facts: CustomerFacts, rules: TagRules,
                   high_value_cents: int | None) -> frozenset[str]:
    """The automatic tags that apply to the customer; `high_value_cents` is the store's
    threshold (None: not computed, or too few customers to say)."""
    tags = set()
    if facts.first_order_at is not None \
            and facts.now - facts.first_order_at <= timedelta(days=rules.new_days):
        tags.add(NEW)
    if facts.recent_orders >= rules.frequent_orders:
        tags.add(FREQUENT)
    if facts.last_order_at is not None:
        heard = max(t for t in (facts.last_order_at, facts.last_inbound_at) if t is not None)
        if facts.now - heard >= timedelta(days=rules.at_risk_days):
            tags.add(AT_RISK)
    if facts.order_count and facts.discounted_orders >= rules.deal_share * facts.order_count:
        tags.add(DEAL_SEEKER)
    if high_value_cents is not None and facts.order_count \
            and facts.avg_order_cents >= high_value_cents:
        tags.add(HIGH_VALUE)
    return frozenset(tags)


def top_share_rank(customers: int, share: float) -> int | None:
    """How many customers, by average order value from the highest, make the top `share`
    (at least one); None below HIGH_VALUE_MIN_CUSTOMERS."""
    if customers < HIGH_VALUE_MIN_CUSTOMERS:
        return None
    return max(1, math.ceil(round(customers * share, 9)))


def clean_tag(raw: str) -> str | None:
    """An owner's manual tag in its stored form ('VIP customer' → 'vip_customer'), or None
    when nothing usable is left."""
    words = "".join(c if c.isalnum() or c in "-_" else " " for c in raw.strip().casefold())
    tag = "_".join(words.split())[:TAG_MAX_LENGTH].strip("_-")
    return tag or None


def placed_time(value: str) -> datetime | None:
    """An ISO 8601 time as naive UTC (how every stored time is kept); None when unreadable
    or without an offset (a local time of unknown zone)."""
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return (moment - moment.utcoffset()).replace(tzinfo=None)  # type: ignore[operator]

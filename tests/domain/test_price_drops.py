"""The price-drop rules: what counts as a drop, the repeat window's buckets, the causes."""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from plugin.domain import price_drops
from plugin.domain.price_drops import (
    DEFAULT_DROP_PERCENT,
    cause,
    confirmed_text,
    is_drop,
    listed_price,
    subscribed,
    window_of,
)


@pytest.mark.parametrize(("old", "new", "percent", "expected"), [
    ("20.00", "18.50", None, True),    # 7.5 %: the issue's own example alerts by default
    ("20.00", "19.50", None, False),   # 2.5 %
    ("20.00", "19.00", None, True),    # exactly 5 %
    ("20.00", "19.01", None, False),
    ("20.00", "18.50", 10, False),     # a store asking for 10 %
    ("20.00", "18.00", 10, True),
    ("20.00", "18.50", 0, True),       # no usable setting: the default
    ("20.00", "21.00", None, False),   # a rise
    ("20.00", "20.00", None, False),
    ("0", "0.50", None, False),
])
def test_is_drop(old: str, new: str, percent: int | None, expected: bool) -> None:
    assert is_drop(Decimal(old), Decimal(new), percent) is expected


def test_an_unknown_price_is_no_drop() -> None:
    assert DEFAULT_DROP_PERCENT == 5
    assert not is_drop(None, Decimal("1"), None)
    assert not is_drop(Decimal("20"), None, None)


def test_listed_price_reads_the_sale_price_first() -> None:
    assert listed_price({"price": "20.00 EUR", "sale_price": ""}) == Decimal("20.00")
    assert listed_price({"price": "25.00 EUR", "sale_price": "20.00 EUR"}) == Decimal("20.00")
    assert listed_price({"price": "1200 JPY"}) == Decimal("1200")
    for data in (None, {}, {"price": ""}, {"price": "free"}, {"price": "NaN EUR"},
                 {"price": "0.00 EUR"}):
        assert listed_price(data) is None


def test_buckets_are_30_days_long() -> None:
    assert price_drops.REPEAT_WINDOW == timedelta(days=30)
    assert window_of(datetime(2020, 1, 1)) == window_of(datetime(2020, 1, 30, 23, 59)) == 0
    assert window_of(datetime(2020, 1, 31)) == 1
    at = datetime(2026, 12, 6, 10, 0)
    assert window_of(at + timedelta(days=31)) == window_of(at) + 1


def test_causes_say_whether_the_shopper_subscribed() -> None:
    assert cause(12, subscribed=True) == "price_drop:12:subscribed"
    assert cause(12, subscribed=False) == "price_drop:12"
    assert subscribed("price_drop:12:subscribed")
    assert not subscribed("price_drop:12") and not subscribed("stock_alert:12:subscribed")


def test_the_confirmation_speaks_the_shoppers_language() -> None:
    assert confirmed_text(["Shirt"], "pt_BR").startswith("Pronto! Vamos enviar")
    assert "Shirt, Mug" in confirmed_text(["Shirt", "Mug"], "xx")

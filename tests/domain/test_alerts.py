"""The pure rules of back-in-stock alerts: stock from a catalog row, the hourly quota."""
from __future__ import annotations

from plugin.domain import alerts
from plugin.domain.alerts import Stock, release_quota, stock_of
from plugin.domain.policy import SOLD_OUT_AGAIN, SendContext, decide


def test_stock_sums_locations_and_counts_a_negative_quantity_as_none() -> None:
    assert stock_of({"1": 3, "2": -5}, "out of stock") == Stock(True, 3)
    assert stock_of({"1": -2}, "in stock") == Stock(False, 0)
    assert stock_of({"1": None}, "in stock") == Stock(True, None)  # availability decides
    assert stock_of({}, None) == Stock(None, None)


def test_the_quota_is_twice_the_units_less_what_the_hour_released() -> None:
    assert release_quota(Stock(True, 3), 0) == 6
    assert release_quota(Stock(True, 3), 6) == 0
    assert release_quota(Stock(True, 5), 6) == 4
    assert release_quota(Stock(True, None), 5) == alerts.UNKNOWN_UNITS_BATCH - 5
    assert release_quota(Stock(False, 0), 0) == 0
    assert release_quota(Stock(None, None), 0) == 0


def test_causes_name_their_subscription_and_nothing_else() -> None:
    assert alerts.subscription_of(alerts.cause(42)) == 42
    assert alerts.subscription_of("order:42") is None
    assert alerts.subscription_of("stock_alert:4x") is None


def test_labels_and_names() -> None:
    assert alerts.product_label("shirt – shirt") == "shirt"
    assert alerts.product_label("Boots – 42") == "Boots – 42"
    assert alerts.first_name_or_fallback("  ", "pt_BR") == "cliente"
    assert alerts.first_name_or_fallback("Ana", "en") == "Ana"


def test_an_alert_whose_variant_sold_out_again_is_skipped() -> None:
    context = SendContext(store_active=True, recipient="+351910000001", is_template=True,
                          in_stock=False)
    assert decide(context).reason == SOLD_OUT_AGAIN
    assert decide(SendContext(store_active=True, recipient="+351910000001",
                              is_template=True, in_stock=None)).send

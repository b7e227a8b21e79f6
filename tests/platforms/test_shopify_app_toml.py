"""shopify.app.toml: its webhooks, URLs and scopes agree with what the code serves."""
from __future__ import annotations

import tomllib
from typing import Any

import pytest
from flask import Flask

from adapters.shopify import webhooks
from plugin.config import Settings
from tests.conftest import ROOT

# The topics of issue 3, each of which StoreChat stores and acts on (or deliberately
# handles outside the event adapter: uninstall and shop updates).
EVENT_TOPICS = {
    "orders/create", "orders/paid", "orders/updated", "orders/cancelled", "orders/fulfilled",
    "fulfillments/create", "fulfillments/update", "refunds/create",
    "checkouts/create", "checkouts/update",
    "products/create", "products/update", "products/delete", "inventory_levels/update",
    "customers/create", "customers/update", "customers_marketing_consent/update",
    "app/uninstalled", "shop/update", "bulk_operations/finish",
}
COMPLIANCE = {"customers/data_request", "customers/redact", "shop/redact"}
HANDLED_OUTSIDE_THE_ADAPTER = {"app/uninstalled", "shop/update"}


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    return tomllib.loads((ROOT / "shopify.app.toml").read_text())


def _subscriptions(config: dict[str, Any]) -> list[dict[str, Any]]:
    return config["webhooks"]["subscriptions"]


def test_every_topic_is_subscribed_to_the_shopify_receiver(config: dict[str, Any],
                                                           app: Flask) -> None:
    topics = {t for s in _subscriptions(config) for t in s.get("topics", [])}
    compliance = {t for s in _subscriptions(config) for t in s.get("compliance_topics", [])}
    assert topics == EVENT_TOPICS
    assert compliance == COMPLIANCE
    served = {rule.rule for rule in app.url_map.iter_rules() if "POST" in rule.methods}
    for subscription in _subscriptions(config):
        assert subscription["uri"] == "/webhooks/shopify"
        assert subscription["uri"] in served


def test_each_event_topic_is_one_the_adapter_parses(config: dict[str, Any]) -> None:
    for topic in EVENT_TOPICS - HANDLED_OUTSIDE_THE_ADAPTER:
        # A topic the adapter knows tries to read the body (and fails on this one); an
        # unknown topic is ignored (None): a typo in the toml would land here.
        with pytest.raises(webhooks.PayloadError):
            webhooks.parse_event(topic, b"not json")


def test_urls_point_at_the_app_home_and_the_callback(config: dict[str, Any], app: Flask) -> None:
    rules = {rule.rule for rule in app.url_map.iter_rules()}
    assert config["embedded"] is True
    assert config["application_url"].endswith("/shopify/app")
    assert "/shopify/app" in rules
    assert all(url.endswith("/shopify/callback") for url in config["auth"]["redirect_urls"])
    assert "/shopify/callback" in rules


def test_scopes_are_the_small_set_the_code_needs(config: dict[str, Any]) -> None:
    scopes = set(config["access_scopes"]["scopes"].split(","))
    assert scopes == {"write_orders", "read_fulfillments", "read_customers", "read_products",
                      "read_inventory", "read_locales", "write_draft_orders",
                      "write_discounts"}
    assert not any(s.endswith("all_orders") or s.startswith("write_customers") for s in scopes)
    assert config["access_scopes"]["use_legacy_install_flow"] is False
    assert config["webhooks"]["api_version"] == Settings().shopify_api_version

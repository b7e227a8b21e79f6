"""The button of a recovery message: GET /t/<token> counts the first click on its step and
leads to the platform's recovery link, with the step's discount applied the platform's way."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from plugin.infra import db
from plugin.pipeline.recovery.links import destination
from tests.pipeline.test_checkouts import CHECKOUT_TOKEN
from tests.worlds.recovery_rows import RecoveryWorld, running_world, shopify_checkout, woo_cart

RECOVER_PATH = f"/1/checkouts/{CHECKOUT_TOKEN}/recover"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[RecoveryWorld]:
    yield from running_world(tmp_path)


def _shopify_cart(world: RecoveryWorld) -> int:
    assert world.shopify("checkouts/create", shopify_checkout()) == 200
    [checkout] = world.checkouts()
    return checkout.id


def _clicked(world: RecoveryWorld, checkout_id: int) -> list[object]:
    return [row.clicked_at for row in world.steps(checkout_id)]


def test_a_click_is_counted_once_and_leads_to_the_shopify_checkout(world: RecoveryWorld) -> None:
    checkout_id = _shopify_cart(world)
    token = world.mark_sent(checkout_id, 1, db.utcnow() - timedelta(hours=2))

    first = world.client.get(f"/t/{token}")
    assert first.status_code == 302
    assert first.headers["Location"] == f"https://acme.myshopify.com{RECOVER_PATH}?key=k"
    assert first.headers["Cache-Control"] == "no-store"
    assert first.headers["Referrer-Policy"] == "no-referrer"
    [clicked, two, three] = _clicked(world, checkout_id)
    assert clicked is not None and two is None and three is None

    again = world.client.get(f"/t/{token}")
    assert again.status_code == 302 and again.headers["Location"] == first.headers["Location"]
    assert _clicked(world, checkout_id)[0] == clicked  # the first click's time stays


def test_a_head_request_redirects_but_is_not_a_click(world: RecoveryWorld) -> None:
    # Link previews and prefetchers ask with HEAD; only a shopper's GET counts.
    checkout_id = _shopify_cart(world)
    token = world.mark_sent(checkout_id, 1, db.utcnow() - timedelta(hours=2))
    response = world.client.head(f"/t/{token}")
    assert response.status_code == 302
    assert _clicked(world, checkout_id) == [None, None, None]


def test_a_shopify_discount_goes_through_the_shareable_discount_link(
        world: RecoveryWorld) -> None:
    checkout_id = _shopify_cart(world)
    token = world.mark_sent(checkout_id, 3, db.utcnow() - timedelta(hours=2),
                            discount_code="CART-10 OFF")
    response = world.client.get(f"/t/{token}")
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert (location.scheme, location.netloc, location.path) == (
        "https", "acme.myshopify.com", "/discount/CART-10%20OFF")
    assert parse_qs(location.query) == {"redirect": [f"{RECOVER_PATH}?key=k"]}
    assert world.steps(checkout_id)[2].clicked_at is not None


def test_a_woocommerce_discount_rides_on_the_restore_link(world: RecoveryWorld) -> None:
    world.woo_cart(woo_cart())
    [cart] = world.checkouts()
    plain = world.mark_sent(cart.id, 1, db.utcnow() - timedelta(days=1))
    coupon = world.mark_sent(cart.id, 3, db.utcnow() - timedelta(hours=1),
                             discount_code="WC-5&X")
    assert world.client.get(f"/t/{plain}").headers["Location"] == (
        "https://woo.example.com/?storechat_restore=9f86d081")
    assert world.client.get(f"/t/{coupon}").headers["Location"] == (
        "https://woo.example.com/?storechat_restore=9f86d081&coupon=WC-5%26X")


def test_a_completed_checkout_still_leads_to_its_recovery_link(world: RecoveryWorld) -> None:
    checkout_id = _shopify_cart(world)
    token = world.mark_sent(checkout_id, 1, db.utcnow() - timedelta(hours=2))
    assert world.shopify("checkouts/update", shopify_checkout(
        completed_at="2026-11-20T11:00:00+01:00", updated_at="2026-11-20T11:00:00+01:00")) == 200
    assert world.checkouts()[0].completed_at is not None
    response = world.client.get(f"/t/{token}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{RECOVER_PATH}?key=k")


@pytest.mark.parametrize("token", ["AAAAAAAAAAAAAAAAAAAAAA", "short", "a" * 65, "..%2F..%2Fadmin",
                                   "abc def ghi jkl mno"])
def test_an_unknown_or_malformed_token_is_404(world: RecoveryWorld, token: str) -> None:
    checkout_id = _shopify_cart(world)
    world.mark_sent(checkout_id, 1, db.utcnow() - timedelta(hours=2))
    assert world.client.get(f"/t/{token}").status_code == 404
    assert _clicked(world, checkout_id) == [None, None, None]


def test_a_cart_without_an_http_recovery_link_is_404(world: RecoveryWorld) -> None:
    assert world.shopify("checkouts/create", shopify_checkout(
        abandoned_checkout_url="javascript:alert(1)")) == 200
    [checkout] = world.checkouts()
    token = world.mark_sent(checkout.id, 1, db.utcnow() - timedelta(hours=2))
    assert world.client.get(f"/t/{token}").status_code == 404


@pytest.mark.parametrize(("platform", "url", "code", "expected"), [
    ("shopify", "https://shop.example/checkouts/c/x/recover", None,
     "https://shop.example/checkouts/c/x/recover"),
    ("shopify", "https://shop.example/x/recover?key=a&b=c", "SAVE/10",
     "https://shop.example/discount/SAVE%2F10?redirect=%2Fx%2Frecover%3Fkey%3Da%26b%3Dc"),
    ("woocommerce", "https://woo.example/cart/", "SAVE10",
     "https://woo.example/cart/?coupon=SAVE10"),
    ("woocommerce", "ftp://woo.example/?r=1", "SAVE10", ""),
    ("shopify", "", "SAVE10", ""),
    ("shopify", None, None, ""),
])
def test_destinations(platform: str, url: str | None, code: str | None, expected: str) -> None:
    assert destination(platform, url, code) == expected

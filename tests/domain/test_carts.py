"""A cart's lines and the words of our answers (pure)."""
from __future__ import annotations

from plugin.domain import carts
from plugin.domain.carts import CartLine


def test_lines_keep_positive_quantities_and_add_up_repeats() -> None:
    items = [{"product_retailer_id": "a", "quantity": 2},
             {"product_retailer_id": "b", "quantity": 0},
             {"product_retailer_id": " a ", "quantity": 1},
             {"product_retailer_id": "c", "quantity": True},
             {"product_retailer_id": "", "quantity": 3},
             {"product_retailer_id": "d", "quantity": "2"},
             {"product_retailer_id": "e", "quantity": 1}]
    assert carts.cart_lines(items) == [CartLine(retailer_id="a", quantity=3),
                                       CartLine(retailer_id="e", quantity=1)]


def test_the_pay_link_names_what_could_not_be_added() -> None:
    assert carts.pay_link_text("Acme", "https://pay.example/1") == (
        "Thank you for your order at Acme! Pay and confirm it here: https://pay.example/1")
    text = carts.pay_link_text("", "https://pay.example/1", ["x", "y"])
    assert text.startswith("Thank you for your order! Pay and confirm")
    assert text.endswith("these items in our shop any more, so they are not in your "
                         "checkout: x, y.")


def test_a_long_list_of_unknown_items_is_cut() -> None:
    unknown = [f"sku-{n}" for n in range(13)]
    text = carts.nothing_known_text(unknown)
    assert "sku-9 and 3 more." in text and "sku-10" not in text
    assert carts.nothing_known_text([]) == ("Your cart was empty. Please pick your items "
                                            "from our catalog again.")

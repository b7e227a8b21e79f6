"""The cart fields a recovery message names, rendered as WhatsApp takes them."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from types import SimpleNamespace

from plugin.domain import recovery


def _checkout(**values: object) -> SimpleNamespace:
    row = {"first_name": "Ana", "items": [
        {"title": "Linen shirt", "variant_title": "Blue / M", "quantity": 2, "price": "45.00",
         "image_url": "https://cdn.example.com/shirt.jpg"},
        {"title": "Tote", "variant_title": "Default Title", "quantity": 1, "price": "0.5"}],
        "item_count": 3, "total": "1500.5", "currency": "EUR"}
    row.update(values)
    return SimpleNamespace(**row)


def test_fields_render_in_the_carts_currency_and_keep_the_no_break_space() -> None:
    cart = recovery.cart_view(_checkout(), link_url="https://chat.example.com/t/abc",
                              discount_code="SC-1", discount=recovery.Discount(10, 48),
                              discount_expires_at=datetime(2026, 12, 8, 9, 30))
    names = ("first_name", "first_item", "item_count", "cart_total", "cart_url",
             "discount_code", "discount_percent", "discount_expires")
    assert recovery.render_cart_parameters(cart, names, "es") == (
        "Ana", "Linen shirt (Blue / M)", "3", "1500,50\u00a0€", "https://chat.example.com/t/abc",
        "SC-1", "10%", "2026-12-08 09:30")
    assert recovery.first_image(cart) == "https://cdn.example.com/shirt.jpg"


def test_missing_values_never_leave_a_parameter_empty_and_lines_are_joined() -> None:
    cart = recovery.cart_view(_checkout(first_name="", items=[
        {"title": "Mug\n\tlarge", "variant_title": "Default Title", "quantity": 1,
         "price": "1", "image_url": "http://insecure.example.com/a.jpg"}],
        total="1000", currency="JPY"))
    assert recovery.render_cart_parameters(
        cart, ("first_name", "first_item", "cart_total", "discount_code", "nope"), "en") == (
        "there", "Mug large", "¥1,000", "-", "-")
    assert recovery.first_image(cart) == ""
    assert recovery.unknown_fields(["first_name", "nope"]) == ["nope"]


def test_a_discount_is_read_only_within_its_limits() -> None:
    assert recovery.discount_of({"discount_percent": 15, "discount_hours": 24}) == \
        recovery.Discount(15, 24)
    assert recovery.discount_of({"discount_percent": 0}) is None
    assert recovery.discount_of({"discount_percent": 95}) is None
    assert recovery.discount_of({"discount_percent": "x"}) is None
    assert recovery.discount_of(None) is None


def test_steps_are_named_and_read_back_and_never_due_before_fifteen_minutes() -> None:
    assert [d.journey for d in recovery.DEFAULT_STEPS] == [
        "cart_recovery_1", "cart_recovery_2", "cart_recovery_3"]
    assert recovery.step_number("cart_recovery_2") == 2
    assert recovery.step_number("order_shipped") is None
    assert recovery.step_number("cart_recovery_0") is None
    assert recovery.effective_delay_minutes(0) == 15
    assert recovery.effective_delay_minutes(60) == 60
    assert Decimal(str(recovery.cart_view(_checkout(total="12.345", currency="KWD")).total)) \
        == Decimal("12.345")

"""Meta's item messages become a sentence the owner can act on, with Meta's words kept."""
from __future__ import annotations

from plugin.domain.catalog_problems import plain_reason


def test_an_image_error_says_what_to_fix_and_keeps_metas_text() -> None:
    reason = plain_reason("image_link: Image URL could not be downloaded (HTTP 403).")
    assert reason.startswith("WhatsApp could not use the product's image")
    assert reason.endswith("(WhatsApp said: “image_link: Image URL could not be downloaded "
                           "(HTTP 403).”)")


def test_a_sale_price_error_is_not_taken_for_a_price_error() -> None:
    assert plain_reason("sale_price must be lower than price").startswith("The sale price")
    assert plain_reason("Invalid price format '12,50'.").startswith("The price is not")


def test_an_unknown_message_falls_back_and_a_warning_says_it_is_listed() -> None:
    assert plain_reason("Something new").startswith("WhatsApp did not accept this item.")
    assert plain_reason("", warning=False).endswith("(WhatsApp said: “no details”)")
    assert plain_reason("description: too short", warning=True).startswith(
        "Listed, with a warning: the description")

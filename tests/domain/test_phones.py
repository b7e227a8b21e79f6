"""Phone numbers: E.164 from what people type, and numbers read back from storage."""
from __future__ import annotations

import pytest

from plugin.domain.phones import masked, stored_e164, time_zone_for, to_e164, wa_recipient


def test_a_national_number_takes_the_store_country() -> None:
    assert to_e164("912 345 678", "PT") == "+351912345678"
    assert to_e164("612 345 678", "PT") is None  # a Spanish mobile is not Portuguese
    assert to_e164("+34 612 345 678", "PT") == "+34612345678"


@pytest.mark.parametrize(("stored", "country", "expected"), [
    ("+34612345678", "PT", "+34612345678"),  # E.164, as kept now
    ("34612345678", "PT", "+34612345678"),  # bare digits of a foreign number (older rows)
    ("351912345678", "PT", "+351912345678"),  # bare digits of a home number
    ("351912345678", None, "+351912345678"),
    ("912 345 678", "PT", "+351912345678"),  # a national number still reads nationally
    ("912345678", "PT", "+351912345678"),  # digits that are no valid international number
    ("12", "PT", None),
    ("", "PT", None),
    (None, "PT", None),
])
def test_stored_numbers_read_back_whatever_the_store_country(
        stored: str | None, country: str | None, expected: str | None) -> None:
    assert stored_e164(stored, country) == expected


def test_the_cloud_api_recipient_has_no_plus() -> None:
    assert wa_recipient("+34612345678") == "34612345678"


@pytest.mark.parametrize(("e164", "shown"), [
    ("+351912345678", "+351 ••••••678"),
    ("+34612345678", "+34 ••••••678"),
    ("+15555550100", "+1 •••••••100"),
    ("12345", "••345"),  # not a number we can read: digits only, still masked
])
def test_a_masked_number_keeps_the_country_code_and_the_last_digits(e164: str,
                                                                     shown: str) -> None:
    assert masked(e164) == shown


def test_quiet_hours_are_read_in_the_shoppers_zone_when_their_number_names_one() -> None:
    # An Indian mobile is in India's one zone, whatever the store's.
    assert time_zone_for("+919876543210", "Europe/Lisbon") == "Asia/Calcutta"
    # Spain's mobiles may be in Madrid or the Canaries: the store's zone when it is one.
    assert time_zone_for("+34612345678", "Europe/Madrid") == "Europe/Madrid"
    # Several zones, none the store's: no better guess than the store's.
    assert time_zone_for("+34612345678", "Asia/Kolkata") == "Asia/Kolkata"
    assert time_zone_for(None, "UTC") == "UTC"
    # A store that has not said where it is keeps no quiet hours.
    assert time_zone_for("+919876543210", None) is None
    assert time_zone_for("not a number", "UTC") == "UTC"

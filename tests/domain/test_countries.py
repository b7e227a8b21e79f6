"""Country names for the admin's sentences ("Portugal", not "PT")."""
from __future__ import annotations

import phonenumbers

from plugin.domain.countries import NAMES, country_name
from plugin.domain.phones import example_number


def test_every_region_a_phone_number_can_have_is_named() -> None:
    assert sorted(phonenumbers.SUPPORTED_REGIONS - NAMES.keys()) == []
    assert all(name and name != code for code, name in NAMES.items())


def test_names_read_as_people_say_them() -> None:
    assert country_name("PT") == "Portugal"
    assert country_name("pt") == "Portugal"
    assert country_name("KR") == "South Korea"
    assert country_name("GB") == "United Kingdom"
    assert country_name("MK") == "North Macedonia"


def test_an_unknown_code_stays_itself() -> None:
    assert country_name("ZZ") == "ZZ"
    assert country_name(None) == ""
    assert country_name("") == ""


def test_an_example_number_is_a_valid_mobile_number_of_the_country() -> None:
    assert example_number("PT") == "+351 912 345 678"
    for region in ("BR", "IN", "US", None, "ZZ"):
        parsed = phonenumbers.parse(example_number(region))
        assert phonenumbers.is_valid_number(parsed), region
    assert phonenumbers.region_code_for_number(phonenumbers.parse(example_number("BR"))) == "BR"

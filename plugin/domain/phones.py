"""Phone numbers in E.164, from whatever a shopper typed and the store's country."""
from __future__ import annotations

import phonenumbers

# The number shown as an example when a store's country has none of its own.
_EXAMPLE_REGION = "PT"


def to_e164(raw: str | None, default_country: str | None = None) -> str | None:
    """'+351912345678' for a valid number (national numbers use the store's country), else None."""
    if not raw or not raw.strip():
        return None
    try:
        parsed = phonenumbers.parse(raw.strip(), (default_country or "").upper() or None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def wa_recipient(e164: str) -> str:
    """The Cloud API's `to`: the E.164 number without its plus sign."""
    return e164.lstrip("+")


def example_number(region: str | None) -> str:
    """An example mobile number of the region, in international format ('+351 912 345 678')."""
    code = (region or "").strip().upper() or _EXAMPLE_REGION
    mobile = phonenumbers.PhoneNumberType.MOBILE
    example = (phonenumbers.example_number_for_type(code, mobile)
               or phonenumbers.example_number_for_type(_EXAMPLE_REGION, mobile))
    assert example is not None  # phonenumbers has a mobile example for Portugal
    return phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.INTERNATIONAL)

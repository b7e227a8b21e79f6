"""Phone numbers in E.164, from whatever a shopper typed and the store's country."""
from __future__ import annotations

import phonenumbers
from phonenumbers import timezone

from plugin.domain.countries import country_name

# The number shown as an example when a store's country has none of its own.
_EXAMPLE_REGION = "PT"
# What phonenumbers answers for a number whose zone it does not know.
_UNKNOWN_ZONE = "Etc/Unknown"


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


def stored_e164(raw: str | None, default_country: str | None = None) -> str | None:
    """A number read back from storage: E.164 as kept today, or the bare digits earlier
    versions kept (E.164 without its plus: tried as international first, because reading
    '34612345678' as a Portuguese national number would lose a Spanish agent), else a
    national number of `default_country`. None when no reading is valid."""
    if raw and raw.strip().isdigit():
        international = to_e164("+" + raw.strip())
        if international is not None:
            return international
    return to_e164(raw, default_country)


# A masked number keeps this many final digits, enough to tell numbers apart in a list.
MASK_KEEP_DIGITS = 3


def masked(e164: str) -> str:
    """'+351 ••••••678': the country code and the last digits, for lists that need no more."""
    try:
        parsed = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        parsed = None
    digits = e164.lstrip("+")
    if parsed is None or not parsed.country_code:
        return "•" * max(0, len(digits) - MASK_KEEP_DIGITS) + digits[-MASK_KEEP_DIGITS:]
    national = digits[len(str(parsed.country_code)):]
    hidden = "•" * max(0, len(national) - MASK_KEEP_DIGITS)
    return f"+{parsed.country_code} {hidden}{national[-MASK_KEEP_DIGITS:]}"


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


def country_code_hint(region: str | None) -> str:
    """How to write a number so that it is read right: 'with its country code, e.g.
    +351 912 345 678 (a number without one is read as a number in Portugal)'."""
    where = (f" (a number without one is read as a number in {country_name(region)})"
             if region else "")
    return f"with its country code, e.g. {example_number(region)}{where}"


def time_zone_for(e164: str | None, store_zone: str | None) -> str | None:
    """The time zone to read a shopper's local time in: their number's, when it names one
    (or several that include the store's, then the store's), else the store's. None when the
    store has no zone: quiet hours hold only for stores that say where they are."""
    if not store_zone or not e164:
        return store_zone
    try:
        parsed = phonenumbers.parse(e164)
    except phonenumbers.NumberParseException:
        return store_zone
    zones = [z for z in timezone.time_zones_for_number(parsed) if z != _UNKNOWN_ZONE]
    # A number of several zones (Spain's mobiles: Madrid and the Canaries) says no more
    # than its country: then the store's zone is the better guess.
    return zones[0] if len(zones) == 1 else store_zone

"""Phone numbers in E.164, from whatever a shopper typed and the store's country."""
from __future__ import annotations

import phonenumbers


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

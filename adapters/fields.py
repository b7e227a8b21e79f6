"""Readers for scalar fields that every platform's JSON shares: text and money.

They raise plain `ValueError` for a value of the wrong shape; each adapter turns that into
a `PayloadError` (plugin.domain.errors).
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any


def text(value: Any) -> str:
    """A display string; '' for null or for a value that is not a scalar."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return ""


def money(value: Any, name: str, default: Decimal | None = None) -> Decimal:
    """An amount (a decimal string, or a number); `default` when null or '', else ValueError."""
    if value is None or value == "":
        if default is None:
            raise ValueError(f"{name} is missing")
        return default
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(f"{name} is not an amount")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"{name} is not an amount") from None
    if not amount.is_finite():
        raise ValueError(f"{name} is not a finite amount")
    return amount


def optional_money(value: Any, name: str) -> Decimal | None:
    """An amount, or None when the field is null, absent or ''."""
    if value is None or value == "":
        return None
    return money(value, name)

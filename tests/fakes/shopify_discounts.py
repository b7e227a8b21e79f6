"""The fake Shopify's code discounts: `discountCodeBasicCreate` and `codeDiscountNodeByCode`.

As Shopify does: a code is unique per shop (a second create answers the userError "Code
must be unique. Please try a different code." with code TAKEN), lookups ignore case, a
percentage is a fraction between 0 and 1, and a create without a title or code is refused.
"""
from __future__ import annotations

import itertools
import re
import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass
class FakeDiscounts:
    """Code discounts per shop: {shop: {CODE: the input it was created with, plus id}}."""

    codes: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    creates: int = 0  # every discountCodeBasicCreate call, refused or not
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: Any = field(default_factory=lambda: itertools.count(1001))

    def resolve(self, shop: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        """The discount fields of one GraphQL document (empty when it asks none)."""
        data: dict[str, Any] = {}
        if re.search(r"\bdiscountCodeBasicCreate\s*\(", query):
            data["discountCodeBasicCreate"] = self._create(
                shop, variables.get("basicCodeDiscount") or {})
        if re.search(r"\bcodeDiscountNodeByCode\s*\(", query):
            code = str(variables.get("code", "")).upper()
            with self._lock:
                row = self.codes.get(shop, {}).get(code)
            data["codeDiscountNodeByCode"] = {"id": row["id"]} if row else None
        return data

    def _create(self, shop: str, given: dict[str, Any]) -> dict[str, Any]:
        code = str(given.get("code") or "")
        with self._lock:
            self.creates += 1
            if not code or not given.get("title"):
                return _refused("code" if not code else "title", "BLANK", "can't be blank")
            percentage = (((given.get("customerGets") or {}).get("value") or {})
                          .get("percentage"))
            if percentage is not None and not 0 < float(percentage) <= 1:
                return _refused("customerGets", "VALUE_OUTSIDE_RANGE",
                                "Value must be between 0.0 and 1.0")
            shop_codes = self.codes.setdefault(shop, {})
            if code.upper() in shop_codes:
                return _refused("code", "TAKEN",
                                "Code must be unique. Please try a different code.")
            row = {**given, "id": f"gid://shopify/DiscountCodeNode/{next(self._ids)}"}
            shop_codes[code.upper()] = row
        return {"codeDiscountNode": {"id": row["id"]}, "userErrors": []}


def _refused(name: str, code: str, message: str) -> dict[str, Any]:
    return {"codeDiscountNode": None, "userErrors": [
        {"field": ["basicCodeDiscount", name], "code": code, "message": message}]}

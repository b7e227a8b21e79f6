"""The fake Shopify's code discounts: `discountCodeBasicCreate`, `codeDiscountNodeByCode`,
and many codes on one discount with `discountRedeemCodeBulkAdd`, whose asynchronous job is
read with `discountRedeemCodeBulkCreation`.

As Shopify does: a code is unique per shop (a second create answers the userError "Code
must be unique. Please try a different code." with code TAKEN), lookups ignore case, a
percentage is a fraction between 0 and 1, and a create without a title or code is refused.
A bulk add takes at most 250 codes per call (more is a userError, nothing added), runs as a
job that is not done when first read (`polls_before_done` reads), then reports each code:
added, or refused (TAKEN when the shop has it already, on any discount; a full discount
refuses codes beyond `max_codes_per_discount`, 20,000 by default as the task says).
"""
from __future__ import annotations

import itertools
import re
import threading
from dataclasses import dataclass, field
from typing import Any

# Codes one discountRedeemCodeBulkAdd call may carry; a job's codes per page when read.
BULK_ADD_MAX = 250
BULK_READ_PAGE = 250


@dataclass
class FakeDiscounts:
    """Code discounts per shop: {shop: {CODE: the input it was created with, plus id}}."""

    codes: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    creates: int = 0  # every discountCodeBasicCreate call, refused or not
    # Codes added in bulk: {shop: {CODE: discount id}}; every bulk add call's code count.
    redeem_codes: dict[str, dict[str, str]] = field(default_factory=dict)
    bulk_adds: list[int] = field(default_factory=list)
    bulk_reads: int = 0  # every discountRedeemCodeBulkCreation read
    polls_before_done: int = 1  # reads of a job that still answer done: false
    max_codes_per_discount: int = 20_000
    _jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
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
                owner = row["id"] if row else self.redeem_codes.get(shop, {}).get(code)
            data["codeDiscountNodeByCode"] = {"id": owner} if owner else None
        if re.search(r"\bdiscountRedeemCodeBulkAdd\s*\(", query):
            data["discountRedeemCodeBulkAdd"] = self._bulk_add(
                shop, str(variables.get("discountId", "")), variables.get("codes") or [])
        if re.search(r"\bdiscountRedeemCodeBulkCreation\s*\(", query):
            data["discountRedeemCodeBulkCreation"] = self._bulk_read(
                str(variables.get("id", "")), variables.get("after"))
        return data

    def discount_codes(self, shop: str, discount_id: str) -> set[str]:
        """Every code of one discount: its own, and those added in bulk."""
        with self._lock:
            own = {c for c, row in self.codes.get(shop, {}).items() if row["id"] == discount_id}
            added = {c for c, d in self.redeem_codes.get(shop, {}).items() if d == discount_id}
        return own | added

    def _bulk_add(self, shop: str, discount_id: str, given: list[Any]) -> dict[str, Any]:
        with self._lock:
            self.bulk_adds.append(len(given))
            if len(given) > BULK_ADD_MAX:
                return {"bulkCreation": None, "userErrors": [{
                    "field": ["codes"], "code": "TOO_MANY_ARGUMENTS",
                    "message": f"Codes can't exceed {BULK_ADD_MAX} per request"}]}
            if not any(row["id"] == discount_id for row in self.codes.get(shop, {}).values()):
                return {"bulkCreation": None, "userErrors": [{
                    "field": ["discountId"], "code": "INVALID",
                    "message": "Code discount does not exist."}]}
            job_id = f"gid://shopify/DiscountRedeemCodeBulkCreation/{next(self._ids)}"
            # Shopify queues the job: the codes are added when it runs, here at once (its
            # `done` flag still says false for the first reads).
            results = [self._add_one(shop, discount_id, str((c or {}).get("code") or ""))
                       for c in given]
            self._jobs[job_id] = {"reads": 0, "results": results}
        return {"bulkCreation": {"id": job_id}, "userErrors": []}

    def _add_one(self, shop: str, discount_id: str, code: str) -> dict[str, Any]:
        key = code.upper()
        taken = key in self.codes.get(shop, {}) or key in self.redeem_codes.get(shop, {})
        held = 1 + sum(1 for d in self.redeem_codes.get(shop, {}).values() if d == discount_id)
        if not code:
            errors = [{"field": ["code"], "code": "BLANK", "message": "Code can't be blank"}]
        elif taken:
            errors = [{"field": ["code"], "code": "TAKEN",
                       "message": "Code must be unique. Please try a different code."}]
        elif held >= self.max_codes_per_discount:
            errors = [{"field": ["codes"], "code": "EXCEEDED_MAX",
                       "message": "Discount has reached the maximum number of codes."}]
        else:
            self.redeem_codes.setdefault(shop, {})[key] = discount_id
            return {"code": code, "errors": [],
                    "discountRedeemCode": {"id": f"gid://shopify/DiscountRedeemCode/"
                                                 f"{next(self._ids)}"}}
        return {"code": code, "errors": errors, "discountRedeemCode": None}

    def _bulk_read(self, job_id: str, after: Any) -> dict[str, Any] | None:
        with self._lock:
            self.bulk_reads += 1
            job = self._jobs.get(job_id)
            if job is None:
                return None
            job["reads"] += 1
            done = job["reads"] > self.polls_before_done
            results = job["results"] if done else []
        start = int(after) if after else 0
        page = results[start:start + BULK_READ_PAGE]
        failed = sum(1 for r in results if r["errors"])
        return {"id": job_id, "done": done, "codesCount": len(job["results"]),
                "importedCount": len(results) - failed if done else 0,
                "failedCount": failed,
                "codes": {"nodes": page, "pageInfo": {
                    "hasNextPage": start + len(page) < len(results),
                    "endCursor": str(start + len(page))}}}

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

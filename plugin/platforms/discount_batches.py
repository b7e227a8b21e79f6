"""Many single-use codes on one Shopify discount: `discountRedeemCodeBulkAdd` (at most
CODES_PER_CALL codes a call) runs as a job at Shopify, read back with
`discountRedeemCodeBulkCreation` until done, then code by code.

A campaign with thousands of recipients makes one discount (its first code, through
`discounts.make_code`) and adds the others to it in calls of 250, instead of one
`discountCodeBasicCreate` per recipient. A discount holds at most CODES_PER_DISCOUNT codes;
the caller starts another beyond that. Shopify applies a discount's `usageLimit` to each of
its codes, so a usage limit of 1 keeps every added code single-use.

A code refused as TAKEN was made by an earlier call whose result we lost (a crash between
Shopify's job and our record of it): it counts as made when the shop says it belongs to
this discount, and is an error otherwise.
"""
from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from adapters.shopify.admin import AdminClient, QueryError, Unavailable
from plugin.platforms import discounts

# Shopify's ceiling for one discountRedeemCodeBulkAdd call.
CODES_PER_CALL = 250
# Codes one discount holds here (the task's figure; Shopify's documented ceiling is per
# shop and far higher): the caller puts the codes beyond it on another discount.
CODES_PER_DISCOUNT = 20_000
# Reading the job: first after this many seconds, doubling up to the cap, for at most
# POLL_LIMIT_SECONDS in all (a job still queued after that is read again on a later run).
POLL_FIRST_SECONDS = 0.2
POLL_CAP_SECONDS = 2.0
POLL_LIMIT_SECONDS = 60.0

BULK_ADD_MUTATION = """
mutation storechatCodes($discountId: ID!, $codes: [DiscountRedeemCodeInput!]!) {
  discountRedeemCodeBulkAdd(discountId: $discountId, codes: $codes) {
    bulkCreation { id }
    userErrors { field code message }
  }
}"""

BULK_STATUS_QUERY = """
query storechatCodesJob($id: ID!, $after: String) {
  discountRedeemCodeBulkCreation(id: $id) {
    done
    codes(first: 250, after: $after) {
      nodes { code errors { code message } discountRedeemCode { id } }
      pageInfo { hasNextPage endCursor }
    }
  }
}"""


def discount_id(api: AdminClient, code: str) -> str | None:
    """The id of the discount holding `code` at the shop, or None."""
    node = api.execute(discounts.LOOKUP_QUERY, {"code": code}).get("codeDiscountNodeByCode")
    return str(node["id"]) if isinstance(node, dict) and node.get("id") else None


@dataclass(frozen=True, slots=True)
class Added:
    """What one bulk add did: the codes the discount now has, and those Shopify refused
    ("CODE: why")."""

    made: list[str]
    refused: list[str]

    def check(self) -> None:
        """QueryError naming the refused codes, if any."""
        if self.refused:
            raise QueryError(f"Shopify refused {len(self.refused)} codes "
                             f"({'; '.join(self.refused[:3])})")


def add_codes(api: AdminClient, discount: str, codes: Sequence[str]) -> Added:
    """Add `codes` (at most CODES_PER_CALL) to the discount `discount` in one job and wait
    for it, code by code. QueryError when Shopify refuses the call; Unavailable when the
    job is not done within POLL_LIMIT_SECONDS."""
    if len(codes) > CODES_PER_CALL:
        raise ValueError(f"at most {CODES_PER_CALL} codes a call, not {len(codes)}")
    if not codes:
        return Added([], [])
    data = api.execute(BULK_ADD_MUTATION, {"discountId": discount,
                                           "codes": [{"code": c} for c in codes]})
    result: dict[str, Any] = data.get("discountRedeemCodeBulkAdd") or {}
    errors = result.get("userErrors") or []
    job = (result.get("bulkCreation") or {}).get("id")
    if errors or not job:
        raise QueryError(f"Shopify refused the codes: {_reasons(errors) or 'no job'}")
    made, refused = [], []
    for node in _results(api, str(job)):
        code = str(node.get("code") or "")
        if node.get("discountRedeemCode"):
            made.append(code)
        elif _taken(node) and discount_id(api, code) == discount:
            made.append(code)  # an earlier, lost call made it on this very discount
        else:
            refused.append(f"{code}: {_reasons(node.get('errors') or [])}")
    return Added(made, refused)


def _results(api: AdminClient, job: str) -> list[dict[str, Any]]:
    """Every code result of a finished job (all its pages)."""
    waited, pause = 0.0, POLL_FIRST_SECONDS
    after: str | None = None
    nodes: list[dict[str, Any]] = []
    while True:
        status = api.execute(BULK_STATUS_QUERY, {"id": job, "after": after}).get(
            "discountRedeemCodeBulkCreation")
        if not isinstance(status, dict):
            raise QueryError(f"Shopify knows no code job {job}")
        if not status.get("done"):
            if waited >= POLL_LIMIT_SECONDS:
                raise Unavailable(f"Shopify's code job {job} is still queued")
            time.sleep(pause)
            waited, pause = waited + pause, min(pause * 2, POLL_CAP_SECONDS)
            continue
        page = status.get("codes") or {}
        nodes.extend(n for n in page.get("nodes") or [] if isinstance(n, dict))
        info = page.get("pageInfo") or {}
        if not info.get("hasNextPage"):
            return nodes
        after = str(info.get("endCursor") or "")


def _taken(node: dict[str, Any]) -> bool:
    return any(isinstance(e, dict) and e.get("code") == "TAKEN"
               for e in node.get("errors") or [])


def _reasons(errors: Sequence[Any]) -> str:
    return "; ".join(str(e.get("message", "")) for e in errors if isinstance(e, dict))

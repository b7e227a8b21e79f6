"""Shopify Admin GraphQL: shop info, order lookup, tags, notes and cancellation, over one
httpx.Client.

Errors, as a tree:

    AdminError               the call did not do what was asked
    ├── Unauthorized         401 even after one token refresh: the shop must reconnect
    ├── Throttled            still THROTTLED / 429 after the retries
    ├── Unavailable          5xx, timeouts, network errors after the retries
    └── QueryError           GraphQL `errors` or mutation `userErrors` (do not retry)

Why not `shopify_app.admin_graphql_request`: it reports THROTTLED (HTTP 200 with
`errors`) as a plain failure with no pacing, retries only 502–504, parses `Retry-After`
with int() (Shopify sends values such as "2.0"), and sleeps with time.sleep that tests
cannot replace. This client paces THROTTLED retries from `extensions.cost`.
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from plugin.domain.errors import ShopifyError

# Retries after a THROTTLED answer, a 429 or a 5xx, before giving up.
MAX_RETRIES = 3
# 5xx / network backoff: BASE × 2^attempt seconds.
BACKOFF_BASE_SECONDS = 0.5
# Never wait longer than this for one retry (the caller may be a web request).
MAX_WAIT_SECONDS = 10.0
# Shopify's documented restore rate for a standard shop, when a response omits it.
DEFAULT_RESTORE_RATE = 50.0


class AdminError(ShopifyError):
    """A Shopify Admin API call failed; the message says why."""


class Unauthorized(AdminError):
    """The access token was refused, even after a refresh."""


class Throttled(AdminError):
    """Shopify kept throttling the call."""


class Unavailable(AdminError):
    """Shopify did not answer usefully (5xx, timeout, network)."""


class QueryError(AdminError):
    """Shopify rejected the query or the mutation's input."""


class TokenSource(Protocol):
    """Where the client gets a shop's access token."""

    def current(self) -> str:
        """A token believed valid (refreshed first when close to expiry)."""

    def refreshed(self, stale: str) -> str:
        """A token other than `stale`, which Shopify just refused with 401."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ShopInfo:
    """What StoreChat keeps about a shop."""

    name: str
    domain: str
    currency: str
    country: str
    timezone: str
    locale: str

    @classmethod
    def from_dict(cls, shop: dict[str, Any], locales: list[dict[str, Any]]) -> ShopInfo:
        """From the `shop` and `shopLocales` fields of SHOP_QUERY."""
        primary = next((x for x in locales if isinstance(x, dict) and x.get("primary")), {})
        return cls(name=str(shop.get("name") or ""),
                   domain=str(shop.get("myshopifyDomain") or ""),
                   currency=str(shop.get("currencyCode") or ""),
                   country=str((shop.get("billingAddress") or {}).get("countryCodeV2") or ""),
                   timezone=str(shop.get("ianaTimezone") or ""),
                   locale=str(primary.get("locale") or ""))


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderSummary:
    """An order as the bot and COD confirmation need it."""

    id: str
    name: str
    tags: tuple[str, ...]
    note: str | None
    phone: str | None
    financial_status: str
    fulfillment_status: str
    total: str
    currency: str

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> OrderSummary:
        """From one node of ORDER_BY_NAME_QUERY."""
        money = ((data.get("totalPriceSet") or {}).get("shopMoney") or {})
        return cls(id=str(data["id"]), name=str(data.get("name") or ""),
                   tags=tuple(str(t) for t in data.get("tags") or ()), note=data.get("note"),
                   phone=data.get("phone"),
                   financial_status=str(data.get("displayFinancialStatus") or ""),
                   fulfillment_status=str(data.get("displayFulfillmentStatus") or ""),
                   total=str(money.get("amount") or ""),
                   currency=str(money.get("currencyCode") or ""))


SHOP_QUERY = """query StoreChatShop {
  shop { name myshopifyDomain currencyCode ianaTimezone billingAddress { countryCodeV2 } }
  shopLocales(published: true) { locale primary }
}"""
ORDER_BY_NAME_QUERY = """query StoreChatOrder($query: String!) {
  orders(first: 1, query: $query) { nodes {
    id name tags note phone displayFinancialStatus displayFulfillmentStatus
    totalPriceSet { shopMoney { amount currencyCode } } } }
}"""
TAGS_ADD_MUTATION = """mutation StoreChatTagsAdd($id: ID!, $tags: [String!]!) {
  tagsAdd(id: $id, tags: $tags) { node { id } userErrors { field message } }
}"""
TAGS_REMOVE_MUTATION = """mutation StoreChatTagsRemove($id: ID!, $tags: [String!]!) {
  tagsRemove(id: $id, tags: $tags) { node { id } userErrors { field message } }
}"""
ORDER_CANCELLED_QUERY = """query StoreChatOrderCancelled($id: ID!) {
  order(id: $id) { id cancelledAt }
}"""
# Since 2025-07 the refund choice is `refundMethod`; `refund` is deprecated.
ORDER_CANCEL_MUTATION = """mutation StoreChatOrderCancel(
    $orderId: ID!, $reason: OrderCancelReason!,
    $refundMethod: OrderCancelRefundMethodInput!, $restock: Boolean!, $notifyCustomer: Boolean,
    $staffNote: String) {
  orderCancel(orderId: $orderId, reason: $reason, refundMethod: $refundMethod,
              restock: $restock, notifyCustomer: $notifyCustomer, staffNote: $staffNote) {
    job { id done } orderCancelUserErrors { field message code }
  }
}"""
# A draft order the shopper pays through its invoice URL (Shopify's own checkout).
DRAFT_ORDER_CREATE_MUTATION = """mutation StoreChatDraftOrder($input: DraftOrderInput!) {
  draftOrderCreate(input: $input) {
    draftOrder { id invoiceUrl } userErrors { field message }
  }
}"""


APP_INSTALLATION_QUERY = "query StoreChatInstallation { currentAppInstallation { id } }"

METAFIELDS_SET_MUTATION = """
mutation StoreChatMetafields($metafields: [MetafieldsSetInput!]!) {
  metafieldsSet(metafields: $metafields) {
    metafields { key namespace }
    userErrors { field message code }
  }
}"""


class AdminClient:
    """One shop's Admin GraphQL endpoint, reached through `http` with tokens from `tokens`."""

    def __init__(self, http: httpx.Client, endpoint: str, tokens: TokenSource,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._http = http
        self._endpoint = endpoint
        self._tokens = tokens
        self._sleep = sleep

    # --- what StoreChat asks -------------------------------------------------------

    def shop_info(self) -> ShopInfo:
        """The shop's name, domain, currency, country, timezone and primary locale."""
        data = self.execute(SHOP_QUERY)
        return ShopInfo.from_dict(data["shop"], data.get("shopLocales") or [])

    def order_by_number(self, number: str | int) -> OrderSummary | None:
        """The order named #<number>, or None."""
        digits = str(number).lstrip("#")
        if not digits.isdigit():
            return None
        nodes = self.execute(ORDER_BY_NAME_QUERY, {"query": f"name:#{digits}"})["orders"]["nodes"]
        return OrderSummary.from_dict(nodes[0]) if nodes else None

    def add_tags(self, gid: str, tags: list[str]) -> None:
        """Add tags to an order, customer or product (by GraphQL id)."""
        self._mutate("tagsAdd", TAGS_ADD_MUTATION, {"id": gid, "tags": tags})

    def remove_tags(self, gid: str, tags: list[str]) -> None:
        """Remove tags from an order, customer or product (by GraphQL id)."""
        self._mutate("tagsRemove", TAGS_REMOVE_MUTATION, {"id": gid, "tags": tags})

    def set_app_metafields(self, namespace: str, values: dict[str, str]) -> None:
        """Write text metafields on this app's installation: the shop's theme (an app embed)
        reads them as `app.metafields.<namespace>.<key>`, and no other app can change them."""
        owner = self.execute(APP_INSTALLATION_QUERY)["currentAppInstallation"]["id"]
        metafields = [{"ownerId": owner, "namespace": namespace, "key": key,
                       "type": "single_line_text_field", "value": value}
                      for key, value in values.items()]
        self._mutate("metafieldsSet", METAFIELDS_SET_MUTATION, {"metafields": metafields})

    def order_cancelled(self, gid: str) -> bool:
        """True when the order (by GraphQL id) is already cancelled; QueryError if unknown."""
        order = self.execute(ORDER_CANCELLED_QUERY, {"id": gid}).get("order")
        if not isinstance(order, dict):
            raise QueryError(f"order {gid} does not exist")
        return bool(order.get("cancelledAt"))

    def cancel_order(self, gid: str, *, reason: str = "CUSTOMER", refund: bool = False,
                     restock: bool = True, notify_customer: bool = False,
                     staff_note: str | None = None) -> None:
        """Start cancelling an order (Shopify finishes it in a background job)."""
        variables: dict[str, Any] = {
            "orderId": gid, "reason": reason, "restock": restock,
            "refundMethod": {"originalPaymentMethodsRefund": refund},
            "notifyCustomer": notify_customer}
        if staff_note:
            variables["staffNote"] = staff_note
        self._mutate("orderCancel", ORDER_CANCEL_MUTATION, variables,
                     errors="orderCancelUserErrors")

    def create_draft_order(self, lines: list[tuple[str, int]], *, phone: str | None,
                           note: str, tags: list[str]) -> tuple[str, str]:
        """A draft order of (variant id, quantity) lines for the shopper's phone: its GraphQL
        id and the invoice URL where the shopper pays. QueryError if Shopify refuses it."""
        draft: dict[str, Any] = {
            "lineItems": [{"variantId": variant_gid(v), "quantity": q} for v, q in lines],
            "note": note, "tags": tags}
        if phone:
            draft["phone"] = phone
        result = self.execute(DRAFT_ORDER_CREATE_MUTATION, {"input": draft}).get(
            "draftOrderCreate") or {}
        if result.get("userErrors"):
            raise QueryError(_messages(result["userErrors"]))
        created = result.get("draftOrder") or {}
        if not created.get("id") or not created.get("invoiceUrl"):
            raise QueryError("Shopify made no draft order (no id or invoice URL)")
        return str(created["id"]), str(created["invoiceUrl"])

    # --- the transport -------------------------------------------------------------

    def execute(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Run a query; returns `data`, retrying throttling, 429 and 5xx; raises AdminError."""
        token = self._tokens.current()
        refreshed = False
        attempt = 0
        while True:
            outcome = self._post(token, query, variables)
            if isinstance(outcome, dict):
                return outcome
            if isinstance(outcome, str):  # "unauthorized"
                if refreshed:
                    raise Unauthorized("Shopify refused a freshly refreshed access token")
                token, refreshed = self._tokens.refreshed(token), True
                continue
            kind, wait = outcome
            if attempt >= MAX_RETRIES:
                error = Throttled if kind == "throttled" else Unavailable
                raise error(f"Shopify still {kind} after {MAX_RETRIES} retries")
            self._sleep(min(wait if wait is not None else BACKOFF_BASE_SECONDS * 2 ** attempt,
                            MAX_WAIT_SECONDS))
            attempt += 1

    def _post(self, token: str, query: str, variables: dict[str, Any] | None
              ) -> dict[str, Any] | str | tuple[str, float | None]:
        """`data`, "unauthorized", or (why, seconds to wait or None for backoff)."""
        body: dict[str, Any] = {"query": query}
        if variables:
            body["variables"] = variables
        try:
            response = self._http.post(self._endpoint, json=body,
                                       headers={"X-Shopify-Access-Token": token})
        except httpx.TimeoutException:
            return ("timing out", None)
        except httpx.TransportError:
            return ("unreachable", None)
        if response.status_code == 401:
            return "unauthorized"
        if response.status_code == 429:
            return ("throttled", _retry_after(response))
        if response.status_code >= 500:
            return (f"failing (HTTP {response.status_code})", None)
        payload = _json(response)
        if response.status_code != 200 or not isinstance(payload, dict):
            raise QueryError(f"Shopify answered HTTP {response.status_code}")
        errors = payload.get("errors")
        if errors:
            if _is_throttled(errors):
                return ("throttled", throttle_wait(payload.get("extensions")))
            raise QueryError(_messages(errors))
        return payload.get("data") or {}

    def _mutate(self, field: str, mutation: str, variables: dict[str, Any],
                errors: str = "userErrors") -> None:
        result = self.execute(mutation, variables).get(field) or {}
        if result.get(errors):
            raise QueryError(_messages(result[errors]))


def order_gid(order_id: str) -> str:
    """The GraphQL id of an order known by its REST/webhook id ("450789469")."""
    return order_id if order_id.startswith("gid://") else f"gid://shopify/Order/{order_id}"


def variant_gid(variant_id: str) -> str:
    """The GraphQL id of a product variant known by its REST/webhook id."""
    return (variant_id if variant_id.startswith("gid://")
            else f"gid://shopify/ProductVariant/{variant_id}")


def throttle_wait(extensions: Any) -> float:
    """Seconds until the bucket holds the query's cost again, from `extensions.cost`."""
    cost = (extensions or {}).get("cost") if isinstance(extensions, dict) else None
    if not isinstance(cost, dict):
        return 1.0
    status = cost.get("throttleStatus") or {}
    try:
        requested = float(cost.get("requestedQueryCost") or 0)
        available = float(status.get("currentlyAvailable") or 0)
        rate = float(status.get("restoreRate") or DEFAULT_RESTORE_RATE)
    except (TypeError, ValueError):
        return 1.0
    return max(requested - available, 0.0) / rate if rate > 0 else 1.0


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None


def _is_throttled(errors: Any) -> bool:
    return isinstance(errors, list) and any(
        isinstance(e, dict) and (e.get("extensions") or {}).get("code") == "THROTTLED"
        for e in errors)


def _messages(errors: Any) -> str:
    if isinstance(errors, list):
        return "; ".join(str(e.get("message", e)) if isinstance(e, dict) else str(e)
                         for e in errors)
    return str(errors)


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (ValueError, json.JSONDecodeError):
        return None

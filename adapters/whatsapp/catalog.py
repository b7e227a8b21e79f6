"""Meta commerce catalogs through the Graph API: items in batches, their verdicts, the
listing, and connecting a catalog to a WhatsApp Business Account and its number.

Calls go through the Cloud API client's plumbing (`CloudClient.exchange`), so one pooled
httpx client, base URL and version serve messages and catalogs. Every failure is a
plugin.domain.errors.CatalogError with Meta's code and a reason in plain words; throttling
(THROTTLE_CODES) is CatalogThrottled with the wait Meta's X-Business-Use-Case-Usage header
gives. An invalid token keeps code 190 (INVALID_TOKEN), so callers can flag the account.

Wire shapes (Meta's Catalog Batch API and WhatsApp commerce references):
- `POST /{catalog_id}/items_batch` {item_type: PRODUCT_ITEM, allow_upsert: true,
  requests: [{method: UPDATE|DELETE, data: {id: <retailer id>, …}}]} →
  {handles: [0 or 1 handle], validation_status: [{retailer_id, errors, warnings}]};
- `GET /{catalog_id}/check_batch_request_status?handle=…&load_ids_of_invalid_requests=true`
  → {data: [{handle, status, errors: [{line, id, message}], warnings, ids_of_invalid_requests}]};
- `GET /{catalog_id}/products?fields=…&limit=…&after=…` → {data, paging: {cursors, next}};
- `GET /{waba_id}?fields=owner_business_info`, `GET|POST /{business_id}/owned_product_catalogs`,
  `GET|POST /{waba_id}/product_catalogs` (catalog_id), and
  `GET|POST /{phone_number_id}/whatsapp_commerce_settings` (is_catalog_visible, is_cart_enabled).
"""
from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx

from adapters.whatsapp.client import CloudClient
from plugin.domain.catalog_batches import (
    MAX_BATCH_REQUESTS,
    BatchStatus,
    ItemProblem,
    ItemRequest,
    Method,
    RemoteItem,
)
from plugin.domain.catalog_items import CatalogItem, currency_digits
from plugin.domain.errors import CatalogError, CatalogThrottled, RetryableError

# Graph codes Meta answers when it throttles catalog calls: app (4), user (17), page (32),
# custom (613), business use cases (80001, 80004), catalog management (80009, listed for
# owned_product_catalogs: "too many calls to this Catalog account") and batch (80014).
THROTTLE_CODES = frozenset({4, 17, 32, 613, 80001, 80004, 80009, 80014})
# How long to wait when Meta throttles without saying for how long (seconds).
THROTTLE_FALLBACK_SECONDS = 300.0
# Meta's code for an expired, revoked or unknown access token.
INVALID_TOKEN = 190
# Items asked for per page of GET /{catalog_id}/products (reconciliation pages through all).
PRODUCT_PAGE_SIZE = 500
PRODUCT_FIELDS = "retailer_id,name,price,sale_price,currency,availability,image_url,url"
CATALOG_FIELDS = "id,name,product_count"
# Batch states in which Meta may not have applied every request ("some of the requests
# might not have finished"): the batch is reported as failed, so its items are sent again.
BROKEN_STATES = frozenset({"canceled", "error"})
# What an item in ids_of_invalid_requests that Meta's sample of errors does not describe
# is told: Meta lists every failed id but only a sample of the reasons.
UNNAMED_FAILURE = ("Meta refused this item but left its reason out of the batch's sample of "
                   "errors; it is sent again on the next sync.")
# When no sale runs, the sale price is the price with a sale window long past: the form
# Meta's own WooCommerce plugin sends, which clears an earlier sale (an UPDATE only changes
# the fields it names).
NO_SALE_WINDOW = "1970-01-29T00:00+00:00/1970-01-30T23:59+00:00"
HEADER_USAGE = "X-Business-Use-Case-Usage"
_PLAIN_WORDS = {
    INVALID_TOKEN: "WhatsApp no longer accepts the access token; connect the number again "
                   "with a new token.",
    200: "The access token may not manage this catalog: give its system user the "
         "catalog_management permission and access to the catalog.",
    10: "The access token lacks a permission this needs (catalog_management).",
    3: "The Meta app is not allowed to manage catalogs yet.",
    100: "Meta refused a value in the request.",
}
_THROTTLED = "Meta is limiting how fast this catalog may be changed; StoreChat waits and goes on."
_NUMBER = re.compile(r"[0-9][0-9.,\u00a0 ]*")


@dataclass(frozen=True, slots=True)
class RemoteCatalog:
    """A Meta catalog as the business or the WABA lists it."""

    id: str
    name: str = ""
    product_count: int = 0


@dataclass(frozen=True, slots=True)
class CommerceSettings:
    """A number's WhatsApp commerce settings: the storefront icon and the cart."""

    catalog_visible: bool
    cart_enabled: bool


class CatalogBatchRefused(CatalogError):
    """Meta ingested nothing of an items_batch call; `problems` says why, per item."""

    def __init__(self, reason: str, problems: tuple[ItemProblem, ...]) -> None:
        super().__init__(reason)
        self.problems = problems


def item_data(item: CatalogItem) -> dict[str, Any]:
    """A CatalogItem as items_batch PRODUCT_ITEM data (Meta's field names)."""
    data: dict[str, Any] = {
        "id": item.retailer_id, "item_group_id": item.item_group_id, "title": item.title,
        "description": item.description, "availability": item.availability,
        "condition": item.condition, "price": item.price, "link": item.link,
        "image_link": item.image_link,
        "additional_image_link": list(item.additional_image_links),
        "sale_price": item.sale_price or item.price,
    }
    if not item.sale_price:
        data["sale_price_effective_date"] = NO_SALE_WINDOW
    if item.brand:
        data["brand"] = item.brand
    return data


def request_entry(request: ItemRequest) -> dict[str, Any]:
    """One entry of items_batch `requests`: UPDATE with the item, DELETE with its id only."""
    if request.method is Method.DELETE:
        return {"method": "DELETE", "data": {"id": request.retailer_id}}
    if request.item is None:
        raise ValueError(f"an UPDATE of {request.retailer_id} needs its item")
    return {"method": "UPDATE", "data": item_data(request.item)}


class CatalogApi:
    """Catalog calls over a CloudClient; the token is passed per call, as for messages."""

    def __init__(self, client: CloudClient) -> None:
        self._client = client

    # Items -------------------------------------------------------------------------------

    def items_batch(self, catalog_id: str, token: str, requests: Sequence[ItemRequest]) -> str:
        """Send up to MAX_BATCH_REQUESTS changes; returns the batch handle to poll. Raises
        CatalogBatchRefused when Meta took none of them (with each item's reason)."""
        handle, problems = self.items_batch_checked(catalog_id, token, requests)
        if handle:
            return handle
        refused = next((p for p in problems if not p.warning), None)
        reason = (f"Meta took none of the batch's {len(requests)} items: {refused.message}"
                  if refused else "Meta took none of the batch's items and gave no handle.")
        raise CatalogBatchRefused(reason, problems)

    def items_batch_checked(self, catalog_id: str, token: str, requests: Sequence[ItemRequest]
                            ) -> tuple[str, tuple[ItemProblem, ...]]:
        """items_batch with Meta's validation at submission: (handle or '', problems)."""
        if not requests:
            raise ValueError("an items_batch call needs at least one request")
        if len(requests) > MAX_BATCH_REQUESTS:
            raise ValueError(f"Meta takes at most {MAX_BATCH_REQUESTS} requests per call")
        body = self._call("POST", f"{catalog_id}/items_batch", token, json={
            "item_type": "PRODUCT_ITEM", "allow_upsert": True,
            "requests": [request_entry(r) for r in requests]})
        handles = [h for h in _list(body.get("handles")) if isinstance(h, str) and h]
        problems: list[ItemProblem] = []
        for status in _list(body.get("validation_status")):
            status = _obj(status)
            retailer_id = str(status.get("retailer_id", ""))
            problems += [_problem(e, retailer_id, False) for e in _list(status.get("errors"))]
            problems += [_problem(w, retailer_id, True) for w in _list(status.get("warnings"))]
        return (handles[0] if handles else ""), tuple(problems)

    def batch_status(self, catalog_id: str, token: str, handle: str) -> BatchStatus:
        """Meta's verdict on a batch: finished or not, with per-item errors and warnings.
        A batch Meta canceled or broke off raises CatalogError (resend its items)."""
        body = self._call("GET", f"{catalog_id}/check_batch_request_status", token,
                          params={"handle": handle, "load_ids_of_invalid_requests": "true"})
        found = next((_obj(d) for d in _list(body.get("data"))
                      if _obj(d).get("handle") in (handle, None)), {})
        state = str(found.get("status", "")).lower()
        problems = [_problem(e, "", False) for e in _list(found.get("errors"))]
        problems += [_problem(w, "", True) for w in _list(found.get("warnings"))]
        explained = {p.retailer_id for p in problems if not p.warning}
        for retailer_id in _list(found.get("ids_of_invalid_requests")):
            if isinstance(retailer_id, str) and retailer_id not in explained:
                problems.append(ItemProblem(retailer_id, UNNAMED_FAILURE))
        if state in BROKEN_STATES:
            raise CatalogError(f"Meta stopped this batch of catalog changes before the end "
                               f"(status “{state}”); its items are sent again.")
        return BatchStatus(handle=handle, finished=state == "finished",
                           problems=tuple(problems))

    def list_items(self, catalog_id: str, token: str, after: str | None = None,
                   limit: int = PRODUCT_PAGE_SIZE) -> tuple[list[RemoteItem], str | None]:
        """One page of the catalog's items and the cursor of the next (None at the end)."""
        params: dict[str, Any] = {"fields": PRODUCT_FIELDS, "limit": limit}
        if after:
            params["after"] = after
        body = self._call("GET", f"{catalog_id}/products", token, params=params)
        items = [_remote_item(_obj(d)) for d in _list(body.get("data"))]
        paging = _obj(body.get("paging"))
        cursor = _obj(paging.get("cursors")).get("after")
        # `next` is present only while another page exists; its cursor is followed on our
        # own base URL, never the absolute link, so an answer cannot redirect the token.
        more = bool(paging.get("next")) and isinstance(cursor, str) and bool(cursor)
        return [i for i in items if i.retailer_id], (cursor if more else None)

    # Connecting a catalog ----------------------------------------------------------------

    def owner_business(self, waba_id: str, token: str) -> str:
        """The id of the business that owns the WABA (whose catalogs it may connect)."""
        body = self._call("GET", waba_id, token, params={"fields": "owner_business_info"})
        owner = _obj(body.get("owner_business_info")) or _obj(body.get("owner_business"))
        business_id = owner.get("id")
        if not isinstance(business_id, str) or not business_id:
            raise CatalogError("Meta did not say which business owns this WhatsApp Business "
                               "Account.")
        return business_id

    def business_catalogs(self, business_id: str, token: str) -> list[RemoteCatalog]:
        """The catalogs the business owns (first page: a business has few)."""
        body = self._call("GET", f"{business_id}/owned_product_catalogs", token,
                          params={"fields": CATALOG_FIELDS, "limit": 100})
        return _catalogs(body)

    def create_catalog(self, business_id: str, token: str, name: str) -> RemoteCatalog:
        """Create a commerce catalog owned by the business."""
        body = self._call("POST", f"{business_id}/owned_product_catalogs", token,
                          data={"name": name, "vertical": "commerce"})
        catalog_id = body.get("id")
        if not isinstance(catalog_id, (str, int)) or str(catalog_id) == "":
            raise CatalogError("Meta created the catalog but returned no id.")
        return RemoteCatalog(str(catalog_id), name)

    def connect_catalog(self, waba_id: str, token: str, catalog_id: str) -> None:
        """Connect a catalog to the WABA (Meta allows one per WABA)."""
        body = self._call("POST", f"{waba_id}/product_catalogs", token,
                          data={"catalog_id": catalog_id})
        if body.get("success") is not True:
            raise CatalogError("Meta did not confirm connecting the catalog.")

    def waba_catalogs(self, waba_id: str, token: str) -> list[RemoteCatalog]:
        """The catalog connected to the WABA (a list of at most one)."""
        body = self._call("GET", f"{waba_id}/product_catalogs", token,
                          params={"fields": CATALOG_FIELDS})
        return _catalogs(body)

    def commerce_settings(self, phone_number_id: str, token: str) -> CommerceSettings:
        """Whether the number shows the catalog and takes carts."""
        body = self._call("GET", f"{phone_number_id}/whatsapp_commerce_settings", token)
        found = next((_obj(d) for d in _list(body.get("data"))), {})
        return CommerceSettings(catalog_visible=found.get("is_catalog_visible") is True,
                                cart_enabled=found.get("is_cart_enabled") is True)

    def set_commerce_settings(self, phone_number_id: str, token: str, *,
                              catalog_visible: bool, cart_enabled: bool) -> None:
        """Show or hide the catalog and the cart on the number."""
        body = self._call("POST", f"{phone_number_id}/whatsapp_commerce_settings", token,
                          params={"is_catalog_visible": _flag(catalog_visible),
                                  "is_cart_enabled": _flag(cart_enabled)})
        if body.get("success") is not True:
            raise CatalogError("Meta did not confirm the number's commerce settings.")

    # Plumbing ----------------------------------------------------------------------------

    def _call(self, method: str, path: str, token: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self._client.exchange(method, path, token, **kwargs)
        except RetryableError as error:
            raise CatalogError(error.reason) from None
        body = _json(response)
        if response.is_success:
            return body
        raise catalog_error(response.status_code, body, response.headers)


def catalog_error(status: int, body: dict[str, Any], headers: httpx.Headers) -> CatalogError:
    """The CatalogError (or CatalogThrottled) for a failed Graph answer."""
    error = _obj(body.get("error"))
    code = error.get("code") if isinstance(error.get("code"), int) else None
    said = str(error.get("error_user_msg") or error.get("message") or "").strip()
    if code in THROTTLE_CODES or status == 429:
        return CatalogThrottled(_with_meta(_THROTTLED, said), code,
                                wait_seconds=throttle_wait(headers))
    plain = _PLAIN_WORDS.get(code or 0)
    if plain is None and status >= 500:
        plain = "WhatsApp had a problem answering; StoreChat tries again."
    return CatalogError(_with_meta(plain, said) if plain else
                        (said or f"WhatsApp answered HTTP {status}"), code)


def throttle_wait(headers: httpx.Headers) -> float:
    """Seconds to wait from X-Business-Use-Case-Usage (estimated_time_to_regain_access is
    in minutes; the longest of its entries wins), else THROTTLE_FALLBACK_SECONDS."""
    try:
        usage = json.loads(headers.get(HEADER_USAGE, "") or "{}")
    except ValueError:
        return THROTTLE_FALLBACK_SECONDS
    minutes = [entry.get("estimated_time_to_regain_access")
               for entries in _obj(usage).values() for entry in _list(entries)
               if isinstance(entry, dict)]
    longest = max((m for m in minutes if isinstance(m, (int, float)) and m > 0), default=0)
    return float(longest) * 60 if longest else THROTTLE_FALLBACK_SECONDS


def _with_meta(plain: str, said: str) -> str:
    return f"{plain} (Meta: {said})" if said and said not in plain else plain


def _problem(entry: Any, retailer_id: str, warning: bool) -> ItemProblem:
    entry = _obj(entry)
    code = entry.get("code", entry.get("error_code", ""))
    return ItemProblem(retailer_id=str(entry.get("id") or entry.get("retailer_id")
                                       or retailer_id),
                       message=str(entry.get("message", "")).strip()
                       or "Meta gave no reason.",
                       warning=warning, code="" if code in (None, "") else str(code))


def _remote_item(data: dict[str, Any]) -> RemoteItem:
    currency = str(data.get("currency") or "")
    price = meta_price(data.get("price"), currency)
    sale = meta_price(data.get("sale_price"), currency)
    return RemoteItem(retailer_id=str(data.get("retailer_id") or ""),
                      title=str(data.get("name") or ""), price=price,
                      # A sale price equal to the price is our "no sale" (NO_SALE_WINDOW).
                      sale_price="" if sale == price else sale,
                      availability=str(data.get("availability") or ""),
                      image_link=str(data.get("image_url") or ""),
                      link=str(data.get("url") or ""))


def meta_price(value: Any, currency: str) -> str:
    """A price as Meta reads it back ("$1,234.50", "12.50 USD", "€12,50") in our own
    form, "1234.50 USD"; '' when there is none."""
    text = str(value or "").strip()
    found = _NUMBER.search(text)
    if not text or not found or not currency:
        return text
    number = found.group().replace("\u00a0", "").replace(" ", "").rstrip(".,")
    decimals = currency_digits(currency)
    marks = [i for i, c in enumerate(number) if c in ".,"]
    # The last mark is the decimal one when the currency's own decimals follow it
    # ("3.500 KWD", "12,50 €"); otherwise every mark groups thousands ("$1,234", "¥1,200").
    last = marks[-1] if marks else -1
    decimal_at = last if marks and len(number) - last - 1 == decimals else -1
    whole = number if decimal_at < 0 else number[:decimal_at]
    digits = re.sub(r"[.,]", "", whole)
    if decimal_at >= 0:
        digits += "." + number[decimal_at + 1:]
    try:
        amount = Decimal(digits)
        if decimals is not None:  # "$12" reads as our "12.00 USD"
            amount = amount.quantize(Decimal(1).scaleb(-decimals))
    except InvalidOperation:
        return text
    return f"{amount} {currency.upper()}"


def _catalogs(body: dict[str, Any]) -> list[RemoteCatalog]:
    found = []
    for entry in _list(body.get("data")):
        entry = _obj(entry)
        if isinstance(entry.get("id"), (str, int)) and str(entry["id"]):
            count = entry.get("product_count")
            found.append(RemoteCatalog(str(entry["id"]), str(entry.get("name") or ""),
                                       count if isinstance(count, int) else 0))
    return found


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _obj(value: Any) -> dict[str, Any]:
    """`value` when it is a JSON object, else an empty one: Graph answers are not trusted."""
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []

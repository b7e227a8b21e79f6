"""A fake Shopify: OAuth token endpoints and a small Admin GraphQL API, per shop.

Reached through STORECHAT_SHOPIFY_ADMIN_URL = f"{server.url}/{{shop}}", so every path
starts with the shop's domain: `/{shop}/admin/oauth/access_token`,
`/{shop}/admin/oauth/authorize`, `/{shop}/admin/api/<version>/graphql.json`.

It behaves like Shopify where StoreChat depends on it:
- token exchange (an App Home ID token, signed with the app secret) gives an expiring
  offline token plus a refresh token when `expiring=1`;
- a refresh rotates the refresh token: the old one answers `invalid_grant` from then on;
- an authorization code works once;
- GraphQL answers carry `extensions.cost`; a spent bucket answers THROTTLED with HTTP 200;
  an unknown or expired access token answers 401.
- products and bulk query operations live in `bulk` (tests/fakes/shopify_bulk.py), code
  discounts in `discounts` (tests/fakes/shopify_discounts.py);
- orders take tagsAdd / tagsRemove / orderUpdate (note) / orderCancel (refused with code
  INVALID once cancelled) and answer `order(id:) { cancelledAt }`; customers known in
  `customer_tags` take tagsAdd / tagsRemove too (an unknown customer is a userError);
- draftOrderCreate makes a draft order of known variants (`add_variant`) and answers its
  invoiceUrl under `invoice_base` (127.0.0.1); an unknown variant or a quantity below 1 is
  a userError, as Shopify's.
Counters (`refreshes`, `exchanges`, `graphql_calls`) and the `mutations` log let tests
assert what happened.
"""
from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import re
import threading
import time
import zlib
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import jwt
from werkzeug.wrappers import Request, Response

from tests.fakes.shopify_bulk import FakeBulk
from tests.fakes.shopify_discounts import FakeDiscounts

# Shopify's published lifetimes for expiring offline tokens: one hour and 90 days.
ACCESS_TTL = 3600
REFRESH_TTL = 90 * 24 * 3600
# Shopify's GraphQL leaky bucket for a standard shop.
BUCKET_SIZE = 2000.0
RESTORE_RATE = 100.0

_PATH = re.compile(r"^/(?P<shop>[a-z0-9][a-z0-9-]*\.myshopify\.com)(?P<rest>/.*)$")
_GRAPHQL = re.compile(r"^/admin/api/(?P<version>[0-9]{4}-[0-9]{2}|unstable)/graphql\.json$")
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"


@dataclass
class Issued:
    """A token the fake handed out."""

    shop: str
    expires_at: float | None
    revoked: bool = False


@dataclass
class Order:
    """An order as the fake's GraphQL API shows it."""

    id: str
    name: str
    tags: list[str] = field(default_factory=list)
    note: str | None = None
    phone: str | None = None
    financial_status: str = "PAID"
    fulfillment_status: str = "UNFULFILLED"
    total: str = "10.00"
    currency: str = "EUR"
    cancelled_at: str | None = None
    cancel_reason: str | None = None


@dataclass
class FakeShopify:
    """The fake's state; the object is its WSGI application."""

    api_key: str
    api_secret: str
    access_ttl: int = ACCESS_TTL
    refresh_ttl: int = REFRESH_TTL
    # Seconds the refresh endpoint takes, so that concurrent refreshes really overlap.
    refresh_delay: float = 0.0
    shops: dict[str, dict[str, Any]] = field(default_factory=dict)
    orders: dict[str, list[Order]] = field(default_factory=dict)
    access_tokens: dict[str, Issued] = field(default_factory=dict)
    refresh_tokens: dict[str, Issued] = field(default_factory=dict)
    codes: dict[str, str] = field(default_factory=dict)  # code -> shop
    exchanges: int = 0
    code_exchanges: int = 0
    refreshes: int = 0
    graphql_calls: int = 0
    requests: list[tuple[str, str]] = field(default_factory=list)  # (method, path)
    # Every mutation that reached an order: (name, variables), in order.
    mutations: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    # Every orderCancel asked for, refused or not (a second cancel is refused, not recorded
    # in `mutations`).
    cancel_calls: int = 0
    # Customers by shop and GraphQL id, with their tags (tagsAdd / tagsRemove on customers).
    customer_tags: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    # Metafields on our app's installation, per shop: {(namespace, key): value}.
    app_metafields: dict[str, dict[tuple[str, str], str]] = field(default_factory=dict)
    # Products and bulk query operations (tests/fakes/shopify_bulk.py).
    bulk: FakeBulk = field(default_factory=FakeBulk)
    # Code discounts (tests/fakes/shopify_discounts.py).
    discounts: FakeDiscounts = field(default_factory=FakeDiscounts)
    # Variants draft orders may hold, per shop (GraphQL ids), and the drafts made.
    variants: dict[str, set[str]] = field(default_factory=dict)
    draft_orders: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    invoice_base: str = "http://127.0.0.1"
    _failures: list[tuple[int, str]] = field(default_factory=list)  # (status, Retry-After)
    _throttles: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    # --- arranging ---------------------------------------------------------------------

    def add_shop(self, shop: str, name: str = "", currency: str = "EUR",
                 country: str = "NL", timezone: str = "Europe/Amsterdam",
                 locale: str = "nl") -> None:
        """Make a shop known (its domain, e.g. "acme.myshopify.com")."""
        self.shops[shop] = {"name": name or shop.split(".")[0].title(), "currencyCode": currency,
                            "billingAddress": {"countryCodeV2": country},
                            "ianaTimezone": timezone, "locale": locale}
        self.orders.setdefault(shop, [])

    def add_order(self, shop: str, number: int, **fields: Any) -> Order:
        """Give a shop an order named "#<number>"."""
        order = Order(id=f"gid://shopify/Order/{5000 + number}", name=f"#{number}", **fields)
        self.orders.setdefault(shop, []).append(order)
        return order

    def fail_next(self, status: int, retry_after: str = "0") -> None:
        """Make the next GraphQL call answer this HTTP status (429, 500, 503…)."""
        with self._lock:
            self._failures.append((status, retry_after))

    def throttle_next(self, times: int = 1) -> None:
        """Make the next `times` GraphQL calls answer THROTTLED (HTTP 200, like Shopify)."""
        with self._lock:
            self._throttles += times

    def expire_access_tokens(self, shop: str) -> None:
        """Expire every access token of the shop now (the clock ran past their hour)."""
        with self._lock:
            for issued in self.access_tokens.values():
                if issued.shop == shop:
                    issued.expires_at = time.time() - 1

    def revoke_refresh_tokens(self, shop: str) -> None:
        """Revoke the shop's refresh tokens (the merchant uninstalled, or 90 days passed)."""
        with self._lock:
            for issued in self.refresh_tokens.values():
                if issued.shop == shop:
                    issued.revoked = True

    def issue_code(self, shop: str) -> str:
        """An authorization code for the shop, as the authorize page would give."""
        code = f"code{next(self._ids):06d}"
        with self._lock:
            self.codes[code] = shop
        return code

    def signed_callback_query(self, shop: str, state: str, code: str | None = None,
                              timestamp: int | None = None) -> dict[str, str]:
        """The query Shopify sends to the app's redirect_uri, with its hex HMAC."""
        params = {"code": code or self.issue_code(shop), "shop": shop, "state": state,
                  "timestamp": str(timestamp if timestamp is not None else int(time.time())),
                  "host": "YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvYWNtZQ"}
        params["hmac"] = oauth_hmac(self.api_secret, params)
        return params

    def valid_access_token(self, shop: str, token: str) -> bool:
        """True when the token would be accepted by the GraphQL API now."""
        issued = self.access_tokens.get(token)
        return (issued is not None and issued.shop == shop and not issued.revoked
                and (issued.expires_at is None or issued.expires_at > time.time()))

    # --- WSGI --------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        return self._handle(request)(environ, start_response)

    def _handle(self, request: Request) -> Response:
        with self._lock:
            self.requests.append((request.method, request.path))
        match = _PATH.match(request.path)
        if match is None or match["shop"] not in self.shops:
            return _json({"errors": "Not Found"}, 404)
        shop, rest = match["shop"], match["rest"]
        if rest == "/admin/oauth/access_token" and request.method == "POST":
            return self._access_token(shop, request)
        if rest == "/admin/oauth/authorize" and request.method == "GET":
            return self._authorize(shop, request)
        if _GRAPHQL.match(rest) and request.method == "POST":
            return self._graphql(shop, request)
        if request.method == "GET":  # a bulk operation's file (Shopify's storage, here)
            served = self.bulk.serve(shop, rest)
            if served is not None:
                return served
        return _json({"errors": "Not Found"}, 404)

    # --- OAuth -------------------------------------------------------------------------

    def _access_token(self, shop: str, request: Request) -> Response:
        body = _body(request)
        if body.get("client_id") != self.api_key or body.get("client_secret") != self.api_secret:
            return _oauth_error("invalid_client", "Client authentication failed", 401)
        grant = body.get("grant_type")
        if grant == TOKEN_EXCHANGE:
            return self._token_exchange(shop, body)
        if grant == "refresh_token":
            return self._refresh(shop, str(body.get("refresh_token", "")))
        if grant in (None, "", "authorization_code") and body.get("code"):
            return self._code_exchange(shop, str(body["code"]), _truthy(body.get("expiring")))
        return _oauth_error("unsupported_grant_type", "grant type not supported")

    def _token_exchange(self, shop: str, body: dict[str, Any]) -> Response:
        try:
            claims = jwt.decode(str(body.get("subject_token", "")), self.api_secret,
                                algorithms=["HS256"], audience=self.api_key, leeway=10)
        except jwt.PyJWTError:
            return _oauth_error("invalid_subject_token", "The subject token is invalid")
        if claims.get("dest") != f"https://{shop}":
            return _oauth_error("invalid_subject_token", "The subject token is for another shop")
        with self._lock:
            self.exchanges += 1
        return _json(self._grant(shop, _truthy(body.get("expiring"))))

    def _refresh(self, shop: str, refresh_token: str) -> Response:
        if self.refresh_delay:
            time.sleep(self.refresh_delay)
        with self._lock:
            issued = self.refresh_tokens.get(refresh_token)
            if (issued is None or issued.shop != shop or issued.revoked
                    or (issued.expires_at is not None and issued.expires_at <= time.time())):
                return _oauth_error("invalid_grant", "The refresh token is invalid or expired")
            issued.revoked = True  # rotation: a refresh token works once
            self.refreshes += 1
        return _json(self._grant(shop, expiring=True))

    def _code_exchange(self, shop: str, code: str, expiring: bool) -> Response:
        with self._lock:
            if self.codes.pop(code, None) != shop:
                return _oauth_error("invalid_request",
                                    "The authorization code was not found or was already used")
            self.code_exchanges += 1
        return _json(self._grant(shop, expiring))

    def _grant(self, shop: str, expiring: bool) -> dict[str, Any]:
        now = time.time()
        token = f"shpat_fake_{next(self._ids):06d}"
        grant: dict[str, Any] = {"access_token": token, "scope": "read_orders,write_orders"}
        with self._lock:
            self.access_tokens[token] = Issued(shop, now + self.access_ttl if expiring else None)
            if expiring:
                refresh = f"shprt_fake_{next(self._ids):06d}"
                self.refresh_tokens[refresh] = Issued(shop, now + self.refresh_ttl)
                grant.update(expires_in=self.access_ttl, refresh_token=refresh,
                             refresh_token_expires_in=self.refresh_ttl)
        return grant

    def _authorize(self, shop: str, request: Request) -> Response:
        """The merchant approves at once: back to redirect_uri with a signed code."""
        if request.args.get("client_id") != self.api_key:
            return _json({"errors": "unknown client_id"}, 400)
        query = self.signed_callback_query(shop, request.args.get("state", ""))
        location = f"{request.args.get('redirect_uri', '')}?{urlencode(query)}"
        return Response("", status=302, headers={"Location": location})

    # --- GraphQL -----------------------------------------------------------------------

    def _graphql(self, shop: str, request: Request) -> Response:
        token = request.headers.get("X-Shopify-Access-Token", "")
        with self._lock:
            self.graphql_calls += 1
            if not self.valid_access_token(shop, token):
                return _json({"errors": "[API] Invalid API key or access token "
                                        "(unrecognized login or wrong password)"}, 401)
            if self._failures:
                status, retry_after = self._failures.pop(0)
                return _json({"errors": "fake failure"}, status, {"Retry-After": retry_after})
            throttled = self._throttles > 0
            if throttled:
                self._throttles -= 1
        body = _body(request)
        query, variables = str(body.get("query", "")), body.get("variables") or {}
        cost = 10.0
        if throttled:
            return _json({"errors": [{"message": "Throttled",
                                      "extensions": {"code": "THROTTLED",
                                                     "documentation": "https://shopify.dev"}}],
                          "extensions": _cost(cost, None, available=5.0)})
        data = self._resolve(shop, query, variables)
        data.update(self.bulk.resolve(shop, query, variables, request.host_url))
        data.update(self.discounts.resolve(shop, query, variables))
        return _json({"data": data, "extensions": _cost(cost, cost, BUCKET_SIZE - cost)})

    def _customer_tags(self, shop: str, op: str, add: bool,
                       variables: dict[str, Any]) -> dict[str, Any]:
        """tagsAdd / tagsRemove on a customer: known customers are those given tags (an
        empty set) in `customer_tags`; any other id is Shopify's userError."""
        gid = str(variables.get("id", ""))
        tags = self.customer_tags.get(shop, {}).get(gid)
        if tags is None:
            return {"node": None, "userErrors": [
                {"field": ["id"], "message": "Customer does not exist"}]}
        self.mutations.append((op, dict(variables)))
        wanted = {str(t) for t in variables.get("tags", [])}
        self.customer_tags[shop][gid] = (tags | wanted) if add else (tags - wanted)
        return {"node": {"id": gid}, "userErrors": []}

    def _resolve(self, shop: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if re.search(r"\bshop\s*\{", query):
            info = {k: v for k, v in self.shops[shop].items() if k != "locale"}
            data["shop"] = {**info, "myshopifyDomain": shop}
        if re.search(r"\bshopLocales\b", query):
            data["shopLocales"] = [{"locale": self.shops[shop]["locale"], "primary": True}]
        if re.search(r"\borders\s*\(", query):
            wanted = str(variables.get("query", ""))
            found = [o for o in self.orders.get(shop, []) if _order_matches(o, wanted)]
            data["orders"] = {"nodes": [_order_json(o) for o in found[:1]]}
        for op, add in (("tagsAdd", True), ("tagsRemove", False)):
            if re.search(rf"\b{op}\s*\(", query) \
                    and "/Customer/" in str(variables.get("id", "")):
                data[op] = self._customer_tags(shop, op, add, variables)
                continue
            if re.search(rf"\b{op}\s*\(", query):
                order = self._order(shop, str(variables.get("id", "")))
                if order is None:
                    data[op] = {"node": None, "userErrors": [
                        {"field": ["id"], "message": "Order does not exist"}]}
                    continue
                self.mutations.append((op, dict(variables)))
                tags = [str(t) for t in variables.get("tags", [])]
                order.tags = (sorted(set(order.tags) | set(tags)) if add
                              else [t for t in order.tags if t not in tags])
                data[op] = {"node": {"id": order.id}, "userErrors": []}
        if re.search(r"\border\s*\(\s*id:", query):
            order = self._order(shop, str(variables.get("id", "")))
            data["order"] = (None if order is None
                             else {"id": order.id, "cancelledAt": order.cancelled_at})
        if re.search(r"\borderCancel\s*\(", query):
            data["orderCancel"] = self._cancel(shop, variables)
        if re.search(r"\bcurrentAppInstallation\s*\{", query):
            data["currentAppInstallation"] = {"id": _installation_id(shop)}
        if re.search(r"\bmetafieldsSet\s*\(", query):
            data["metafieldsSet"] = self._metafields_set(shop, variables)
        if re.search(r"\bdraftOrderCreate\s*\(", query):
            data["draftOrderCreate"] = self._draft_order_create(shop, variables)
        if re.search(r"\borderUpdate\s*\(", query):
            fields = variables.get("input", {})
            order = self._order(shop, str(fields.get("id", "")))
            if order is None:
                data["orderUpdate"] = {"order": None, "userErrors": [
                    {"field": ["id"], "message": "Order does not exist"}]}
            else:
                self.mutations.append(("orderUpdate", dict(variables)))
                order.note = fields.get("note", order.note)
                data["orderUpdate"] = {"order": {"id": order.id, "note": order.note},
                                       "userErrors": []}
        return data

    def _metafields_set(self, shop: str, variables: dict[str, Any]) -> dict[str, Any]:
        """metafieldsSet on the app installation: the owner must be this app's installation
        in this shop, the type a known one, the value a string (as Shopify checks)."""
        errors, stored = [], []
        for index, item in enumerate(variables.get("metafields") or []):
            if item.get("ownerId") != _installation_id(shop):
                errors.append({"field": ["metafields", str(index), "ownerId"],
                               "message": "Owner does not exist", "code": "INVALID"})
            elif item.get("type") != "single_line_text_field" or not isinstance(
                    item.get("value"), str) or "\n" in item["value"]:
                errors.append({"field": ["metafields", str(index), "value"],
                               "message": "Value is invalid", "code": "INVALID_VALUE"})
            else:
                stored.append((str(item["namespace"]), str(item["key"]), item["value"]))
        if not errors:
            for namespace, key, value in stored:
                self.app_metafields.setdefault(shop, {})[(namespace, key)] = value
        return {"metafields": [{"namespace": n, "key": k} for n, k, _ in stored],
                "userErrors": errors}

    def _cancel(self, shop: str, variables: dict[str, Any]) -> dict[str, Any]:
        """orderCancel: refuses an unknown, already cancelled or (partially) fulfilled order
        (code INVALID, as Shopify does), needs a refund choice, and cancels at once
        (Shopify's job is quick)."""
        self.cancel_calls += 1
        order = self._order(shop, str(variables.get("orderId", "")))
        errors = []
        if order is None:
            errors.append({"field": ["orderId"], "message": "Order does not exist",
                           "code": "NOT_FOUND"})
        elif order.cancelled_at:
            errors.append({"field": ["orderId"], "message": "Order has already been cancelled",
                           "code": "INVALID"})
        elif order.fulfillment_status in ("FULFILLED", "PARTIALLY_FULFILLED"):
            # Shopify refuses to cancel a (partially) fulfilled order since 2018-03.
            errors.append({"field": ["orderId"], "message": "Cannot cancel a fulfilled order",
                           "code": "INVALID"})
        elif "refundMethod" not in variables and "refund" not in variables:
            errors.append({"field": ["refundMethod"], "message": "A refund method is required",
                           "code": "INVALID"})
        if errors:
            return {"job": None, "orderCancelUserErrors": errors}
        assert order is not None
        self.mutations.append(("orderCancel", dict(variables)))
        order.cancelled_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        order.cancel_reason = str(variables.get("reason", ""))
        return {"job": {"id": f"gid://shopify/Job/{next(self._ids)}", "done": False},
                "orderCancelUserErrors": []}

    def add_variant(self, shop: str, variant_id: str) -> str:
        """Make a product variant known to draft orders; its GraphQL id."""
        gid = (variant_id if variant_id.startswith("gid://")
               else f"gid://shopify/ProductVariant/{variant_id}")
        self.variants.setdefault(shop, set()).add(gid)
        return gid

    def _draft_order_create(self, shop: str, variables: dict[str, Any]) -> dict[str, Any]:
        """draftOrderCreate: every line a known variant with a quantity of at least 1."""
        draft = variables.get("input") or {}
        lines = draft.get("lineItems") or []
        errors = []
        if not lines:
            errors.append({"field": ["lineItems"], "message": "Add at least 1 product"})
        for index, line in enumerate(lines):
            if line.get("variantId") not in self.variants.get(shop, set()):
                errors.append({"field": ["lineItems", str(index), "variantId"],
                               "message": "Product with ID could not be found."})
            elif not isinstance(line.get("quantity"), int) or line["quantity"] < 1:
                errors.append({"field": ["lineItems", str(index), "quantity"],
                               "message": "Quantity must be greater than or equal to 1"})
        if errors:
            return {"draftOrder": None, "userErrors": errors}
        number = next(self._ids)
        token = hashlib.sha256(f"{shop}:{number}".encode()).hexdigest()[:32]
        made = {"id": f"gid://shopify/DraftOrder/{900000 + number}",
                "invoiceUrl": f"{self.invoice_base}/{shop}/invoices/{token}",
                "lineItems": [dict(line) for line in lines], "phone": draft.get("phone"),
                "note": draft.get("note"), "tags": list(draft.get("tags") or [])}
        self.draft_orders.setdefault(shop, []).append(made)
        self.mutations.append(("draftOrderCreate", dict(variables)))
        return {"draftOrder": {"id": made["id"], "invoiceUrl": made["invoiceUrl"]},
                "userErrors": []}

    def _order(self, shop: str, order_id: str) -> Order | None:
        return next((o for o in self.orders.get(shop, []) if o.id == order_id), None)


def _installation_id(shop: str) -> str:
    """A stable AppInstallation GraphQL id for our app in `shop`."""
    return f"gid://shopify/AppInstallation/{zlib.crc32(shop.encode())}"


def oauth_hmac(secret: str, params: dict[str, str]) -> str:
    """Shopify's OAuth query signature: hex HMAC-SHA256 of the sorted `k=v&…` without hmac."""
    message = "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k != "hmac")
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def _order_matches(order: Order, search: str) -> bool:
    match = re.search(r"name:#?(\d+)", search)
    return match is not None and order.name == f"#{match.group(1)}"


def _order_json(order: Order) -> dict[str, Any]:
    return {"id": order.id, "name": order.name, "tags": order.tags, "note": order.note,
            "phone": order.phone, "displayFinancialStatus": order.financial_status,
            "displayFulfillmentStatus": order.fulfillment_status,
            "totalPriceSet": {"shopMoney": {"amount": order.total,
                                            "currencyCode": order.currency}}}


def _cost(requested: float, actual: float | None, available: float) -> dict[str, Any]:
    return {"cost": {"requestedQueryCost": requested, "actualQueryCost": actual,
                     "throttleStatus": {"maximumAvailable": BUCKET_SIZE,
                                        "currentlyAvailable": available,
                                        "restoreRate": RESTORE_RATE}}}


def _body(request: Request) -> dict[str, Any]:
    if request.mimetype == "application/json":
        try:
            parsed = json.loads(request.get_data() or b"{}")
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}
    return request.form.to_dict()


def _truthy(value: Any) -> bool:
    return str(value).lower() in ("1", "true")


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(data), status=status, mimetype="application/json",
                    headers=headers or {})


def _oauth_error(error: str, description: str, status: int = 400) -> Response:
    return _json({"error": error, "error_description": description}, status)

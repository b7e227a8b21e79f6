"""A fake WooCommerce site: REST v3, WC-Auth key exchange, and the webhook dispatcher.

Serve it with LoopbackServer (http, OAuth 1.0a) or `tls_server` (https, Basic auth or
query-string auth); the store URL is the server's URL, optionally with a path prefix
(everything before `/wp-json/` or `/wc-auth/` is ignored). Outbound traffic (the WC-Auth
callback, webhook deliveries and pings) goes through `self.http`, an httpx.Client that tests
point at StoreChat with httpx.WSGITransport, so nothing leaves the process.

Quirks kept because StoreChat must cope with them:
- auth: Basic over https, else `consumer_key`/`consumer_secret` in the query; OAuth 1.0a
  (WooCommerce's own double-encoded base string, secret + "&") over http; with
  `strip_authorization` the host drops the Authorization header, as some do;
- `per_page` above 100 is a 400; lists carry X-WP-Total and X-WP-TotalPages;
- a batch (`coupons/batch`) takes at most 100 objects (413 beyond) and answers each item on
  its own, an error item beside the created ones (tests/fakes/woocommerce_coupons.py);
- `modified_after` compares local time unless `dates_are_gmt=true`, and is exclusive;
- WC-Auth approves at once, POSTs the keys to callback_url and deletes the key unless the
  answer is exactly 200, then redirects to return_url with success and user_id;
- order notes: private unless `customer_note` is true; a status change through the API adds
  WooCommerce's own system note ("Order status changed from On hold to Processing.") and
  fires order.updated, as the store's own status transition does;
- webhooks: a form-encoded `webhook_id=N` ping on creation; JSON bodies with `\\/` escaping;
  the seven X-WC-Webhook-* headers; no retries; a webhook that keeps failing is disabled
  (WC_Webhook::failed_delivery: once more than 5 failures are counted); deleting needs
  force=true (webhooks cannot be trashed).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import re
import secrets
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import httpx
from werkzeug.wrappers import Request, Response

from tests.fakes import woocommerce_catalog, woocommerce_coupons

WC_VERSION = "9.4.2"
WP_VERSION = "6.7.1"
USER_AGENT = f"WooCommerce/{WC_VERSION} Hookshot (WordPress/{WP_VERSION})"
MAX_PER_PAGE = 100
# Objects one batch request may create, update and delete in all (WooCommerce's default).
MAX_BATCH_ITEMS = 100
# WC_Webhook::failed_delivery disables once the stored count exceeds this filter's value.
MAX_DELIVERY_FAILURES = 5
# OAuth 1.0a timestamps older than this are refused (WC_REST_Authentication).
OAUTH_WINDOW_SECONDS = 15 * 60
TOPICS = {f"{r}.{e}" for r in ("order", "product", "customer", "coupon")
          for e in ("created", "updated", "deleted", "restored")}
START = datetime(2025, 3, 1, 9, 0, 0, tzinfo=UTC)
_ROUTE = re.compile(r"^(?P<prefix>.*?)/(?P<kind>wp-json|wc-auth)(?P<rest>/.*)?$")


class FakeWooCommerce:
    """The site's state; the object is its WSGI application."""

    def __init__(self, *, name: str = "Acme Woo", currency: str = "EUR",
                 timezone_string: str = "Europe/Amsterdam", utc_offset_hours: int = 1,
                 http: httpx.Client | None = None) -> None:
        self.name, self.currency = name, currency
        self.timezone_string, self.utc_offset = timezone_string, timedelta(hours=utc_offset_hours)
        self.http = http or httpx.Client(timeout=10)
        self.url = ""  # the site's base URL, set by whoever serves it (for links and Source)
        self.strip_authorization = False
        self.allow_http_callback = False  # real WooCommerce insists on an https callback_url
        self.approve = True  # False: the owner clicks "Deny"
        self.user_id_as_int = False  # echo a numeric user_id as a JSON number
        # A base URL to which every /wp-json/ request is redirected (302, path and query
        # kept), as a hostile or moved site answers; WC-Auth still works.
        self.redirect_rest_to = ""
        self.keys: dict[str, dict[str, Any]] = {}  # consumer_key -> key row
        self.webhooks: dict[int, dict[str, Any]] = {}
        self.orders: dict[int, dict[str, Any]] = {}
        # Registered customers by id; PUT customers/<id> replaces meta_data by key.
        self.customers: dict[int, dict[str, Any]] = {}
        self.products: dict[int, dict[str, Any]] = {}
        # Variations of variable products by product id (tests/fakes/woocommerce_catalog.py).
        self.variations: dict[int, list[dict[str, Any]]] = {}
        self.notes: dict[int, list[dict[str, Any]]] = {}  # order id -> notes, oldest first
        # Coupons by id, and every POST coupons (tests/fakes/woocommerce_coupons.py).
        self.coupons: dict[int, dict[str, Any]] = {}
        self.coupon_creates = 0
        # Every POST coupons/batch, by how many coupons it asked to create (refused ones
        # too); every create attempt (single or in a batch) by lower-case code; and the
        # objects a batch accepts (woocommerce_rest_batch_items_limit).
        self.coupon_batches: list[int] = []
        self.coupon_attempts: Counter[str] = Counter()
        self.batch_limit = MAX_BATCH_ITEMS
        # Lower-case codes the site refuses to create: (error code, message), as a plugin
        # filtering woocommerce_rest_pre_insert_shop_coupon_object answers a WP_Error.
        self.refused_coupons: dict[str, tuple[str, str]] = {}
        # Store API carts by Cart-Token: {product id: quantity}.
        self.carts: dict[str, dict[int, int]] = {}
        self.requests: list[tuple[str, str, str]] = []  # (method, path, auth mode)
        self.deliveries: list[dict[str, Any]] = []  # every ping and delivery attempt
        self.callbacks: list[int] = []  # status codes the WC-Auth callback answered
        self._clock = START
        self._nonces: set[str] = set()
        self._failures: list[int] = []
        self._lost_answers: list[int] = []
        self._ids = itertools.count(101)
        self._lock = threading.RLock()

    # --- arranging ---------------------------------------------------------------------

    def add_key(self, permissions: str = "read_write", description: str = "") -> dict[str, Any]:
        """An API key as WooCommerce › Settings › Advanced › REST API would make."""
        with self._lock:
            row = {"key_id": next(self._ids), "consumer_key": "ck_" + secrets.token_hex(20),
                   "consumer_secret": "cs_" + secrets.token_hex(20),
                   "permissions": permissions, "description": description}
            self.keys[row["consumer_key"]] = row
        return row

    def revoke_keys(self) -> None:
        """The owner revokes every key (or uninstalls WooCommerce's REST access)."""
        with self._lock:
            self.keys.clear()

    def fail_next(self, *statuses: int) -> None:
        """Answer the next REST calls with these statuses (429, 500, 503…); a 0 lets its
        call through, so a later call can be the one that fails."""
        with self._lock:
            self._failures.extend(statuses)

    def lose_next_answers(self, *statuses: int) -> None:
        """Do the next REST calls' work, then answer these statuses instead (a proxy gives
        up on a slow PHP request that still finishes); a 0 answers its call as usual."""
        with self._lock:
            self._lost_answers.extend(statuses)

    def tick(self, seconds: int = 1) -> datetime:
        """Advance the site's clock; returns the new time (UTC)."""
        with self._lock:
            self._clock += timedelta(seconds=seconds)
            return self._clock

    def add_order(self, deliver: bool = True, **fields: Any) -> dict[str, Any]:
        """Create an order (status pending unless given) and fire order.created."""
        with self._lock:
            order_id = next(self._ids)
            order = _order(order_id, self.url, self._stamp(created=True), **fields)
            self.orders[order_id] = order
        if deliver:
            self.dispatch("order.created", order)
        return order

    def update_order(self, order_id: int, deliver: bool = True, **fields: Any) -> dict[str, Any]:
        """Change an order (a new date_modified) and fire order.updated."""
        with self._lock:
            order = self.orders[order_id]
            order.update(fields)
            order.update(self._stamp(created=False))
        if deliver:
            self.dispatch("order.updated", order)
        return order

    def add_product(self, deliver: bool = True, **fields: Any) -> dict[str, Any]:
        """Create a product and fire product.created."""
        with self._lock:
            product_id = next(self._ids)
            product = {"id": product_id, "name": "Linen shirt", "type": "simple",
                       "status": "publish", "sku": f"SKU-{product_id}", "price": "49.90",
                       "stock_status": "instock",
                       "permalink": f"{self.url}/product/linen-shirt-{product_id}/",
                       **self._stamp(created=True), **fields}
            self.products[product_id] = product
        if deliver:
            self.dispatch("product.created", product)
        return product

    def _stamp(self, created: bool) -> dict[str, str]:
        now = self.tick()
        stamp = {"date_modified_gmt": _iso(now), "date_modified": _iso(now + self.utc_offset)}
        if created:
            stamp.update(date_created_gmt=_iso(now), date_created=_iso(now + self.utc_offset))
        return stamp

    # --- the webhook dispatcher --------------------------------------------------------

    def dispatch(self, topic: str, resource: dict[str, Any]) -> None:
        """Deliver `topic` to every active webhook for it, once each, no retries."""
        with self._lock:
            hooks = [dict(h) for h in self.webhooks.values()
                     if h["topic"] == topic and h["status"] == "active"]
        payload = {"id": resource["id"]} if topic.endswith(".deleted") else resource
        body = wp_json_encode(payload)
        for hook in hooks:
            resource_name, event = topic.split(".", 1)
            headers = {
                "Content-Type": "application/json", "User-Agent": USER_AGENT,
                "X-WC-Webhook-Source": f"{self.url}/",
                "X-WC-Webhook-Topic": topic, "X-WC-Webhook-Resource": resource_name,
                "X-WC-Webhook-Event": event,
                "X-WC-Webhook-Signature": base64.b64encode(
                    hmac.new(hook["secret"].encode(), body, hashlib.sha256).digest()).decode(),
                "X-WC-Webhook-ID": str(hook["id"]),
                # wp_hash( id . strtotime('now') ): the same within a second, so not unique.
                "X-WC-Webhook-Delivery-ID": hashlib.md5(
                    f"{hook['id']}{int(time.time())}".encode()).hexdigest(),
            }
            self._deliver(hook["id"], topic, body, headers)

    def _deliver(self, hook_id: int, topic: str, body: bytes, headers: dict[str, str]) -> None:
        with self._lock:
            url = self.webhooks[hook_id]["delivery_url"]
        try:
            status: int | None = self.http.post(url, content=body, headers=headers).status_code
        except httpx.HTTPError:
            status = None  # WP_Error: the URL cannot be reached
        with self._lock:
            self.deliveries.append({"webhook_id": hook_id, "topic": topic, "status": status,
                                    "body": body, "headers": headers})
            hook = self.webhooks.get(hook_id)
            if hook is None:
                return
            if status is not None and 200 <= status <= 299:
                hook["failure_count"] = 0
            elif hook["failure_count"] > MAX_DELIVERY_FAILURES:
                hook["status"] = "disabled"
            else:
                hook["failure_count"] += 1

    def _ping(self, hook: dict[str, Any]) -> None:
        body = f"webhook_id={hook['id']}".encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", "User-Agent": USER_AGENT}
        try:
            status: int | None = self.http.post(hook["delivery_url"], content=body,
                                                headers=headers).status_code
        except httpx.HTTPError:
            status = None
        with self._lock:
            self.deliveries.append({"webhook_id": hook["id"], "topic": "ping", "status": status,
                                    "body": body, "headers": headers})

    # --- WSGI --------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        return self._handle(request)(environ, start_response)

    def _handle(self, request: Request) -> Response:
        match = _ROUTE.match(request.path)
        if match is None:
            return _json({"code": "rest_no_route", "message": "No route was found."}, 404)
        rest = (match["rest"] or "/").rstrip("/") or "/"
        if match["kind"] == "wp-json" and self.redirect_rest_to:
            query = request.query_string.decode()
            return Response("", 302, {"Location": self.redirect_rest_to.rstrip("/") +
                                      request.path + (f"?{query}" if query else "")})
        if match["kind"] == "wc-auth":
            if rest == "/v1/authorize" and request.method == "GET":
                return self._authorize(request)
            return Response("Not Found", 404)
        if rest == "/":
            return _json({"name": self.name, "url": self.url, "home": self.url,
                          "gmt_offset": self.utc_offset.total_seconds() / 3600,
                          "timezone_string": self.timezone_string,
                          "namespaces": ["wp/v2", "wc/v3", "wc/store/v1"]})
        if rest.startswith("/wc/store/v1/cart"):
            return self._store_cart(request, rest.removeprefix("/wc/store/v1/cart"))
        if not rest.startswith("/wc/v3/"):
            return _json({"code": "rest_no_route", "message": "No route was found."}, 404)
        key, mode = self._authenticate(request)
        with self._lock:
            self.requests.append((request.method, rest, mode))
            failure = self._failures.pop(0) if self._failures else None
        if failure:
            return _json({"code": "fake_failure", "message": "fake failure"}, failure,
                         {"Retry-After": "0"})
        if isinstance(key, Response):
            return key
        if request.method != "GET" and key["permissions"] == "read":
            return _error("woocommerce_rest_authentication_error",
                          "The API key provided does not have write permissions.", 401)
        answer = self._route(request, rest.removeprefix("/wc/v3"))
        with self._lock:
            lost = self._lost_answers.pop(0) if self._lost_answers else None
        if lost:
            return _json({"code": "fake_lost_answer", "message": "fake lost answer"}, lost,
                         {"Retry-After": "0"})
        return answer

    def _store_cart(self, request: Request, path: str) -> Response:
        """The Store API cart: public, keyed by the Cart-Token header it hands out."""
        token = request.headers.get("Cart-Token") or f"cart-{uuid.uuid4().hex}"
        with self._lock:
            items = self.carts.setdefault(token, {})
            if path == "/add-item" and request.method == "POST":
                data = request.get_json(silent=True) or {}
                product = self.products.get(int(data.get("id", 0)))
                if product is None:
                    return _json({"code": "woocommerce_rest_cart_invalid_product",
                                  "message": "This product cannot be added to the cart."}, 400)
                items[product["id"]] = items.get(product["id"], 0) + int(data.get("quantity", 1))
            elif path not in ("", "/") or request.method != "GET":
                return _json({"code": "rest_no_route", "message": "No route was found."}, 404)
            lines = [{"id": pid, "name": self.products[pid]["name"], "quantity": qty,
                      "prices": {"price": str(int(Decimal(self.products[pid]["price"]) * 100)),
                                 "currency_code": self.currency, "currency_minor_unit": 2}}
                     for pid, qty in items.items()]
        total = sum(int(line["prices"]["price"]) * line["quantity"] for line in lines)
        return _json({"items": lines, "items_count": sum(q for q in items.values()),
                      "totals": {"total_price": str(total), "currency_code": self.currency,
                                 "currency_minor_unit": 2}}, 200, {"Cart-Token": token})

    def _route(self, request: Request, path: str) -> Response:
        method = request.method
        if path == "/system_status" and method == "GET":
            return _json({"environment": {"home_url": self.url, "site_url": self.url,
                                          "version": WC_VERSION, "wp_version": WP_VERSION,
                                          "default_timezone": "UTC"},
                          "settings": {"currency": self.currency, "currency_symbol": "€",
                                       "api_enabled": True}})
        if path in ("/orders", "/products") and method == "GET":
            rows = self.orders if path == "/orders" else self.products
            return self._list(request, _filter(list(rows.values()), request.args))
        if path == "/coupons" and method in ("GET", "POST"):
            return woocommerce_coupons.coupons_route(self, request)
        if path == "/coupons/batch" and method in ("POST", "PUT", "PATCH"):
            return woocommerce_coupons.batch_route(self, request)
        match = re.fullmatch(r"/products/(\d+)/variations", path)
        if match and method == "GET":
            return woocommerce_catalog.variations_route(self, request, int(match[1]))
        match = re.fullmatch(r"/(orders|products)/(\d+)", path)
        if match and method == "GET":
            rows = self.orders if match[1] == "orders" else self.products
            row = rows.get(int(match[2]))
            code = ("woocommerce_rest_shop_order_invalid_id" if match[1] == "orders"
                    else "woocommerce_rest_product_invalid_id")
            return _json(row) if row else _error(code, "Invalid ID.", 404)
        if path == "/orders" and method == "POST":
            return self._create_order(_body(request))
        match = re.fullmatch(r"/orders/(\d+)", path)
        if match and method in ("PUT", "POST"):
            return self._edit_order(int(match[1]), _body(request))
        match = re.fullmatch(r"/orders/(\d+)/notes", path)
        if match:
            return self._notes(request, int(match[1]))
        match = re.fullmatch(r"/customers/(\d+)", path)
        if match and method in ("PUT", "POST"):
            return self._edit_customer(int(match[1]), _body(request))
        if path == "/webhooks":
            if method == "GET":
                return self._list(request, [_public(h) for h in sorted(
                    self.webhooks.values(), key=lambda h: h["id"], reverse=True)])
            if method == "POST":
                return self._create_webhook(_body(request))
        match = re.fullmatch(r"/webhooks/(\d+)", path)
        if match:
            return self._webhook(request, int(match[1]))
        return _json({"code": "rest_no_route", "message": "No route was found."}, 404)

    def _list(self, request: Request, rows: list[dict[str, Any]]) -> Response:
        try:
            per_page = int(request.args.get("per_page", "10"))
            page = int(request.args.get("page", "1"))
        except ValueError:
            return _error("rest_invalid_param", "Invalid parameter(s): per_page", 400)
        if not 1 <= per_page <= MAX_PER_PAGE:
            return _error("rest_invalid_param", "Invalid parameter(s): per_page "
                          "(per_page must be between 1 (inclusive) and 100 (inclusive))", 400)
        total_pages = max(1, -(-len(rows) // per_page)) if rows else 0
        chunk = rows[(page - 1) * per_page: page * per_page]
        return _json(chunk, headers={"X-WP-Total": str(len(rows)),
                                     "X-WP-TotalPages": str(total_pages)})

    def _edit_customer(self, customer_id: int, body: dict[str, Any]) -> Response:
        """PUT customers/<id>: meta_data entries replace those of the same key (as
        WooCommerce's update_meta_data does); an unknown id is its 400 invalid id."""
        customer = self.customers.get(customer_id)
        if customer is None:
            return _error("woocommerce_rest_invalid_id", "Invalid resource ID.", 400)
        meta = {m["key"]: m for m in customer.setdefault("meta_data", [])}
        for entry in body.get("meta_data") or []:
            meta[str(entry.get("key"))] = {"id": len(meta) + 1, "key": str(entry.get("key")),
                                           "value": entry.get("value")}
        customer["meta_data"] = list(meta.values())
        return _json(customer)

    def _edit_order(self, order_id: int, body: dict[str, Any]) -> Response:
        """PUT orders/<id>: change fields; a new status is noted and fires order.updated."""
        with self._lock:
            order = self.orders.get(order_id)
            if order is None:
                return _error("woocommerce_rest_shop_order_invalid_id", "Invalid ID.", 404)
            status = body.get("status")
            if status is not None and status not in ORDER_STATUSES:
                return _error("rest_invalid_param", "Invalid parameter(s): status", 400)
            before = order["status"]
            changes = {k: v for k, v in body.items() if k in ("status", "customer_note")}
        if status is not None and status != before:
            self.add_note(order_id, f"Order status changed from {_label(before)} to "
                                    f"{_label(status)}.", author="system")
        return _json(self.update_order(order_id, **changes))

    def _create_order(self, body: dict[str, Any]) -> Response:
        """POST orders: line items of known products (a variable product needs one of its
        variations, `variation_ids` on the product); pending unless told, fires
        order.created; payment_url is the order-pay page with the order key."""
        items = []
        for line in body.get("line_items") or []:
            product = self.products.get(int(line.get("product_id") or 0))
            variation = line.get("variation_id")
            if product is None:
                return _error("woocommerce_rest_invalid_product_id",
                              "Invalid product ID.", 400)
            variations = product.get("variation_ids") or []
            if (variations or variation) and variation not in variations:
                return _error("woocommerce_rest_invalid_variation_id",
                              "Invalid variation ID.", 400)
            quantity = int(line.get("quantity") or 1)
            total = Decimal(str(product.get("price") or "0")) * quantity
            items.append({"id": len(items) + 1, "name": product["name"],
                          "product_id": product["id"], "variation_id": variation or 0,
                          "quantity": quantity, "total": f"{total:.2f}"})
        if not items:
            return _error("woocommerce_rest_invalid_line_items", "No line items.", 400)
        status = str(body.get("status") or "pending")
        if status not in ORDER_STATUSES:
            return _error("rest_invalid_param", "Invalid parameter(s): status", 400)
        billing = {"first_name": "", "last_name": "", "email": "", "phone": "", "country": "",
                   **(body.get("billing") or {})}
        key = f"wc_order_{secrets.token_hex(6)}"
        total = sum(Decimal(i["total"]) for i in items)
        with self._lock:
            order_id = next(self._ids)
            order = _order(
                order_id, self.url, self._stamp(created=True), status=status, order_key=key,
                created_via="rest-api", billing=billing, line_items=items,
                total=f"{total:.2f}", customer_note=str(body.get("customer_note") or ""),
                meta_data=list(body.get("meta_data") or []),
                date_paid_gmt=_iso(self._clock) if body.get("set_paid") else None,
                payment_url=f"{self.url}/checkout/order-pay/{order_id}/?pay_for_order=true"
                            f"&key={key}")
            self.orders[order_id] = order
        self.dispatch("order.created", order)
        return _json(order, 201)

    def add_note(self, order_id: int, note: str, customer_note: bool = False,
                 author: str = "system") -> dict[str, Any]:
        """Add an order note (as the REST API or WooCommerce itself would)."""
        with self._lock:
            row = {"id": next(self._ids), "author": author,
                   "date_created": _iso(self._clock + self.utc_offset),
                   "date_created_gmt": _iso(self._clock), "note": note,
                   "customer_note": customer_note}
            self.notes.setdefault(order_id, []).append(row)
        return row

    def _notes(self, request: Request, order_id: int) -> Response:
        """GET (newest first) and POST orders/<id>/notes."""
        if order_id not in self.orders:
            return _error("woocommerce_rest_order_invalid_id", "Invalid order ID.", 404)
        if request.method == "GET":
            with self._lock:
                return _json(list(reversed(self.notes.get(order_id, []))))
        if request.method == "POST":
            body = _body(request)
            if not str(body.get("note") or "").strip():
                return _error("woocommerce_rest_missing_note",
                              "Missing parameter(s): note", 400)
            customer_note = body.get("customer_note") in (True, "true", "1", 1)
            # Notes added through the API are "added by" the key's user.
            return _json(self.add_note(order_id, str(body["note"]), customer_note, "admin"), 201)
        return _json({"code": "rest_no_route", "message": "No route was found."}, 404)

    def _create_webhook(self, body: dict[str, Any]) -> Response:
        topic, url = str(body.get("topic", "")), str(body.get("delivery_url", ""))
        if topic not in TOPICS:
            return _error("rest_invalid_param", "Invalid parameter(s): topic", 400)
        if urlsplit(url).scheme not in ("http", "https"):
            return _error("rest_invalid_param", "Invalid parameter(s): delivery_url", 400)
        with self._lock:
            hook = {"id": next(self._ids), "name": str(body.get("name") or topic),
                    "status": str(body.get("status") or "active"), "topic": topic,
                    "delivery_url": url, "failure_count": 0,
                    "secret": str(body.get("secret") or secrets.token_urlsafe(37)),
                    **self._stamp(created=True)}
            self.webhooks[hook["id"]] = hook
        if hook["status"] == "active":
            self._ping(hook)
        return _json(_public(hook), 201)

    def _webhook(self, request: Request, hook_id: int) -> Response:
        with self._lock:
            hook = self.webhooks.get(hook_id)
            if hook is None:
                return _error("woocommerce_rest_webhook_invalid_id", "Invalid ID.", 404)
            if request.method == "GET":
                return _json(_public(hook))
            if request.method == "PUT":
                body = _body(request)
                for name in ("name", "status", "topic", "delivery_url", "secret"):
                    if body.get(name):
                        hook[name] = str(body[name])
                if body.get("status") == "active":
                    hook["failure_count"] = 0
                hook.update(self._stamp(created=False))
                return _json(_public(hook))
            if request.method == "DELETE":
                if request.args.get("force") not in ("true", "1"):
                    return _error("woocommerce_rest_trash_not_supported",
                                  "Webhooks do not support trashing.", 501)
                del self.webhooks[hook_id]
                return _json(_public(hook))
        return _json({"code": "rest_no_route", "message": "No route was found."}, 404)

    # --- authentication ----------------------------------------------------------------

    def _authenticate(self, request: Request) -> tuple[dict[str, Any] | Response, str]:
        """The key the request authenticates with (or a 401 response), and how."""
        if request.scheme == "https":
            auth = None if self.strip_authorization else request.authorization
            if auth is not None and auth.type == "basic":
                return self._key(auth.username or "", auth.password or ""), "basic"
            if "consumer_key" in request.args:
                return self._key(request.args.get("consumer_key", ""),
                                 request.args.get("consumer_secret", "")), "query"
            return _error("woocommerce_rest_cannot_view",
                          "Sorry, you cannot list resources.", 401), "none"
        if "oauth_consumer_key" in request.args:
            return self._oauth(request), "oauth"
        return _error("woocommerce_rest_cannot_view",
                      "Sorry, you cannot list resources.", 401), "none"

    def _key(self, consumer_key: str, consumer_secret: str) -> dict[str, Any] | Response:
        key = self.keys.get(consumer_key)
        if key is None:
            return _error("woocommerce_rest_authentication_error", "Consumer key is invalid.", 401)
        if not hmac.compare_digest(key["consumer_secret"], consumer_secret):
            return _error("woocommerce_rest_authentication_error",
                          "Consumer secret is invalid.", 401)
        return key

    def _oauth(self, request: Request) -> dict[str, Any] | Response:
        params = dict(parse_qsl(request.query_string.decode(), keep_blank_values=True))
        key = self.keys.get(params.get("oauth_consumer_key", ""))
        if key is None:
            return _error("woocommerce_rest_authentication_error", "Consumer key is invalid.", 401)
        signature = params.pop("oauth_signature", "").replace(" ", "+")
        method = params.get("oauth_signature_method", "")
        if method not in ("HMAC-SHA1", "HMAC-SHA256"):
            return _error("woocommerce_rest_authentication_error",
                          "Invalid signature - signature method is invalid.", 401)
        base = f"{request.method}&{_rawurlencode(request.base_url)}&" + "%26".join(
            _rawurlencode(f"{_rawurlencode(k)}={_rawurlencode(v)}")
            for k, v in sorted(params.items()))
        digest = hashlib.sha1 if method == "HMAC-SHA1" else hashlib.sha256
        expected = base64.b64encode(hmac.new(f"{key['consumer_secret']}&".encode(),
                                             base.encode(), digest).digest()).decode()
        if not hmac.compare_digest(expected, signature):
            return _error("woocommerce_rest_authentication_error",
                          "Invalid signature - provided signature does not match.", 401)
        try:
            stamp = int(params.get("oauth_timestamp", ""))
        except ValueError:
            stamp = 0
        if abs(time.time() - stamp) > OAUTH_WINDOW_SECONDS:
            return _error("woocommerce_rest_authentication_error", "Invalid timestamp.", 401)
        nonce = f"{key['consumer_key']}:{stamp}:{params.get('oauth_nonce', '')}"
        with self._lock:
            if nonce in self._nonces:
                return _error("woocommerce_rest_authentication_error",
                              "Invalid nonce - nonce has already been used.", 401)
            self._nonces.add(nonce)
        return key

    # --- WC-Auth -----------------------------------------------------------------------

    def _authorize(self, request: Request) -> Response:
        """The owner is signed in and clicks Approve (or Deny) at once."""
        args = request.args
        for name in ("app_name", "scope", "user_id", "return_url", "callback_url"):
            if not args.get(name):
                return Response(f"Missing parameter {name}", 400)
        if args["scope"] not in ("read", "write", "read_write"):
            return Response("Invalid scope", 400)
        if not self.allow_http_callback and not args["callback_url"].startswith("https://"):
            return Response("The callback_url needs to be over SSL", 400)
        user_id: Any = args["user_id"]
        if not self.approve:
            return _redirect(args["return_url"], success="0", user_id=user_id)
        key = self.add_key(args["scope"], f"{args['app_name']} - API")
        if self.user_id_as_int and str(user_id).isdigit():
            user_id = int(user_id)
        payload = {"key_id": key["key_id"], "user_id": user_id,
                   "consumer_key": key["consumer_key"],
                   "consumer_secret": key["consumer_secret"],
                   "key_permissions": key["permissions"]}
        try:
            status = self.http.post(args["callback_url"], content=wp_json_encode(payload),
                                    headers={"Content-Type": "application/json"},
                                    timeout=60).status_code
        except httpx.HTTPError:
            status = 0
        with self._lock:
            self.callbacks.append(status)
            if status != 200:  # WC_Auth::maybe_delete_key
                self.keys.pop(key["consumer_key"], None)
                return Response("Error: An error occurred in the request and at the time were"
                                " unable to send the consumer data", 401)
        return _redirect(args["return_url"], success="1", user_id=str(args["user_id"]))


ORDER_STATUSES = ("pending", "processing", "on-hold", "completed", "cancelled", "refunded",
                  "failed", "checkout-draft")


def _label(status: str) -> str:
    """wc_get_order_status_name: "on-hold" → "On hold"."""
    return status.replace("-", " ").capitalize()


def wp_json_encode(data: Any) -> bytes:
    """PHP's json_encode as WordPress calls it: compact, \\uXXXX, and `/` escaped as `\\/`."""
    return json.dumps(data, separators=(",", ":")).replace("/", "\\/").encode()


def _order(order_id: int, site: str, stamp: dict[str, str], **fields: Any) -> dict[str, Any]:
    order = {
        "id": order_id, "parent_id": 0, "number": str(order_id), "status": "pending",
        "order_key": f"wc_order_{secrets.token_hex(6)}", "created_via": "checkout",
        "currency": "EUR", "total": "54.80", "customer_id": 0, "payment_method": "cod",
        "payment_method_title": "Cash on delivery", "customer_note": "",
        "billing": {"first_name": "Ana", "last_name": "Silva", "email": "ana@example.com",
                    "phone": "06 12345678", "country": "NL", "city": "Utrecht"},
        "shipping": {"first_name": "Ana", "last_name": "Silva", "country": "NL"},
        "line_items": [{"id": 1, "name": "Linen shirt", "quantity": 1, "total": "49.90"}],
        "meta_data": [],
        "payment_url": f"{site}/checkout/order-pay/{order_id}/",
        "_links": {"self": [{"href": f"{site}/wp-json/wc/v3/orders/{order_id}"}]},
        **stamp,
    }
    order.update(fields)
    return order


def _filter(rows: list[dict[str, Any]], args: Any) -> list[dict[str, Any]]:
    """WooCommerce's list filters StoreChat uses: modified_after, status, orderby, order."""
    gmt = str(args.get("dates_are_gmt", "")).lower() in ("1", "true")
    if args.get("modified_after"):
        after = _parse(args["modified_after"])
        column = "date_modified_gmt" if gmt else "date_modified"
        rows = [r for r in rows if _parse(r[column]) > after]
    if args.get("status") and args["status"] != "any":
        rows = [r for r in rows if r.get("status") in args["status"].split(",")]
    orderby = {"modified": "date_modified_gmt", "id": "id"}.get(
        args.get("orderby", "date"), "date_created_gmt")
    return sorted(rows, key=lambda r: (r[orderby], r["id"]),
                  reverse=args.get("order", "desc") != "asc")


def _public(hook: dict[str, Any]) -> dict[str, Any]:
    """A webhook as the API shows it: no secret, no failure count."""
    return {k: v for k, v in hook.items() if k not in ("secret", "failure_count")}


def _rawurlencode(value: str) -> str:
    """PHP's rawurlencode (RFC 3986: only A-Z a-z 0-9 - _ . ~ stay as they are)."""
    return quote(str(value), safe="~")


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "")).replace(tzinfo=None)


def _body(request: Request) -> dict[str, Any]:
    try:
        data = json.loads(request.get_data() or b"{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _redirect(url: str, **params: str) -> Response:
    """add_query_arg: keep return_url's own query, add ours."""
    parts = urlsplit(url)
    query = urlencode(parse_qsl(parts.query) + list(params.items()))
    return Response("", 302, {"Location": urlunsplit(parts._replace(query=query))})


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(wp_json_encode(data), status=status, mimetype="application/json",
                    headers=headers or {})


def _error(code: str, message: str, status: int) -> Response:
    return _json({"code": code, "message": message, "data": {"status": status}}, status)


def self_signed_certificate(directory: Any, *names: str) -> tuple[str, str]:
    """A certificate for 127.0.0.1 (and DNS `names`) and its key, written to `directory`;
    (cert, key) paths."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5)).not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                 *(x509.DNSName(name) for name in names)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = f"{directory}/fake-woo.crt", f"{directory}/fake-woo.key"
    with open(cert_path, "wb") as handle:
        handle.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, "wb") as handle:
        handle.write(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    return cert_path, key_path


class TlsLoopbackServer:
    """Like tests.fakes.server.LoopbackServer, over https with a self-signed certificate."""

    def __init__(self, app: Any, cert_path: str, key_path: str) -> None:
        import ssl

        from werkzeug.serving import make_server

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_path, key_path)
        self._server = make_server("127.0.0.1", 0, app, threaded=True, ssl_context=context)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """Base URL, e.g. https://127.0.0.1:54321."""
        return f"https://127.0.0.1:{self._server.server_port}"

    def __enter__(self) -> TlsLoopbackServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

"""The fake Graph API's commerce catalogs, as Meta runs them for WhatsApp:

- businesses own catalogs: `GET|POST /<business id>/owned_product_catalogs` (name);
  `GET /<waba id>?fields=owner_business_info` names the WABA's business;
- one catalog per WABA: `GET|POST /<waba id>/product_catalogs` (catalog_id; another
  catalog while one is connected is refused);
- `GET|POST /<phone number id>/whatsapp_commerce_settings` (is_catalog_visible,
  is_cart_enabled; Meta's defaults: cart on, catalog hidden);
- `POST /<catalog id>/items_batch` (item_type=PRODUCT_ITEM, requests=[{method, data}]):
  a malformed request is refused at submission (validation_status); every UPDATE is checked
  as Meta checks a commerce item (graph_catalog_items.check_item) and stored by retailer id
  (UPDATE upserts and changes only the fields it names, DELETE removes); the answer is a
  handle;
- `GET /<catalog id>/check_batch_request_status?handle=` says "started" for `batch_polls`
  polls, then "finished" with Meta's errors [{line, id, message}], warnings and
  ids_of_invalid_requests;
- `GET /<catalog id>/products?fields=&limit=&after=` pages by an opaque cursor; prices come
  back formatted for people ("$1,234.50"), as Meta reads them out.

`throttle_next(code, minutes)` answers the next catalog call with that throttling error and
Meta's X-Business-Use-Case-Usage header. `calls` counts requests per "METHOD edge". Items are
kept in dicts and an append-only order list, so a 100,000-item catalog stays linear.
"""
from __future__ import annotations

import base64
import json
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from werkzeug.wrappers import Request, Response

from tests.fakes.graph_catalog_items import apply_request, malformed, read_item

MAX_BATCH_REQUESTS = 5000
# The fields a product read answers with when `fields` asks for nothing known.
DEFAULT_FIELDS = ("id", "retailer_id", "name")


@dataclass
class FakeBusiness:
    """A Meta business: the token of its system user and the catalogs it owns."""

    business_id: str
    token: str
    name: str = "Linen & Co Ltd"
    catalogs: list[str] = field(default_factory=list)


@dataclass
class FakeCatalog:
    """A commerce catalog: items by retailer id, in the order they were first created."""

    catalog_id: str
    name: str
    business_id: str
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)  # append-only; stale slots are skipped
    position: dict[str, int] = field(default_factory=dict)  # retailer id -> its live slot


@dataclass
class FakeBatch:
    """An items_batch call's outcome, revealed once its polls are used up."""

    catalog_id: str
    polls_left: int
    errors: list[dict[str, Any]]
    warnings: list[dict[str, Any]]


class CatalogMixin:
    """Businesses, catalogs, commerce settings and batches for tests.fakes.graph.FakeGraph."""

    wabas: dict[str, Any]
    tokens: dict[str, str]
    _lock: threading.Lock
    _ids: Any

    def _catalog_state(self) -> None:
        """Create the catalog state (called by FakeGraph.__post_init__)."""
        self.businesses: dict[str, FakeBusiness] = {}
        self.catalogs: dict[str, FakeCatalog] = {}
        self.waba_business: dict[str, str] = {}
        self.waba_catalog: dict[str, str] = {}
        self.commerce: dict[str, dict[str, bool]] = {}
        self.batches: dict[str, FakeBatch] = {}
        self.batch_polls = 1  # "started" answers before a batch is "finished"
        self.calls: Counter[str] = Counter()
        self._throttles: list[tuple[int, int]] = []

    # Set-up and inspection ---------------------------------------------------------------

    def add_business(self, business_id: str, token: str, *wabas: str) -> FakeBusiness:
        """A business reachable with `token` that owns these WABAs."""
        with self._lock:
            business = self.businesses.setdefault(business_id, FakeBusiness(business_id, token))
            for waba_id in wabas:
                self.waba_business[waba_id] = business_id
            return business

    def add_catalog(self, business_id: str, name: str, waba_id: str = "") -> str:
        """A catalog the business owns (connected to `waba_id` when given); its id."""
        with self._lock:
            catalog_id = str(880000000000 + next(self._ids))
            self.catalogs[catalog_id] = FakeCatalog(catalog_id, name, business_id)
            self.businesses[business_id].catalogs.append(catalog_id)
            if waba_id:
                self.waba_catalog[waba_id] = catalog_id
            return catalog_id

    def throttle_next(self, code: int = 80014, minutes: int = 1) -> None:
        """Answer the next catalog call with this throttling code, telling how many minutes
        until access returns (X-Business-Use-Case-Usage)."""
        with self._lock:
            self._throttles.append((code, minutes))

    def catalog_items(self, catalog_id: str) -> dict[str, dict[str, Any]]:
        """A copy of the catalog's items by retailer id."""
        with self._lock:
            return {k: dict(v) for k, v in self.catalogs[catalog_id].items.items()}

    # Ownership, for FakeGraph's token check ----------------------------------------------

    def _catalog_owner(self, object_id: str, edge: str) -> str | None | bool:
        """The token that may call this catalog edge; False when the edge is not one."""
        if object_id in self.catalogs and edge in ("items_batch", "check_batch_request_status",
                                                   "products"):
            return self.businesses[self.catalogs[object_id].business_id].token
        if edge == "" and object_id in self.wabas:
            return str(self.wabas[object_id].token)
        if edge == "owned_product_catalogs":
            business = self.businesses.get(object_id)
            return business.token if business else None
        if edge == "product_catalogs":
            waba = self.wabas.get(object_id)
            return waba.token if waba else None
        return False

    def _throttled(self, object_id: str) -> Response | None:
        with self._lock:
            if not self._throttles:
                return None
            code, minutes = self._throttles.pop(0)
        usage = {object_id: [{"type": "catalog_management", "call_count": 100,
                              "total_cputime": 100, "total_time": 100,
                              "estimated_time_to_regain_access": minutes}]}
        body = {"error": {"message": "(#80014) There have been too many calls for the batch "
                                     "uploads to this catalog account. Wait a bit and try "
                                     "again.", "type": "OAuthException", "code": code,
                          "fbtrace_id": "FAKE"}}
        return Response(json.dumps(body), 400, mimetype="application/json",
                        headers={"X-Business-Use-Case-Usage": json.dumps(usage)})

    # Routes ------------------------------------------------------------------------------

    def _waba_node(self, request: Request, waba_id: str) -> Response:
        business_id = self.waba_business.get(waba_id)
        answer: dict[str, Any] = {"id": waba_id}
        if "owner_business_info" in request.args.get("fields", "") and business_id:
            answer["owner_business_info"] = {"id": business_id,
                                             "name": self.businesses[business_id].name}
        return _answer(answer)

    def _owned_catalogs(self, request: Request, business_id: str) -> Response:
        with self._lock:
            found = [self.catalogs[c] for c in self.businesses[business_id].catalogs]
            return _answer({"data": [_catalog_node(c) for c in found], "paging": {}})

    def _create_catalog(self, request: Request, business_id: str) -> Response:
        name = (request.form.get("name") or request.args.get("name") or "").strip()
        if not name:
            return _refuse(100, "(#100) The parameter name is required")
        vertical = request.form.get("vertical") or request.args.get("vertical") or "commerce"
        if vertical != "commerce":
            return _refuse(100, "(#100) Only commerce catalogs can serve WhatsApp")
        return _answer({"id": self.add_catalog(business_id, name)})

    def _waba_catalogs(self, request: Request, waba_id: str) -> Response:
        with self._lock:
            connected = self.waba_catalog.get(waba_id)
            data = [_catalog_node(self.catalogs[connected])] if connected else []
        return _answer({"data": data, "paging": {}})

    def _connect_catalog(self, request: Request, waba_id: str) -> Response:
        catalog_id = request.form.get("catalog_id") or request.args.get("catalog_id") or ""
        with self._lock:
            catalog = self.catalogs.get(catalog_id)
            if catalog is None or catalog.business_id != self.waba_business.get(waba_id):
                return _refuse(100, "(#100) Param catalog_id must be a catalog the "
                                    "WhatsApp Business Account's business owns")
            current = self.waba_catalog.get(waba_id)
            if current and current != catalog_id:
                return _refuse(100, "(#100) This WhatsApp Business Account already has a "
                                    "catalog connected; disconnect it first")
            self.waba_catalog[waba_id] = catalog_id
        return _answer({"success": True})

    def _commerce_settings(self, request: Request, phone_number_id: str) -> Response:
        with self._lock:
            found = self.commerce.get(phone_number_id, _DEFAULT_COMMERCE)
            return _answer({"data": [{**found, "id": str(500000 + len(phone_number_id))}]})

    def _set_commerce_settings(self, request: Request, phone_number_id: str) -> Response:
        values = {**request.args.to_dict(), **request.form.to_dict()}
        with self._lock:
            found = dict(self.commerce.get(phone_number_id, _DEFAULT_COMMERCE))
            for name in ("is_catalog_visible", "is_cart_enabled"):
                if name in values:
                    if values[name] not in ("true", "false"):
                        return _refuse(100, f"(#100) Param {name} must be a boolean")
                    found[name] = values[name] == "true"
            self.commerce[phone_number_id] = found
        return _answer({"success": True})

    def _items_batch(self, request: Request, catalog_id: str) -> Response:
        body = _body(request)
        requests = body.get("requests")
        if isinstance(requests, str):
            requests = json.loads(requests)
        if body.get("item_type") != "PRODUCT_ITEM":
            return _refuse(100, "(#100) Param item_type must be PRODUCT_ITEM")
        if not isinstance(requests, list) or not requests:
            return _refuse(100, "(#100) Param requests must be a non-empty array")
        if len(requests) > MAX_BATCH_REQUESTS:
            return _refuse(100, f"(#100) Param requests can contain at most "
                                f"{MAX_BATCH_REQUESTS} requests")
        upsert = body.get("allow_upsert", True) not in (False, "false")
        validation: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        warnings: list[dict[str, Any]] = []
        with self._lock:
            catalog = self.catalogs[catalog_id]
            for line, entry in enumerate(requests):
                refused = malformed(entry)
                if refused:
                    data = entry.get("data") if isinstance(entry, dict) else None
                    rid = str(data.get("id", "")) if isinstance(data, dict) else ""
                    validation.append({"retailer_id": rid, "errors": [{"message": refused}],
                                       "warnings": []})
                    continue
                apply_request(catalog, entry, line, upsert, errors, warnings)
            ingested = len(validation) < len(requests)
            handle = ""
            if ingested:
                handle = base64.urlsafe_b64encode(
                    f"batch:{catalog_id}:{next(self._ids)}".encode()).decode().rstrip("=")
                self.batches[handle] = FakeBatch(catalog_id, self.batch_polls, errors,
                                                 warnings)
        return _answer({"handles": [handle] if handle else [],
                        "validation_status": validation})

    def _batch_status(self, request: Request, catalog_id: str) -> Response:
        handle = request.args.get("handle", "")
        with self._lock:
            batch = self.batches.get(handle)
            if batch is None or batch.catalog_id != catalog_id:
                return _refuse(100, "(#100) Invalid handle")
            if batch.polls_left > 0:
                batch.polls_left -= 1
                return _answer({"data": [{"handle": handle, "status": "started",
                                          "errors_total_count": 0, "errors": [],
                                          "warnings_total_count": 0, "warnings": []}]})
            answer: dict[str, Any] = {
                "handle": handle, "status": "finished",
                "errors_total_count": len(batch.errors), "errors": batch.errors,
                "warnings_total_count": len(batch.warnings), "warnings": batch.warnings}
            if request.args.get("load_ids_of_invalid_requests") == "true":
                answer["ids_of_invalid_requests"] = sorted({e["id"] for e in batch.errors})
        return _answer({"data": [answer]})

    def _products(self, request: Request, catalog_id: str) -> Response:
        asked = [f for f in request.args.get("fields", "").split(",") if f] or DEFAULT_FIELDS
        asked_limit = request.args.get("limit", "25")
        if not asked_limit.isdigit():
            return _refuse(100, "(#100) Param limit must be a number")
        limit = min(max(int(asked_limit), 1), 5000)
        start = _cursor_index(request.args.get("after", ""))
        with self._lock:
            catalog = self.catalogs[catalog_id]
            page: list[dict[str, Any]] = []
            index = start
            while index < len(catalog.order) and len(page) < limit:
                rid = catalog.order[index]
                if catalog.position.get(rid) == index:
                    page.append(read_item(catalog.items[rid], asked))
                index += 1
            more = _has_live_after(catalog, index)
        paging: dict[str, Any] = {"cursors": {"before": _cursor(start),
                                              "after": _cursor(index)}}
        if more:
            paging["next"] = (f"https://graph.facebook.com/v23.0/{catalog_id}/products?"
                              f"limit={limit}&after={_cursor(index)}")
        return _answer({"data": page, "paging": paging})


_DEFAULT_COMMERCE = {"is_cart_enabled": True, "is_catalog_visible": False}


def _has_live_after(catalog: FakeCatalog, index: int) -> bool:
    """Whether a live item sits at or after `index` (stops at the first one it finds)."""
    for i in range(index, len(catalog.order)):
        if catalog.position.get(catalog.order[i]) == i:
            return True
    return False


def _cursor(index: int) -> str:
    return base64.urlsafe_b64encode(f"pos:{index}".encode()).decode().rstrip("=")


def _cursor_index(cursor: str) -> int:
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        return max(int(text.removeprefix("pos:")), 0)
    except ValueError:
        return 0


def _catalog_node(catalog: FakeCatalog) -> dict[str, Any]:
    return {"id": catalog.catalog_id, "name": catalog.name,
            "product_count": len(catalog.items), "vertical": "commerce"}


def _body(request: Request) -> dict[str, Any]:
    if request.mimetype == "application/json":
        try:
            found = json.loads(request.get_data())
        except ValueError:
            return {}
        return found if isinstance(found, dict) else {}
    return {**request.args.to_dict(), **request.form.to_dict()}


def _answer(body: dict[str, Any], status: int = 200) -> Response:
    return Response(json.dumps(body), status, mimetype="application/json")


def _refuse(code: int, message: str) -> Response:
    return _answer({"error": {"message": message, "type": "OAuthException", "code": code,
                              "fbtrace_id": "FAKE"}}, 400)

"""`python -m bench.catalog_fakes`: the catalog benchmark's fake Meta and fake Shopify, in one
threaded process (the fake Graph keeps its catalogs in memory, so it cannot be split over
workers), with a small control app beside them.

It prints one JSON line ({"graph": url, "shopify": url, "control": url}) and serves until
its stdin closes. The control app (JSON, loopback only):
- `POST /setup {"shop", "products", "variants_each"}`: a shop whose products the fake
  Shopify generates lazily, and on the fake Graph a WABA, a phone number, a business owning
  them and an empty catalog connected to the WABA; answers the ids and the token;
- `GET /counts`: the fake Graph's requests per "METHOD edge", the fake Shopify's GraphQL
  calls and file downloads;
- `GET /catalog?id=`: how many items the fake catalog holds;
- `GET /export?shop=`: the URL and size of the shop's latest bulk file.
"""
from __future__ import annotations

import itertools
import json
import logging
import sys
from typing import Any

from werkzeug.wrappers import Request, Response

from tests.fakes.graph import FakeGraph
from tests.fakes.server import LoopbackServer
from tests.fakes.shopify import FakeShopify

API_KEY = "bench-shopify-api-key"
# Shopify app secrets are 32+ bytes (PyJWT warns below that).
API_SECRET = "shpss_bench_secret_0123456789abcdef"
TOKEN = "bench-catalog-graph-token"
# "started" answers before a batch is "finished": none, so the first poll has the verdict.
BATCH_POLLS = 0


class Fakes:
    """The fake Graph and fake Shopify of one run, and the control app that arranges them."""

    def __init__(self) -> None:
        self.graph = FakeGraph()
        self.graph.batch_polls = BATCH_POLLS
        self.shopify = FakeShopify(api_key=API_KEY, api_secret=API_SECRET)
        self._ids = itertools.count(1)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        return self._handle(request)(environ, start_response)

    def _handle(self, request: Request) -> Response:
        if request.path == "/setup" and request.method == "POST":
            return _json(self.setup(**request.get_json()))
        if request.path == "/counts":
            return _json({"graph": dict(self.graph.calls),
                          "shopify_graphql": self.shopify.graphql_calls,
                          "shopify_downloads": self.shopify.bulk.downloads})
        if request.path == "/catalog":
            catalog = self.graph.catalogs[request.args["id"]]
            return _json({"items": len(catalog.items)})
        if request.path == "/export":
            shop = request.args["shop"]
            mine = [o for o in self.shopify.bulk.operations.values() if o.shop == shop]
            latest = mine[-1] if mine else None
            return _json({"url": latest.url if latest else None,
                          "bytes": latest.size if latest else 0,
                          "objects": latest.objects if latest else 0})
        return _json({"error": "not found"}, 404)

    def setup(self, shop: str, products: int, variants_each: int) -> dict[str, Any]:
        """A generated shop and a connected, empty catalog on a number of its own."""
        n = next(self._ids)
        self.shopify.add_shop(shop, name="Bench Linen", currency="EUR")
        self.shopify.bulk.generated(shop, products, variants_each)
        waba_id, phone_id, business_id = (f"{prefix}{n:06d}" for prefix in
                                          ("990000", "109100", "770000"))
        self.graph.add_waba(waba_id, TOKEN, phone_id)
        self.graph.add_business(business_id, TOKEN, waba_id)
        catalog_id = self.graph.add_catalog(business_id, f"{shop} catalog", waba_id)
        return {"shop": shop, "waba_id": waba_id, "phone_number_id": phone_id,
                "business_id": business_id, "catalog_id": catalog_id, "token": TOKEN}


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body), status, mimetype="application/json")


def main() -> int:
    """Serve the fakes and the control app until stdin closes."""
    # No access-log line per request: the JSON is the output.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    fakes = Fakes()
    with LoopbackServer(fakes.graph) as graph, LoopbackServer(fakes.shopify) as shopify, \
            LoopbackServer(fakes) as control:
        print(json.dumps({"graph": graph.url, "shopify": shopify.url, "control": control.url}),
              flush=True)
        sys.stdin.read()  # the benchmark closes our stdin when it is done
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The fake Graph API's own status webhooks have Meta's quirks: each accepted send is reported
sent and delivered to the configured URL, signed over the raw body, batched, late and out of
order, some twice; a delivery not answered 200 is tried again."""
from __future__ import annotations

import json
import time
from typing import Any

import httpx

from adapters.whatsapp import messages as wm
from adapters.whatsapp.client import CloudClient
from tests.fakes.graph import FakeGraph
from tests.fakes.server import LoopbackServer
from webhooks.whatsapp import signature_valid

PNID, TOKEN, SECRET = "106540352242922", "EAAG-test-token-0123456789", "meta-app-secret"
SENDS = 40


class Receiver:
    """A webhook endpoint that refuses its first delivery (503) and keeps the rest."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.refused = 0
        self.unsigned = 0

    def __call__(self, environ: dict[str, Any], start: Any) -> list[bytes]:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        if not signature_valid(SECRET, body, environ.get("HTTP_X_HUB_SIGNATURE_256")):
            self.unsigned += 1
        if not self.refused:
            self.refused += 1
            start("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"busy"]
        self.bodies.append(json.loads(body))
        start("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]


def test_every_send_is_reported_signed_batched_late_out_of_order_and_some_twice() -> None:
    graph, receiver = FakeGraph(tokens={PNID: TOKEN}), Receiver()
    with LoopbackServer(graph) as fake, LoopbackServer(receiver) as app:
        poster = graph.post_statuses_to(f"{app.url}/webhooks/whatsapp", SECRET,
                                        late=(0.0, 0.3), twice=0.3, seed=3)
        client = CloudClient(httpx.Client(), fake.url, "v23.0")
        for n in range(SENDS):
            client.send_message(PNID, TOKEN, dict(wm.text(f"35191{n:07d}", "Hi"),
                                                  biz_opaque_callback_data=f"storechat:{n}"))
        deadline = time.monotonic() + 20
        while not poster.idle() and time.monotonic() < deadline:
            time.sleep(0.05)
        poster.stop()
    assert poster.idle() and receiver.unsigned == 0 and receiver.refused == 1
    assert poster.answers[0] == 503 and poster.answers.count(503) == 1  # then retried
    items = [(item, change) for body in receiver.bodies for entry in body["entry"]
             for change in entry["changes"] for item in change["value"]["statuses"]]
    assert all(change["field"] == "messages" for _, change in items)
    seen = [(item["biz_opaque_callback_data"], item["status"]) for item, _ in items]
    expected = {(f"storechat:{n}", status) for n in range(SENDS)
                for status in ("sent", "delivered")}
    assert set(seen) == expected  # every status of every send, with our id
    assert len(seen) > len(expected)  # some twice
    assert any(len(body["entry"][0]["changes"][0]["value"]["statuses"]) > 1
               for body in receiver.bodies)  # batched
    order = {key: n for n, key in reversed(list(enumerate(seen)))}  # first arrivals
    assert any(order[(cb, "delivered")] < order[(cb, "sent")]
               for cb, _ in expected)  # out of order

"""The fake Graph API's status webhooks: what Meta POSTs back after it accepted a message.

Meta reports each accepted message `sent`, then `delivered` (then `read`), to the app's
webhook URL, signed with X-Hub-Signature-256 over the raw body, and echoes the send's
`biz_opaque_callback_data` on those statuses. It does so with quirks a receiver must bear,
and this fake has them too:

- late: each status comes some random time after the send (`late`, seconds);
- out of order: each status has its own delay, so a `delivered` may arrive before its
  `sent`;
- batched: the statuses due together for one number share one body (one entry, one change);
- twice: delivery is at least once, so a status may come again in a later body, and a
  whole body may be delivered again byte for byte (`twice`, a probability);
- retried: a delivery that is not answered 200 is tried again a little later.

`StatusPoster` runs in a thread (`start`) or is driven by hand (`drain`), and is told of
each accepted send by the fake (`FakeGraph.post_statuses_to`).
"""
from __future__ import annotations

import heapq
import itertools
import json
import random
import threading
import time
from typing import Any

import httpx

from tests.fakes.graph_templates import sign

# A delivery that failed (no 200, or no answer) is tried again this much later.
RETRY_SECONDS = 0.5
# At most this many statuses in one body, as Meta batches them.
BATCH = 100


def status_item(wamid: str, payload: dict[str, Any], status: str, timestamp: int,
                error: tuple[int, str] | None = None) -> dict[str, Any]:
    """One entry of a webhook's `statuses`, as Meta writes it for the send `payload`."""
    item: dict[str, Any] = {"id": wamid, "status": status, "timestamp": str(timestamp),
                            "recipient_id": str(payload.get("to", "")).lstrip("+")}
    callback = payload.get("biz_opaque_callback_data")
    if callback and status in ("sent", "delivered", "read"):
        # Meta returns it on sent, delivered and read statuses only.
        item["biz_opaque_callback_data"] = callback
    if status in ("sent", "delivered"):
        item["conversation"] = {"id": "CONVERSATION", "origin": {"type": "utility"}}
        item["pricing"] = {"billable": True, "pricing_model": "PMP", "category": "utility"}
    if status == "failed":
        code, title = error or (131026, "Message undeliverable")
        item["errors"] = [{"code": code, "title": title, "message": title,
                           "error_data": {"details": title}}]
    return item


def status_body(waba_id: str, display_phone_number: str, phone_number_id: str,
                items: list[dict[str, Any]]) -> bytes:
    """A `messages` webhook body: ONE entry with ONE change batching `items`."""
    value = {"messaging_product": "whatsapp",
             "metadata": {"display_phone_number": display_phone_number,
                          "phone_number_id": phone_number_id},
             "statuses": items}
    return json.dumps({"object": "whatsapp_business_account",
                       "entry": [{"id": waba_id or "0",
                                  "changes": [{"value": value, "field": "messages"}]}]}).encode()


class StatusPoster:
    """POSTs signed status webhooks for accepted sends to one URL, with Meta's quirks."""

    def __init__(self, url: str, app_secret: str, *, statuses: tuple[str, ...],
                 late: tuple[float, float], twice: float, seed: int,
                 numbers: dict[str, tuple[str, str]], http: httpx.Client | None) -> None:
        self.url, self.app_secret, self.statuses = url, app_secret, statuses
        self.late, self.twice = late, twice
        self.numbers = numbers  # phone number id -> (waba id, display number)
        self.answers: list[int] = []  # HTTP status of every delivery (0: no answer)
        self.posted: list[dict[str, Any]] = []  # every status item delivered with a 200
        self._http = http or httpx.Client(timeout=10)
        self._random = random.Random(seed)
        self._due: list[tuple[float, int, str, Any]] = []  # (when, seq, number, item|body)
        self._seq = itertools.count()
        self._busy = 0
        self._cond = threading.Condition()
        self._stop = False
        self._thread: threading.Thread | None = None

    def accepted(self, phone_number_id: str, wamid: str, payload: dict[str, Any]) -> None:
        """Schedule the statuses of a send the fake just accepted."""
        now = time.time()
        with self._cond:
            for step, status in enumerate(self.statuses):
                item = status_item(wamid, payload, status, int(now) + step)
                due = now + self._random.uniform(*self.late)
                self._push(due, phone_number_id, item)
                if self._random.random() < self.twice:  # at least once: maybe again, later
                    self._push(due + self._random.uniform(*self.late), phone_number_id, item)
            self._cond.notify()

    def start(self) -> StatusPoster:
        """Deliver in a background thread as statuses come due."""
        self._thread = threading.Thread(target=self._run, name="fake-graph-statuses",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop the thread (what is not delivered yet stays undelivered)."""
        with self._cond:
            self._stop = True
            self._cond.notify()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._http.close()

    def idle(self) -> bool:
        """True when every status scheduled so far was delivered."""
        with self._cond:
            return not self._due and not self._busy

    def drain(self) -> int:
        """Deliver everything scheduled now, in this thread, whatever its delay (for tests
        without the thread); how many bodies were posted."""
        posted = 0
        while True:
            with self._cond:
                if not self._due:
                    return posted
                batch = self._take(float("inf"))
            self._deliver(batch)
            posted += 1

    def _push(self, due: float, phone_number_id: str, what: Any) -> None:
        heapq.heappush(self._due, (due, next(self._seq), phone_number_id, what))

    def _take(self, until: float) -> list[tuple[str, Any]]:
        """Pop the due statuses of the first due number (up to BATCH), or a whole body."""
        _, _, number, what = heapq.heappop(self._due)
        if isinstance(what, bytes):
            return [(number, what)]
        taken = [(number, what)]
        kept = []
        while self._due and self._due[0][0] <= until and len(taken) < BATCH:
            entry = heapq.heappop(self._due)
            if entry[2] == number and not isinstance(entry[3], bytes):
                taken.append((number, entry[3]))
            else:
                kept.append(entry)
        for entry in kept:
            heapq.heappush(self._due, entry)
        return taken

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stop and (not self._due or self._due[0][0] > time.time()):
                    self._cond.wait(None if not self._due
                                    else max(0.0, self._due[0][0] - time.time()))
                if self._stop:
                    return
                batch = self._take(time.time())
                self._busy += 1
            try:
                self._deliver(batch)
            finally:
                with self._cond:
                    self._busy -= 1

    def _deliver(self, batch: list[tuple[str, Any]]) -> None:
        number = batch[0][0]
        if isinstance(batch[0][1], bytes):
            body, items = batch[0][1], []
        else:
            waba_id, display = self.numbers.get(number, ("0", "+1 555-010-0100"))
            items = [item for _, item in batch]
            body = status_body(waba_id, display, number, items)
        try:
            answer = self._http.post(self.url, content=body, headers={
                "Content-Type": "application/json",
                "X-Hub-Signature-256": sign(body, self.app_secret)}).status_code
        except httpx.HTTPError:
            answer = 0
        with self._cond:
            self.answers.append(answer)
            if answer != 200:
                self._push(time.time() + RETRY_SECONDS, number, body)  # Meta retries
            else:
                self.posted.extend(items)
                if items and self._random.random() < self.twice:
                    # The same body again, byte for byte: a redelivery.
                    self._push(time.time() + self._random.uniform(*self.late), number, body)
            self._cond.notify()

"""A fake WhatsApp Cloud API (Graph API) that records what it is sent and behaves like Meta.

It answers like Meta does, for `/<version>/…`:

- `POST /<phone number id>/messages` with a Bearer token returns `{"messaging_product",
  "contacts", "messages": [{"id": "wamid…"}]}`; a body over one of WhatsApp's documented
  limits is refused with 131009 / 100 / 132018 and Meta's `error_data.details`
  (see graph_rules.py);
- `POST /<phone number id>/marketing_messages` (Meta's Marketing Messages API) takes the same
  body for a marketing template and answers the same, with `message_status: accepted`;
  only for numbers set `marketing_api` (`onboard_marketing`), else error 100 as for an
  object Meta does not know there; anything but a template is refused (131009);
- `POST /<phone number id>/media` (multipart) returns a media id;
- inbound media (`GET /<media id>`, then the lookaside download) and read receipts
  (graph_media.py);
- `GET /<phone number id>?fields=…` returns only the fields asked for;
- `GET /<waba id>/message_templates?limit=&after=` pages with `paging.cursors.after` and
  `paging.next` (present only while there is more); `POST` submits a template for review,
  checked as Meta checks it (graph_rules.check_template_definition; a name already in
  that language is error 100 / subcode 2388024), and it stays PENDING until a test calls
  `approve` / `reject`, or `send_template_status` delivers Meta's signed
  message_template_status_update webhook;
- `POST /<template id>` edits a rejected, paused or approved template (back to PENDING);
- `GET, POST /<waba id>/subscribed_apps`;
- `POST /<app id>/uploads` and `POST /upload:<session>`: Meta's Resumable Upload API for
  template header samples (graph_uploads.py); a media header's example must be a handle
  this fake issued;
- businesses, commerce catalogs, items_batch and its batch status, product listing, the
  number's commerce settings and throttling (graph_catalog.py).

A token Meta does not know is error 190 (HTTP 401); a known token on an id it cannot reach is
error 100 (HTTP 400). Failures and delays can be queued (`fail_next`, `slow_next`), and
`send_statuses` POSTs signed, batched status webhooks for the messages it accepted;
after `post_statuses_to`, it reports every send by itself, late, out of order and sometimes
twice, as Meta does (graph_statuses.py).
"""
from __future__ import annotations

import itertools
import json
import os
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx
from werkzeug.wrappers import Request, Response

from tests.fakes.graph_catalog import CatalogMixin
from tests.fakes.graph_media import MediaMixin
from tests.fakes.graph_rules import Invalid, check_message
from tests.fakes.graph_statuses import StatusPoster, status_item
from tests.fakes.graph_templates import TemplatesMixin, _json, sign
from tests.fakes.graph_uploads import UploadSession, UploadsMixin

__all__ = ["FakeGraph", "FakeNumber", "FakeWaba", "Sent", "sign"]

# What Meta answers for an object the token cannot see (error 100, subcode 33).
NO_SUCH_OBJECT = ("Unsupported {method} request. Object with ID '{id}' does not exist, cannot "
                  "be loaded due to missing permissions, or does not support this operation.")
MEDIA_TYPES = {"image/jpeg", "image/png", "image/webp", "video/mp4", "video/3gpp",
               "audio/aac", "audio/mp4", "audio/mpeg", "audio/amr", "audio/ogg", "text/plain",
               "application/pdf"}


@dataclass
class Sent:
    """One message the fake accepted."""

    phone_number_id: str
    payload: dict[str, Any]
    wamid: str
    endpoint: str = "messages"  # or "marketing_messages"


@dataclass
class FakeNumber:
    """A business phone number as GET /<phone number id> describes it."""

    phone_number_id: str
    waba_id: str = ""
    display_phone_number: str = "+1 555-010-0100"
    verified_name: str = "Linen & Co"
    quality_rating: str = "GREEN"
    throughput: str = "STANDARD"


@dataclass
class FakeWaba:
    """A WhatsApp Business Account: its token, templates and subscription."""

    waba_id: str
    token: str
    templates: list[dict[str, Any]] = field(default_factory=list)
    subscribed: bool = False


@dataclass
class FakeGraph(TemplatesMixin, UploadsMixin, CatalogMixin, MediaMixin):
    """The fake's state; the instance itself is the WSGI application."""

    tokens: dict[str, str] = field(default_factory=dict)  # phone_number_id -> token
    sent: list[Sent] = field(default_factory=list)
    numbers: dict[str, FakeNumber] = field(default_factory=dict)
    wabas: dict[str, FakeWaba] = field(default_factory=dict)
    media: dict[str, tuple[bytes, str, str]] = field(default_factory=dict)  # id -> file
    edits: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # template edits
    app_id: str = "1029384756"  # the Meta app whose uploads edge takes template samples
    upload_sessions: dict[str, UploadSession] = field(default_factory=dict)
    handles: dict[str, tuple[bytes, str]] = field(default_factory=dict)  # handle -> file
    marketing_api: set[str] = field(default_factory=set)  # onboarded phone number ids
    # Set by post_statuses_to: status webhooks for each accepted send, as Meta's.
    status_poster: StatusPoster | None = None
    _failures: list[tuple[int, int, str]] = field(default_factory=list)
    _delays: list[float] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self._catalog_state()
        self._media_state()

    # Set-up and inspection, for tests ----------------------------------------------------

    def add_waba(self, waba_id: str, token: str, phone_number_id: str,
                 **number: Any) -> FakeWaba:
        """A WABA with one phone number, both reachable with `token`."""
        with self._lock:
            waba = self.wabas.setdefault(waba_id, FakeWaba(waba_id, token))
            self.tokens[phone_number_id] = token
            self.numbers[phone_number_id] = FakeNumber(phone_number_id, waba_id, **number)
            return waba

    def onboard_marketing(self, phone_number_id: str) -> None:
        """Onboard the number's business to the Marketing Messages API."""
        with self._lock:
            self.marketing_api.add(phone_number_id)

    def fail_next(self, code: int, http_status: int = 400, message: str = "fake failure") -> None:
        """Make the next request (a send, or any other call) fail with this Graph error."""
        with self._lock:
            self._failures.append((code, http_status, message))

    def slow_next(self, seconds: float) -> None:
        """Make the next request wait this long before answering (to test timeouts)."""
        with self._lock:
            self._delays.append(seconds)

    def callback_ids(self) -> list[str]:
        """biz_opaque_callback_data of every accepted send, duplicates included."""
        with self._lock:
            return [s.payload.get("biz_opaque_callback_data", "") for s in self.sent]

    def bodies(self, kind: str | None = None) -> list[dict[str, Any]]:
        """The body of every accepted send (of one message type when `kind` is given)."""
        with self._lock:
            return [s.payload for s in self.sent if kind is None or s.payload.get("type") == kind]

    # Status webhooks ---------------------------------------------------------------------

    def status_notifications(self, statuses: Iterable[str] = ("sent", "delivered", "read"), *,
                             wamids: Iterable[str] | None = None,
                             error: tuple[int, str] | None = None) -> list[bytes]:
        """Meta-shaped webhook bodies: per status and phone number, ONE entry with ONE change
        batching the statuses of every chosen accepted message."""
        chosen = set(wamids) if wamids is not None else None
        with self._lock:
            messages = [s for s in self.sent if chosen is None or s.wamid in chosen]
        by_number: dict[str, list[Sent]] = {}
        for message in messages:
            by_number.setdefault(message.phone_number_id, []).append(message)
        bodies = []
        now = int(time.time())
        for step, status in enumerate(statuses):
            for pnid, group in by_number.items():
                number = self.numbers.get(pnid, FakeNumber(pnid))
                items = [status_item(m.wamid, m.payload, status, now + step, error)
                         for m in group]
                value = {"messaging_product": "whatsapp",
                         "metadata": {"display_phone_number": number.display_phone_number,
                                      "phone_number_id": pnid},
                         "statuses": items}
                bodies.append(json.dumps({
                    "object": "whatsapp_business_account",
                    "entry": [{"id": number.waba_id or "0",
                               "changes": [{"value": value, "field": "messages"}]}],
                }).encode())
        return bodies

    def post_statuses_to(self, webhook_url: str, app_secret: str, *,
                         statuses: tuple[str, ...] = ("sent", "delivered"),
                         late: tuple[float, float] = (0.0, 0.5), twice: float = 0.1,
                         seed: int = 17, http: httpx.Client | None = None,
                         thread: bool = True) -> StatusPoster:
        """From now on, report every accepted send's `statuses` to `webhook_url`, signed
        with `app_secret`, late, out of order and sometimes twice (graph_statuses.py); in a
        background thread, or, with thread=False, when the test calls `drain()`."""
        with self._lock:
            numbers = {n.phone_number_id: (n.waba_id, n.display_phone_number)
                       for n in self.numbers.values()}
        poster = StatusPoster(webhook_url, app_secret, statuses=statuses, late=late,
                              twice=twice, seed=seed, numbers=numbers, http=http)
        self.status_poster = poster.start() if thread else poster
        return poster

    def send_statuses(self, webhook_url: str, app_secret: str,
                      statuses: Iterable[str] = ("sent", "delivered", "read"), *,
                      wamids: Iterable[str] | None = None, error: tuple[int, str] | None = None,
                      http: httpx.Client | None = None) -> list[int]:
        """POST each status batch, signed with X-Hub-Signature-256 as Meta signs it;
        returns the HTTP status of each delivery. `http` may route to a WSGI app."""
        client = http or httpx.Client()
        try:
            return [client.post(webhook_url, content=body, headers={
                "Content-Type": "application/json",
                "X-Hub-Signature-256": sign(body, app_secret)}).status_code
                for body in self.status_notifications(statuses, wamids=wamids, error=error)]
        finally:
            if http is None:
                client.close()

    # The WSGI application ----------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        try:
            response = self._handle(request)
        finally:
            request.close()  # uploaded files are spooled temporary files
        return response(environ, start_response)

    def _handle(self, request: Request) -> Response:
        media = self._media_route(request, request.host_url.rstrip("/"))
        if media is not None:
            return media
        parts = request.path.strip("/").split("/")[1:]  # drop the version
        if not parts or len(parts) > 2:
            return _error(100, 400, "Unknown path components")
        object_id, edge = parts[0], (parts[1] if len(parts) == 2 else "")
        # The Resumable Upload API authenticates its own way (see graph_uploads.py).
        if request.method == "POST" and edge == "uploads":
            return self._guarded(request, lambda: self._open_upload(request, object_id))
        if request.method == "POST" and not edge and object_id.startswith("upload:"):
            return self._guarded(request, lambda: self._receive_upload(request, object_id))
        route = _ROUTES.get((request.method, edge))
        if route is FakeGraph._phone and object_id in self.wabas:
            route = CatalogMixin._waba_node
        with self._lock:
            self.calls[f"{request.method} {edge or 'node'}"] += 1
        if route is None:
            return _error(100, 400, NO_SUCH_OBJECT.format(method=request.method.lower(),
                                                          id=object_id))
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in self._known_tokens():
            return _error(190, 401, "Invalid OAuth access token - Cannot parse access token")
        owner = self._owner_token(object_id, edge)
        if owner is None or owner != token:
            return _error(100, 400, NO_SUCH_OBJECT.format(method=request.method.lower(),
                                                          id=object_id))
        with self._lock:
            delay = self._delays.pop(0) if self._delays else 0.0
            failure = self._failures.pop(0) if self._failures else None
        if delay:
            time.sleep(delay)
        if failure is not None:
            return _error(*failure)
        if edge in _CATALOG_EDGES:
            throttled = self._throttled(object_id)
            if throttled is not None:
                return throttled
        try:
            return route(self, request, object_id)
        except Invalid as exc:
            message = ("(#131009) Parameter value is not valid" if exc.code == 131009
                       else "(#100) Invalid parameter")
            return _error(exc.code, 400, message, details=exc.details, subcode=exc.subcode,
                          user_message=exc.user_message)

    def _guarded(self, request: Request, route: Any) -> Response:
        """A route answered after any queued failure, as the others are."""
        with self._lock:
            failure = self._failures.pop(0) if self._failures else None
        return _error(*failure) if failure is not None else route()

    def _known_tokens(self) -> set[str]:
        with self._lock:
            return (set(self.tokens.values()) | {w.token for w in self.wabas.values()}
                    | {b.token for b in self.businesses.values()})

    def _owner_token(self, object_id: str, edge: str) -> str | None:
        """The token that may act on this id: a number's for its edges, a WABA's for its."""
        with self._lock:
            catalog_owner = self._catalog_owner(object_id, edge)
            if catalog_owner is not False:
                return catalog_owner  # type: ignore[return-value]
            if edge in ("message_templates", "subscribed_apps"):
                waba = self.wabas.get(object_id)
                return waba.token if waba else None
            for waba in self.wabas.values():  # a template id: its WABA's token
                if any(t["id"] == object_id for t in waba.templates):
                    return waba.token
            return self.tokens.get(object_id)

    def _messages(self, request: Request, phone_number_id: str,
                  endpoint: str = "messages") -> Response:
        try:
            payload = json.loads(request.get_data())
        except ValueError:
            return _error(100, 400, "(#100) Invalid parameter", details="the body is not JSON")
        if isinstance(payload, dict) and payload.get("status") == "read":
            return self._read_receipt(phone_number_id, payload)
        check_message(payload)
        with self._lock:
            # Unique across processes too (gunicorn runs the fake in several workers), as
            # Meta's are: the process id keeps two workers' counters apart.
            wamid = f"wamid.FAKE{os.getpid()}.{next(self._ids):08d}"
            self.sent.append(Sent(phone_number_id, payload, wamid, endpoint))
        if self.status_poster is not None:
            self.status_poster.accepted(phone_number_id, wamid, payload)
        to = str(payload["to"])
        accepted: dict[str, Any] = {"id": wamid}
        if endpoint == "marketing_messages":
            accepted["message_status"] = "accepted"
        return _json({"messaging_product": "whatsapp",
                      "contacts": [{"input": to, "wa_id": to.lstrip("+")}],
                      "messages": [accepted]})

    def _marketing_messages(self, request: Request, phone_number_id: str) -> Response:
        with self._lock:
            onboarded = phone_number_id in self.marketing_api
        if not onboarded:
            return _error(100, 400, NO_SUCH_OBJECT.format(method="post", id=phone_number_id))
        try:
            kind = json.loads(request.get_data()).get("type")
        except (ValueError, AttributeError):
            kind = None
        if kind != "template":
            raise Invalid(131009, "the Marketing Messages API sends marketing templates only")
        return self._messages(request, phone_number_id, "marketing_messages")

    def _upload(self, request: Request, phone_number_id: str) -> Response:
        upload = request.files.get("file")
        if request.form.get("messaging_product") != "whatsapp" or upload is None:
            raise Invalid(100, "messaging_product=whatsapp and a file are required")
        mime = request.form.get("type") or upload.mimetype
        if mime not in MEDIA_TYPES:
            raise Invalid(131053, f"unsupported media type {mime}")
        with self._lock:
            media_id = str(700000 + next(self._ids))
            self.media[media_id] = (upload.read(), mime, upload.filename or "")
        # As at Meta, the uploader's token may look the media up again (GET /<media id>).
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        self.add_inbound_media(media_id, self.media[media_id][0], mime, token)
        return _json({"id": media_id})

    def _phone(self, request: Request, phone_number_id: str) -> Response:
        number = self.numbers.get(phone_number_id, FakeNumber(phone_number_id))
        known = {"display_phone_number": number.display_phone_number,
                 "verified_name": number.verified_name,
                 "quality_rating": number.quality_rating,
                 "throughput": {"level": number.throughput},
                 "code_verification_status": "VERIFIED", "name_status": "APPROVED",
                 "messaging_limit_tier": "TIER_1K", "platform_type": "CLOUD_API"}
        asked = [f for f in request.args.get("fields", "").split(",") if f]
        answer = {f: known[f] for f in asked if f in known}
        return _json({**answer, "id": phone_number_id})

    def _subscribe(self, request: Request, waba_id: str) -> Response:
        with self._lock:
            self.wabas[waba_id].subscribed = True
        return _json({"success": True})

    def _subscriptions(self, request: Request, waba_id: str) -> Response:
        with self._lock:
            subscribed = self.wabas[waba_id].subscribed
        apps = [{"whatsapp_business_api_data": {"id": "1234567890", "name": "StoreChat",
                                                "link": "https://storechat.example"}}]
        return _json({"data": apps if subscribed else []})


_ROUTES = {
    ("POST", "messages"): FakeGraph._messages,
    ("POST", "marketing_messages"): FakeGraph._marketing_messages,
    ("POST", "media"): FakeGraph._upload,
    ("GET", ""): FakeGraph._phone,
    ("GET", "message_templates"): TemplatesMixin._list_templates,
    ("POST", "message_templates"): TemplatesMixin._create_template,
    ("POST", ""): TemplatesMixin._edit_template,
    ("POST", "subscribed_apps"): FakeGraph._subscribe,
    ("GET", "subscribed_apps"): FakeGraph._subscriptions,
    ("GET", "owned_product_catalogs"): CatalogMixin._owned_catalogs,
    ("POST", "owned_product_catalogs"): CatalogMixin._create_catalog,
    ("GET", "product_catalogs"): CatalogMixin._waba_catalogs,
    ("POST", "product_catalogs"): CatalogMixin._connect_catalog,
    ("GET", "whatsapp_commerce_settings"): CatalogMixin._commerce_settings,
    ("POST", "whatsapp_commerce_settings"): CatalogMixin._set_commerce_settings,
    ("POST", "items_batch"): CatalogMixin._items_batch,
    ("GET", "check_batch_request_status"): CatalogMixin._batch_status,
    ("GET", "products"): CatalogMixin._products,
}
# Catalog calls `throttle_next` applies to (Meta throttles catalogs by business use case).
_CATALOG_EDGES = frozenset({"items_batch", "check_batch_request_status", "products",
                            "owned_product_catalogs", "product_catalogs"})


def _error(code: int, status: int, message: str, details: str = "",
           subcode: int | None = None, user_message: str = "") -> Response:
    error: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code,
                             "fbtrace_id": "FAKE"}
    if subcode is not None:
        error["error_subcode"] = subcode
    if user_message:
        error["error_user_title"] = "Template refused"
        error["error_user_msg"] = user_message
    if details:
        error["error_data"] = {"messaging_product": "whatsapp", "details": details}
    return _json({"error": error}, status)

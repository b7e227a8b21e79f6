"""WhatsApp Cloud API client: a thin layer over one shared httpx.Client.

The token is passed per call, so one client serves every store's number. Every call goes
through `_call`, which turns transport failures and Graph errors into the classes of
adapters.whatsapp.errors (`classify`), each a category of plugin.domain.errors, so the admin
and the send job read one vocabulary.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx

from adapters.whatsapp.errors import SampleRefused, classify, template_refusal
from plugin.domain.errors import PermanentError, RetryableError, SendError

# Meta answers sends in well under a second; past this the send is retried later.
SEND_TIMEOUT_SECONDS = 10.0
# Templates asked for per page; Meta pages the list and we follow its cursor.
TEMPLATE_PAGE_SIZE = 100
# A WABA holds at most a few thousand templates; more pages than this means a cursor loop.
MAX_TEMPLATE_PAGES = 100
TEMPLATE_FIELDS = "name,language,status,category,components,id,quality_score,rejected_reason"
# An upload session id as Meta gives it ("upload:<id>", maybe with "?sig=…"): it becomes
# part of the request path, so nothing else (no "/", "#", "@" or space) is let through.
UPLOAD_SESSION = re.compile(r"upload:[A-Za-z0-9_\-=:+.%]+(\?[A-Za-z0-9_\-=:+.%&]+)?")
PHONE_FIELDS = ("display_phone_number,verified_name,quality_rating,throughput,"
                "code_verification_status,name_status,messaging_limit_tier")


@dataclass(frozen=True, slots=True, kw_only=True)
class PhoneNumberInfo:
    """What Meta says about a business phone number (GET /<phone number id>)."""

    id: str
    display_phone_number: str = ""
    verified_name: str = ""
    quality_rating: str = ""  # GREEN | YELLOW | RED | UNKNOWN
    throughput_level: str = ""  # STANDARD (80 mps) | HIGH (1,000 mps) | NOT_APPLICABLE
    code_verification_status: str = ""
    name_status: str = ""
    messaging_limit_tier: str = ""

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PhoneNumberInfo:
        """Read Meta's answer; absent or odd fields become ''."""
        found = data.get("throughput")
        throughput: dict[str, Any] = found if isinstance(found, dict) else {}

        def text(value: Any) -> str:
            return value if isinstance(value, str) else ""

        return cls(id=str(data.get("id", "")),
                   display_phone_number=text(data.get("display_phone_number")),
                   verified_name=text(data.get("verified_name")),
                   quality_rating=text(data.get("quality_rating")),
                   throughput_level=text(throughput.get("level")),
                   code_verification_status=text(data.get("code_verification_status")),
                   name_status=text(data.get("name_status")),
                   messaging_limit_tier=text(data.get("messaging_limit_tier")))


class CloudClient:
    """Calls the Graph API at `base_url` (a fake one in tests), pinned to `version`."""

    def __init__(self, http: httpx.Client, base_url: str, version: str, *,
                 timeout: float = SEND_TIMEOUT_SECONDS) -> None:
        self._http = http
        self._base = f"{base_url.rstrip('/')}/{version}"
        self._timeout = timeout

    def send_message(self, phone_number_id: str, token: str, payload: dict[str, Any]) -> str:
        """Send one message body; returns its wamid or raises a SendError subclass."""
        body = self._call("POST", f"{phone_number_id}/messages", token, json=payload)
        try:
            return str(body["messages"][0]["id"])
        except (KeyError, IndexError, TypeError):
            raise RetryableError("WhatsApp accepted the message but returned no id") from None

    def send_marketing_message(self, phone_number_id: str, token: str,
                               payload: dict[str, Any]) -> str:
        """Send one marketing template through Meta's Marketing Messages API (the same body
        as /messages, with Meta's delivery optimisation); returns its wamid or raises a
        SendError subclass. Only for numbers whose business is onboarded to it."""
        body = self._call("POST", f"{phone_number_id}/marketing_messages", token, json=payload)
        try:
            return str(body["messages"][0]["id"])
        except (KeyError, IndexError, TypeError):
            raise RetryableError("WhatsApp accepted the message but returned no id") from None

    def upload_media(self, phone_number_id: str, token: str, content: bytes, mime_type: str,
                     filename: str) -> str:
        """Upload a file for this number (multipart); returns the media id to send."""
        body = self._call("POST", f"{phone_number_id}/media", token,
                          data={"messaging_product": "whatsapp", "type": mime_type},
                          files={"file": (filename, content, mime_type)})
        return _required_id(body, "media")

    def upload_sample(self, app_id: str, token: str, data: bytes, file_type: str,
                      file_name: str) -> str:
        """Upload a template's media-header sample through Meta's Resumable Upload API (open
        a session on the app, then send the bytes); returns the handle for
        `example.header_handle`. A file Meta refuses raises SampleRefused."""
        try:
            opened = self._call("POST", f"{app_id}/uploads", token, params={
                "file_name": file_name, "file_length": len(data), "file_type": file_type})
            session_id = _required_id(opened, "upload session")
            if not UPLOAD_SESSION.fullmatch(session_id):
                raise RetryableError("WhatsApp answered an upload session id of an unknown "
                                     "shape")
            # The session takes the bytes with the OAuth scheme and where they start.
            sent = self._call("POST", session_id, token, auth="OAuth", content=data,
                              headers={"file_offset": "0"})
        except PermanentError as error:
            if isinstance(error, SampleRefused):
                raise
            raise SampleRefused(error.reason, error.code, subcode=error.subcode) from None
        handle = sent.get("h")
        if not isinstance(handle, str) or not handle:
            raise RetryableError("WhatsApp took the sample file but returned no handle")
        return handle

    def list_templates(self, waba_id: str, token: str) -> list[dict[str, Any]]:
        """Every template of the WABA, following Meta's paging cursor to the end."""
        templates: list[dict[str, Any]] = []
        params: dict[str, Any] = {"fields": TEMPLATE_FIELDS, "limit": TEMPLATE_PAGE_SIZE}
        for _ in range(MAX_TEMPLATE_PAGES):
            body = self._call("GET", f"{waba_id}/message_templates", token, params=params)
            data = body.get("data") if isinstance(body, dict) else None
            templates.extend(t for t in data or [] if isinstance(t, dict))
            paging = _obj(body.get("paging") if isinstance(body, dict) else None)
            after = _obj(paging.get("cursors")).get("after")
            # Meta gives `next` only while there is another page; the cursor is followed on
            # our own base URL rather than the absolute `next` link, so a response can never
            # point this client (and its token) at another host.
            if not paging.get("next") or not isinstance(after, str) or not after:
                return templates
            params = dict(params, after=after)
        raise RetryableError(f"template list of {waba_id} did not end after "
                             f"{MAX_TEMPLATE_PAGES} pages")

    def create_template(self, waba_id: str, token: str,
                        definition: dict[str, Any]) -> dict[str, Any]:
        """Submit a template for review; returns {id, status, category}. A definition Meta
        refuses raises TemplateRefused (a PermanentError)."""
        try:
            body = self._call("POST", f"{waba_id}/message_templates", token, json=definition)
        except PermanentError as error:
            raise template_refusal(error) from None
        return {"id": _required_id(body, "template"), "status": str(body.get("status", "")),
                "category": str(body.get("category", ""))}

    def edit_template(self, template_id: str, token: str, definition: dict[str, Any]) -> None:
        """Submit a fixed rejected (or paused) template for review again: POST /{template-id}
        with its category and components. Raises TemplateRefused when Meta refuses it."""
        try:
            body = self._call("POST", template_id, token, json=definition)
        except PermanentError as error:
            raise template_refusal(error) from None
        if body.get("success") is not True:
            raise RetryableError("WhatsApp did not confirm the template edit")

    def subscribe_app(self, waba_id: str, token: str) -> None:
        """Subscribe our app to the WABA's webhooks (messages, statuses, template updates)."""
        body = self._call("POST", f"{waba_id}/subscribed_apps", token)
        if not (isinstance(body, dict) and body.get("success") is True):
            raise RetryableError("WhatsApp did not confirm the webhook subscription")

    def subscribed_apps(self, waba_id: str, token: str) -> list[dict[str, Any]]:
        """The apps subscribed to the WABA's webhooks."""
        body = self._call("GET", f"{waba_id}/subscribed_apps", token)
        data = body.get("data") if isinstance(body, dict) else None
        return [app for app in data or [] if isinstance(app, dict)]

    def phone_number_info(self, phone_number_id: str, token: str) -> PhoneNumberInfo:
        """Name, display number, quality and throughput of a business number."""
        body = self._call("GET", phone_number_id, token, params={"fields": PHONE_FIELDS})
        if not isinstance(body, dict) or not body.get("id"):
            raise RetryableError("WhatsApp answered without the phone number")
        return PhoneNumberInfo.from_dict(body)

    def exchange(self, method: str, path: str, token: str, *, auth: str = "Bearer",
                 headers: dict[str, str] | None = None, **kwargs: Any) -> httpx.Response:
        """One Graph request on our base URL and version, whatever Meta answers (other
        adapters read errors their own way); RetryableError when Meta cannot be reached."""
        try:
            return self._http.request(
                method, f"{self._base}/{path}",
                headers={**(headers or {}), "Authorization": f"{auth} {token}"},
                timeout=self._timeout, **kwargs)
        except httpx.TimeoutException as exc:
            raise RetryableError(
                f"WhatsApp did not answer in time ({exc.__class__.__name__})") from exc
        except httpx.TransportError as exc:
            raise RetryableError(f"could not reach WhatsApp ({exc.__class__.__name__})") from exc

    def _call(self, method: str, path: str, token: str, *, auth: str = "Bearer",
              headers: dict[str, str] | None = None, **kwargs: Any) -> Any:
        """One Graph request; the JSON answer, or a SendError subclass for any failure."""
        response = self.exchange(method, path, token, auth=auth, headers=headers, **kwargs)
        body = _json(response)
        if response.is_success:
            return body if isinstance(body, dict) else {}
        raise _error(response.status_code, body)


def _required_id(body: Any, what: str) -> str:
    if isinstance(body, dict) and isinstance(body.get("id"), (str, int)) and body["id"] != "":
        return str(body["id"])
    raise RetryableError(f"WhatsApp accepted the {what} but returned no id")


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return {}


def _error(status: int, body: Any) -> SendError:
    error = _obj(body.get("error") if isinstance(body, dict) else None)
    code = error.get("code") if isinstance(error.get("code"), int) else None
    subcode = error.get("error_subcode") if isinstance(error.get("error_subcode"), int) else None
    data = _obj(error.get("error_data"))
    # error_user_msg is Meta's sentence for people (template refusals carry one): it wins.
    reason = (error.get("error_user_msg") or data.get("details") or error.get("message")
              or f"WhatsApp answered HTTP {status}")
    return classify(code, status, str(reason), subcode)


def _obj(value: Any) -> dict[str, Any]:
    """`value` when it is a JSON object, else an empty one: Graph answers are not trusted."""
    return value if isinstance(value, dict) else {}

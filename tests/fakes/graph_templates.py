"""The fake Graph API's message templates: the WABA's list (paged), a template submitted
for review (checked by graph_rules as Meta checks it), an edit of a rejected one, and Meta's
signed template status webhooks. A mixin of tests.fakes.graph.FakeGraph, whose state
(`wabas`, `edits`, `_lock`, `_ids`) it reads; also the helpers both modules answer with.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import httpx
from werkzeug.wrappers import Request, Response

from tests.fakes.graph_rules import (
    DUPLICATE_LANGUAGE,
    Invalid,
    check_template_components,
    check_template_definition,
)

if TYPE_CHECKING:
    from tests.fakes.graph import FakeWaba

DEFAULT_PAGE_SIZE = 25


class TemplatesMixin:
    """Templates in the fake's WABAs: set-up and inspection for tests, and the routes."""

    wabas: dict[str, FakeWaba]
    edits: list[tuple[str, dict[str, Any]]]
    _lock: threading.Lock
    _ids: Any
    check_handles: Any  # UploadsMixin's: refuses a media header without an issued handle

    def add_template(self, waba_id: str, name: str, language: str = "en", *,
                     status: str = "APPROVED", category: str = "UTILITY",
                     components: list[dict[str, Any]] | None = None,
                     quality: str = "GREEN") -> dict[str, Any]:
        """A template already in the WABA."""
        with self._lock:
            template = {"id": str(900000 + next(self._ids)), "name": name, "language": language,
                        "status": status, "category": category,
                        "components": components or [{"type": "BODY", "text": f"{name} body"}],
                        "quality_score": {"score": quality}, "rejected_reason": "NONE"}
            self.wabas[waba_id].templates.append(template)
            return template

    def template(self, waba_id: str, name: str, language: str) -> dict[str, Any]:
        """The WABA's template by name and language (KeyError if absent)."""
        for template in self.wabas[waba_id].templates:
            if (template["name"], template["language"]) == (name, language):
                return template
        raise KeyError((name, language))

    def approve(self, waba_id: str, name: str, language: str) -> None:
        """Meta's review approved the template."""
        self.template(waba_id, name, language).update(status="APPROVED", rejected_reason="NONE")

    def reject(self, waba_id: str, name: str, language: str,
               reason: str = "INVALID_FORMAT") -> None:
        """Meta's review rejected the template."""
        self.template(waba_id, name, language).update(status="REJECTED", rejected_reason=reason)

    # Template status webhooks ------------------------------------------------------------

    def template_status_notification(self, waba_id: str, name: str, language: str,
                                     event: str, reason: str = "NONE", why: str = "") -> bytes:
        """Meta's message_template_status_update body for one template, its state in the
        fake moved to match (APPROVED, REJECTED with `reason` and `why`, PAUSED, …)."""
        template = self.template(waba_id, name, language)
        template.update(status=event, rejected_reason=reason if event == "REJECTED" else "NONE")
        value: dict[str, Any] = {"event": event, "message_template_id": int(template["id"]),
                                 "message_template_name": name,
                                 "message_template_language": language, "reason": reason}
        if why:
            value["rejection_info"] = {"reason": why, "recommendation": "Edit and resubmit."}
        return json.dumps({"object": "whatsapp_business_account", "entry": [{
            "id": waba_id, "time": int(time.time()),
            "changes": [{"field": "message_template_status_update", "value": value}]}]}).encode()

    def send_template_status(self, webhook_url: str, app_secret: str, waba_id: str, name: str,
                             language: str, event: str, reason: str = "NONE", why: str = "",
                             http: httpx.Client | None = None) -> int:
        """POST the template status webhook, signed as Meta signs it; its HTTP status."""
        body = self.template_status_notification(waba_id, name, language, event, reason, why)
        client = http or httpx.Client()
        try:
            return client.post(webhook_url, content=body, headers={
                "Content-Type": "application/json",
                "X-Hub-Signature-256": sign(body, app_secret)}).status_code
        finally:
            if http is None:
                client.close()


    def _list_templates(self, request: Request, waba_id: str) -> Response:
        try:
            limit = max(1, min(int(request.args.get("limit", DEFAULT_PAGE_SIZE)), 1000))
            start = int(base64.b64decode(request.args.get("after", "")).decode() or 0)
        except ValueError:
            raise Invalid(100, "invalid paging parameter") from None
        asked = [f for f in request.args.get("fields", "").split(",") if f] or ["name", "id"]
        with self._lock:
            templates = list(self.wabas[waba_id].templates)
        page = [{f: t[f] for f in asked if f in t} | {"id": t["id"]}
                for t in templates[start:start + limit]]
        paging: dict[str, Any] = {"cursors": {"before": _cursor(start),
                                              "after": _cursor(start + len(page))}}
        if start + limit < len(templates):
            query = dict(request.args, after=_cursor(start + limit))
            paging["next"] = f"{request.base_url}?{urlencode(query)}"
        return _json({"data": page, "paging": paging})

    def _create_template(self, request: Request, waba_id: str) -> Response:
        try:
            definition = json.loads(request.get_data())
        except ValueError:
            raise Invalid(100, "the body is not JSON") from None
        check_template_definition(definition)
        self.check_handles(definition.get("components"))
        with self._lock:
            waba = self.wabas[waba_id]
            if any((t["name"], t["language"]) == (definition["name"], definition["language"])
                   for t in waba.templates):
                raise Invalid(100, f"There is already {definition['language']} content for "
                                   f"this template ({definition['name']}).", DUPLICATE_LANGUAGE,
                              "Content in this language already exists. Try a new name.")
            template = {"id": str(800000 + next(self._ids)), "name": definition["name"],
                        "language": definition["language"], "status": "PENDING",
                        "category": definition["category"],
                        "components": definition["components"],
                        "quality_score": {"score": "UNKNOWN"}, "rejected_reason": "NONE"}
            waba.templates.append(template)
        return _json({"id": template["id"], "status": "PENDING",
                      "category": template["category"]})

    def _edit_template(self, request: Request, template_id: str) -> Response:
        """POST /<template id>: a fixed template goes back to review (Meta answers success)."""
        try:
            change = json.loads(request.get_data())
        except ValueError:
            raise Invalid(100, "the body is not JSON") from None
        with self._lock:
            template = next(t for w in self.wabas.values() for t in w.templates
                            if t["id"] == template_id)
            if template["status"] not in ("REJECTED", "PAUSED", "APPROVED"):
                raise Invalid(100, f"a {template['status']} template cannot be edited")
            category = _obj(change).get("category", template["category"])
        check_template_components(dict(_obj(change), category=category))
        self.check_handles(_obj(change).get("components"))
        with self._lock:
            template.update(category=category, components=change["components"],
                            status="PENDING", rejected_reason="NONE")
            self.edits.append((template_id, change))
        return _json({"success": True})


def sign(body: bytes, app_secret: str) -> str:
    """X-Hub-Signature-256 for a body: sha256= and the hex HMAC with the app secret."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def _cursor(offset: int) -> str:
    return base64.b64encode(str(offset).encode()).decode()


def _json(data: dict[str, Any], status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, mimetype="application/json")


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}

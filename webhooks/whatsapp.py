"""GET, POST /webhooks/whatsapp: Meta's verification challenge and every notification.

POSTs are signed by Meta with the app secret: X-Hub-Signature-256 = "sha256=" + the hex
HMAC-SHA256 of the raw body. No configured secret means every delivery is refused (pywa
accepts unsigned bodies in that case; we do not). A delivery is stored whole, keyed by its
body's hash (Meta repeats the same body when it retries); the job reads every entry ×
change × item of it.
"""
from __future__ import annotations

import hashlib
import hmac

from flask import Blueprint, Response, abort, current_app, request
from flask.typing import ResponseReturnValue

from plugin.pipeline.inbound import body_hash
from webhooks.receive import json_object, raw_body, store_and_answer

blueprint = Blueprint("webhooks_whatsapp", __name__)


def signature_valid(secret: str, body: bytes, header: str | None) -> bool:
    """True if `header` is "sha256=<hex HMAC of body>" under `secret`; False without one."""
    if not secret or not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256=").strip().lower())


@blueprint.get("/webhooks/whatsapp")
def verify() -> ResponseReturnValue:
    """Answer Meta's subscription challenge when the verify token matches."""
    expected = current_app.config["STORECHAT"].whatsapp_verify_token
    given = request.args.get("hub.verify_token", "")
    if (request.args.get("hub.mode") != "subscribe" or not expected
            or not hmac.compare_digest(expected.encode(), given.encode())):
        abort(403, description="verify token does not match")
    return Response(request.args.get("hub.challenge", ""), mimetype="text/plain")


@blueprint.post("/webhooks/whatsapp")
def receive() -> ResponseReturnValue:
    """Verify, store and acknowledge one Meta notification (possibly batched)."""
    body = raw_body()
    secret = current_app.config["STORECHAT"].whatsapp_app_secret
    if not signature_valid(secret, body, request.headers.get("X-Hub-Signature-256")):
        abort(401, description="X-Hub-Signature-256 does not match")
    data = json_object(body)
    if data.get("object") != "whatsapp_business_account":
        abort(400, description="not a WhatsApp Business Account notification")
    return store_and_answer(source="whatsapp", dedupe_key=body_hash(body), topic="notification",
                            body=body, store_id=None, headers={})

"""Notifications shaped as Meta sends them, for the sandbox's pretend phone.

The sandbox sends nothing, so nothing reports back: the demo shopper's phone stands in for
WhatsApp and says what Meta would say, a status report (delivered, read) or a quick-reply
tap, in the exact body a `messages` webhook carries. `parse_notification` reads these like
any other delivery, so they take the real path from there on.
"""
from __future__ import annotations

import json
from typing import Any

from adapters.whatsapp.notifications import WABA_OBJECT

# The WhatsApp Business Account the sandbox pretends to be.
SANDBOX_WABA_ID = "sandbox"


def status_notification(*, phone_number_id: str, wamid: str, status: str, timestamp: int,
                        recipient: str, callback_data: str = "") -> bytes:
    """A `messages` webhook reporting one status ("delivered", "read") of a sent message."""
    item: dict[str, Any] = {"id": wamid, "status": status, "timestamp": str(timestamp),
                            "recipient_id": recipient}
    if callback_data:
        item["biz_opaque_callback_data"] = callback_data
    return _envelope(phone_number_id, {"statuses": [item]})


def quick_reply_notification(*, phone_number_id: str, wamid: str, sender: str,
                             profile_name: str, payload: str, text: str, context_wamid: str,
                             timestamp: int) -> bytes:
    """A `messages` webhook carrying a tap on a template's quick-reply button."""
    message = {"context": {"from": phone_number_id, "id": context_wamid}, "from": sender,
               "id": wamid, "timestamp": str(timestamp), "type": "button",
               "button": {"payload": payload, "text": text}}
    contact = {"profile": {"name": profile_name}, "wa_id": sender}
    return _envelope(phone_number_id, {"contacts": [contact], "messages": [message]})


def _envelope(phone_number_id: str, value: dict[str, Any]) -> bytes:
    metadata = {"display_phone_number": "sandbox", "phone_number_id": phone_number_id}
    body = {"object": WABA_OBJECT, "entry": [{"id": SANDBOX_WABA_ID, "changes": [{
        "field": "messages",
        "value": {"messaging_product": "whatsapp", "metadata": metadata, **value}}]}]}
    return json.dumps(body, ensure_ascii=False).encode()

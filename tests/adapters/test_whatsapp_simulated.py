"""The sandbox's pretend notifications read back exactly as Meta's do."""
from __future__ import annotations

from adapters.whatsapp.notifications import parse_notification
from adapters.whatsapp.simulated import quick_reply_notification, status_notification
from plugin.domain.messaging import DeliveryStatus, InboundKind, InboundMessage, StatusUpdate


def test_a_status_report_parses_as_a_status_update() -> None:
    body = status_notification(phone_number_id="sandbox.k1", wamid="wamid.sandbox.1",
                               status="read", timestamp=1_700_000_000,
                               recipient="351912345678", callback_data="storechat:7")
    notification = parse_notification(body)
    assert notification.ignored == ()
    [update] = notification.updates
    assert isinstance(update, StatusUpdate)
    assert (update.wamid, update.status, update.timestamp, update.recipient,
            update.callback_data) == ("wamid.sandbox.1", DeliveryStatus.READ, 1_700_000_000,
                                      "351912345678", "storechat:7")


def test_a_quick_reply_tap_parses_as_a_button_message_from_the_shopper() -> None:
    body = quick_reply_notification(
        phone_number_id="sandbox.k1", wamid="wamid.in.1", sender="351912345678",
        profile_name="Ana", payload="storechat:cod:confirm:demo-1", text="Yes, confirm",
        context_wamid="wamid.sandbox.1", timestamp=1_700_000_100)
    [message] = parse_notification(body).updates
    assert isinstance(message, InboundMessage)
    assert (message.kind, message.payload, message.text, message.context_wamid,
            message.phone_number_id) == (InboundKind.BUTTON, "storechat:cod:confirm:demo-1",
                                         "Yes, confirm", "wamid.sandbox.1", "sandbox.k1")
    assert (message.sender.wa_id, message.sender.profile_name) == ("351912345678", "Ana")

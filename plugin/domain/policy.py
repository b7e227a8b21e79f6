"""May this message be sent now? A pure decision over what the send job loaded."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class SendContext:
    """What the policy needs to know about one message at send time."""

    store_active: bool
    recipient: str | None
    is_template: bool


@dataclass(frozen=True, slots=True)
class Decision:
    """Send, or skip with a reason the owner can read."""

    send: bool
    reason: str = ""


SEND = Decision(True)


def decide(context: SendContext) -> Decision:
    """Whether to send; a skip names why, so the message log can show it."""
    if not context.store_active:
        return Decision(False, "store is not active (uninstalled or needs reconnecting)")
    if not context.recipient:
        return Decision(False, "the customer has no WhatsApp number")
    if not context.is_template:
        # Free-form text is only allowed inside the 24-hour service window, which the
        # WhatsApp channel tracks; until then only templates leave the outbox.
        return Decision(False, "free-form messages need an open service window")
    return SEND

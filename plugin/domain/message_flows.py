"""Which flow a message belongs to, read from its outbox cause and step, and which daily
figures a move of its state adds to: pure rules for the analytics rollups."""
from __future__ import annotations

import enum
from datetime import timedelta

from plugin.domain.outbox import MessageState

# Cause prefixes of the flows that are one flow whatever their id (checked in this order).
_PREFIXES: tuple[tuple[str, str], ...] = (
    ("checkout:", "recovery"),
    ("stock_alert_confirmed:", "back_in_stock"),
    ("stock_alert:", "back_in_stock"),
    ("price_drop:", "price_drop"),
    ("cross_sell:", "cross_sell"),
    ("csat:", "satisfaction_survey"),
    ("answer:", "automatic_answers"),
    ("opt-out:", "automatic_answers"),
    ("cart:", "automatic_answers"),
    ("inbox:", "agents"),
    ("products:", "agents"),
    ("campaign-test:", "tests"),
    ("test:", "tests"),
)
# The longest flow key the rollup table holds.
MAX_FLOW = 80


class Figure(str, enum.Enum):
    """One daily count kept per flow; failures and skips keep a detail (code or reason).
    Each move of a message adds to one figure (two only for a read reported before its
    delivery), so that the send path pays one upsert."""

    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"  # before it could be sent: with `sent`, the messages attempted
    FAILED_AFTER_SENT = "failed_after_sent"  # reported failed by Meta once sent
    SKIPPED = "skipped"
    # What the shopper did after a message, each counted once per message (its row keeps
    # the time) on the message's day, not the day they did it.
    CLICKED = "clicked"  # opened the message's tracked link (/t/<token>)
    REPLIED = "replied"  # wrote back: the last message sent to them in REACTION_WINDOW
    OPTED_OUT = "opted_out"  # stopped marketing: attributed as a reply is


# How long after a message the shopper's reply or opt-out is still put down to it: the same
# 24 hours as WhatsApp's customer service window.
REACTION_WINDOW = timedelta(hours=24)
# Meta stamps an inbound message in whole seconds: a message we sent up to this long after
# that stamp was still sent before the reply.
REACTION_CLOCK_SLACK = timedelta(seconds=1)
# The question StoreChat asks before an opt-out: the opt-out it leads to belongs to the
# message before it, not to the question.
_OPT_OUT_QUESTION = "opt-out:"


def takes_opt_outs(cause: str) -> bool:
    """Whether an opt-out after a message of this cause may be put down to it (not the
    question that confirms an opt-out)."""
    return not cause.startswith(_OPT_OUT_QUESTION)


def flow_of(cause: str, step: str) -> str:
    """The flow of a message: "journey:<step>" for an order, "campaign:<id>" for a
    campaign, one name per other flow, "other" for a cause no flow claims."""
    if cause.startswith("order:"):
        return f"journey:{step}"[:MAX_FLOW]
    if cause.startswith("campaign:"):
        return cause[:MAX_FLOW]
    for prefix, flow in _PREFIXES:
        if cause.startswith(prefix):
            return flow
    return "other"


def label_of(flow: str) -> str:
    """The words an owner reads for a flow key."""
    if flow.startswith("journey:"):
        return "Order journey: " + flow[8:].replace("_", " ")
    if flow.startswith("campaign:"):
        return "Campaign #" + flow[9:]
    return _LABELS.get(flow, flow.replace("_", " ").capitalize())


_LABELS = {
    "recovery": "Cart recovery", "back_in_stock": "Back in stock", "price_drop": "Price drop",
    "cross_sell": "Cross-sell", "automatic_answers": "Automatic answers", "agents": "Agents",
    "satisfaction_survey": "Satisfaction survey", "tests": "Test sends", "other": "Other",
}


def figures_for_move(old: MessageState | None, new: MessageState) -> tuple[Figure, ...]:
    """The figures a message's move from `old` (None: just written) to `new` adds one to:
    each figure counts a message once, the first time it reaches that point, so a read
    without a delivered report still counts as delivered."""
    if new is MessageState.SKIPPED:
        return (Figure.SKIPPED,)
    reached = {MessageState.SENT: 1, MessageState.DELIVERED: 2, MessageState.READ: 3}
    before = reached.get(old, 0) if old is not None else 0
    if new is MessageState.FAILED:
        return (Figure.FAILED_AFTER_SENT,) if before else (Figure.FAILED,)
    ladder = (Figure.SENT, Figure.DELIVERED, Figure.READ)
    return ladder[before:reached.get(new, 0)]


def rate(part: int, whole: int) -> float | None:
    """part / whole as a percentage with one decimal, None when there is nothing to divide."""
    return round(100.0 * part / whole, 1) if whole else None

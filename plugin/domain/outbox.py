"""The outbox state machine: which moves a message may make, and which it may not."""
from __future__ import annotations

import enum


class MessageState(str, enum.Enum):
    """pending → sending → sent → delivered → read, or → failed / skipped(reason)."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"
    SKIPPED = "skipped"


# Progress along the happy path; a status report may only move a message forward on it.
_RANK = {
    MessageState.PENDING: 0,
    MessageState.SENDING: 1,
    MessageState.SENT: 2,
    MessageState.DELIVERED: 3,
    MessageState.READ: 4,
}

FINAL_STATES = frozenset({MessageState.READ, MessageState.FAILED, MessageState.SKIPPED})

_ALLOWED = {
    MessageState.PENDING: {MessageState.SENDING, MessageState.SKIPPED, MessageState.FAILED},
    # A lost lease or a retryable error puts a message back to pending.
    MessageState.SENDING: {MessageState.PENDING, MessageState.SENT, MessageState.DELIVERED,
                           MessageState.READ, MessageState.FAILED, MessageState.SKIPPED},
    MessageState.SENT: {MessageState.DELIVERED, MessageState.READ, MessageState.FAILED},
    MessageState.DELIVERED: {MessageState.READ},
    MessageState.READ: set(),
    MessageState.FAILED: set(),
    MessageState.SKIPPED: set(),
}


def can_move(current: MessageState, new: MessageState) -> bool:
    """True if a message in `current` may move to `new`."""
    return new in _ALLOWED[current]


def after_status(current: MessageState, reported: MessageState) -> MessageState:
    """The state after a delivery status report: forward only, so a late `sent` after
    `read` changes nothing; `failed` counts only before delivery."""
    if reported is MessageState.FAILED:
        return reported if can_move(current, reported) else current
    if reported in _RANK and current in _RANK and _RANK[reported] > _RANK[current]:
        return reported
    return current

"""What the conversation figures count: which outbox messages are replies (and which of them
automatic), which shopper messages wait for one, the daily figures kept, and the targets
an owner's team is held to. Pure: no I/O.

A reply is a message of the automatic answers (keyword rules, the shop assistant, greeting
and away, the opt-out question, a cart's pay link) or one the team wrote in the inbox. Its
reply time runs from the oldest shopper message it answers, in business hours only. The
first reply of a conversation is the first after the shopper's first message since the
conversation was last resolved. Each is kept twice: for any reply, and for the team's own
(an instant automatic answer must not hide a team that answers the next day).
"""
from __future__ import annotations

import enum

from plugin.domain.consent import KEEP_PAYLOAD, OPT_OUT_PAYLOADS
from plugin.domain.message_flows import flow_of

# Seed targets for the owner's team (business hours only).
FIRST_REPLY_TARGET_SECONDS = 5 * 60
AVERAGE_REPLY_TARGET_SECONDS = 60 * 60
# The healthy share of automatic replies, in %: below, the bot does too little; above, the
# shoppers rarely reach a person.
AUTOMATIC_SHARE_HEALTHY = (30.0, 50.0)

# Taps on buttons our own messages carried are answers to us, not questions for the team.
_MACHINE_PAYLOAD_PREFIXES = ("storechat:", "csat:")
_MACHINE_PAYLOADS = OPT_OUT_PAYLOADS | {KEEP_PAYLOAD}
# Inbox kinds that never wait for a reply: a reaction, a notice from WhatsApp itself.
_SILENT_KINDS = frozenset({"reaction", "unsupported"})


class Figure(str, enum.Enum):
    """A daily conversation figure; the detail says whose replies or which score."""

    STARTED = "started"              # conversations begun (first message after resolved)
    INBOUND = "inbound"              # shopper messages received
    REPLIES = "replies"              # replies written: detail automatic / team
    FIRST_REPLY = "first_reply"      # first replies: detail any / team
    FIRST_REPLY_SECONDS = "first_reply_s"  # their business seconds, summed
    FIRST_OVER_TARGET = "first_over_target"  # first replies slower than the target
    REPLY = "reply"                  # waits answered: detail any / team
    REPLY_SECONDS = "reply_s"        # their business seconds, summed
    RESOLVED = "resolved"            # conversations marked resolved
    CSAT = "csat"                    # survey answers: detail the score


class Whose(str, enum.Enum):
    """Which replies a reply-time figure covers."""

    ANY = "any"
    TEAM = "team"


AUTOMATIC = "automatic"
TEAM = "team"


def reply_kind(cause: str, step: str) -> str | None:
    """AUTOMATIC or TEAM for a message that replies to a shopper, None for any other."""
    flow = flow_of(cause, step)
    if flow == "automatic_answers":
        return AUTOMATIC
    if flow == "agents":
        return TEAM
    return None


def waits_for_reply(kind: str, payload: str) -> bool:
    """Whether a shopper message (inbox kind, button payload) asks something of the store:
    taps on our own buttons (a survey score, an order confirmation, keep/stop messages),
    reactions and WhatsApp's notices do not."""
    if kind in _SILENT_KINDS:
        return False
    clean = payload.strip()
    return not (clean.upper() in _MACHINE_PAYLOADS
                or clean.startswith(_MACHINE_PAYLOAD_PREFIXES))


def average(total: int, count: int) -> float | None:
    """total / count, None when there is nothing to divide."""
    return total / count if count else None

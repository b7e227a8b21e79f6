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
from datetime import datetime
from typing import Protocol

from plugin.domain import business_hours
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


# One addition to a day's figures: (figure, detail, value).
Count = tuple[Figure, str, int]


class Clock(Protocol):
    """A customer's reply clock as the rules below move it (the stored row, or a replay's
    copy in memory): both go through the same moves, so they cannot count differently."""

    open: bool
    waiting_since: datetime | None
    team_waiting_since: datetime | None
    first_pending: bool
    team_first_pending: bool


def start_wait(clock: Clock, at: datetime) -> list[Count]:
    """A shopper message that waits for a reply (waits_for_reply) at `at`: a closed
    conversation begins again (STARTED), and both waits run from their oldest message."""
    counts: list[Count] = []
    if not clock.open:
        clock.open, clock.first_pending, clock.team_first_pending = True, True, True
        clock.waiting_since = clock.team_waiting_since = None
        counts.append((Figure.STARTED, "", 1))
    clock.waiting_since = min(clock.waiting_since or at, at)
    clock.team_waiting_since = min(clock.team_waiting_since or at, at)
    return counts


def stop_wait(clock: Clock, kind: str, at: datetime,
              hours: business_hours.Hours) -> list[Count]:
    """A reply of `kind` (AUTOMATIC or TEAM) written at `at`: each wait it answers stops,
    counted with its business seconds (and as the first reply while that is pending)."""
    counts: list[Count] = []
    waits = [(Whose.ANY, "waiting_since", "first_pending")]
    if kind == TEAM:
        waits.append((Whose.TEAM, "team_waiting_since", "team_first_pending"))
    for whose, since_field, first_field in waits:
        since = getattr(clock, since_field)
        if since is None:
            continue
        seconds = business_hours.open_seconds(hours, since, max(at, since))
        counts += [(Figure.REPLY, whose.value, 1), (Figure.REPLY_SECONDS, whose.value, seconds)]
        if getattr(clock, first_field):
            counts += [(Figure.FIRST_REPLY, whose.value, 1),
                       (Figure.FIRST_REPLY_SECONDS, whose.value, seconds)]
            if seconds > FIRST_REPLY_TARGET_SECONDS:
                counts.append((Figure.FIRST_OVER_TARGET, whose.value, 1))
            setattr(clock, first_field, False)
        setattr(clock, since_field, None)
    return counts


def close(clock: Clock) -> None:
    """The conversation was resolved: what waited stops waiting, and the shopper's next
    message starts a new conversation."""
    clock.open = False
    clock.waiting_since = clock.team_waiting_since = None

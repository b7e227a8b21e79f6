"""May this message be sent now? A pure decision over what the send job loaded.

The rules, in the order they are checked:
- nothing for a store that is uninstalled or must reconnect;
- nothing without a recipient;
- a message that waits for an unpaid order (the payment reminder) only while it still is;
- free-form messages only inside the 24-hour service window (templates any time);
- marketing only with an opt-in and no opt-out since, never to +1 (US) numbers (Meta blocks
  marketing templates there), at most `weekly_cap` a week (for customers tagged at_risk
  also at most `at_risk_cap` per `at_risk_cap_days`; a campaign's message waits until the cap
  allows it, others are skipped), not while Meta holds marketing to the
  customer (131049: it waits until the hold ends), and not in quiet hours (then it waits
  until they end rather than being dropped);
- nothing past the message's deadline (`send_by`), and no waiting that would end past it.

Caps, quiet hours and the deadline are the store's settings (columns on stores); the
constants below are their defaults.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

# WhatsApp's customer service window.
SERVICE_WINDOW = timedelta(hours=24)
# Default marketing frequency cap per customer and week.
DEFAULT_WEEKLY_MARKETING_CAP = 2
# Default quiet hours for marketing, in the customer's (else the store's) local time.
DEFAULT_QUIET_HOURS = (21, 9)  # from 21:00 to 09:00
# Default stricter cap for customers tagged at_risk: this many marketing messages ...
DEFAULT_AT_RISK_CAP = 1
# ... per this many days (a lapsing customer is one unwelcome message from opting out).
DEFAULT_AT_RISK_CAP_DAYS = 10
# The skip reason of a message whose deadline (send_by) passed before it could go out.
DEADLINE_PASSED = "deadline passed"
# A deferred capped message is due this long after its oldest counted send leaves the
# period: a send exactly `days` old still counts, so waiting only that long would wait again.
CAP_CLEARANCE = timedelta(seconds=1)


@dataclass(frozen=True, slots=True, kw_only=True)
class SendContext:
    """What the policy needs to know about one message at send time."""

    store_active: bool
    recipient: str | None
    is_template: bool
    marketing: bool = False
    marketing_consent: bool | None = None  # the newest consent entry, None when none
    consent_unconfirmed: bool = False  # a widget opt-in its number has not confirmed yet
    last_inbound_at: datetime | None = None  # UTC
    now: datetime | None = None  # UTC
    local_now: datetime | None = None  # the recipient's (else the store's) local time
    marketing_sent_this_week: int = 0
    # For a message sent only while its order awaits payment: whether it still does.
    # None when the message has no such condition.
    awaiting_payment: bool | None = None
    # For a back-in-stock alert: whether its variant is still in stock (None: not an alert,
    # or the stock is unknown).
    in_stock: bool | None = None
    weekly_cap: int = DEFAULT_WEEKLY_MARKETING_CAP
    quiet_hours: tuple[int, int] = DEFAULT_QUIET_HOURS
    # The zone `local_now` was read in: with it, quiet hours end at the right instant on a
    # day the clocks change (a naive local time is an hour off across a DST change).
    local_zone: str | None = None
    # Customers tagged at_risk get the stricter cap; counted over at_risk_cap_days.
    at_risk: bool = False
    at_risk_cap: int = DEFAULT_AT_RISK_CAP
    at_risk_cap_days: int = DEFAULT_AT_RISK_CAP_DAYS
    marketing_sent_at_risk_period: int = 0
    # Meta held a marketing message to this customer (131049): no marketing before (UTC).
    held_until: datetime | None = None
    # The message's deadline (UTC): past it, skipped; a wait that would pass it, too.
    send_by: datetime | None = None
    # A capped message waits until its cap allows it (a campaign: the sale still stands)
    # rather than being skipped (a cart reminder or an alert a week late is only noise).
    cap_defers: bool = False
    # When each cap next allows one more (UTC; cap_frees_at), None when it never does.
    weekly_cap_frees_at: datetime | None = None
    at_risk_cap_frees_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    """Send, skip with a reason the owner can read, or wait `defer` before trying again."""

    send: bool
    reason: str = ""
    defer: timedelta | None = None


SEND = Decision(True)
# The skip reason of a back-in-stock alert whose variant sold out again before it went out
# (the alerts sweep puts its subscription back in the queue on reading it).
SOLD_OUT_AGAIN = "the product sold out again before the alert went out"


def window_open(last_inbound_at: datetime | None, now: datetime) -> bool:
    """True while the shopper's last message is less than 24 hours old."""
    return last_inbound_at is not None and now - last_inbound_at < SERVICE_WINDOW


def quiet_wait(local_now: datetime, quiet_hours: tuple[int, int]) -> timedelta | None:
    """How long until quiet hours end, or None outside them."""
    start, end = quiet_hours
    hour = local_now.hour
    inside = (start <= hour or hour < end) if start > end else (start <= hour < end)
    if not inside:
        return None
    ends = local_now.replace(hour=end, minute=0, second=0, microsecond=0)
    if ends <= local_now:
        ends += timedelta(days=1)
    return ends - local_now


def quiet_wait_in_zone(now: datetime, zone: str, quiet_hours: tuple[int, int]) -> timedelta | None:
    """How long from `now` (naive UTC) until quiet hours end in `zone`, or None outside
    them; exact on the days the clocks change."""
    tz = ZoneInfo(zone)
    local = now.replace(tzinfo=UTC).astimezone(tz)
    naive_wait = quiet_wait(local.replace(tzinfo=None), quiet_hours)
    if naive_wait is None:
        return None
    # The wall-clock end (end hour, that day or the next), as an instant: subtracting in
    # UTC counts the hour a DST change adds or removes overnight.
    ends = (local.replace(tzinfo=None) + naive_wait).replace(tzinfo=tz)
    return ends.astimezone(UTC).replace(tzinfo=None) - now


def cap_frees_at(sent_at: Iterable[datetime], cap: int, days: int,
                 now: datetime) -> datetime | None:
    """When a cap of `cap` marketing messages in any `days` days next allows one more, given
    the customer's marketing sends (UTC; a send counts while at most `days` old); None when
    it never will (a cap of 0). A time before `now` means it allows one now."""
    if cap <= 0:
        return None
    period = timedelta(days=days)
    counted = sorted(at for at in sent_at if at >= now - period)
    if len(counted) < cap:
        return now
    # One more fits once the send `cap` places from the newest is over `days` old (real
    # time: a DST change in between makes a day 23 or 25 hours on the wall clock, not here).
    return counted[len(counted) - cap] + period + CAP_CLEARANCE


def decide(context: SendContext) -> Decision:
    """Whether to send now; a skip names why, a deferral says how long to wait. A
    deferral that would end past the message's deadline is a skip instead."""
    decision = _decide(context)
    if (decision.defer is not None and context.send_by is not None and context.now is not None
            and context.now + decision.defer > context.send_by):
        return Decision(False, f"{DEADLINE_PASSED} while waiting ({decision.reason})")
    return decision


def _decide(context: SendContext) -> Decision:
    if context.send_by is not None and context.now is not None and context.now >= context.send_by:
        return Decision(False, DEADLINE_PASSED)
    if not context.store_active:
        return Decision(False, "store is not active (uninstalled or needs reconnecting)")
    if not context.recipient:
        return Decision(False, "the customer has no WhatsApp number")
    if context.awaiting_payment is False:
        return Decision(False, "the order no longer awaits payment (paid or cancelled)")
    if context.in_stock is False:
        return Decision(False, SOLD_OUT_AGAIN)
    if not context.is_template:
        if context.now is None or not window_open(context.last_inbound_at, context.now):
            return Decision(False, "free-form messages need an open 24-hour window; "
                                   "send a template instead")
    if context.marketing:
        return _marketing(context)
    return SEND


def _marketing(context: SendContext) -> Decision:
    if context.consent_unconfirmed:
        return Decision(False, "the widget opt-in awaits the shopper's first WhatsApp message")
    if context.marketing_consent is not True:
        return Decision(False, "no marketing opt-in" if context.marketing_consent is None
                        else "the customer opted out of marketing")
    if context.recipient and context.recipient.lstrip("+").startswith("1"):
        return Decision(False, "Meta does not deliver marketing templates to +1 (US) numbers")
    capped = _capped(context)
    if capped is not None:
        return capped
    if (context.held_until is not None and context.now is not None
            and context.now < context.held_until):
        return Decision(False, "Meta is holding marketing to this customer (131049)",
                        defer=context.held_until - context.now)
    wait: timedelta | None = None
    if context.local_zone is not None and context.now is not None:
        wait = quiet_wait_in_zone(context.now, context.local_zone, context.quiet_hours)
    elif context.local_now is not None:
        wait = quiet_wait(context.local_now, context.quiet_hours)
    if wait is not None:
        return Decision(False, "quiet hours", defer=wait)
    return SEND


def _capped(context: SendContext) -> Decision | None:
    """A skip, or for a campaign a wait until every cap reached allows one more (the
    stricter at-risk cap may free later than the weekly one); None when no cap is reached."""
    reached: list[tuple[str, datetime | None]] = []
    if context.marketing_sent_this_week >= context.weekly_cap:
        reached.append((f"marketing cap reached ({context.weekly_cap} a week)",
                        context.weekly_cap_frees_at))
    if context.at_risk and context.marketing_sent_at_risk_period >= context.at_risk_cap:
        reached.append((f"marketing cap reached ({context.at_risk_cap} per "
                        f"{context.at_risk_cap_days} days for at-risk customers)",
                        context.at_risk_cap_frees_at))
    if not reached:
        return None
    reason = reached[0][0]
    frees = [at for _, at in reached]
    if not context.cap_defers or context.now is None or None in frees:
        return Decision(False, reason)
    until = max(at for at in frees if at is not None)
    if until <= context.now:
        return Decision(False, reason)  # counts and times disagree: never wait for nothing
    return Decision(False, reason, defer=until - context.now)

"""Store-wide last-touch attribution and holdout groups: pure rules.

An order is the flow's whose message the customer touched last before placing it: a click
counts within the click window, a read within the (shorter) read window. Holdouts are a
share of a flow's would-be recipients chosen at random who get nothing, so that the owner
compares the conversion of the messaged with theirs (the lift), not only attributed totals.
"""
from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

# The windows an owner gets until they choose others, and the ranges they may choose in.
DEFAULT_CLICK_DAYS = 5
DEFAULT_READ_HOURS = 12
CLICK_DAYS_RANGE = (1, 30)
READ_HOURS_RANGE = (1, 72)
# A holdout share above half would leave the flow mostly unsent: the ceiling an owner gets.
MAX_HOLDOUT_PERCENT = 50
# Amounts are kept in thousandths of the currency unit: exact for every ISO 4217 currency
# (the most precise, such as KWD, have three decimals) and summable as integers.
MILLIS = 1000


class Touch(enum.StrEnum):
    """How the customer touched a message."""

    CLICKED = "clicked"
    READ = "read"


@dataclass(frozen=True, slots=True)
class Windows:
    """How long after a click, and after a read, an order still counts for the message."""

    click: timedelta
    read: timedelta


@dataclass(frozen=True, slots=True)
class Candidate:
    """One touch of one of the customer's messages."""

    message_id: int
    kind: Touch
    at: datetime


def windows(click_days: int | None, read_hours: int | None) -> Windows:
    """The store's windows, the defaults where it chose none."""
    return Windows(click=timedelta(days=click_days or DEFAULT_CLICK_DAYS),
                   read=timedelta(hours=read_hours or DEFAULT_READ_HOURS))


def last_touch(candidates: list[Candidate], ordered_at: datetime,
               within: Windows) -> Candidate | None:
    """The latest touch at or before `ordered_at` and inside its kind's window; a click wins
    a tie with a read at the same moment, then the newer message; None when none qualifies."""
    best: Candidate | None = None
    for c in candidates:
        window = within.click if c.kind is Touch.CLICKED else within.read
        if not ordered_at - window <= c.at <= ordered_at:
            continue
        if best is None or _rank(c) > _rank(best):
            best = c
    return best


def _rank(c: Candidate) -> tuple[datetime, bool, int]:
    return (c.at, c.kind is Touch.CLICKED, c.message_id)


# Order states that undo the whole order (a refund event is judged by its amount instead).
VOID_STATUSES = frozenset({"cancelled", "refunded", "voided", "deleted", "trash"})


def undone(status: str) -> bool:
    """Whether an order's state undoes the whole order (cancelled, refunded in full…)."""
    return status.lower() in VOID_STATUSES


def millis(total: str | Decimal | None) -> int:
    """An order total in thousandths of its currency (0 when it is not a number)."""
    try:
        value = Decimal(total if total is not None else "0")
    except InvalidOperation:
        return 0
    if not value.is_finite():
        return 0
    return int((value * MILLIS).to_integral_value())


def from_millis(n: int) -> Decimal:
    """Thousandths back to an exact amount: two decimals, three when the third is used."""
    places = Decimal("0.01") if n % 10 == 0 else Decimal("0.001")
    return (Decimal(n) / MILLIS).quantize(places)


def check_windows(click_days: str, read_hours: str) -> dict[str, str]:
    """The problems of windows an owner typed, by field; empty when both are whole numbers
    in their ranges."""
    problems = {}
    for field, raw, (low, high), unit in (("click_days", click_days, CLICK_DAYS_RANGE, "days"),
                                          ("read_hours", read_hours, READ_HOURS_RANGE,
                                           "hours")):
        if not raw.strip().isdigit() or not low <= int(raw) <= high:
            problems[field] = f"Enter a whole number of {unit} from {low} to {high}."
    return problems


def check_holdout(raw: str) -> str | None:
    """Why a holdout share an owner typed is refused, None when it is 0–50."""
    if not raw.strip().isdigit() or int(raw) > MAX_HOLDOUT_PERCENT:
        return f"Enter a whole percentage from 0 to {MAX_HOLDOUT_PERCENT}."
    return None


def held_out(unit: str, percent: int) -> bool:
    """Whether the experiment unit (a campaign's recipient, a cart's sequence) is in the
    holdout: a uniform draw from a hash of its key, so that a retry decides the same and
    nothing needs remembering before the decision is written."""
    if percent <= 0:
        return False
    draw = int.from_bytes(hashlib.sha256(unit.encode()).digest()[:8], "big") % 10_000
    return draw < min(percent, MAX_HOLDOUT_PERCENT) * 100


def lift(messaged: int, messaged_converted: int, holdout: int,
         holdout_converted: int) -> float | None:
    """The messaged group's conversion minus the holdout's, in percentage points; None
    while either group is empty."""
    if not messaged or not holdout:
        return None
    return round(100.0 * messaged_converted / messaged - 100.0 * holdout_converted / holdout, 1)

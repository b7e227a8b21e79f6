"""Campaigns: one approved marketing template sent to a segment, now or at a time in the
store's zone, with an optional deadline after which unsent messages are dropped.

This module holds the rules an owner's campaign must meet and the states it moves through;
the pipeline (plugin.pipeline.campaigns) materialises, releases and counts its messages.
Every check returns the owner's words for each mistake, by field, before anything is sent.
"""
from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from plugin.domain.errors import RequestRefused
from plugin.domain.segments import FieldProblem


class CampaignState(enum.StrEnum):
    """Where a campaign is: draft → scheduled → preparing → sending ⇄ paused → done, or
    cancelled / failed (with a reason) on the way."""

    DRAFT = "draft"
    SCHEDULED = "scheduled"  # waiting for its start time
    PREPARING = "preparing"  # discount codes made and recipients written, nothing sent yet
    SENDING = "sending"  # slices released to the send path
    PAUSED = "paused"
    CANCELLED = "cancelled"
    DONE = "done"  # every recipient released, sent or dropped
    FAILED = "failed"  # stopped before any send (the store refused its discount code)


# States whose definition can still change: nothing is written for them yet.
EDITABLE = frozenset({CampaignState.DRAFT, CampaignState.SCHEDULED})
# States the runner works on.
RUNNING = frozenset({CampaignState.SCHEDULED, CampaignState.PREPARING, CampaignState.SENDING})
FINISHED = frozenset({CampaignState.CANCELLED, CampaignState.DONE, CampaignState.FAILED})

# Where a template variable's value comes from.
SOURCE_FIELD, SOURCE_TEXT, SOURCE_DISCOUNT = "field", "text", "discount"
SOURCES = (SOURCE_FIELD, SOURCE_TEXT, SOURCE_DISCOUNT)
# The customer fields a variable may take, and the owner's words for each.
CUSTOMER_FIELDS: dict[str, str] = {
    "first_name": "First name",
    "last_name": "Last name",
    "full_name": "Full name",
    "email": "Email",
    "country": "Country",
}
# Discount code modes: none, one code for everyone, one single-use code per recipient.
DISCOUNT_NONE, DISCOUNT_SHARED, DISCOUNT_UNIQUE = "none", "shared", "unique"
DISCOUNT_MODES = (DISCOUNT_NONE, DISCOUNT_SHARED, DISCOUNT_UNIQUE)
# A campaign code lasts this long by default, and at most this long.
DISCOUNT_HOURS_DEFAULT = 72
DISCOUNT_HOURS_MAX = 24 * 90
# Orders within this many days of a campaign message count as its result (issue 17).
ATTRIBUTION_DAYS_DEFAULT = 5
ATTRIBUTION_DAYS_MAX = 60
# A fixed text longer than this is not a template parameter (Meta's limit is 1024).
TEXT_MAX = 1024
NAME_MAX = 120
# The owner's words for the rows the deadline drops.
DEADLINE_PASSED = "deadline passed"
CANCELLED_REASON = "campaign cancelled"


class CampaignRefused(RequestRefused):
    """A campaign that cannot be saved, started or changed now; `problems` names each."""

    def __init__(self, problems: Sequence[FieldProblem]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))
        self.problems = list(problems)


@dataclass(frozen=True, slots=True, kw_only=True)
class Variable:
    """One template variable: a customer field (with a text when the field is empty), a
    fixed text, or the campaign's discount code."""

    source: str
    value: str = ""
    fallback: str = ""

    def to_json(self) -> dict[str, str]:
        """As stored in the campaign's `variables`."""
        return {"source": self.source, "value": self.value, "fallback": self.fallback}


@dataclass(frozen=True, slots=True, kw_only=True)
class Discount:
    """The campaign's discount: a mode, a percent off, and how long the code lasts."""

    mode: str = DISCOUNT_NONE
    percent: int = 0
    hours: int = DISCOUNT_HOURS_DEFAULT

    def to_json(self) -> dict[str, Any]:
        """As stored in the campaign's `discount`."""
        return {"mode": self.mode, "percent": self.percent, "hours": self.hours}


def read_variables(data: Sequence[Mapping[str, Any]], count: int) -> tuple[Variable, ...]:
    """`count` variables from stored or submitted JSON; CampaignRefused names each mistake
    (a missing mapping, an unknown field, an empty fixed text)."""
    problems: list[FieldProblem] = []
    found: list[Variable] = []
    for index in range(count):
        name = f"var{index + 1}"
        raw = data[index] if index < len(data) else {}
        source = str(raw.get("source") or "")
        value = str(raw.get("value") or "").strip()
        fallback = str(raw.get("fallback") or "").strip()[:TEXT_MAX]
        if source == SOURCE_FIELD and value not in CUSTOMER_FIELDS:
            problems.append(FieldProblem(name, "choose a customer field"))
        elif source == SOURCE_TEXT and not value:
            problems.append(FieldProblem(name, "this variable is mapped to an empty text: "
                                               "write the text to send"))
        elif source == SOURCE_TEXT and len(value) > TEXT_MAX:
            problems.append(FieldProblem(name, f"at most {TEXT_MAX} characters"))
        elif source not in SOURCES:
            problems.append(FieldProblem(name, "map it to a customer field, a text or the "
                                               "discount code"))
        found.append(Variable(source=source, value=value, fallback=fallback))
    if problems:
        raise CampaignRefused(problems)
    return tuple(found)


def read_discount(data: Mapping[str, Any]) -> Discount:
    """The discount from stored or submitted JSON; CampaignRefused names each mistake."""
    mode = str(data.get("mode") or DISCOUNT_NONE)
    problems: list[FieldProblem] = []
    if mode not in DISCOUNT_MODES:
        problems.append(FieldProblem("discount_mode", "none, shared or unique"))
    percent = _whole(data.get("percent"), 0)
    hours = _whole(data.get("hours"), DISCOUNT_HOURS_DEFAULT)
    if mode in (DISCOUNT_SHARED, DISCOUNT_UNIQUE):
        if percent is None or not 1 <= percent <= 100:
            problems.append(FieldProblem("discount_percent", "a whole percent, 1 to 100"))
        if hours is None or not 1 <= hours <= DISCOUNT_HOURS_MAX:
            problems.append(FieldProblem("discount_hours",
                                         f"1 to {DISCOUNT_HOURS_MAX} hours"))
    if problems:
        raise CampaignRefused(problems)
    if mode == DISCOUNT_NONE:
        return Discount()
    assert percent is not None and hours is not None
    return Discount(mode=mode, percent=percent, hours=hours)


def _whole(value: Any, default: int) -> int | None:
    if value is None or value == "":
        return default
    try:
        number = float(str(value).strip())
    except ValueError:
        return None
    return int(number) if number.is_integer() else None


def local_to_utc(value: str, zone: str | None) -> datetime | None:
    """A datetime-local field ("2026-12-24T09:00") read in the store's zone, as naive UTC;
    None for an empty field. ValueError for text that is not a time."""
    text = (value or "").strip()
    if not text:
        return None
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_zone(zone))
    return moment.astimezone(UTC).replace(tzinfo=None)


def utc_to_local(moment: datetime | None, zone: str | None) -> datetime | None:
    """Naive UTC as the store's wall-clock time (naive), for the owner's pages."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC).astimezone(_zone(zone)).replace(tzinfo=None)


def _zone(zone: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(zone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def check_timing(start: datetime | None, deadline: datetime | None, now: datetime) -> None:
    """A start time (None: now) and deadline the runner can keep; CampaignRefused for a
    start in the past or a deadline not after the start. All naive UTC."""
    problems = []
    # A minute of slack: "09:00" typed at 09:00:20 still means now.
    if start is not None and start < now - timedelta(minutes=1):
        problems.append(FieldProblem("scheduled_at", "this time has passed: choose a time "
                                                     "in the future, or send now"))
    begin = start or now
    if deadline is not None and deadline <= begin:
        problems.append(FieldProblem("deadline_at", "the deadline must be after the start"))
    if problems:
        raise CampaignRefused(problems)


def field_value(variable: Variable, fields: Mapping[str, str | None]) -> str:
    """The text of a customer-field variable for one customer (its fallback when empty)."""
    return (fields.get(variable.value) or "").strip() or variable.fallback


def parameters(variables: Sequence[Variable], fields: Mapping[str, str | None],
               code: str) -> list[str]:
    """The body parameters for one recipient, in order."""
    out = []
    for variable in variables:
        if variable.source == SOURCE_FIELD:
            out.append(field_value(variable, fields))
        elif variable.source == SOURCE_DISCOUNT:
            out.append(code)
        else:
            out.append(variable.value)
    return out


def customer_fields(first_name: str | None, last_name: str | None, email: str | None,
                    country: str | None) -> dict[str, str | None]:
    """A customer's fields as variables read them."""
    full = " ".join(p for p in ((first_name or "").strip(), (last_name or "").strip()) if p)
    return {"first_name": first_name, "last_name": last_name, "full_name": full,
            "email": email, "country": country}


def progress_percent(done: int, total: int) -> int:
    """How far along, 0–100, for the progress bar."""
    return 0 if total <= 0 else min(100, done * 100 // total)

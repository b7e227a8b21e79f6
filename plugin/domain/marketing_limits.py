"""A store's marketing limits as the owner sets them, and what makes a set of them valid.

Pure: the settings page and the API both check through `problems`, so an owner reads the
same words in either. Order updates are never limited by these.
"""
from __future__ import annotations

from dataclasses import dataclass

from plugin.domain.policy import (
    DEFAULT_AT_RISK_CAP,
    DEFAULT_AT_RISK_CAP_DAYS,
    DEFAULT_QUIET_HOURS,
    DEFAULT_WEEKLY_MARKETING_CAP,
)

# Bounds an owner may choose within. Three a day is already far past what shoppers accept;
# 0 means no marketing at all (to everyone, or to at-risk customers).
MAX_WEEKLY_CAP = 21
# A stricter cap's period: up to two months.
MAX_AT_RISK_DAYS = 60


@dataclass(frozen=True, slots=True, kw_only=True)
class MarketingLimits:
    """Per customer: at most `weekly_cap` marketing messages in any 7 days; customers
    tagged at_risk at most `at_risk_cap` in any `at_risk_cap_days`; none from
    `quiet_start_hour` to `quiet_end_hour` in their local time (equal hours: no quiet)."""

    weekly_cap: int = DEFAULT_WEEKLY_MARKETING_CAP
    at_risk_cap: int = DEFAULT_AT_RISK_CAP
    at_risk_cap_days: int = DEFAULT_AT_RISK_CAP_DAYS
    quiet_start_hour: int = DEFAULT_QUIET_HOURS[0]
    quiet_end_hour: int = DEFAULT_QUIET_HOURS[1]


def problems(limits: MarketingLimits) -> dict[str, str]:
    """field → what is wrong with it, in the owner's words; empty when the limits hold."""
    found: dict[str, str] = {}
    if not 0 <= limits.weekly_cap <= MAX_WEEKLY_CAP:
        found["weekly_cap"] = f"Choose from 0 to {MAX_WEEKLY_CAP} messages a week."
    if not 0 <= limits.at_risk_cap <= MAX_WEEKLY_CAP:
        found["at_risk_cap"] = f"Choose from 0 to {MAX_WEEKLY_CAP} messages."
    if not 1 <= limits.at_risk_cap_days <= MAX_AT_RISK_DAYS:
        found["at_risk_cap_days"] = f"Choose from 1 to {MAX_AT_RISK_DAYS} days."
    for name in ("quiet_start_hour", "quiet_end_hour"):
        if not 0 <= getattr(limits, name) <= 23:
            found[name] = "Choose an hour from 0 to 23."
    if not found and limits.at_risk_cap * 7 > limits.weekly_cap * limits.at_risk_cap_days:
        # Per day, the at-risk cap may not allow more than everyone's: it is the stricter.
        found["at_risk_cap"] = ("The at-risk cap must be stricter than the weekly cap: at "
                                f"most {limits.weekly_cap} a week, so at most "
                                f"{limits.weekly_cap * limits.at_risk_cap_days // 7} in "
                                f"{limits.at_risk_cap_days} days.")
    return found


def quiet_words(limits: MarketingLimits) -> str:
    """The quiet hours as an owner reads them, e.g. "21:00 to 09:00"."""
    if limits.quiet_start_hour == limits.quiet_end_hour:
        return "none"
    return f"{limits.quiet_start_hour:02d}:00 to {limits.quiet_end_hour:02d}:00"

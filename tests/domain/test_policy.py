"""The sending policy, as pure decisions."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plugin.domain.policy import SendContext, decide, quiet_wait, window_open

NOW = datetime(2026, 11, 21, 12, 0)
PT = "+351912345678"


def _marketing(**changes: object) -> SendContext:
    values: dict[str, object] = dict(store_active=True, recipient=PT, is_template=True,
                                     marketing=True, marketing_consent=True, now=NOW,
                                     local_now=NOW)
    values.update(changes)
    return SendContext(**values)  # type: ignore[arg-type]


def test_the_window_is_24_hours() -> None:
    assert window_open(NOW - timedelta(hours=23, minutes=59), NOW)
    assert not window_open(NOW - timedelta(hours=24), NOW)
    assert not window_open(None, NOW)


def test_free_form_only_inside_the_window() -> None:
    inside = SendContext(store_active=True, recipient=PT, is_template=False,
                         last_inbound_at=NOW - timedelta(hours=2), now=NOW)
    outside = SendContext(store_active=True, recipient=PT, is_template=False,
                          last_inbound_at=NOW - timedelta(hours=30), now=NOW)
    assert decide(inside).send
    assert "template" in decide(outside).reason


@pytest.mark.parametrize(("changes", "fragment"), [
    ({"marketing_consent": None}, "no marketing opt-in"),
    ({"marketing_consent": False}, "opted out"),
    ({"marketing_consent": None, "consent_unconfirmed": True}, "awaits the shopper's first"),
    ({"recipient": "+12015550123"}, "+1 (US)"),
    ({"marketing_sent_this_week": 2}, "cap reached"),
])
def test_marketing_rules(changes: dict[str, object], fragment: str) -> None:
    decision = decide(_marketing(**changes))
    assert not decision.send and fragment in decision.reason


def test_utility_messages_ignore_marketing_rules() -> None:
    assert decide(_marketing(marketing=False, marketing_consent=False,
                             recipient="+12015550123", local_now=NOW.replace(hour=23))).send


def test_quiet_hours_defer_marketing_until_morning() -> None:
    decision = decide(_marketing(local_now=NOW.replace(hour=22, minute=30)))
    assert not decision.send and decision.defer == timedelta(hours=10, minutes=30)
    assert decide(_marketing(local_now=NOW.replace(hour=10))).send


@given(st.integers(0, 23), st.integers(0, 59), st.integers(0, 23), st.integers(0, 23))
def test_quiet_wait_always_lands_on_the_end_hour(hour: int, minute: int, start: int,
                                                 end: int) -> None:
    local = NOW.replace(hour=hour, minute=minute)
    wait = quiet_wait(local, (start, end))
    if wait is not None:
        assert timedelta(0) < wait <= timedelta(days=1)
        assert (local + wait).hour == end and (local + wait).minute == 0

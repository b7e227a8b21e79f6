"""Last-touch attribution and holdouts as pure rules: the latest touch inside its own kind's
window wins (a click over a read at the same moment), nothing outside or after the order;
amounts in thousandths are exact; holdout draws keep to the share and repeat themselves;
owners' typed windows and shares are checked."""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from plugin.domain.attribution import (
    Candidate,
    Touch,
    check_holdout,
    check_windows,
    from_millis,
    held_out,
    last_touch,
    lift,
    millis,
    windows,
)

T = datetime(2026, 11, 20, 12)
W = windows(None, None)


def test_the_defaults_are_five_days_and_twelve_hours() -> None:
    assert (W.click, W.read) == (timedelta(days=5), timedelta(hours=12))
    assert windows(2, 3) == windows(2, 3) and windows(2, 3).read == timedelta(hours=3)


def test_each_kind_has_its_own_window_and_its_edges_count() -> None:
    click_edge = Candidate(1, Touch.CLICKED, T - timedelta(days=5))
    read_edge = Candidate(2, Touch.READ, T - timedelta(hours=12))
    assert last_touch([click_edge], T, W) == click_edge
    assert last_touch([read_edge], T, W) == read_edge
    assert last_touch([Candidate(3, Touch.READ, T - timedelta(hours=13))], T, W) is None
    assert last_touch([Candidate(4, Touch.CLICKED, T - timedelta(days=5, seconds=1))],
                      T, W) is None
    assert last_touch([Candidate(5, Touch.CLICKED, T + timedelta(seconds=1))], T, W) is None


def test_the_latest_wins_and_a_click_wins_a_tie() -> None:
    old_click = Candidate(1, Touch.CLICKED, T - timedelta(days=2))
    new_read = Candidate(2, Touch.READ, T - timedelta(hours=1))
    assert last_touch([old_click, new_read], T, W) == new_read
    tie_read = Candidate(3, Touch.READ, T - timedelta(hours=1))
    tie_click = Candidate(1, Touch.CLICKED, T - timedelta(hours=1))
    assert last_touch([tie_read, tie_click], T, W) == tie_click


touches = st.lists(st.builds(Candidate, st.integers(1, 50), st.sampled_from(list(Touch)),
                             st.integers(-8 * 24 * 60, 60).map(
                                 lambda m: T + timedelta(minutes=m))), max_size=12)


@given(touches)
def test_last_touch_is_the_latest_of_those_inside_their_windows(found: list[Candidate]) -> None:
    inside = [c for c in found if T - (W.click if c.kind is Touch.CLICKED else W.read)
              <= c.at <= T]
    picked = last_touch(found, T, W)
    if not inside:
        assert picked is None
    else:
        assert picked in inside and picked.at == max(c.at for c in inside)


@given(st.decimals(min_value=0, max_value=10**9, places=3, allow_nan=False))
def test_thousandths_are_exact(amount: Decimal) -> None:
    assert from_millis(millis(amount)) == amount


def test_a_total_that_is_no_number_is_zero() -> None:
    assert millis("n/a") == 0 and millis(None) == 0 and millis("NaN") == 0
    assert str(from_millis(398_000)) == "398.00" and str(from_millis(12_345)) == "12.345"


def test_holdout_draws_keep_to_the_share_and_repeat() -> None:
    units = [f"campaign:7:{n}" for n in range(4000)]
    held = [u for u in units if held_out(u, 20)]
    assert 0.17 < len(held) / len(units) < 0.23
    assert held == [u for u in units if held_out(u, 20)]
    assert not any(held_out(u, 0) for u in units)
    # A share over the ceiling is held to it.
    assert sum(held_out(u, 90) for u in units) == sum(held_out(u, 50) for u in units)


def test_typed_windows_and_shares_are_checked() -> None:
    assert check_windows("5", "12") == {}
    assert set(check_windows("0", "73")) == {"click_days", "read_hours"}
    assert set(check_windows("x", "")) == {"click_days", "read_hours"}
    assert check_holdout("0") is None and check_holdout("50") is None
    assert check_holdout("51") and check_holdout("-1") and check_holdout("1.5")


def test_lift_is_the_difference_in_points() -> None:
    assert lift(100, 12, 50, 4) == 4.0
    assert lift(0, 0, 10, 1) is None and lift(10, 1, 0, 0) is None

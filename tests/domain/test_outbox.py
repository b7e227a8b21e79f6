"""The outbox state machine only moves forward."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from plugin.domain.outbox import MessageState as S
from plugin.domain.outbox import after_status, can_move

REPORTS = st.sampled_from([S.SENT, S.DELIVERED, S.READ, S.FAILED])
ORDER = [S.PENDING, S.SENDING, S.SENT, S.DELIVERED, S.READ]


def test_a_late_sent_after_read_changes_nothing() -> None:
    assert after_status(S.READ, S.SENT) is S.READ
    assert after_status(S.DELIVERED, S.SENT) is S.DELIVERED


def test_statuses_move_forward() -> None:
    assert after_status(S.SENT, S.DELIVERED) is S.DELIVERED
    assert after_status(S.SENT, S.READ) is S.READ  # delivered may never arrive
    assert after_status(S.SENT, S.FAILED) is S.FAILED


def test_failed_after_delivery_is_ignored() -> None:
    assert after_status(S.DELIVERED, S.FAILED) is S.DELIVERED
    assert after_status(S.READ, S.FAILED) is S.READ


def test_final_states_do_not_move() -> None:
    for final in (S.FAILED, S.SKIPPED, S.READ):
        assert not any(can_move(final, other) for other in S)


@given(st.lists(REPORTS, max_size=12))
def test_any_sequence_of_reports_never_goes_back(reports: list[S]) -> None:
    state = S.SENT
    for report in reports:
        new = after_status(state, report)
        if state in ORDER and new in ORDER:
            assert ORDER.index(new) >= ORDER.index(state)
        if state is S.FAILED:
            assert new is S.FAILED
        state = new

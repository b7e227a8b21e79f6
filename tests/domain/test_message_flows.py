"""The cause → flow rules and the figures a move adds to: pure, no database."""
from __future__ import annotations

import pytest

from plugin.domain.message_flows import (
    Figure,
    figures_for_move,
    flow_of,
    label_of,
    rate,
    takes_opt_outs,
)
from plugin.domain.outbox import MessageState as S


@pytest.mark.parametrize(("cause", "step", "flow"), [
    ("order:1001", "order_confirmation", "journey:order_confirmation"),
    ("order:1001", "cod_confirmed", "journey:cod_confirmed"),
    ("checkout:7:2", "cart_recovery_1", "recovery"),
    ("stock_alert:3", "back_in_stock", "back_in_stock"),
    ("stock_alert_confirmed:3", "back_in_stock_confirmed", "back_in_stock"),
    ("price_drop:4:subscribed", "price_drop", "price_drop"),
    ("cross_sell:5", "cross_sell", "cross_sell"),
    ("csat:12", "csat", "satisfaction_survey"),
    ("csat:12:reply", "csat_list", "satisfaction_survey"),
    ("campaign:12", "c", "campaign:12"),
    ("campaign-test:12", "x", "tests"),
    ("answer:wamid.A", "greeting", "automatic_answers"),
    ("inbox:9", "agent:2:abcdef", "agents"),
    ("something-new:1", "s", "other"),
])
def test_each_cause_belongs_to_its_flow(cause: str, step: str, flow: str) -> None:
    assert flow_of(cause, step) == flow


def test_labels_name_journeys_and_campaigns() -> None:
    assert label_of("journey:order_confirmation") == "Order journey: order confirmation"
    assert label_of("campaign:12") == "Campaign #12"
    assert label_of("recovery") == "Cart recovery"


@pytest.mark.parametrize(("old", "new", "figures"), [
    (S.SENDING, S.SENT, (Figure.SENT,)),
    (S.SENT, S.DELIVERED, (Figure.DELIVERED,)),
    (S.SENT, S.READ, (Figure.DELIVERED, Figure.READ)),  # a read without its delivered
    (S.DELIVERED, S.READ, (Figure.READ,)),
    (S.SENDING, S.DELIVERED, (Figure.SENT, Figure.DELIVERED)),
    (S.SENDING, S.FAILED, (Figure.FAILED,)),
    (S.SENT, S.FAILED, (Figure.FAILED_AFTER_SENT,)),
    (None, S.SKIPPED, (Figure.SKIPPED,)),
    (S.SENDING, S.PENDING, ()),
])
def test_each_move_adds_to_the_figures_it_reaches(old: S | None, new: S,
                                                  figures: tuple[Figure, ...]) -> None:
    assert figures_for_move(old, new) == figures


def test_a_rate_of_nothing_is_none() -> None:
    assert rate(1, 3) == 33.3 and rate(0, 0) is None


def test_an_opt_out_is_never_put_down_to_the_question_that_confirms_it() -> None:
    assert not takes_opt_outs("opt-out:wamid.HBgM")
    assert takes_opt_outs("campaign:7") and takes_opt_outs("answer:wamid.HBgM")

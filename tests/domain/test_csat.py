"""The survey's pure rules: what its payloads name, which causes are marketing, and its
words in every starter language."""
from __future__ import annotations

import pytest

from plugin.domain import csat
from plugin.domain.starter_templates import LANGUAGES


def test_payloads_name_the_survey_and_a_score_on_the_scale() -> None:
    assert csat.read_payload(csat.row_id(42, 7)) == (42, 7)
    assert csat.read_payload(csat.cause(42)) == (42, None)


@pytest.mark.parametrize("payload", ["", "csat:", "csat:x", "csat:4:0", "csat:4:11",
                                     "csat:4:7:1", "csat:-4:7", "cod:4", "csat:4:",
                                     "csat:" + "9" * 19])
def test_anything_else_is_not_an_answer(payload: str) -> None:
    assert csat.read_payload(payload) is None


def test_only_the_invitation_is_marketing() -> None:
    assert csat.is_invitation(csat.cause(3))
    assert not csat.is_invitation(csat.reply_cause(3))
    assert not csat.is_invitation("cross_sell:3")


def test_low_and_high_scores() -> None:
    assert [s for s in csat.SCORES if csat.is_low(s)] == [1, 2, 3, 4, 5, 6]
    assert [s for s in csat.SCORES if csat.is_high(s)] == [9, 10]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_starter_language_is_asked_and_thanked_in_its_own_words(language: str) -> None:
    question = csat.question(language, "#1001")
    assert "#1001" in question and "{" not in question
    assert csat.button(language) and len(csat.button(language)) <= 20
    assert language == "en" or csat.thanks(language) != csat.thanks("en")


def test_without_an_order_number_the_question_still_reads() -> None:
    assert csat.question("en", "") == ("How happy are you with your order? Choose a score "
                                       "from 1 (not at all) to 10 (very happy).")

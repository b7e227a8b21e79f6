"""Greeting and away rules: which messages are answered, at the silence boundary, in which
language, with which words."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from plugin.domain import auto_answers
from plugin.domain.auto_answers import AnswerRules
from plugin.domain.messaging import InboundKind

AT = datetime(2026, 12, 6, 12, 0)
ON = AnswerRules(greeting_enabled=True, away_enabled=True)


def plan(rules: AnswerRules = ON, *, kind: InboundKind = InboundKind.TEXT,
         previous: datetime | None = None, store_open: bool = True,
         away_sent: bool = False, consent: bool = False) -> tuple[bool, bool]:
    chosen = auto_answers.plan(rules, kind=kind, asks_about_consent=consent,
                               previous_inbound_at=previous, at=AT, store_open=store_open,
                               away_sent_since_window=away_sent)
    return chosen.greet, chosen.away


def test_a_first_message_is_greeted_and_again_only_after_the_silence() -> None:
    assert plan(previous=None) == (True, False)
    assert plan(previous=AT - timedelta(days=14)) == (True, False)
    assert plan(previous=AT - timedelta(days=14) + timedelta(seconds=1)) == (False, False)
    shorter = AnswerRules(greeting_enabled=True, greeting_after_days=3)
    assert plan(shorter, previous=AT - timedelta(days=3)) == (True, False)


def test_away_is_sent_when_closed_once_per_window() -> None:
    assert plan(previous=AT - timedelta(hours=1), store_open=False) == (False, True)
    assert plan(previous=AT - timedelta(hours=1), store_open=False, away_sent=True) \
        == (False, False)
    assert plan(previous=None, store_open=False) == (True, True)


@pytest.mark.parametrize("kind", [InboundKind.REACTION, InboundKind.BUTTON,
                                  InboundKind.BUTTON_REPLY, InboundKind.LIST_REPLY,
                                  InboundKind.ORDER, InboundKind.SYSTEM, InboundKind.UNKNOWN])
def test_taps_reactions_and_system_messages_are_never_answered(kind: InboundKind) -> None:
    assert plan(kind=kind, store_open=False) == (False, False)


def test_a_consent_word_is_never_answered_and_nothing_is_on_by_default() -> None:
    assert plan(consent=True, store_open=False) == (False, False)
    assert plan(AnswerRules(), store_open=False) == (False, False)
    assert auto_answers.Plan(greet=True, away=True).step == "greeting_away"
    assert auto_answers.Plan(greet=False, away=False).step is None


def test_the_language_is_the_shoppers_where_the_store_wrote_it() -> None:
    texts = {"en": "Hi", "es": "Hola", "pt_BR": "Olá", "hi": "", "ar": "  "}
    assert auto_answers.language_for(texts, "es-MX", "en") == "es"
    assert auto_answers.language_for(texts, "pt-PT", "en") == "pt_BR"
    assert auto_answers.language_for(texts, "hi_IN", "es") == "es"  # empty: not offered
    assert auto_answers.language_for(texts, "ar", None) == "en"  # blank: first written
    assert auto_answers.language_for({"en": ""}, "en", "en") is None


def test_placeholders_fill_and_a_missing_name_leaves_no_gap() -> None:
    text = auto_answers.GREETINGS["en"]
    assert auto_answers.fill(text, name="Ana", store="Linen & Co") == \
        "Hi Ana! Thanks for writing to Linen & Co. We'll answer you right here."
    assert auto_answers.fill(text, name="", store="Linen") == \
        "Hi! Thanks for writing to Linen. We'll answer you right here."
    assert auto_answers.check_text("Back {back}, {name}") is None
    assert auto_answers.check_text("Hi {nmae}") == "Use only {name}, {store} and {back} in braces."
    assert auto_answers.check_text("x" * 1001) == "At most 1000 characters (this one has 1001)."


def test_back_reads_as_today_a_weekday_or_a_date() -> None:
    now = datetime(2026, 12, 6, 20, 0)  # a Sunday
    assert auto_answers.back_words("en", datetime(2026, 12, 6, 21, 30), now) == "today at 21:30"
    assert auto_answers.back_words("en", datetime(2026, 12, 7, 9, 0), now) == "Monday at 09:00"
    assert auto_answers.back_words("es", datetime(2026, 12, 8, 9, 0), now) == \
        "el martes a las 09:00"
    assert auto_answers.back_words("hi", datetime(2026, 12, 8, 9, 0), now) == "मंगलवार 09:00"
    assert auto_answers.back_words("en", datetime(2026, 12, 28, 9, 0), now) == "2026-12-28 09:00"
    assert auto_answers.back_words("pt_BR", None, now) == "em breve"

"""Which messages are opt-outs: whole-message STOP words, in our languages."""
from __future__ import annotations

import pytest

from plugin.domain.consent import opt_intent


@pytest.mark.parametrize("text", ["STOP", "stop", " Stop! ", "Unsubscribe", "baja", "Parar.",
                                  "Arrêter", "cancelar inscrição", "Stopp", "berhenti",
                                  "रोकें", "توقف"])
def test_opt_out_words(text: str) -> None:
    assert opt_intent(text) is False


@pytest.mark.parametrize("text", ["stop by the shop", "where is my order?", "", "stopping",
                                  "Can I stop my order?"])
def test_other_messages_are_not_opt_outs(text: str) -> None:
    assert opt_intent(text) is None


def test_start_resubscribes_and_the_quick_reply_opts_out() -> None:
    assert opt_intent("START") is True
    assert opt_intent("Começar") is True
    assert opt_intent("No more, thanks", payload="STORECHAT_OPT_OUT") is False


def test_a_form_opt_in_needs_a_message_from_its_number_since() -> None:
    from datetime import datetime, timedelta

    from plugin.domain.consent import needs_confirmation

    given = datetime(2026, 11, 21, 10, 0, 0, 500_000)
    assert needs_confirmation(True, "widget", given, None)
    assert needs_confirmation(True, "widget", given, given - timedelta(days=1))
    assert not needs_confirmation(True, "widget", given, given.replace(microsecond=0))
    assert not needs_confirmation(True, "widget", given, given + timedelta(minutes=5))
    # Other sources (checkout, WhatsApp itself) and opt-outs never wait.
    assert not needs_confirmation(True, "checkout", given, None)
    assert not needs_confirmation(False, "widget", given, None)

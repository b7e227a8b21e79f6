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


@pytest.mark.parametrize("text", ["STOP🙏", "stop please", "Cancelar", "parar", "STOP!!!",
                                  "Stop.", "ＳＴＯＰ", "🛑 stop 🛑", "Stop 👍🏽", "please stop",
                                  "parar por favor", "unsubscribe me", "arrêt", "STOPP bitte",
                                  "basta grazie", "berhenti ya", "रोकें।", "إلغاء الاشتراك",
                                  "opt-out", "Stop now", "desabonner svp"])
def test_opt_out_words_with_emoji_punctuation_and_polite_filler(text: str) -> None:
    from plugin.domain.consent import OptReading, read_message

    assert read_message(text) is OptReading.OPT_OUT
    assert opt_intent(text) is False


@pytest.mark.parametrize("text", ["stop sending me the wrong size", "Cancel my order please",
                                  "Can I stop my order?", "Parar de enviar mensagens sobre o "
                                  "pedido errado", "how do I unsubscribe from the newsletter"])
def test_a_sentence_with_an_opt_out_word_is_asked_about_not_obeyed(text: str) -> None:
    from plugin.domain.consent import OptReading, read_message

    assert read_message(text) is OptReading.ASK
    assert opt_intent(text) is None


@pytest.mark.parametrize("text", ["where is my order?", "stopping", "the end", "ok", "please",
                                  "🙏", "quiero cambiar la talla"])
def test_ordinary_messages_say_nothing_on_consent(text: str) -> None:
    from plugin.domain.consent import OptReading, read_message

    assert read_message(text) is OptReading.NONE


def test_every_starter_language_has_opt_out_words_and_a_confirmation() -> None:
    from plugin.domain.consent import OPT_OUT_BY_LANGUAGE, confirm_texts
    from plugin.domain.starter_templates import LANGUAGES

    for language in LANGUAGES:
        assert OPT_OUT_BY_LANGUAGE[language.split("_")[0]]
        question, stop, keep = confirm_texts(language)
        assert question and 0 < len(stop) <= 20 and 0 < len(keep) <= 20 and stop != keep
    assert confirm_texts("pt_BR") == confirm_texts("pt")
    assert confirm_texts(None) == confirm_texts("xx") == confirm_texts("en")


def test_the_checkout_box_seen_before_an_order_counts_like_a_form() -> None:
    from datetime import datetime, timedelta

    from plugin.domain.consent import needs_confirmation

    given = datetime(2026, 11, 21, 10, 0, 0)
    assert needs_confirmation(True, "woocommerce_cart", given, None)
    assert not needs_confirmation(True, "woocommerce_checkout", given, None)
    # A store's script recording an opt-in through the public API is a form too.
    assert needs_confirmation(True, "api", given, None)
    assert not needs_confirmation(True, "api", given, given + timedelta(seconds=1))
    assert not needs_confirmation(False, "api", given, None)

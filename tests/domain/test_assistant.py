"""The assistant's intent reading, pure: keywords in each starter language (case- and
accent-blind, whole words), its own payloads only, and what it leaves alone."""
from __future__ import annotations

import pytest

from adapters.whatsapp.messages import REPLY_TITLE_MAX
from plugin.domain import assistant
from plugin.domain.assistant import Action, Intent, KeywordDetector, Reading
from plugin.domain.assistant_words import STATUS_WORDS, WORDS, say
from plugin.domain.starter_templates import LANGUAGES

detect = KeywordDetector().detect


@pytest.mark.parametrize(("words", "intent", "language"), [
    ("Where is my order?", Intent.WISMO, "en"),
    ("WHERE IS MY ORDER", Intent.WISMO, "en"),
    ("¿Dónde está mi pedido?", Intent.WISMO, "es"),
    ("donde esta mi pedido", Intent.WISMO, "es"),
    ("Cadê meu pedido?", Intent.WISMO, "pt_BR"),
    ("मेरा ऑर्डर कहाँ है", Intent.WISMO, "hi"),
    ("pesanan saya di mana", Intent.WISMO, "id"),
    ("أين طلبي", Intent.WISMO, "ar"),
    ("I want to cancel my order", Intent.CANCEL, "en"),  # cancel wins over "my order"
    ("quiero cancelar mi pedido", Intent.CANCEL, "es"),
    ("show me your products", Intent.BROWSE, "en"),
    ("can I talk to a person", Intent.HUMAN, "en"),
])
def test_keywords_in_each_language(words: str, intent: Intent, language: str) -> None:
    reading = detect(words, "")
    assert reading is not None
    assert (reading.intent, reading.action, reading.language) == (intent, Action.ASK, language)


@pytest.mark.parametrize("words", ["", "📦🙏😀", "thanks!", "STOP", "trackpad", "x" * 4096,
                                   "Do you offer free delivery to Spain?",
                                   "x" * assistant.READ_MAX + " where is my order"])
def test_words_that_ask_nothing(words: str) -> None:
    assert detect(words, "") is None


def test_a_typed_order_number_is_read() -> None:
    reading = detect("where is order #1042?", "")
    assert reading is not None and reading.argument == "1042"
    assert assistant.order_number("call me at 12") == ""


def test_only_its_own_payloads_are_read_and_they_round_trip() -> None:
    row = assistant.payload(Action.CANCEL_YES, "es", "5001")
    assert row == "bot:cancel_yes:es:5001"
    assert detect("Sí, cancelar", row) == Reading(Intent.CANCEL, Action.CANCEL_YES, "5001",
                                                  "es")
    assert detect("", assistant.payload(Intent.HUMAN, "ar")) == Reading(Intent.HUMAN,
                                                                         language="ar")
    for foreign in ("storechat:cod:confirm:1", "STORECHAT_OPT_OUT", "bot:ask:en:1",
                    "bot:order:en:", "bot:nonsense:en:1", "where is my order"):
        assert detect("where is my order", foreign) is None, foreign


def test_every_text_exists_in_every_language_and_labels_fit_a_button() -> None:
    for key, texts in {**WORDS, **STATUS_WORDS}.items():
        assert set(texts) == set(LANGUAGES), key
    for key in ("yes_cancel", "no_keep", "person_button", "orders_button",
                "collections_button"):
        assert all(len(label) <= REPLY_TITLE_MAX for label in WORDS[key].values()), key
    assert say("cancel_ask", "xx", number="#1") == "Cancel order #1? This cannot be undone."


def test_the_language_falls_back_from_locale_to_english() -> None:
    assert assistant.language_for(None, "pt-BR") == "pt_BR"
    assert assistant.language_for("es-MX", "en") == "es"
    assert assistant.language_for("nl", None) == "en"

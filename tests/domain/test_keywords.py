"""Keyword terms leave out the stop words of each starter language, keep words and
two-word phrases within a clause, and read a message's language from its script, its
stop words, or the customer's locale."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plugin.domain import keywords
from plugin.domain.keywords import OTHER, STOP_WORDS, language_of, terms
from plugin.domain.starter_templates import LANGUAGES

# Per starter language: a message, and the terms it should leave (stop words gone).
MESSAGES = {
    "en": ("Where is my order? I need the tracking number",
           ["order", "need", "tracking", "number", "tracking number"]),
    "es": ("¿Dónde está mi pedido? Quiero el número de seguimiento",
           ["pedido", "número", "seguimiento"]),
    "pt_BR": ("Olá, onde está o meu pedido? Preciso do código de rastreio",
              ["pedido", "preciso", "código", "rastreio"]),
    "hi": ("मेरा ऑर्डर कहाँ है? कृपया ट्रैकिंग नंबर भेजें",
           ["ऑर्डर", "ट्रैकिंग", "नंबर", "ट्रैकिंग नंबर", "भेजें", "नंबर भेजें"]),
    "id": ("Halo, di mana pesanan saya? Tolong kirim nomor resi",
           ["pesanan", "kirim", "nomor", "kirim nomor", "resi", "nomor resi"]),
    "ar": ("مرحبا، أين طلبي؟ أريد رقم التتبع",
           ["طلبي", "رقم", "التتبع", "رقم التتبع"]),
}


def test_every_starter_language_has_a_stop_word_list() -> None:
    assert set(STOP_WORDS) == set(LANGUAGES) == set(MESSAGES)


@pytest.mark.parametrize("language", sorted(MESSAGES))
def test_a_message_loses_its_languages_stop_words(language: str) -> None:
    text, expected = MESSAGES[language]
    assert language_of(text) == language
    assert terms(text, language) == expected
    assert not any(word in STOP_WORDS[language] for t in terms(text, language)
                   for word in t.split())


@given(language=st.sampled_from(sorted(STOP_WORDS)), data=st.data())
def test_a_message_of_stop_words_only_leaves_nothing(language: str, data: st.DataObject
                                                      ) -> None:
    words = data.draw(st.lists(st.sampled_from(sorted(STOP_WORDS[language])), min_size=1,
                               max_size=12))
    punctuation = data.draw(st.sampled_from((" ", ", ", "? ", "! ")))
    assert terms(punctuation.join(words), language) == []


@given(language=st.sampled_from(sorted(STOP_WORDS)), data=st.data())
def test_content_words_survive_whatever_stop_words_surround_them(
        language: str, data: st.DataObject) -> None:
    stop = sorted(STOP_WORDS[language])
    before = data.draw(st.lists(st.sampled_from(stop), max_size=4))
    after = data.draw(st.lists(st.sampled_from(stop), max_size=4))
    content = "zapatillas" if language not in ("hi", "ar") else \
        ("जूते" if language == "hi" else "أحذية")
    found = terms(" ".join([*before, content, *after]), language)
    assert found == [content]


def test_a_phrase_never_spans_punctuation_or_a_stop_word() -> None:
    assert terms("red shoes, blue hat", "en") == ["red", "shoes", "red shoes", "blue", "hat",
                                                  "blue hat"]
    assert "shoes hat" not in terms("shoes and hat", "en")


def test_the_language_comes_from_script_stop_words_then_locale() -> None:
    assert language_of("नमस्ते") == "hi" and language_of("شكرا") == "ar"
    assert language_of("quiero el pedido") == "es"
    assert language_of("pedido", "pt-BR") == "pt_BR"  # nothing in the text says
    assert language_of("pedido", "in_ID") == "id"
    assert language_of("xyz") == OTHER
    # OTHER loses every language's stop words.
    assert terms("the de का yang shoes", OTHER) == ["shoes"]


def test_numbers_one_letter_words_and_case_do_not_make_terms() -> None:
    assert terms("Order 1234 x ORDER order", "en") == ["order"]
    assert len(terms(" ".join(f"word{i}" for i in range(200)), "en")) == keywords.MAX_TERMS

"""The shop assistant's intents: what a shopper's message asks (where is my order, cancel it,
browse products, talk to a person), read from keywords in the six starter languages and from
the payloads of the assistant's own buttons and list rows; and the words it answers with.
Pure: plugin.pipeline.assistant looks the answers up in the store's data and sends them.

Detection sits behind `Detector`, so a language model can be plugged in later; the keyword
detector is the only one used (off by default means: nothing else is ever called).
"""
from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from plugin.domain.starter_templates import LANGUAGES

# The payload prefix of every button and list row the assistant sends.
PAYLOAD_PREFIX = "bot:"
# A text longer than this is read only up to here: a question is short, a 4,096-character
# message is not searched to its end for a keyword.
READ_MAX = 500
# An order number a shopper types: 3 to 12 digits, with or without "#".
_ORDER_NUMBER = re.compile(r"#?\b(\d{3,12})\b")


class Intent(str, enum.Enum):
    """What the shopper wants from the assistant."""

    WISMO = "wismo"  # where is my order
    CANCEL = "cancel"
    BROWSE = "browse"
    HUMAN = "human"  # talk to a person


class Action(str, enum.Enum):
    """What a tap on one of the assistant's own buttons or rows asks."""

    ASK = "ask"  # typed words: the intent's first step
    ORDER = "order"  # show this order's status
    CANCEL_ASK = "cancel_ask"  # this order: ask to confirm its cancellation
    CANCEL_YES = "cancel_yes"
    CANCEL_NO = "cancel_no"
    COLLECTION = "collection"  # show this collection's products


_INTENT_OF = {Action.ORDER: Intent.WISMO, Action.CANCEL_ASK: Intent.CANCEL,
              Action.CANCEL_YES: Intent.CANCEL, Action.CANCEL_NO: Intent.CANCEL,
              Action.COLLECTION: Intent.BROWSE}


@dataclass(frozen=True, slots=True)
class Reading:
    """One message read: the intent, the step it asks, its argument (an order's platform id,
    a collection id, or a typed order number) and the language it was written in (None when
    the message does not say: a button tap)."""

    intent: Intent
    action: Action = Action.ASK
    argument: str = ""
    language: str | None = None


class Detector(Protocol):
    """Reads the intent of a shopper's message; None when it asks nothing of the assistant."""

    def detect(self, text: str, payload: str) -> Reading | None:
        """The intent of a message with this text (or button/list payload)."""


# Words that name each intent, per starter language; matched whole, case- and accent-blind.
# Kept narrow on purpose: "delivery", "shop" or "someone" appear in questions the assistant
# cannot answer (free delivery to Spain?), and a wrong automatic answer is worse than none.
KEYWORDS: Mapping[str, Mapping[Intent, tuple[str, ...]]] = {
    "en": {Intent.WISMO: ("where is my order", "where is order", "where's my order", "my order",
                          "order status", "track", "tracking", "wismo"),
           Intent.CANCEL: ("cancel",),
           Intent.BROWSE: ("products", "catalog", "catalogue", "browse", "collections"),
           Intent.HUMAN: ("person", "human", "agent", "talk to someone", "speak to someone")},
    "es": {Intent.WISMO: ("mi pedido", "estado del pedido", "seguimiento"),
           Intent.CANCEL: ("cancelar", "anular"),
           Intent.BROWSE: ("productos", "catalogo", "colecciones"),
           Intent.HUMAN: ("persona", "humano", "agente", "asesor")},
    "pt_BR": {Intent.WISMO: ("meu pedido", "cade meu pedido", "rastreio", "rastrear"),
              Intent.CANCEL: ("cancelar",),
              Intent.BROWSE: ("produtos", "catalogo", "colecoes"),
              Intent.HUMAN: ("pessoa", "humano", "atendente")},
    "hi": {Intent.WISMO: ("मेरा ऑर्डर", "ऑर्डर कहाँ", "ट्रैक"),
           Intent.CANCEL: ("रद्द", "कैंसिल"),
           Intent.BROWSE: ("प्रोडक्ट", "उत्पाद", "कैटलॉग"),
           Intent.HUMAN: ("इंसान", "व्यक्ति", "एजेंट")},
    "id": {Intent.WISMO: ("pesanan saya", "dimana pesanan", "lacak", "resi"),
           Intent.CANCEL: ("batal", "batalkan"),
           Intent.BROWSE: ("produk", "katalog", "koleksi"),
           Intent.HUMAN: ("manusia", "bicara dengan admin", "bicara dengan cs")},
    "ar": {Intent.WISMO: ("طلبي", "أين طلبي", "تتبع"),
           Intent.CANCEL: ("إلغاء", "الغاء", "ألغي"),
           Intent.BROWSE: ("المنتجات", "منتجات", "الكتالوج"),
           Intent.HUMAN: ("موظف", "شخص", "إنسان")},
}
# Checked in this order: "cancel my order" is a cancel, not a where-is-my-order.
_PRIORITY = (Intent.HUMAN, Intent.CANCEL, Intent.WISMO, Intent.BROWSE)


def normalize(text: str) -> str:
    """Case- and accent-blind text: casefolded, Latin accents dropped, spaces collapsed."""
    out: list[str] = []
    for char in unicodedata.normalize("NFKD", text.casefold()):
        # Only Latin accents go: Devanagari vowel signs are letters of the word.
        if unicodedata.combining(char) and out and out[-1].isascii():
            continue
        out.append(char)
    return " ".join("".join(out).replace("?", " ").replace("¿", " ").split())


def _pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(normalize(word)) for word in words)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")


_PATTERNS = {(language, intent): _pattern(words)
             for language, table in KEYWORDS.items() for intent, words in table.items()}


class KeywordDetector:
    """The default detector: the assistant's own payloads, then keywords in each language."""

    def detect(self, text: str, payload: str) -> Reading | None:
        """The intent of a message with this text (or button/list payload)."""
        if payload:
            return read_payload(payload)
        words = normalize(text[:READ_MAX])
        if not words:
            return None
        for intent in _PRIORITY:
            for language in LANGUAGES:
                if _PATTERNS[(language, intent)].search(words):
                    return Reading(intent, Action.ASK, order_number(words), language)
        return None


# Nouns for "an order" in each starter language, for telling "cancel my order" (a question
# for the assistant) from "cancel these messages" (an opt-out).
ORDER_WORDS = ("order", "orders", "pedido", "encomenda", "pesanan", "ऑर्डर", "طلب", "طلبي")
_ORDER_WORD = re.compile(r"(?<!\w)(?:" + "|".join(re.escape(w) for w in ORDER_WORDS) + r")(?!\w)")


def cancels_an_order(text: str) -> bool:
    """Whether `text` asks to cancel an order (it names an order or its number), rather than
    to stop messages, though both use the word "cancel"."""
    reading = KeywordDetector().detect(text, "")
    if reading is None or reading.intent is not Intent.CANCEL:
        return False
    words = normalize(text[:READ_MAX])
    return bool(reading.argument or _ORDER_WORD.search(words))


def order_number(text: str) -> str:
    """The order number typed in `text` ('' when none)."""
    found = _ORDER_NUMBER.search(text)
    return found.group(1) if found else ""


def payload(action: Action | Intent, language: str, argument: str = "") -> str:
    """The id of one of the assistant's buttons or list rows; it carries the language the
    assistant spoke, so the answer to the tap is in the same one."""
    return f"{PAYLOAD_PREFIX}{action.value}:{language}:{argument}"


def read_payload(value: str) -> Reading | None:
    """What a tap on one of the assistant's own buttons asks; None for anyone else's."""
    if not value.startswith(PAYLOAD_PREFIX):
        return None
    name, _, rest = value[len(PAYLOAD_PREFIX):].partition(":")
    spoken, _, argument = rest.partition(":")
    language = spoken if spoken in LANGUAGES else None
    if name == Intent.HUMAN.value:
        return Reading(Intent.HUMAN, language=language)
    try:
        action = Action(name)
    except ValueError:
        return None
    if action is Action.ASK or not argument:
        return None
    return Reading(_INTENT_OF[action], action, argument[:64], language)


def language_for(*locales: str | None) -> str:
    """The first starter language among `locales` (a shopper's, then a store's); English
    when none is one."""
    for locale in locales:
        if not locale:
            continue
        wanted = locale.replace("-", "_")
        for language in LANGUAGES:
            if wanted == language or wanted.split("_")[0] == language.split("_")[0]:
                return language
    return "en"

"""Cash on delivery: reading the shopper's Confirm/Cancel tap and deciding what it does.

The COD confirmation template carries two quick-reply buttons whose payloads name the
answer and the order (`storechat:cod:confirm:<order platform id>`). The first answer to an
order that was asked wins; what a cancellation does at the store is the owner's choice
(`on_cancel`: tag the order, or cancel it). Pure: no I/O.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass

PAYLOAD_PREFIX = "storechat:cod:"
# The order's cod_state before and after the shopper answers.
ASKED = "asked"
CONFIRMED = "confirmed"
CANCELLED = "cancelled"
# Tags (Shopify) and note markers (WooCommerce) the owner filters their orders by.
CONFIRMED_TAG = "storechat-cod-confirmed"
CANCELLED_TAG = "storechat-cod-cancelled"
# Outbox steps of the thank-you replies (unique per order, so one reply per answer).
CONFIRMED_REPLY_STEP = "cod_confirmed_reply"
CANCELLED_REPLY_STEP = "cod_cancelled_reply"


class Answer(str, enum.Enum):
    """What the shopper tapped."""

    CONFIRM = "confirm"
    CANCEL = "cancel"


class OnCancel(str, enum.Enum):
    """The owner's choice for a cancelled COD order; anything unknown means TAG (the
    reversible one)."""

    TAG = "tag"
    CANCEL = "cancel"

    @classmethod
    def _missing_(cls, value: object) -> OnCancel:
        return cls.TAG


class Action(str, enum.Enum):
    """What StoreChat does to the order at the store."""

    CONFIRM = "confirm"  # tag / note, and release an order held for confirmation
    MARK_CANCELLED = "mark_cancelled"  # tag / note only: the owner cancels it themselves
    CANCEL = "cancel"  # tag / note, and cancel the order at the platform


@dataclass(frozen=True, slots=True, kw_only=True)
class CodReply:
    """A COD button tap: the answer and the order's platform id."""

    answer: Answer
    order_id: str


def payload_for(answer: Answer, order_id: str) -> str:
    """The quick-reply payload of a COD button (what parse_payload reads back)."""
    return f"{PAYLOAD_PREFIX}{answer.value}:{order_id}"


def parse_payload(payload: str) -> CodReply | None:
    """The COD answer a button payload carries, or None when it is not one of ours."""
    if not payload.startswith(PAYLOAD_PREFIX):
        return None
    answer, _, order_id = payload[len(PAYLOAD_PREFIX):].partition(":")
    if answer not in (a.value for a in Answer) or not order_id.strip() or len(order_id) > 64:
        return None
    return CodReply(answer=Answer(answer), order_id=order_id.strip())


def answered_state(cod_state: str | None, answer: Answer) -> str | None:
    """The order's new cod_state, or None when this tap changes nothing (the order was
    never asked, or already answered: the first answer wins)."""
    if cod_state != ASKED:
        return None
    return CONFIRMED if answer is Answer.CONFIRM else CANCELLED


def action_for(cod_state: str | None, on_cancel: str | None) -> Action | None:
    """What to do at the store for an answered order; None while unanswered."""
    if cod_state == CONFIRMED:
        return Action.CONFIRM
    if cod_state == CANCELLED:
        return Action.CANCEL if OnCancel(on_cancel or "tag") is OnCancel.CANCEL \
            else Action.MARK_CANCELLED
    return None


def tag_for(action: Action) -> str:
    """The Shopify tag (and WooCommerce note marker) that records the answer."""
    return CONFIRMED_TAG if action is Action.CONFIRM else CANCELLED_TAG


def owner_note(action: Action) -> str:
    """The private order note the owner reads in WooCommerce (marker first, for searching)."""
    if action is Action.CONFIRM:
        return (f"[{CONFIRMED_TAG}] The customer confirmed this cash-on-delivery order "
                "in WhatsApp (StoreChat).")
    if action is Action.CANCEL:
        return (f"[{CANCELLED_TAG}] The customer cancelled this cash-on-delivery order "
                "in WhatsApp; StoreChat cancelled it.")
    return (f"[{CANCELLED_TAG}] The customer cancelled this cash-on-delivery order in "
            "WhatsApp (StoreChat). Cancel it when you are ready.")


def reply_step(answer: Answer) -> str:
    """The outbox step of the thank-you for this answer."""
    return CONFIRMED_REPLY_STEP if answer is Answer.CONFIRM else CANCELLED_REPLY_STEP


# The thank-you texts, by language; {number} is the order's number as the shopper knows it.
THANK_YOU: dict[str, dict[Answer, str]] = {
    "en": {
        Answer.CONFIRM: "Thank you! Your order {number} is confirmed. We'll let you know as "
                        "soon as it's on its way.",
        Answer.CANCEL: "Thanks for letting us know. Your order {number} is cancelled and "
                       "won't be shipped.",
    },
    "es": {
        Answer.CONFIRM: "¡Gracias! Tu pedido {number} está confirmado. Te avisaremos en "
                        "cuanto esté en camino.",
        Answer.CANCEL: "Gracias por avisarnos. Tu pedido {number} está cancelado y no "
                       "se enviará.",
    },
    "pt_BR": {
        Answer.CONFIRM: "Obrigado! Seu pedido {number} está confirmado. Vamos te avisar "
                        "assim que ele sair para entrega.",
        Answer.CANCEL: "Obrigado por avisar. Seu pedido {number} foi cancelado e não "
                       "será enviado.",
    },
    "hi": {
        Answer.CONFIRM: "धन्यवाद! आपका ऑर्डर {number} कन्फ़र्म हो गया है। जैसे ही यह "
                        "रवाना होगा, हम आपको बता देंगे।",
        Answer.CANCEL: "बताने के लिए धन्यवाद। आपका ऑर्डर {number} रद्द कर दिया गया है और "
                       "इसे भेजा नहीं जाएगा।",
    },
    "id": {
        Answer.CONFIRM: "Terima kasih! Pesanan {number} kamu sudah dikonfirmasi. Kami akan "
                        "kabari begitu pesanannya dikirim.",
        Answer.CANCEL: "Terima kasih sudah memberi tahu. Pesanan {number} kamu sudah "
                       "dibatalkan dan tidak akan dikirim.",
    },
    "ar": {
        Answer.CONFIRM: "شكرًا لك! تم تأكيد طلبك {number}. سنُعلمك فور خروجه للتوصيل.",
        Answer.CANCEL: "شكرًا لإبلاغنا. تم إلغاء طلبك {number} ولن يتم شحنه.",
    },
}
DEFAULT_LANGUAGE = "en"


def reply_language(*locales: str | None) -> str:
    """The first of `locales` (customer's, then store's) we have words for, else English.

    Locales come as "pt-BR", "pt_BR", "es_MX", "hi-IN" or just "ar"; any Portuguese gets
    the Brazilian text, and the old "in" code is Indonesian.
    """
    for locale in locales:
        if not locale:
            continue
        base = locale.replace("-", "_").split("_")[0].lower()
        base = {"pt": "pt_BR", "in": "id"}.get(base, base)
        if base in THANK_YOU:
            return base
    return DEFAULT_LANGUAGE


def thank_you(answer: Answer, language: str, order_number: str) -> str:
    """The thank-you text for this answer in `language` (English if we lack it)."""
    number = order_number if order_number.startswith("#") else f"#{order_number}"
    texts = THANK_YOU.get(language, THANK_YOU[DEFAULT_LANGUAGE])
    return texts[answer].format(number=number)


"""The post-delivery satisfaction survey (CSAT): its journey, the ids its list rows and its
template's button carry, and the words it says. Pure: no I/O, no database.

One survey per delivered order: a list message with the scores 1–10, sent the flow's delay
after delivery. The list row ids and the template's quick-reply payload name the survey
("csat:<survey id>:<score>", "csat:<survey id>"), so the shopper's reply finds it without
guessing which order they meant.
"""
from __future__ import annotations

# The journey (and outbox step of the invitation) of the flow, and its starter template.
JOURNEY = "csat"
TEMPLATE = "csat"
# Outbox cause of a survey's invitation ("csat:<id>"); the list sent after a tap on the
# template's button and the thank-you answer the shopper, under "csat:<id>:reply".
CAUSE_PREFIX = "csat:"
REPLY_SUFFIX = ":reply"
# Outbox steps of the answers to the shopper (the invitation's step is JOURNEY).
LIST_STEP = "csat_list"
THANKS_STEP = "csat_thanks"
# Days after delivery the survey goes, unless the owner sets another delay.
DEFAULT_DELAY_DAYS = 3
# The scale, and where a score is a complaint the team must hear or praise worth a thank-you.
SCORES = range(1, 11)
LOW_MAX = 6
HIGH_MIN = 9
# The starter template's body variables, in {{n}} order.
VARIABLES = ("first_name", "order_number")

_QUESTION = {
    "en": "How happy are you with your order {order}? Choose a score from 1 (not at all) "
          "to 10 (very happy).",
    "es": "¿Qué tan satisfecho estás con tu pedido {order}? Elige una nota del 1 (nada) "
          "al 10 (muy satisfecho).",
    "pt_BR": "Quão satisfeito você está com seu pedido {order}? Escolha uma nota de 1 (nada) "
             "a 10 (muito satisfeito).",
    "hi": "आप अपने ऑर्डर {order} से कितने संतुष्ट हैं? 1 (बिल्कुल नहीं) से 10 (बहुत संतुष्ट) "
          "तक अंक चुनें।",
    "id": "Seberapa puas Anda dengan pesanan {order}? Pilih nilai dari 1 (tidak puas) "
          "sampai 10 (sangat puas).",
    "ar": "ما مدى رضاك عن طلبك {order}؟ اختر تقييمًا من 1 (غير راضٍ) إلى 10 (راضٍ جدًا).",
}
_BUTTON = {"en": "Choose a score", "es": "Elegir nota", "pt_BR": "Escolher nota",
           "hi": "अंक चुनें", "id": "Pilih nilai", "ar": "اختر التقييم"}
_THANKS = {
    "en": "Thank you for your score! We're so glad you're happy with your order.",
    "es": "¡Gracias por tu nota! Nos alegra mucho que estés contento con tu pedido.",
    "pt_BR": "Obrigado pela sua nota! Ficamos muito felizes que você gostou do pedido.",
    "hi": "आपके अंक के लिए धन्यवाद! हमें खुशी है कि आपको अपना ऑर्डर पसंद आया।",
    "id": "Terima kasih atas nilai Anda! Kami senang Anda puas dengan pesanan Anda.",
    "ar": "شكرًا على تقييمك! يسعدنا أنك راضٍ عن طلبك.",
}


def cause(survey_id: int) -> str:
    """The outbox cause of a survey's invitation."""
    return f"{CAUSE_PREFIX}{survey_id}"


def reply_cause(survey_id: int) -> str:
    """The outbox cause of what answers the shopper's tap or score."""
    return f"{CAUSE_PREFIX}{survey_id}{REPLY_SUFFIX}"


def is_invitation(cause_: str) -> bool:
    """Whether an outbox cause is a survey's invitation (marketing: it needs an opt-in and
    respects STOP, quiet hours and caps); the answers to a shopper's tap are not."""
    return cause_.startswith(CAUSE_PREFIX) and not cause_.endswith(REPLY_SUFFIX)


def row_id(survey_id: int, score: int) -> str:
    """The id of the list row that gives `score` to the survey."""
    return f"{CAUSE_PREFIX}{survey_id}:{score}"


def read_payload(payload: str) -> tuple[int, int | None] | None:
    """(survey id, score) of a list row id, (survey id, None) of the template's button, or
    None when the payload is not the survey's (or names a score off the scale)."""
    if not payload.startswith(CAUSE_PREFIX):
        return None
    parts = payload[len(CAUSE_PREFIX):].split(":")
    if not parts[0].isdigit() or len(parts) > 2 or len(parts[0]) > 18:
        return None
    if len(parts) == 1:
        return int(parts[0]), None
    if not parts[1].isdigit() or int(parts[1]) not in SCORES:
        return None
    return int(parts[0]), int(parts[1])


def question(language: str, order_number: str) -> str:
    """The list message's question, in the language (English when it has none)."""
    return _QUESTION.get(language, _QUESTION["en"]).format(order=order_number or "").replace(
        "  ", " ").replace(" ?", "?").replace(" ؟", "؟")


def button(language: str) -> str:
    """The label of the button that opens the list."""
    return _BUTTON.get(language, _BUTTON["en"])


def thanks(language: str) -> str:
    """What a score of HIGH_MIN or more is answered with."""
    return _THANKS.get(language, _THANKS["en"])


def is_low(score: int) -> bool:
    """Whether the score asks for a person to follow up."""
    return score <= LOW_MAX


def is_high(score: int) -> bool:
    """Whether the score earns a thank-you."""
    return score >= HIGH_MIN

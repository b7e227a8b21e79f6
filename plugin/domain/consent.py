"""Consent: what a shopper's message means for their marketing consent, and which opt-ins
count before the shopper has confirmed them."""
from __future__ import annotations

import unicodedata
from datetime import datetime

# Whole-message opt-out words in the languages StoreChat ships (English, Spanish,
# Portuguese, French, German, Italian, Indonesian, Hindi, Arabic, Turkish). A message is
# read as an opt-out only when it *is* one of these, so "stop by the shop" is not.
OPT_OUT_WORDS = frozenset({
    "stop", "stop all", "unsubscribe", "opt out", "opt-out", "optout", "end", "quit",
    "baja", "darme de baja", "parar", "detener", "cancelar suscripcion",
    "sair", "descadastrar", "cancelar inscricao", "pare",
    "arret", "arreter", "desabonner", "se desabonner",
    "stopp", "abmelden", "abbestellen",
    "basta", "disiscrivimi", "annulla iscrizione",
    "berhenti", "henti",
    "रोकें", "बंद करें", "बंद",
    "توقف", "الغاء الاشتراك", "إلغاء الاشتراك", "ايقاف", "إيقاف",
    "dur", "abonelikten cik",
})
OPT_IN_WORDS = frozenset({"start", "subscribe", "unstop", "alta", "comecar", "começar",
                          "demarrer", "anmelden", "iscrivimi", "mulai", "शुरू", "ابدأ", "basla"})
# Quick-reply payloads our templates use for "no more messages".
OPT_OUT_PAYLOADS = frozenset({"STOP", "OPT_OUT", "STORECHAT_OPT_OUT"})


def _normalise(text: str) -> str:
    """Lower-case, trimmed, single-spaced; accents dropped from Latin-script text only
    (Hindi and Arabic marks are part of their words)."""
    lowered = unicodedata.normalize("NFC", text.strip().lower())
    stripped = "".join(c for c in unicodedata.normalize("NFKD", lowered)
                       if not unicodedata.combining(c))
    words = stripped if stripped.isascii() else lowered
    return " ".join(words.strip(" .!¡¿?").split())


def opt_intent(text: str, payload: str = "") -> bool | None:
    """False for an opt-out (STOP and its equivalents, or our opt-out quick reply), True for
    a re-subscribe (START…), None for any other message."""
    if payload.strip().upper() in OPT_OUT_PAYLOADS:
        return False
    words = _normalise(text)
    if words in OPT_OUT_WORDS:
        return False
    if words in OPT_IN_WORDS:
        return True
    return None


# Opt-ins given by typing a phone number into a form: anyone can type anyone's number, so
# they count once the shopper has written to the store from that number since.
UNCONFIRMED_SOURCES = frozenset({"widget"})


def needs_confirmation(granted: bool, source: str, given_at: datetime,
                       last_inbound_at: datetime | None) -> bool:
    """True for an opt-in from a form whose number has not written to us since it was given."""
    # Meta stamps messages in whole seconds: one written in the opt-in's second counts.
    return (granted and source in UNCONFIRMED_SOURCES
            and (last_inbound_at is None or last_inbound_at < given_at.replace(microsecond=0)))

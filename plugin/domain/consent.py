"""Consent: what a shopper's message means for their marketing consent, and which opt-ins
count before the shopper has confirmed them."""
from __future__ import annotations

import enum
import unicodedata
from datetime import datetime


class OptReading(str, enum.Enum):
    """What one inbound message says about marketing consent."""

    OPT_OUT = "opt_out"  # STOP (alone or with polite words), or our opt-out button
    OPT_IN = "opt_in"  # START and its equivalents
    ASK = "ask"  # a sentence that starts with or names an opt-out word: confirm first
    NONE = "none"


# Opt-out words per language: the starter languages (plugin.domain.starter_templates
# LANGUAGES: en, es, pt_BR, hi, id, ar) and the other languages shoppers write to our stores
# in (fr, de, it, tr). A message opts out at once when its first word (or phrase) is one of
# these and the rest is polite filler; written as people type them, normalised at import.
OPT_OUT_BY_LANGUAGE: dict[str, tuple[str, ...]] = {
    # CTIA / FCC standard keywords.
    "en": ("stop", "stop all", "stopall", "unsubscribe", "cancel", "quit", "end", "opt out",
           "optout", "revoke"),
    "es": ("parar", "pare", "cancelar", "baja", "darme de baja", "dar de baja", "detener",
           "cancelar suscripción", "desuscribir", "desuscribirme"),
    "pt": ("parar", "pare", "cancelar", "sair", "descadastrar", "cancelar inscrição"),
    "fr": ("stop", "arrêt", "arrêter", "arrête", "désabonner", "se désabonner", "désinscrire"),
    "de": ("stopp", "stop", "abmelden", "abbestellen"),
    "it": ("stop", "basta", "disiscrivi", "disiscrivimi", "annulla iscrizione"),
    "id": ("berhenti", "henti", "stop", "berhenti berlangganan"),
    "hi": ("रोकें", "रोको", "बंद", "बंद करें", "अनसब्सक्राइब"),
    "ar": ("توقف", "قف", "إيقاف", "ايقاف", "إلغاء الاشتراك", "الغاء الاشتراك"),
    "tr": ("dur", "durdur", "abonelikten çık", "abonelikten cik"),
}
OPT_IN_BY_LANGUAGE: dict[str, tuple[str, ...]] = {
    "en": ("start", "subscribe", "unstop"),
    "es": ("alta", "comenzar", "suscribir"),
    "pt": ("começar", "comecar", "assinar"),
    "fr": ("démarrer", "commencer"),
    "de": ("anmelden", "start"),
    "it": ("iscrivimi", "inizia"),
    "id": ("mulai",),
    "hi": ("शुरू",),
    "ar": ("ابدأ",),
    "tr": ("başla", "basla"),
}
# Words that may stand around an opt-out word without making it a sentence: "stop please",
# "STOP now", "parar por favor", "please unsubscribe me".
POLITE_FILLER: tuple[str, ...] = (
    "please", "pls", "plz", "now", "thanks", "thank you", "thx", "ty", "me", "all", "it",
    "messages", "message", "msgs", "texting", "ok", "okay",
    "por favor", "porfa", "gracias", "ya", "todo", "mensajes", "obrigado", "obrigada",
    "agora", "pfv", "mensagens", "s il vous plaît", "svp", "stp", "merci", "bitte", "danke",
    "jetzt", "per favore", "grazie", "ora", "subito", "tolong", "terima kasih", "sekarang",
    "कृपया", "धन्यवाद", "अभी", "من فضلك", "شكرا", "الآن", "lütfen", "teşekkürler",
)
# Opt-out words that mean unsubscribing wherever they appear in a message; a sentence that
# names one is asked about. Words with everyday meanings ("end", "cancel my order",
# "sair de casa") only count as the first word.
UNAMBIGUOUS_OPT_OUT: tuple[str, ...] = (
    "stop", "stopp", "unsubscribe", "opt out", "optout", "darme de baja", "desuscribir",
    "descadastrar", "désabonner", "abmelden", "abbestellen", "disiscrivimi", "disiscrivi",
    "berhenti berlangganan", "अनसब्सक्राइब", "إلغاء الاشتراك", "الغاء الاشتراك",
)
# Quick-reply payloads our templates and our confirmation question use for "no more
# messages", and the confirmation question's "keep them" button.
OPT_OUT_PAYLOADS = frozenset({"STOP", "OPT_OUT", "STORECHAT_OPT_OUT"})
KEEP_PAYLOAD = "STORECHAT_KEEP_MESSAGES"
# The confirmation question, in the starter languages (buttons ≤ 20 characters).
CONFIRM_TEXTS: dict[str, tuple[str, str, str]] = {
    "en": ("Do you want to stop receiving messages from us? You will still get replies when "
           "you write to us.", "Stop messages", "Keep messages"),
    "es": ("¿Quieres dejar de recibir nuestros mensajes? Seguirás recibiendo respuestas "
           "cuando nos escribas.", "Dejar de recibir", "Seguir recibiendo"),
    "pt": ("Quer deixar de receber as nossas mensagens? Continuará a receber respostas quando "
           "nos escrever.", "Parar mensagens", "Manter mensagens"),
    "hi": ("क्या आप हमारे संदेश पाना बंद करना चाहते हैं? जब आप हमें लिखेंगे, तब भी आपको "
           "जवाब मिलेंगे।", "संदेश बंद करें", "संदेश जारी रखें"),
    "id": ("Apakah Anda ingin berhenti menerima pesan dari kami? Anda tetap mendapat balasan "
           "saat menulis kepada kami.", "Hentikan pesan", "Tetap terima pesan"),
    "ar": ("هل تريد التوقف عن تلقي رسائلنا؟ ستظل تتلقى الردود عندما تراسلنا.",
           "إيقاف الرسائل", "مواصلة الرسائل"),
}


def normalise(text: str) -> str:
    """Compatibility-folded (ＳＴＯＰ → stop), case-folded, single-spaced words: emoji,
    punctuation and symbols become spaces, and accents are dropped from Latin letters only
    (Devanagari and Arabic marks are part of their words)."""
    out: list[str] = []
    base_is_latin = False
    for char in unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold()):
        category = unicodedata.category(char)
        if category[0] == "M":
            if not base_is_latin:
                out.append(char)
            continue
        if category[0] in "PSCZ":  # punctuation, symbols (emoji), controls, separators
            out.append(" ")
            base_is_latin = True  # a mark after an emoji (skin tone, FE0F) goes with it
            continue
        base_is_latin = "LATIN" in unicodedata.name(char, "")
        out.append(char)
    return " ".join(unicodedata.normalize("NFC", "".join(out)).split())


def _phrases(words: tuple[str, ...]) -> frozenset[tuple[str, ...]]:
    return frozenset(tuple(normalise(w).split()) for w in words if normalise(w))


OPT_OUT_PHRASES = _phrases(tuple(w for ws in OPT_OUT_BY_LANGUAGE.values() for w in ws))
OPT_IN_PHRASES = _phrases(tuple(w for ws in OPT_IN_BY_LANGUAGE.values() for w in ws))
_FILLER = _phrases(POLITE_FILLER)
_UNAMBIGUOUS = _phrases(UNAMBIGUOUS_OPT_OUT)


def _match(words: list[str], at: int, phrases: frozenset[tuple[str, ...]]) -> int:
    """The index after the longest phrase of `phrases` starting at `at`, or `at`."""
    for end in range(len(words), at, -1):
        if tuple(words[at:end]) in phrases:
            return end
    return at


def _skip_filler(words: list[str], at: int) -> int:
    while (after := _match(words, at, _FILLER)) > at:
        at = after
    return at


def read_message(text: str, payload: str = "") -> OptReading:
    """What a shopper's message says on marketing consent (see OptReading)."""
    if payload.strip().upper() in OPT_OUT_PAYLOADS:
        return OptReading.OPT_OUT
    words = normalise(text).split()
    start = _skip_filler(words, 0)
    for phrases, reading in ((OPT_OUT_PHRASES, OptReading.OPT_OUT),
                             (OPT_IN_PHRASES, OptReading.OPT_IN)):
        after = _match(words, start, phrases)
        if after > start:
            if _skip_filler(words, after) == len(words):
                return reading
            if reading is OptReading.OPT_OUT:
                return OptReading.ASK  # "stop sending me the wrong size"
    if any(_match(words, i, _UNAMBIGUOUS) > i for i in range(len(words))):
        return OptReading.ASK  # "can you stop texting me"
    return OptReading.NONE


def opt_intent(text: str, payload: str = "") -> bool | None:
    """False for a certain opt-out (STOP and its equivalents, or our opt-out button), True
    for a re-subscribe (START…), None for any other message (including one to ask about)."""
    reading = read_message(text, payload)
    return {OptReading.OPT_OUT: False, OptReading.OPT_IN: True}.get(reading)


def confirm_texts(language: str | None) -> tuple[str, str, str]:
    """The question asking a shopper to confirm an opt-out, and its two button labels
    (stop, keep), in `language` ("pt_BR" reads as "pt") or else English."""
    code = (language or "en").replace("-", "_").split("_")[0].lower()
    return CONFIRM_TEXTS.get(code, CONFIRM_TEXTS["en"])


# Opt-ins given by typing a phone number into a form: anyone can type anyone's number, so
# they count once the shopper has written to the store from that number since. The checkout
# box seen in a cart event is such a form until its order is placed (then the order's own
# entry, "woocommerce_checkout", counts). A store's own script recording an opt-in through
# the public API ("api") is one too: nothing shows the shopper typed the number themselves.
UNCONFIRMED_SOURCES = frozenset({"widget", "woocommerce_cart", "api"})


def needs_confirmation(granted: bool, source: str, given_at: datetime,
                       last_inbound_at: datetime | None) -> bool:
    """True for an opt-in from a form whose number has not written to us since it was given."""
    # Meta stamps messages in whole seconds: one written in the opt-in's second counts.
    return (granted and source in UNCONFIRMED_SOURCES
            and (last_inbound_at is None or last_inbound_at < given_at.replace(microsecond=0)))

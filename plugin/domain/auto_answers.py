"""Greeting and away messages: which inbound messages StoreChat answers by itself, and in
which words. Pure rules; plugin.pipeline.auto_answers applies them to a shopper's message.

A greeting answers a shopper's first message, or the first after `greeting_after_days` of
silence; an away message answers a message that arrives while the store is closed (its
business hours), once per 24-hour conversation window, saying when the team is back. Both are
off until the owner turns them on. Neither ever answers a reaction, a tap on one of our own
buttons, a status or an opt-out: those are not questions.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from plugin.domain.messaging import InboundKind
from plugin.domain.starter_templates import LANGUAGES

GREETING_AFTER_DAYS = 14
MIN_AFTER_DAYS, MAX_AFTER_DAYS = 1, 365
# Free-form text may hold 4,096 characters; an automatic answer should be far shorter.
TEXT_MAX = 1000
# Meta's customer service window: an away message is sent at most once inside it.
WINDOW = timedelta(hours=24)
# The kinds a person writes to ask something; button and list taps answer our own messages.
ANSWERED_KINDS = frozenset({InboundKind.TEXT, InboundKind.MEDIA, InboundKind.LOCATION,
                            InboundKind.CONTACTS, InboundKind.UNSUPPORTED})
# Placeholders an owner may use: the shopper's first name, the store's name, and (away
# only) when the team is back.
PLACEHOLDERS = ("{name}", "{store}", "{back}")

GREETINGS: Mapping[str, str] = {
    "en": "Hi {name}! Thanks for writing to {store}. We'll answer you right here.",
    "es": "¡Hola {name}! Gracias por escribir a {store}. Te responderemos por aquí.",
    "pt_BR": "Olá {name}! Obrigado por escrever para {store}. Vamos responder por aqui.",
    "hi": "नमस्ते {name}! {store} को लिखने के लिए धन्यवाद। हम यहीं जवाब देंगे।",
    "id": "Halo {name}! Terima kasih sudah menghubungi {store}. Kami akan membalas di sini.",
    "ar": "مرحبًا {name}! شكرًا لتواصلك مع {store}. سنرد عليك هنا.",
}
AWAYS: Mapping[str, str] = {
    "en": "Our team is away right now. We're back {back} and will answer you then.",
    "es": "Nuestro equipo no está disponible ahora. Volvemos {back} y te responderemos.",
    "pt_BR": "Nossa equipe está fora agora. Voltamos {back} e responderemos você.",
    "hi": "हमारी टीम अभी उपलब्ध नहीं है। हम {back} लौटेंगे और तब जवाब देंगे।",
    "id": "Tim kami sedang tidak aktif. Kami kembali {back} dan akan membalas Anda.",
    "ar": "فريقنا غير متاح الآن. سنعود {back} وسنرد عليك حينها.",
}
# Weekday names (Monday first) for "{back}", in each starter language.
WEEKDAYS: Mapping[str, tuple[str, ...]] = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "es": ("el lunes", "el martes", "el miércoles", "el jueves", "el viernes", "el sábado",
           "el domingo"),
    "pt_BR": ("segunda-feira", "terça-feira", "quarta-feira", "quinta-feira", "sexta-feira",
              "sábado", "domingo"),
    "hi": ("सोमवार", "मंगलवार", "बुधवार", "गुरुवार", "शुक्रवार", "शनिवार", "रविवार"),
    "id": ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"),
    "ar": ("الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد"),
}


@dataclass(frozen=True, slots=True)
class AnswerRules:
    """What a store answers by itself; texts by starter language (an empty text: that
    language is not offered, and a shopper who speaks it gets the store's own)."""

    greeting_enabled: bool = False
    greeting_after_days: int = GREETING_AFTER_DAYS
    greetings: Mapping[str, str] = field(default_factory=lambda: dict(GREETINGS))
    away_enabled: bool = False
    aways: Mapping[str, str] = field(default_factory=lambda: dict(AWAYS))

    @property
    def enabled(self) -> bool:
        """Whether anything is answered at all."""
        return self.greeting_enabled or self.away_enabled


@dataclass(frozen=True, slots=True)
class Plan:
    """Which answers one inbound message gets."""

    greet: bool
    away: bool

    @property
    def step(self) -> str | None:
        """The outbox step that records this answer; None when there is nothing to send."""
        return "_".join(name for name, on in (("greeting", self.greet), ("away", self.away))
                        if on) or None


def plan(rules: AnswerRules, *, kind: InboundKind, asks_about_consent: bool,
         previous_inbound_at: datetime | None, at: datetime, store_open: bool,
         away_sent_since_window: bool) -> Plan:
    """The answers for a message of `kind` arriving at `at`, from what came before it."""
    if kind not in ANSWERED_KINDS or asks_about_consent:
        return Plan(greet=False, away=False)
    silence = timedelta(days=rules.greeting_after_days)
    greet = rules.greeting_enabled and (previous_inbound_at is None
                                        or at - previous_inbound_at >= silence)
    away = rules.away_enabled and not store_open and not away_sent_since_window
    return Plan(greet=greet, away=away)


def language_for(texts: Mapping[str, str], customer_locale: str | None,
                 store_locale: str | None) -> str | None:
    """The language to answer in: the shopper's when the store wrote that text, else the
    store's, else the first it wrote; None when every text is empty."""
    offered = [language for language in LANGUAGES if texts.get(language, "").strip()]
    for locale in (customer_locale, store_locale):
        found = _match(offered, locale)
        if found is not None:
            return found
    return offered[0] if offered else None


def _match(offered: list[str], locale: str | None) -> str | None:
    if not locale:
        return None
    wanted = locale.replace("-", "_")
    for language in offered:
        if language.lower() == wanted.lower():
            return language
    prefix = wanted.split("_")[0].lower()
    return next((lang for lang in offered if lang.split("_")[0].lower() == prefix), None)


def back_words(language: str, back: datetime | None, local_now: datetime) -> str:
    """When the team is back, as the shopper reads it: "Monday at 09:00" within a week,
    "2026-12-28 09:00" further away, "soon" when no opening is ahead. Both times local."""
    if back is None:
        return {"es": "pronto", "pt_BR": "em breve", "hi": "जल्द", "id": "segera",
                "ar": "قريبًا"}.get(language, "soon")
    clock = back.strftime("%H:%M")
    if back.date() == local_now.date():
        today = {"es": "hoy a las", "pt_BR": "hoje às", "hi": "आज", "id": "hari ini pukul",
                 "ar": "اليوم الساعة"}.get(language, "today at")
        return f"{today} {clock}"
    if back.date() - local_now.date() < timedelta(days=7):
        weekday = WEEKDAYS.get(language, WEEKDAYS["en"])[back.weekday()]
        joiner = {"es": "a las", "pt_BR": "às", "id": "pukul", "ar": "الساعة"}.get(
            language, "at" if language == "en" else "")
        return " ".join(part for part in (weekday, joiner, clock) if part)
    return f"{back.date().isoformat()} {clock}"


def fill(text: str, *, name: str, store: str, back: str = "") -> str:
    """The owner's text with its placeholders filled; without a name, "Hi {name}!" reads
    "Hi!" rather than "Hi !"."""
    if not name:
        text = text.replace(" {name}", "").replace("{name} ", "").replace("{name}", "")
    return text.replace("{name}", name).replace("{store}", store).replace("{back}", back)


def check_text(text: str) -> str | None:
    """Why the owner's text cannot be used (None when it can): too long, or a placeholder
    misspelt, which would reach the shopper as braces."""
    if len(text) > TEXT_MAX:
        return f"At most {TEXT_MAX} characters (this one has {len(text)})."
    rest = text
    for placeholder in PLACEHOLDERS:
        rest = rest.replace(placeholder, "")
    if "{" in rest or "}" in rest:
        return "Use only {name}, {store} and {back} in braces."
    return None

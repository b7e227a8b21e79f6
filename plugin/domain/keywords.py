"""The words and two-word phrases a shopper's message uses, without the stop words of its
language, and which starter language a message is in. Pure: no I/O.

The languages are the starter templates' (plugin.domain.starter_templates.LANGUAGES). A
message's language is read from its script (Devanagari, Arabic), else from which language's
stop words it uses most, else from the customer's locale; a message none of these settles
is "other", and loses the stop words of every language.
"""
from __future__ import annotations

import re
import unicodedata

from plugin.domain.starter_templates import LANGUAGES

OTHER = "other"
# Terms kept per message: a pasted essay must not write thousands of rollup rows.
MAX_TERMS = 40
# The longest term the rollup keeps.
MAX_TERM = 80
# Words shorter than this carry nothing in a trend (Latin "ok", "xl" stay: two letters).
MIN_WORD = 2

STOP_WORDS: dict[str, frozenset[str]] = {
    "en": frozenset("""
        a about above after again all am an and any are aren't as at be because been before
        being below between both but by can can't cannot could couldn't did didn't do does
        doesn't doing don't down during each few for from further get got had hadn't has
        hasn't have haven't having he her here hers herself him himself his how i i'm i've
        if in into is isn't it it's its itself just let's me more most my myself no nor not
        now of off on once only or other our ours ourselves out over own please same she
        should so some such than thank thanks that that's the their theirs them themselves
        then there these they this those through to too under until up us very was wasn't
        we were what when where which while who whom why will with would you you're your
        yours yourself hi hello hey ok okay yes im dont cant u ur pls plz""".split()),
    "es": frozenset("""
        a al algo algunas algunos ante antes como con contra cual cuando de del desde donde dónde
        durante e el ella ellas ellos en entre era es esa esas ese eso esos esta estaba estamos
        estan están está estar estas este esto estos estoy fue fueron ha había han hasta hay la las
        le les lo los me mi mis mucho muy más mas nada ni no nos nosotros o os otra otro para
        pero poco por porque que qué quien se sea ser si sí sin sobre son su sus también tambien
        te tengo tiene tienen ti tu tú tus un una uno unos y ya yo hola gracias buenas buenos
        dias días tardes noches favor quiero puedo""".split()),
    "pt_BR": frozenset("""
        a ao aos as até com como onde da das de dela dele deles do dos e ela elas ele eles em entre
        era essa esse esta está estão estou este eu foi for há isso isto já la lhe mais mas me
        meu minha muito na nas nem no nos não nós o os ou para pela pelas pelo pelos por qual
        quando que quem se sem ser seu seus sua suas são só também te tem tenho ter tu um uma
        umas uns você vocês vc oi olá ola obrigado obrigada bom boa dia tarde noite favor
        quero posso pra pro""".split()),
    "hi": frozenset("""
        का के की को से में है हैं था थे थी और या पर भी ही तो यह वह ये वो इस उस इन उन एक
        कि जो कर करना करें कैसे क्या क्यों कब कहाँ कहां मैं मुझे मेरा मेरी मेरे हम हमें आप
        आपका आपकी आपके तुम नहीं ना हाँ हां जी लिए साथ बाद पहले अभी कुछ सब होगा होगी हो
        रहा रही रहे गया गई गए दिया दी धन्यवाद नमस्ते कृपया""".split()),
    "id": frozenset("""
        ada adalah agar akan aku anda apa apakah atau bagaimana bahwa banyak belum bisa buat
        dalam dan dari dengan di dia ini itu jadi jika juga kalau kami kamu karena ke kenapa
        ketika kita lagi mana masih mau mereka nya oleh pada para saja saya sedang sekarang
        sudah tapi telah tidak untuk yang ya halo hai terima kasih tolong selamat pagi siang
        sore malam mohon gak nggak""".split()),
    "ar": frozenset("""
        في من على إلى الى عن مع هذا هذه ذلك تلك هو هي هم انا أنا انت أنت نحن كان كانت يكون
        لا لم لن ما ماذا متى اين أين كيف لماذا هل و او أو ثم لكن إن ان أن قد كل بعض عند
        غير بين حتى اذا إذا التي الذي الذين يا لي لك له لها به بها فيه فيها منه منها
        مرحبا شكرا السلام عليكم من فضلك اريد أريد""".split()),
}
assert set(STOP_WORDS) == set(LANGUAGES), "one stop-word list per starter language"
_EVERY_STOP_WORD = frozenset().union(*STOP_WORDS.values())

# Letters with the combining marks of Devanagari and Arabic (which \w alone would split at).
_WORD = re.compile(r"[\w\u0900-\u097F\u0600-\u06FF\u0750-\u077F']+")
_DEVANAGARI = re.compile(r"[\u0900-\u097F]")
_ARABIC = re.compile(r"[\u0600-\u06FF\u0750-\u077F]")
# Where a clause ends (Latin, Spanish, Devanagari danda, Arabic comma and question mark).
_CLAUSE_END = re.compile(r"[.,!?;:¿¡()\n\u0964\u060C\u061F]")
# Arabic short vowels and the tatweel: written or not, the word is the same.
_ARABIC_MARKS = re.compile(r"[\u064B-\u065F\u0670\u0640]")


def words(text: str) -> list[str]:
    """The words of a text, case-folded, NFC, Arabic marks removed, in order."""
    clean = _ARABIC_MARKS.sub("", unicodedata.normalize("NFC", text).casefold())
    return [w.strip("'") for w in _WORD.findall(clean) if w.strip("'")]


def _words_and_breaks(text: str) -> list[str]:
    """The words, with "" where punctuation ends a clause (no phrase spans a clause)."""
    out: list[str] = []
    for clause in _CLAUSE_END.split(text):
        out += words(clause)
        out.append("")
    return out


def language_of(text: str, locale: str | None = None) -> str:
    """The starter language a message is written in, or OTHER."""
    if _DEVANAGARI.search(text):
        return "hi"
    if _ARABIC.search(text):
        return "ar"
    hits = {lang: sum(1 for w in words(text) if w in STOP_WORDS[lang])
            for lang in LANGUAGES if lang not in ("hi", "ar")}
    best = max(hits.values(), default=0)
    leaders = [lang for lang, n in hits.items() if n == best]
    if best and len(leaders) == 1:
        return leaders[0]
    hinted = language_of_locale(locale)
    if hinted != OTHER and (not best or hinted in leaders):
        return hinted
    return OTHER


def language_of_locale(locale: str | None) -> str:
    """A customer's locale (pt-BR, es_MX, en…) as a starter language, or OTHER."""
    code = (locale or "").replace("-", "_").lower()
    if code.startswith("pt"):
        return "pt_BR"
    if code.startswith("in"):  # the old code of Indonesian, still sent by some phones
        return "id"
    return code[:2] if code[:2] in LANGUAGES else OTHER


def terms(text: str, language: str) -> list[str]:
    """The distinct words and two-word phrases of a message that are not stop words of its
    language (of any language for OTHER), first seen first, at most MAX_TERMS."""
    stop = STOP_WORDS.get(language, _EVERY_STOP_WORD)
    found: dict[str, None] = {}
    previous: str | None = None
    for word in _words_and_breaks(text):
        keep = bool(word) and word not in stop and len(word) >= MIN_WORD and not word.isdigit()
        if not keep:
            previous = None
            continue
        found.setdefault(word[:MAX_TERM])
        if previous is not None and previous != word:  # "order order" says nothing new
            found.setdefault(f"{previous} {word}"[:MAX_TERM])
        previous = word
    return list(found)[:MAX_TERMS]

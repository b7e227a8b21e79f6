"""The shop assistant's words in the six starter languages: a short text per answer, the
labels of its buttons (20 characters at most, as WhatsApp wants) and of its list button,
and one word for each kind of order status. Pure data and one lookup."""
from __future__ import annotations

from collections.abc import Mapping

from plugin.domain.starter_templates import LANGUAGES

_L = LANGUAGES  # en, es, pt_BR, hi, id, ar: the order of every tuple below


def _by_language(*texts: str) -> Mapping[str, str]:
    return dict(zip(_L, texts, strict=True))


WORDS: Mapping[str, Mapping[str, str]] = {
    "none": _by_language(
        "I can't find a recent order for this WhatsApp number. Would you like to talk to a "
        "person?",
        "No encuentro un pedido reciente para este número de WhatsApp. ¿Quieres hablar con "
        "una persona?",
        "Não encontrei um pedido recente para este número de WhatsApp. Quer falar com uma "
        "pessoa?",
        "इस WhatsApp नंबर के लिए कोई हाल का ऑर्डर नहीं मिला। क्या आप किसी व्यक्ति से बात "
        "करना चाहेंगे?",
        "Saya tidak menemukan pesanan terbaru untuk nomor WhatsApp ini. Mau bicara dengan "
        "tim kami?",
        "لم أجد طلبًا حديثًا لرقم واتساب هذا. هل تريد التحدث مع شخص؟"),
    "choose": _by_language(
        "Which order do you mean?", "¿Qué pedido quieres decir?", "Qual pedido você quer dizer?",
        "आप किस ऑर्डर की बात कर रहे हैं?", "Pesanan yang mana?", "أي طلب تقصد؟"),
    "orders_button": _by_language(
        "Your orders", "Tus pedidos", "Seus pedidos", "आपके ऑर्डर", "Pesanan Anda", "طلباتك"),
    "status": _by_language(
        "Order {number}: {status}.", "Pedido {number}: {status}.", "Pedido {number}: {status}.",
        "ऑर्डर {number}: {status}।", "Pesanan {number}: {status}.", "الطلب {number}: {status}."),
    "carrier": _by_language(
        "Carrier: {carrier}", "Transportista: {carrier}", "Transportadora: {carrier}",
        "कूरियर: {carrier}", "Kurir: {carrier}", "شركة الشحن: {carrier}"),
    "tracking": _by_language(
        "Track it: {url}", "Síguelo: {url}", "Acompanhe: {url}", "ट्रैक करें: {url}",
        "Lacak: {url}", "تتبعه: {url}"),
    "expected": _by_language(
        "Expected delivery: {date}", "Entrega prevista: {date}", "Entrega prevista: {date}",
        "अनुमानित डिलीवरी: {date}", "Perkiraan tiba: {date}", "التوصيل المتوقع: {date}"),
    "cancel_ask": _by_language(
        "Cancel order {number}? This cannot be undone.",
        "¿Cancelar el pedido {number}? No se puede deshacer.",
        "Cancelar o pedido {number}? Isso não pode ser desfeito.",
        "ऑर्डर {number} रद्द करें? यह वापस नहीं होगा।",
        "Batalkan pesanan {number}? Ini tidak bisa dibatalkan kembali.",
        "هل تريد إلغاء الطلب {number}؟ لا يمكن التراجع عن ذلك."),
    "yes_cancel": _by_language(
        "Yes, cancel", "Sí, cancelar", "Sim, cancelar", "हाँ, रद्द करें", "Ya, batalkan",
        "نعم، إلغاء"),
    "no_keep": _by_language(
        "No, keep it", "No, mantener", "Não, manter", "नहीं, रखें", "Tidak, simpan",
        "لا، أبقه"),
    "cancel_done": _by_language(
        "Order {number} is being cancelled. You'll get the store's confirmation soon.",
        "El pedido {number} se está cancelando. Pronto recibirás la confirmación de la tienda.",
        "O pedido {number} está sendo cancelado. Você receberá a confirmação da loja em breve.",
        "ऑर्डर {number} रद्द किया जा रहा है। जल्द ही स्टोर की पुष्टि मिलेगी।",
        "Pesanan {number} sedang dibatalkan. Konfirmasi toko akan segera Anda terima.",
        "يجري إلغاء الطلب {number}. ستصلك تأكيدات المتجر قريبًا."),
    "cancel_requested": _by_language(
        "We've passed your request to cancel order {number} to our team. They'll answer you "
        "here.",
        "Hemos pasado tu solicitud de cancelar el pedido {number} a nuestro equipo. Te "
        "responderán por aquí.",
        "Passamos seu pedido de cancelamento do pedido {number} para nossa equipe. Eles vão "
        "responder por aqui.",
        "ऑर्डर {number} रद्द करने का आपका अनुरोध हमारी टीम को भेज दिया गया है। वे यहीं जवाब "
        "देंगे।",
        "Permintaan pembatalan pesanan {number} sudah kami teruskan ke tim. Mereka akan "
        "membalas di sini.",
        "أرسلنا طلب إلغاء الطلب {number} إلى فريقنا. سيردون عليك هنا."),
    "cancel_shipped": _by_language(
        "Order {number} has already been sent, so it can no longer be cancelled.",
        "El pedido {number} ya fue enviado, así que ya no se puede cancelar.",
        "O pedido {number} já foi enviado e não pode mais ser cancelado.",
        "ऑर्डर {number} भेजा जा चुका है, इसलिए अब रद्द नहीं हो सकता।",
        "Pesanan {number} sudah dikirim, jadi tidak bisa dibatalkan lagi.",
        "تم شحن الطلب {number} بالفعل، لذا لم يعد من الممكن إلغاؤه."),
    "cancel_already": _by_language(
        "Order {number} is already cancelled.", "El pedido {number} ya está cancelado.",
        "O pedido {number} já está cancelado.", "ऑर्डर {number} पहले ही रद्द हो चुका है।",
        "Pesanan {number} sudah dibatalkan.", "الطلب {number} ملغى بالفعل."),
    "cancel_kept": _by_language(
        "OK, order {number} stays as it is.", "De acuerdo, el pedido {number} sigue igual.",
        "Certo, o pedido {number} continua como está.", "ठीक है, ऑर्डर {number} जैसा है वैसा "
        "रहेगा।", "Baik, pesanan {number} tetap seperti semula.",
        "حسنًا، يبقى الطلب {number} كما هو."),
    "browse": _by_language(
        "What would you like to see?", "¿Qué te gustaría ver?", "O que você gostaria de ver?",
        "आप क्या देखना चाहेंगे?", "Apa yang ingin Anda lihat?", "ماذا تود أن ترى؟"),
    "collections_button": _by_language(
        "Collections", "Colecciones", "Coleções", "कलेक्शन", "Koleksi", "المجموعات"),
    "products": _by_language(
        "Here are some of our products:", "Estos son algunos de nuestros productos:",
        "Aqui estão alguns dos nossos produtos:", "हमारे कुछ प्रोडक्ट:",
        "Beberapa produk kami:", "إليك بعض منتجاتنا:"),
    "no_products": _by_language(
        "We have no products to show right now.", "Ahora no tenemos productos para mostrar.",
        "Não temos produtos para mostrar agora.", "अभी दिखाने के लिए कोई प्रोडक्ट नहीं है।",
        "Belum ada produk untuk ditampilkan.", "لا توجد منتجات لعرضها الآن."),
    "handover": _by_language(
        "A person from our team will answer you here soon.",
        "Una persona de nuestro equipo te responderá aquí pronto.",
        "Uma pessoa da nossa equipe vai responder aqui em breve.",
        "हमारी टीम का कोई व्यक्ति जल्द ही यहाँ जवाब देगा।",
        "Tim kami akan segera membalas Anda di sini.",
        "سيرد عليك أحد أفراد فريقنا هنا قريبًا."),
    "person_button": _by_language(
        "Talk to a person", "Hablar con alguien", "Falar com alguém", "व्यक्ति से बात",
        "Bicara dengan tim", "التحدث مع شخص"),
}

# One word per kind of order status (plugin.pipeline.assistant sorts the platforms' own).
STATUS_WORDS: Mapping[str, Mapping[str, str]] = {
    "preparing": _by_language("being prepared", "en preparación", "em preparação",
                              "तैयार हो रहा है", "sedang disiapkan", "قيد التجهيز"),
    "shipped": _by_language("on its way", "en camino", "a caminho", "रास्ते में",
                            "dalam perjalanan", "في الطريق"),
    "delivered": _by_language("delivered", "entregado", "entregue", "डिलीवर हो गया",
                              "sudah diterima", "تم التوصيل"),
    "cancelled": _by_language("cancelled", "cancelado", "cancelado", "रद्द", "dibatalkan",
                              "ملغى"),
    "waiting": _by_language("waiting for payment", "pendiente de pago", "aguardando pagamento",
                            "भुगतान बाकी", "menunggu pembayaran", "بانتظار الدفع"),
}


def say(key: str, language: str, **values: str) -> str:
    """The assistant's text `key` in `language` (English when unknown), values filled in."""
    texts = WORDS[key]
    return texts.get(language, texts["en"]).format(**values)


def status_word(kind: str, language: str) -> str:
    """The word for a kind of order status in `language`."""
    texts = STATUS_WORDS[kind]
    return texts.get(language, texts["en"])

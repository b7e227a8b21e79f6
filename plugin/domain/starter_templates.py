"""The starter templates: what an owner can create in their WABA with one click, in six
languages, written for each language rather than translated word for word.

Pure data. `StarterDefinition.create_request()` is the JSON body of Meta's
POST /{waba-id}/message_templates. Meta's rules every body here keeps (tests check them):
no variable at the very start or end, no two variables side by side, {{1}}…{{n}} in order,
at most 1,024 characters; button labels at most 25; names lowercase with underscores.
A template name has the same variables, in the same order, in every language, so one
automation's variable mapping fits whichever language is chosen for a shopper.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

LANGUAGES = ("en", "es", "pt_BR", "hi", "id", "ar")

UTILITY = "UTILITY"
MARKETING = "MARKETING"

# A URL button (tracking, cart recovery, price drop) opens <public_url>/t/<token>; {{1}} is
# the opaque token of the order, the cart or the alert, so StoreChat counts the click before
# redirecting.
TRACKING_PATH = "/t/"
# Sample values Meta's reviewers see for each variable (`example.body_text`).
EXAMPLES: dict[str, str] = {
    "first_name": "Ana",
    "order_number": "#1001",
    "order_total": "€49.90",
    "item_summary": "2× Linen shirt, 1× Canvas tote bag",
    "carrier": "DHL",
    "tracking_number": "JD014600003828",
    "tracking_url": "https://www.dhl.com/track?id=JD014600003828",
    "estimated_delivery": "Friday, 14 March",
    "status_url": "https://shop.example.com/orders/1001",
    "payment_url": "https://shop.example.com/checkout/order-pay/1001",
    "cart_url": "https://shop.example.com/cart/recover/abc123",
    "product_title": "Linen shirt (blue, M)",
    "product_url": "https://shop.example.com/products/linen-shirt",
    "first_item": "Linen shirt (Blue / M)",
    "item_count": "3",
    "cart_total": "€89.70",
    "discount_percent": "10%",
    "discount_code": "BACK-7KQ2XM",
    "old_price": "€20.00",
    "new_price": "€18.50",
    "product_titles": "Canvas tote bag and Linen scarf",
}
_TOKEN_EXAMPLE = "q8Zr3kLmN2vXw7Yt"


@dataclass(frozen=True, slots=True, kw_only=True)
class StarterDefinition:
    """One starter template in one language, as Meta's create-template API wants it."""

    name: str
    language: str
    category: str  # UTILITY (transactional) | MARKETING (cart recovery, back in stock)
    journey: str
    body: str
    variables: tuple[str, ...]  # order fields, in {{n}} order
    buttons: tuple[dict[str, Any], ...] = field(default_factory=tuple)  # Meta's button objects
    header: str = ""
    footer: str = ""

    def create_request(self) -> dict[str, Any]:
        """The body of POST /{waba-id}/message_templates for this template."""
        components: list[dict[str, Any]] = []
        if self.header:
            components.append({"type": "HEADER", "format": "TEXT", "text": self.header})
        body: dict[str, Any] = {"type": "BODY", "text": self.body}
        if self.variables:
            body["example"] = {"body_text": [[EXAMPLES[v] for v in self.variables]]}
        components.append(body)
        if self.footer:
            components.append({"type": "FOOTER", "text": self.footer})
        if self.buttons:
            components.append({"type": "BUTTONS", "buttons": [dict(b) for b in self.buttons]})
        return {"name": self.name, "language": self.language, "category": self.category,
                "components": components}


@dataclass(frozen=True, slots=True)
class _Copy:
    body: str
    buttons: tuple[str, ...] = ()
    footer: str = ""


@dataclass(frozen=True, slots=True)
class _Starter:
    name: str
    category: str
    variables: tuple[str, ...]
    copy: dict[str, _Copy]
    # "" | "cod" (two quick replies) | "survey" (one quick reply) | "tracking", "cart" or
    # "product" (one URL button to /t/{{1}})
    button_kind: str = ""


_TRACK = {"en": "Track package", "es": "Seguir mi paquete", "pt_BR": "Rastrear pedido",
          "hi": "पैकेज ट्रैक करें", "id": "Lacak paket", "ar": "تتبّع الشحنة"}
_STOP = {"en": "Reply STOP to unsubscribe", "es": "Responde STOP para darte de baja",
         "pt_BR": "Responda STOP para não receber mais", "hi": "सदस्यता छोड़ने के लिए STOP लिखें",
         "id": "Balas STOP untuk berhenti berlangganan", "ar": "أرسل STOP لإلغاء الاشتراك"}


def _tracking(text: dict[str, str]) -> dict[str, _Copy]:
    return {lang: _Copy(body, (_TRACK[lang],)) for lang, body in text.items()}


def _marketing(text: dict[str, str]) -> dict[str, _Copy]:
    return {lang: _Copy(body, footer=_STOP[lang]) for lang, body in text.items()}


# The cart recovery button: back to the platform's own recovery link (through /t/<token>).
_FINISH = {"en": "Complete my order", "es": "Finalizar compra", "pt_BR": "Finalizar compra",
           "hi": "ऑर्डर पूरा करें", "id": "Selesaikan pesanan", "ar": "إكمال الطلب"}
# The last step's button: the same link, for the cart its discount code was made for.
_CLAIM = {"en": "Use my discount", "es": "Usar mi descuento", "pt_BR": "Usar meu desconto",
          "hi": "छूट के साथ खरीदें", "id": "Pakai diskon saya", "ar": "استخدم الخصم"}


def _cart(text: dict[str, str], labels: dict[str, str] = _FINISH) -> dict[str, _Copy]:
    return {lang: _Copy(body, (labels[lang],), _STOP[lang]) for lang, body in text.items()}


# The price-drop alert's button: to the product page (through /t/<token>).
_SEE = {"en": "See the new price", "es": "Ver el nuevo precio", "pt_BR": "Ver o novo preço",
        "hi": "नई कीमत देखें", "id": "Lihat harga baru", "ar": "شاهد السعر الجديد"}


def _product(text: dict[str, str]) -> dict[str, _Copy]:
    return {lang: _Copy(body, (_SEE[lang],), _STOP[lang]) for lang, body in text.items()}


# The cross-sell suggestion's button: to the first suggested product (through /t/<token>).
_LOOK = {"en": "Take a look", "es": "Ver productos", "pt_BR": "Ver produtos",
         "hi": "देखें", "id": "Lihat produk", "ar": "شاهد المنتجات"}


def _suggestion(text: dict[str, str]) -> dict[str, _Copy]:
    return {lang: _Copy(body, (_LOOK[lang],), _STOP[lang]) for lang, body in text.items()}


# The survey's quick reply: its tap opens the 24-hour window, in which the list of scores
# follows (a template cannot carry a list; plugin.pipeline.csat.send explains the choice).
_RATE = {"en": "Choose a score", "es": "Elegir nota", "pt_BR": "Escolher nota",
         "hi": "अंक चुनें", "id": "Pilih nilai", "ar": "اختر التقييم"}


def _survey(text: dict[str, str]) -> dict[str, _Copy]:
    return {lang: _Copy(body, (_RATE[lang],), _STOP[lang]) for lang, body in text.items()}


def _plain(text: dict[str, str]) -> dict[str, _Copy]:
    return {lang: _Copy(body) for lang, body in text.items()}


_STARTERS: tuple[_Starter, ...] = (
    _Starter("order_confirmation", UTILITY,
             ("first_name", "order_number", "item_summary", "order_total"), _plain({
                 "en": "Hi {{1}}, thank you for your order {{2}}! 🛍️\n\nItems: {{3}}\n"
                       "Total: {{4}}\n\nWe'll message you here as soon as it ships.",
                 "es": "¡Hola, {{1}}! Gracias por tu pedido {{2}}. 🛍️\n\nArtículos: {{3}}\n"
                       "Total: {{4}}\n\nTe escribiremos por aquí en cuanto salga hacia ti.",
                 "pt_BR": "Oi, {{1}}! Obrigado pelo seu pedido {{2}}. 🛍️\n\nItens: {{3}}\n"
                          "Total: {{4}}\n\nAvisamos você por aqui assim que ele for enviado.",
                 "hi": "नमस्ते {{1}}, आपके ऑर्डर {{2}} के लिए धन्यवाद! 🛍️\n\nसामान: {{3}}\n"
                       "कुल राशि: {{4}}\n\nऑर्डर भेजे जाते ही हम आपको यहीं मैसेज करेंगे।",
                 "id": "Halo {{1}}, terima kasih atas pesanan {{2}}! 🛍️\n\nBarang: {{3}}\n"
                       "Total: {{4}}\n\nKami akan mengabari Anda di sini begitu pesanan dikirim.",
                 "ar": "مرحبًا {{1}}، شكرًا لطلبك {{2}}! 🛍️\n\nالمنتجات: {{3}}\n"
                       "الإجمالي: {{4}}\n\nسنراسلك هنا فور شحن طلبك.",
             })),
    _Starter("cod_confirmation", UTILITY, ("first_name", "order_number", "order_total"), {
        "en": _Copy("Hi {{1}}, thanks for your order {{2}}! You chose cash on delivery, so "
                    "please have {{3}} ready when it arrives.\n\nCan you confirm the order so "
                    "we can get it ready to ship?", ("Yes, confirm", "Cancel order")),
        "es": _Copy("¡Hola, {{1}}! Gracias por tu pedido {{2}}. Elegiste pago contra entrega, "
                    "así que ten a mano {{3}} cuando llegue.\n\n¿Nos confirmas el pedido para "
                    "empezar a prepararlo?", ("Sí, confirmar", "Cancelar pedido")),
        "pt_BR": _Copy("Oi, {{1}}! Obrigado pelo pedido {{2}}. Você escolheu pagar na entrega, "
                       "então deixe {{3}} separado para quando ele chegar.\n\nPode confirmar o "
                       "pedido para a gente preparar o envio?",
                       ("Sim, confirmar", "Cancelar pedido")),
        "hi": _Copy("नमस्ते {{1}}, ऑर्डर {{2}} के लिए धन्यवाद! आपने कैश ऑन डिलीवरी चुना है, "
                    "इसलिए डिलीवरी के समय {{3}} तैयार रखें।\n\nक्या आप ऑर्डर कन्फ़र्म करेंगे, "
                    "ताकि हम इसे भेजने की तैयारी शुरू कर सकें?",
                    ("हाँ, कन्फ़र्म करें", "ऑर्डर रद्द करें")),
        "id": _Copy("Halo {{1}}, terima kasih atas pesanan {{2}}! Anda memilih bayar di tempat "
                    "(COD), jadi mohon siapkan {{3}} saat paket tiba.\n\nBisa konfirmasi "
                    "pesanan ini supaya segera kami proses?",
                    ("Ya, konfirmasi", "Batalkan pesanan")),
        "ar": _Copy("مرحبًا {{1}}، شكرًا لطلبك {{2}}! اخترت الدفع عند الاستلام، لذا يُرجى "
                    "تجهيز مبلغ {{3}} عند وصول الطلب.\n\nهل تؤكد الطلب حتى نبدأ تجهيزه "
                    "للشحن؟", ("نعم، أؤكد الطلب", "إلغاء الطلب")),
    }, button_kind="cod"),
    _Starter("payment_reminder", UTILITY,
             ("first_name", "order_number", "order_total", "payment_url"), _plain({
                 "en": "Hi {{1}}, your order {{2}} is reserved for you, but we haven't "
                       "received the payment of {{3}} yet.\n\nYou can complete it here: {{4}}"
                       "\n\nIf you've already paid, please ignore this message.",
                 "es": "Hola, {{1}}: tu pedido {{2}} está reservado, pero aún no hemos "
                       "recibido el pago de {{3}}.\n\nPuedes completarlo aquí: {{4}}\n\n"
                       "Si ya lo pagaste, ignora este mensaje.",
                 "pt_BR": "Oi, {{1}}! Seu pedido {{2}} está reservado, mas ainda não "
                          "recebemos o pagamento de {{3}}.\n\nVocê pode concluir por aqui: "
                          "{{4}}\n\nSe já pagou, é só desconsiderar esta mensagem.",
                 "hi": "नमस्ते {{1}}, आपका ऑर्डर {{2}} आपके लिए रखा गया है, लेकिन {{3}} का "
                       "भुगतान अभी तक नहीं मिला है।\n\nआप यहाँ भुगतान पूरा कर सकते हैं: {{4}}"
                       "\n\nअगर आप भुगतान कर चुके हैं, तो इस मैसेज को अनदेखा करें।",
                 "id": "Halo {{1}}, pesanan {{2}} sudah kami simpan untuk Anda, tetapi "
                       "pembayaran sebesar {{3}} belum kami terima.\n\nSelesaikan pembayaran "
                       "di sini: {{4}}\n\nJika sudah membayar, abaikan saja pesan ini.",
                 "ar": "مرحبًا {{1}}، طلبك {{2}} محجوز لك، لكننا لم نستلم بعد دفعة بقيمة "
                       "{{3}}.\n\nيمكنك إتمام الدفع من هنا: {{4}}\n\nإذا كنت قد دفعت بالفعل، "
                       "فتجاهل هذه الرسالة.",
             })),
    _Starter("order_shipped", UTILITY,
             ("first_name", "order_number", "carrier", "tracking_number"), _tracking({
                 "en": "Good news, {{1}}! Your order {{2}} is on its way with {{3}}.\n\n"
                       "Tracking number: {{4}}\n\nTap the button below to follow your package.",
                 "es": "¡Buenas noticias, {{1}}! Tu pedido {{2}} ya va en camino con {{3}}."
                       "\n\nNúmero de seguimiento: {{4}}\n\nToca el botón de abajo para seguir "
                       "tu paquete.",
                 "pt_BR": "Boa notícia, {{1}}! Seu pedido {{2}} já está a caminho pela "
                          "transportadora {{3}}.\n\nCódigo de rastreio: {{4}}\n\nToque no "
                          "botão abaixo para acompanhar a entrega.",
                 "hi": "खुशखबरी, {{1}}! आपका ऑर्डर {{2}} भेज दिया गया है, कूरियर: {{3}}।\n\n"
                       "ट्रैकिंग नंबर: {{4}}\n\nअपना पैकेज ट्रैक करने के लिए नीचे दिया गया बटन "
                       "दबाएँ।",
                 "id": "Kabar baik, {{1}}! Pesanan {{2}} sedang dalam perjalanan bersama "
                       "{{3}}.\n\nNomor resi: {{4}}\n\nKetuk tombol di bawah untuk melacak "
                       "paket Anda.",
                 "ar": "أخبار سارة يا {{1}}! طلبك {{2}} في الطريق إليك مع {{3}}.\n\n"
                       "رقم التتبع: {{4}}\n\nاضغط على الزر أدناه لمتابعة شحنتك.",
             }), button_kind="tracking"),
    _Starter("out_for_delivery", UTILITY, ("first_name", "order_number"), _tracking({
        "en": "Hi {{1}}, your order {{2}} is out for delivery and should reach you today. 🚚"
              "\n\nPlease make sure someone is around to receive it.",
        "es": "¡Hola, {{1}}! Tu pedido {{2}} ya salió a reparto y llegará hoy. 🚚\n\n"
              "Asegúrate de que haya alguien para recibirlo.",
        "pt_BR": "Oi, {{1}}! Seu pedido {{2}} saiu para entrega e deve chegar hoje. 🚚\n\n"
                 "Veja se vai ter alguém para receber.",
        "hi": "नमस्ते {{1}}, आपका ऑर्डर {{2}} डिलीवरी के लिए निकल चुका है और आज आप तक पहुँच "
              "जाएगा। 🚚\n\nकृपया ध्यान रखें कि इसे लेने के लिए कोई मौजूद हो।",
        "id": "Halo {{1}}, pesanan {{2}} sedang diantar kurir dan akan tiba hari ini. 🚚\n\n"
              "Pastikan ada yang bisa menerima paketnya, ya.",
        "ar": "مرحبًا {{1}}، طلبك {{2}} خرج للتوصيل وسيصلك اليوم. 🚚\n\n"
              "يُرجى التأكد من وجود من يستلمه.",
    }), button_kind="tracking"),
    _Starter("order_delivered", UTILITY, ("first_name", "order_number"), _plain({
        "en": "Hi {{1}}, your order {{2}} has been delivered. We hope you love it! 💚\n\n"
              "If anything isn't right, just reply to this message.",
        "es": "¡Hola, {{1}}! Tu pedido {{2}} ya fue entregado. ¡Esperamos que te encante! 💚"
              "\n\nSi algo no está bien, responde a este mensaje.",
        "pt_BR": "Oi, {{1}}! Seu pedido {{2}} foi entregue. Esperamos que você goste! 💚\n\n"
                 "Se algo não estiver certo, é só responder esta mensagem.",
        "hi": "नमस्ते {{1}}, आपका ऑर्डर {{2}} डिलीवर हो गया है। उम्मीद है आपको पसंद आएगा! 💚"
              "\n\nअगर कुछ ठीक न हो, तो बस इस मैसेज का जवाब दें।",
        "id": "Halo {{1}}, pesanan {{2}} sudah sampai. Semoga Anda suka! 💚\n\n"
              "Jika ada yang kurang sesuai, balas saja pesan ini.",
        "ar": "مرحبًا {{1}}، تم توصيل طلبك {{2}}. نتمنى أن ينال إعجابك! 💚\n\n"
              "إذا كانت هناك أي مشكلة، فقط رد على هذه الرسالة.",
    })),
    _Starter("delivery_failed", UTILITY, ("first_name", "order_number", "carrier"), _tracking({
        "en": "Hi {{1}}, the delivery of your order {{2}} by {{3}} couldn't be completed.\n\n"
              "Tap the button below to reschedule or find a pickup point, or reply here and "
              "we'll help.",
        "es": "Hola, {{1}}: no se pudo completar la entrega de tu pedido {{2}} con {{3}}.\n\n"
              "Toca el botón de abajo para reprogramarla o elegir un punto de recogida, o "
              "respóndenos y te ayudamos.",
        "pt_BR": "Oi, {{1}}. Não foi possível concluir a entrega do seu pedido {{2}} pela "
                 "transportadora {{3}}.\n\nToque no botão abaixo para reagendar ou retirar em "
                 "um ponto de coleta, ou responda aqui que a gente ajuda.",
        "hi": "नमस्ते {{1}}, आपके ऑर्डर {{2}} की डिलीवरी पूरी नहीं हो सकी (कूरियर: {{3}})।\n\n"
              "दोबारा डिलीवरी या पिकअप पॉइंट के लिए नीचे दिया गया बटन दबाएँ, या यहीं जवाब दें, "
              "हम मदद करेंगे।",
        "id": "Halo {{1}}, pengiriman pesanan {{2}} oleh {{3}} belum berhasil.\n\nKetuk "
              "tombol di bawah untuk menjadwalkan ulang atau memilih titik pengambilan, atau "
              "balas pesan ini dan kami bantu.",
        "ar": "مرحبًا {{1}}، تعذّر توصيل طلبك {{2}} عبر {{3}}.\n\nاضغط على الزر أدناه لإعادة "
              "جدولة التوصيل أو اختيار نقطة استلام، أو رد على هذه الرسالة وسنساعدك.",
    }), button_kind="tracking"),
    _Starter("order_cancelled", UTILITY, ("first_name", "order_number"), _plain({
        "en": "Hi {{1}}, your order {{2}} has been cancelled. If you were charged, the refund "
              "is on its way.\n\nQuestions? Just reply to this message.",
        "es": "Hola, {{1}}: tu pedido {{2}} ha sido cancelado. Si se te hizo algún cargo, te "
              "lo devolveremos.\n\n¿Tienes dudas? Responde a este mensaje.",
        "pt_BR": "Oi, {{1}}. Seu pedido {{2}} foi cancelado. Se houve alguma cobrança, o "
                 "valor será estornado.\n\nFicou com alguma dúvida? É só responder esta "
                 "mensagem.",
        "hi": "नमस्ते {{1}}, आपका ऑर्डर {{2}} रद्द कर दिया गया है। अगर आपसे कोई भुगतान लिया "
              "गया था, तो वह वापस कर दिया जाएगा।\n\nकोई सवाल हो तो इस मैसेज का जवाब दें।",
        "id": "Halo {{1}}, pesanan {{2}} telah dibatalkan. Jika Anda sudah membayar, dana "
              "akan kami kembalikan.\n\nAda pertanyaan? Balas saja pesan ini.",
        "ar": "مرحبًا {{1}}، تم إلغاء طلبك {{2}}. إذا تم خصم أي مبلغ منك، فسيُرد إليك.\n\n"
              "لديك سؤال؟ فقط رد على هذه الرسالة.",
    })),
    _Starter("order_refunded", UTILITY, ("first_name", "order_total", "order_number"), _plain({
        "en": "Hi {{1}}, we've issued a refund of {{2}} for your order {{3}}.\n\nDepending "
              "on your bank, it may take a few business days to show up.",
        "es": "Hola, {{1}}: te hemos reembolsado {{2}} de tu pedido {{3}}.\n\nSegún tu "
              "banco, puede tardar unos días hábiles en reflejarse.",
        "pt_BR": "Oi, {{1}}! Fizemos o reembolso de {{2}} referente ao pedido {{3}}.\n\n"
                 "Dependendo do seu banco, pode levar alguns dias úteis para aparecer.",
        "hi": "नमस्ते {{1}}, हमने {{2}} का रिफ़ंड जारी कर दिया है, यह आपके ऑर्डर {{3}} के "
              "लिए है।\n\nआपके बैंक के हिसाब से इसे खाते में दिखने में कुछ कार्यदिवस लग सकते हैं।",
        "id": "Halo {{1}}, dana sebesar {{2}} untuk pesanan {{3}} sudah kami kembalikan.\n\n"
              "Tergantung bank Anda, dana mungkin baru terlihat dalam beberapa hari kerja.",
        "ar": "مرحبًا {{1}}، أصدرنا استردادًا بقيمة {{2}} لطلبك {{3}}.\n\nقد يستغرق ظهور "
              "المبلغ في حسابك بضعة أيام عمل حسب البنك.",
    })),
    _Starter("abandoned_cart", MARKETING, ("first_name", "item_summary", "cart_url"),
             _marketing({
                 "en": "Hi {{1}}, you left something in your cart: {{2}}.\n\nWe've saved it "
                       "for you. Pick up where you left off: {{3}}\n\nNeed help choosing? "
                       "Just reply here.",
                 "es": "¡Hola, {{1}}! Dejaste algo en tu carrito: {{2}}.\n\nTe lo guardamos. "
                       "Retoma tu compra aquí: {{3}}\n\n¿Necesitas ayuda? Respóndenos por "
                       "aquí.",
                 "pt_BR": "Oi, {{1}}! Você deixou algo no carrinho: {{2}}.\n\nGuardamos tudo "
                          "para você. Continue de onde parou: {{3}}\n\nPrecisa de ajuda? É só "
                          "responder.",
                 "hi": "नमस्ते {{1}}, आपकी कार्ट में कुछ सामान रह गया है: {{2}}।\n\nहमने इसे "
                       "आपके लिए सँभालकर रखा है। यहाँ से खरीदारी पूरी करें: {{3}}\n\nकोई मदद "
                       "चाहिए? यहीं जवाब दें।",
                 "id": "Halo {{1}}, ada barang yang tertinggal di keranjang Anda: {{2}}.\n\n"
                       "Masih kami simpan untuk Anda. Lanjutkan belanja di sini: {{3}}\n\n"
                       "Butuh bantuan memilih? Balas saja pesan ini.",
                 "ar": "مرحبًا {{1}}، تركت بعض المنتجات في سلتك: {{2}}.\n\nما زلنا نحتفظ بها "
                       "لك. أكمل طلبك من هنا: {{3}}\n\nتحتاج مساعدة؟ رد على هذه الرسالة.",
             })),
    _Starter("back_in_stock", MARKETING, ("first_name", "product_title", "product_url"),
             _marketing({
                 "en": "Good news, {{1}}: the item you were waiting for is back in stock, "
                       "{{2}}.\n\nGet yours before it sells out again: {{3}}\n\nSee you soon!",
                 "es": "¡Buenas noticias, {{1}}! El producto que esperabas ya está disponible: "
                       "{{2}}.\n\nConsíguelo antes de que se agote otra vez: {{3}}\n\n"
                       "¡Te esperamos!",
                 "pt_BR": "Boa notícia, {{1}}! O produto que você queria voltou ao estoque: "
                          "{{2}}.\n\nGaranta o seu antes que acabe de novo: {{3}}\n\nAté logo!",
                 "hi": "खुशखबरी, {{1}}! जिस प्रोडक्ट का आपको इंतज़ार था, वह फिर से स्टॉक में है: "
                       "{{2}}।\n\nदोबारा खत्म होने से पहले यहाँ से खरीदें: {{3}}\n\nजल्द मिलते हैं!",
                 "id": "Kabar baik, {{1}}! Produk yang Anda tunggu sudah tersedia lagi: {{2}}."
                       "\n\nAmankan sebelum habis lagi: {{3}}\n\nSampai jumpa!",
                 "ar": "أخبار سارة يا {{1}}! المنتج الذي كنت تنتظره متوفر من جديد: {{2}}.\n\n"
                       "احصل عليه قبل أن ينفد مرة أخرى: {{3}}\n\nنراك قريبًا!",
             })),
    # A price drop: to shoppers who asked, and to those with the variant in an open cart.
    _Starter("price_drop", MARKETING, ("first_name", "product_title", "old_price", "new_price"),
             _product({
                 "en": "Hi {{1}}, good news: {{2}} just got cheaper. It was {{3}} and is now "
                       "{{4}}.\n\nTap below to take a look before the price changes again.",
                 "es": "¡Hola, {{1}}! Buenas noticias: {{2}} ha bajado de precio. Antes "
                       "costaba {{3}} y ahora cuesta {{4}}.\n\nToca el botón para verlo "
                       "antes de que el precio vuelva a cambiar.",
                 "pt_BR": "Oi, {{1}}! O preço de {{2}} baixou: era {{3}} e agora está por "
                          "{{4}}.\n\nToque no botão para conferir antes que o preço mude de "
                          "novo.",
                 "hi": "नमस्ते {{1}}, खुशखबरी! {{2}} अब सस्ता हो गया है। पहले इसकी कीमत {{3}} थी, "
                       "अब सिर्फ़ {{4}} है।\n\nकीमत फिर बदलने से पहले नीचे दिए गए बटन से देखें।",
                 "id": "Halo {{1}}, kabar baik: harga {{2}} baru saja turun. Sebelumnya {{3}}, "
                       "sekarang hanya {{4}}.\n\nKetuk tombol di bawah untuk melihatnya "
                       "sebelum harganya berubah lagi.",
                 "ar": "مرحبًا {{1}}، لدينا خبر سار: انخفض سعر {{2}}. كان {{3}} وأصبح الآن "
                       "{{4}}.\n\nاضغط على الزر أدناه لتراه قبل أن يتغير السعر مرة أخرى.",
             }), button_kind="product"),
    # Cart recovery, one template per step of recovery.DEFAULT_STEPS (same name, same
    # variables). Not a word about how long the discount lasts: the owner sets that per store.
    _Starter("cart_recovery_1", MARKETING,
             ("first_name", "first_item", "item_count", "cart_total"), _cart({
                 "en": "Hi {{1}}, you left {{2}} in your cart, and we've kept it for you.\n\n"
                       "Items in your cart: {{3}}\nTotal: {{4}}\n\nTap below to finish your "
                       "order whenever you're ready. Questions? Just reply here.",
                 "es": "¡Hola, {{1}}! Guardamos tu carrito con {{2}} para que no lo pierdas."
                       "\n\nProductos: {{3}}\nTotal: {{4}}\n\nToca el botón para terminar "
                       "tu compra cuando quieras. ¿Tienes dudas? Respóndenos por aquí.",
                 "pt_BR": "Oi, {{1}}! Seu carrinho com {{2}} ficou guardado aqui para "
                          "você.\n\nItens no carrinho: {{3}}\nTotal: {{4}}\n\nToque no botão "
                          "para finalizar quando quiser. Ficou com alguma dúvida? É só "
                          "responder.",
                 "hi": "नमस्ते {{1}}, आपकी कार्ट में {{2}} अब भी आपका इंतज़ार कर रहा है।\n\n"
                       "कार्ट में सामान: {{3}}\nकुल राशि: {{4}}\n\nजब चाहें, नीचे दिए गए बटन से "
                       "ऑर्डर पूरा करें। कोई सवाल हो तो यहीं जवाब दें।",
                 "id": "Halo {{1}}, keranjang Anda masih menyimpan {{2}} dan sudah kami "
                       "amankan untuk Anda.\n\nJumlah barang: {{3}}\nTotal: {{4}}\n\nKetuk "
                       "tombol di bawah untuk menyelesaikan pesanan kapan saja. Ada "
                       "pertanyaan? Balas saja pesan ini.",
                 "ar": "مرحبًا {{1}}، ما زالت سلتك بانتظارك وفيها {{2}}.\n\n"
                       "عدد المنتجات: {{3}}\nالإجمالي: {{4}}\n\nاضغط على الزر أدناه لإكمال "
                       "طلبك متى شئت. لديك سؤال؟ رد على هذه الرسالة.",
             }), button_kind="cart"),
    _Starter("cart_recovery_2", MARKETING, ("first_name", "first_item", "cart_total"), _cart({
        "en": "Hi {{1}}, just a friendly reminder: {{2}} is still in your cart, but we can't "
              "hold it forever.\n\nYour total is {{3}}. Tap below to complete your order "
              "before it sells out.",
        "es": "Hola, {{1}}: solo queríamos recordarte que {{2}} sigue en tu carrito, pero no "
              "podemos reservarlo para siempre.\n\nEl total es de {{3}}. Toca el botón para "
              "completar tu compra antes de que se agote.",
        "pt_BR": "Oi, {{1}}! Passando para lembrar que {{2}} ainda está no seu carrinho, mas "
                 "o estoque é limitado.\n\nO total fica em {{3}}. Toque no botão para "
                 "garantir o seu antes que acabe.",
        "hi": "नमस्ते {{1}}, बस याद दिला रहे हैं: {{2}} अब भी आपकी कार्ट में है, लेकिन स्टॉक "
              "सीमित है।\n\nकुल राशि {{3}} है। खत्म होने से पहले नीचे दिए गए बटन से ऑर्डर पूरा "
              "करें।",
        "id": "Halo {{1}}, sekadar mengingatkan: {{2}} masih ada di keranjang Anda, tapi "
              "stoknya terbatas.\n\nTotal belanja Anda {{3}}. Ketuk tombol di bawah untuk "
              "menyelesaikan pesanan sebelum kehabisan.",
        "ar": "مرحبًا {{1}}، نذكّرك فقط بأن {{2}} ما زال في سلتك، لكن الكمية محدودة.\n\n"
              "إجمالي طلبك {{3}}. اضغط على الزر أدناه لإتمام الشراء قبل نفاد المخزون.",
    }), button_kind="cart"),
    _Starter("cart_recovery_3", MARKETING,
             ("first_name", "first_item", "discount_percent", "discount_code"), _cart({
                 "en": "Hi {{1}}, still thinking about {{2}}? Here's {{3}} off to help you "
                       "decide.\n\nUse the code {{4}} at checkout. It's yours alone and "
                       "expires soon.\n\nTap below to complete your order with the discount.",
                 "es": "Hola, {{1}}: ¿sigues pensando en {{2}}? Te regalamos un {{3}} de "
                       "descuento para que te decidas.\n\nUsa el código {{4}} al pagar. Es "
                       "solo para ti y vence pronto.\n\nToca el botón para terminar tu compra "
                       "con el descuento.",
                 "pt_BR": "Oi, {{1}}! Ainda pensando em {{2}}? Preparamos {{3}} de desconto "
                          "só para você.\n\nUse o cupom {{4}} ao finalizar a compra. Ele é "
                          "exclusivo e vale por pouco tempo.\n\nToque no botão para "
                          "aproveitar.",
                 "hi": "नमस्ते {{1}}, क्या आप अब भी {{2}} के बारे में सोच रहे हैं? आपके लिए खास "
                       "{{3}} की छूट है।\n\nचेकआउट पर कोड {{4}} इस्तेमाल करें। यह सिर्फ़ आपके "
                       "लिए है और जल्द ही खत्म हो जाएगा।\n\nछूट के साथ ऑर्डर पूरा करने के लिए "
                       "नीचे दिया गया बटन दबाएँ।",
                 "id": "Halo {{1}}, masih memikirkan {{2}}? Ini diskon {{3}} khusus untuk "
                       "Anda.\n\nPakai kode {{4}} saat checkout. Kode ini hanya untuk Anda "
                       "dan segera berakhir.\n\nKetuk tombol di bawah untuk menyelesaikan "
                       "pesanan dengan diskon.",
                 "ar": "مرحبًا {{1}}، هل ما زلت تفكر في {{2}}؟ إليك خصمًا بنسبة {{3}} خاصًا "
                       "بك.\n\nاستخدم الرمز {{4}} عند الدفع، فهو لك وحدك وصالح لفترة "
                       "محدودة.\n\nاضغط على الزر أدناه لإكمال طلبك بالخصم.",
             }, _CLAIM), button_kind="cart"),
    # Cross-sell after delivery: what goes with what the shopper bought (a link to the
    # first suggestion; a multi-product template shows them all when a catalog is there).
    _Starter("cross_sell", MARKETING, ("first_name", "product_titles"), _suggestion({
        "en": "Hi {{1}}, we hope you're enjoying your order! Shoppers who bought the same "
              "also loved {{2}}.\n\nTap below to take a look.",
        "es": "¡Hola, {{1}}! Esperamos que disfrutes tu pedido. Quienes compraron lo mismo "
              "también eligieron {{2}}.\n\nToca el botón para verlos.",
        "pt_BR": "Oi, {{1}}! Esperamos que esteja curtindo seu pedido. Quem comprou o mesmo "
                 "também adorou {{2}}.\n\nToque no botão para conferir.",
        "hi": "नमस्ते {{1}}, उम्मीद है आपको अपना ऑर्डर पसंद आ रहा है! यही खरीदने वालों को "
              "{{2}} भी पसंद आया।\n\nदेखने के लिए नीचे दिया गया बटन दबाएँ।",
        "id": "Halo {{1}}, semoga Anda menyukai pesanan Anda! Pembeli produk yang sama juga "
              "menyukai {{2}}.\n\nKetuk tombol di bawah untuk melihatnya.",
        "ar": "مرحبًا {{1}}، نتمنى أن يعجبك طلبك! من اشتروا الشيء نفسه أحبوا أيضًا {{2}}.\n\n"
              "اضغط على الزر أدناه لتراها.",
    }), button_kind="product"),
    # The satisfaction survey after delivery, outside the service window. MARKETING: a
    # survey asks the shopper to act and changes nothing in the order, which Meta's utility
    # category requires; a utility template would be reclassified (or the send refused).
    _Starter("csat", MARKETING, ("first_name", "order_number"), _survey({
        "en": "Hi {{1}}, your order {{2}} was delivered a few days ago. How did we do?\n\n"
              "Tap below to give us a score from 1 to 10. It takes a second.",
        "es": "Hola, {{1}}: tu pedido {{2}} llegó hace unos días. ¿Qué tal lo hicimos?\n\n"
              "Toca el botón para darnos una nota del 1 al 10. Solo toma un segundo.",
        "pt_BR": "Oi, {{1}}! Seu pedido {{2}} foi entregue há alguns dias. Como nos "
                 "saímos?\n\nToque no botão para nos dar uma nota de 1 a 10. Leva só um "
                 "segundo.",
        "hi": "नमस्ते {{1}}, आपका ऑर्डर {{2}} कुछ दिन पहले डिलीवर हुआ था। हमारा काम कैसा "
              "रहा?\n\n1 से 10 तक अंक देने के लिए नीचे दिया गया बटन दबाएँ। बस एक पल लगेगा।",
        "id": "Halo {{1}}, pesanan {{2}} Anda sudah tiba beberapa hari lalu. Bagaimana "
              "layanan kami?\n\nKetuk tombol di bawah untuk memberi nilai 1 sampai 10. "
              "Hanya sebentar.",
        "ar": "مرحبًا {{1}}، وصل طلبك {{2}} قبل بضعة أيام. كيف كانت تجربتك معنا؟\n\n"
              "اضغط على الزر أدناه لتمنحنا تقييمًا من 1 إلى 10، لن يستغرق ذلك سوى لحظة.",
    }), button_kind="survey"),
)

NAMES: tuple[str, ...] = tuple(s.name for s in _STARTERS)
"""Every starter template name; each is also the journey it serves (cart_recovery_<n> is
recovery step n's journey, see plugin.domain.recovery)."""


def _buttons(starter: _Starter, copy: _Copy, public_url: str) -> tuple[dict[str, Any], ...]:
    if starter.button_kind in ("cod", "survey"):
        return tuple({"type": "QUICK_REPLY", "text": label} for label in copy.buttons)
    if starter.button_kind in ("tracking", "cart", "product"):
        base = public_url.rstrip("/") + TRACKING_PATH
        return ({"type": "URL", "text": copy.buttons[0], "url": base + "{{1}}",
                 "example": [base + _TOKEN_EXAMPLE]},)
    return ()


def definitions(public_url: str, language: str | None = None) -> list[StarterDefinition]:
    """Every starter template in every language (or only `language`), its URL button (tracking,
    cart recovery) pointing at `public_url`."""
    return [
        StarterDefinition(name=starter.name, language=lang, category=starter.category,
                          journey=starter.name, body=copy.body, variables=starter.variables,
                          buttons=_buttons(starter, copy, public_url), footer=copy.footer)
        for starter in _STARTERS
        for lang, copy in starter.copy.items()
        if language is None or lang == language
    ]

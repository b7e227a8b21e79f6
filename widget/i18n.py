"""The widget's own words in the shopper's language (the owner's texts override some)."""
from __future__ import annotations

KEYS = ("open", "close", "greeting", "away", "phone", "subscribe", "thanks", "invalid", "later")
RTL = frozenset({"ar", "he", "fa", "ur"})

_STRINGS = {
    "en": ("Chat on WhatsApp", "Close", "Hi! How can we help you?",
           "We are away right now. Leave a message and we will reply soon.", "Phone number",
           "Subscribe", "Thanks! To confirm, send us any message on WhatsApp from this number.", "Please check the number and the box.",
           "Please try again later."),
    "es": ("Chatear por WhatsApp", "Cerrar", "¡Hola! ¿En qué podemos ayudarte?",
           "Ahora no estamos disponibles. Déjanos un mensaje y te responderemos pronto.",
           "Número de teléfono", "Suscribirme", "¡Gracias! Para confirmar, envíanos un mensaje por WhatsApp desde este número.",
           "Revisa el número y la casilla.", "Inténtalo de nuevo más tarde."),
    "pt": ("Conversar no WhatsApp", "Fechar", "Olá! Como podemos ajudar?",
           "Estamos ausentes agora. Deixe uma mensagem e responderemos em breve.",
           "Número de telefone", "Subscrever", "Obrigado! Para confirmar, envie-nos uma mensagem no WhatsApp a partir deste número.",
           "Verifique o número e a caixa.", "Tente novamente mais tarde."),
    "fr": ("Discuter sur WhatsApp", "Fermer", "Bonjour ! Comment pouvons-nous vous aider ?",
           "Nous sommes absents. Laissez un message, nous répondrons bientôt.",
           "Numéro de téléphone", "S’abonner", "Merci ! Pour confirmer, envoyez-nous un message sur WhatsApp depuis ce numéro.",
           "Vérifiez le numéro et la case.", "Réessayez plus tard."),
    "de": ("Auf WhatsApp chatten", "Schließen", "Hallo! Wie können wir helfen?",
           "Wir sind gerade nicht da. Schreiben Sie uns, wir antworten bald.", "Telefonnummer",
           "Abonnieren", "Danke! Zur Bestätigung schreiben Sie uns von dieser Nummer auf WhatsApp.", "Bitte Nummer und Kästchen prüfen.",
           "Bitte später erneut versuchen."),
    "it": ("Chatta su WhatsApp", "Chiudi", "Ciao! Come possiamo aiutarti?",
           "Ora non siamo disponibili. Lascia un messaggio, risponderemo presto.",
           "Numero di telefono", "Iscriviti", "Grazie! Per confermare, scrivici su WhatsApp da questo numero.",
           "Controlla il numero e la casella.", "Riprova più tardi."),
    "nl": ("Chat via WhatsApp", "Sluiten", "Hallo! Hoe kunnen we helpen?",
           "We zijn nu afwezig. Laat een bericht achter, we reageren snel.", "Telefoonnummer",
           "Aanmelden", "Bedankt! Stuur ter bevestiging een bericht via WhatsApp vanaf dit nummer.", "Controleer het nummer en het vakje.",
           "Probeer het later opnieuw."),
    "ar": ("تحدث معنا عبر واتساب", "إغلاق", "مرحبًا! كيف يمكننا مساعدتك؟",
           "نحن غير متاحين الآن. اترك رسالة وسنرد قريبًا.", "رقم الهاتف", "اشترك",
           "شكرًا! للتأكيد، أرسل إلينا أي رسالة عبر واتساب من هذا الرقم.", "يرجى التحقق من الرقم والمربع.", "يرجى المحاولة لاحقًا."),
    "he": ("צ׳אט בוואטסאפ", "סגירה", "שלום! איך נוכל לעזור?",
           "אנחנו לא זמינים כרגע. השאירו הודעה ונחזור אליכם בקרוב.", "מספר טלפון", "הרשמה",
           "תודה! לאישור, שלחו לנו הודעה בוואטסאפ מהמספר הזה.", "נא לבדוק את המספר ואת התיבה.", "נא לנסות שוב מאוחר יותר."),
    "tr": ("WhatsApp’ta sohbet et", "Kapat", "Merhaba! Nasıl yardımcı olabiliriz?",
           "Şu an uzaktayız. Mesaj bırakın, yakında yanıtlarız.", "Telefon numarası",
           "Abone ol", "Teşekkürler! Onaylamak için bu numaradan bize WhatsApp’tan yazın.", "Numarayı ve kutucuğu kontrol edin.",
           "Lütfen daha sonra tekrar deneyin."),
    "ru": ("Написать в WhatsApp", "Закрыть", "Здравствуйте! Чем можем помочь?",
           "Сейчас мы не на связи. Оставьте сообщение, и мы скоро ответим.", "Номер телефона",
           "Подписаться", "Спасибо! Для подтверждения напишите нам в WhatsApp с этого номера.", "Проверьте номер и отметку.",
           "Попробуйте позже."),
    "hi": ("WhatsApp पर चैट करें", "बंद करें", "नमस्ते! हम आपकी कैसे मदद कर सकते हैं?",
           "हम अभी उपलब्ध नहीं हैं। संदेश छोड़ें, हम जल्द जवाब देंगे।", "फ़ोन नंबर",
           "सदस्यता लें", "धन्यवाद! पुष्टि के लिए इसी नंबर से हमें WhatsApp पर कोई भी संदेश भेजें।", "कृपया नंबर और बॉक्स जाँचें।",
           "कृपया बाद में फिर से कोशिश करें।"),
    "id": ("Chat di WhatsApp", "Tutup", "Halo! Ada yang bisa kami bantu?",
           "Kami sedang tidak ada. Tinggalkan pesan, kami akan segera membalas.",
           "Nomor telepon", "Berlangganan", "Terima kasih! Untuk konfirmasi, kirimi kami pesan WhatsApp dari nomor ini.",
           "Periksa nomor dan kotaknya.", "Coba lagi nanti."),
    "pl": ("Czat na WhatsApp", "Zamknij", "Cześć! Jak możemy pomóc?",
           "Jesteśmy teraz niedostępni. Zostaw wiadomość, wkrótce odpowiemy.",
           "Numer telefonu", "Zapisz się", "Dziękujemy! Aby potwierdzić, napisz do nas na WhatsAppie z tego numeru.",
           "Sprawdź numer i pole wyboru.", "Spróbuj ponownie później."),
}
# The opt-in form's field errors and its way on to WhatsApp: what a field lacks, shown next
# to it, and the link (with its prefilled message) that confirms the sign-up.
OPTIN_KEYS = ("phone_missing", "phone_invalid", "consent_missing", "confirm", "confirm_text")
_OPTIN = {
    "en": ("Enter your phone number.", "Check the number; add the country code (+…) if it is not a local number.",
           "Tick the box to agree.", "Open WhatsApp to confirm", "Hi! I just signed up on your website."),
    "es": ("Escribe tu número de teléfono.", "Revisa el número; añade el prefijo del país (+…) si no es un número local.",
           "Marca la casilla para aceptar.", "Abrir WhatsApp para confirmar", "¡Hola! Acabo de suscribirme en la web."),
    "pt": ("Indique o seu número de telefone.", "Verifique o número; acrescente o indicativo do país (+…) se não for um número local.",
           "Assinale a caixa para aceitar.", "Abrir o WhatsApp para confirmar", "Olá! Acabei de me inscrever no site."),
    "fr": ("Saisissez votre numéro de téléphone.", "Vérifiez le numéro ; ajoutez l’indicatif du pays (+…) s’il ne s’agit pas d’un numéro local.",
           "Cochez la case pour accepter.", "Ouvrir WhatsApp pour confirmer", "Bonjour ! Je viens de m’inscrire sur votre site."),
    "de": ("Bitte geben Sie Ihre Telefonnummer ein.", "Bitte Nummer prüfen; bei ausländischen Nummern die Landesvorwahl (+…) angeben.",
           "Bitte setzen Sie das Häkchen, um zuzustimmen.", "WhatsApp öffnen und bestätigen", "Hallo! Ich habe mich gerade auf Ihrer Website angemeldet."),
    "it": ("Inserisci il tuo numero di telefono.", "Controlla il numero; aggiungi il prefisso internazionale (+…) se non è un numero locale.",
           "Spunta la casella per accettare.", "Apri WhatsApp per confermare", "Ciao! Confermo l’iscrizione fatta sul vostro sito."),
    "nl": ("Vul je telefoonnummer in.", "Controleer het nummer; voeg de landcode (+…) toe als het geen lokaal nummer is.",
           "Vink het vakje aan om akkoord te gaan.", "Open WhatsApp om te bevestigen", "Hallo! Ik heb me net aangemeld op jullie website."),
    "ar": ("أدخل رقم هاتفك.", "تحقق من الرقم، وأضف رمز الدولة (+…) إذا لم يكن رقمًا محليًا.",
           "ضع علامة في المربع للموافقة.", "افتح واتساب للتأكيد", "مرحبًا! لقد اشتركت للتو عبر موقعكم."),
    "he": ("נא להזין מספר טלפון.", "נא לבדוק את המספר ולהוסיף קידומת מדינה (+…) אם זה לא מספר מקומי.",
           "נא לסמן את התיבה כדי לאשר.", "פתיחת וואטסאפ לאישור", "שלום! נרשמתי עכשיו באתר שלכם."),
    "tr": ("Telefon numaranızı girin.", "Numarayı kontrol edin; yerel bir numara değilse ülke kodunu (+…) ekleyin.",
           "Onaylamak için kutucuğu işaretleyin.", "Onaylamak için WhatsApp’ı açın", "Merhaba! Sitenizden az önce kaydoldum."),
    "ru": ("Введите номер телефона.", "Проверьте номер; если он не местный, добавьте код страны (+…).",
           "Поставьте отметку, чтобы согласиться.", "Открыть WhatsApp для подтверждения", "Здравствуйте! Подтверждаю подписку с вашего сайта."),
    "hi": ("अपना फ़ोन नंबर दर्ज करें।", "नंबर जाँचें; अगर यह स्थानीय नंबर नहीं है तो देश कोड (+…) जोड़ें।",
           "सहमति के लिए बॉक्स पर सही का निशान लगाएँ।", "पुष्टि के लिए WhatsApp खोलें", "नमस्ते! मैंने अभी आपकी वेबसाइट पर सदस्यता ली है।"),
    "id": ("Masukkan nomor telepon Anda.", "Periksa nomornya; tambahkan kode negara (+…) jika bukan nomor lokal.",
           "Centang kotak untuk menyetujui.", "Buka WhatsApp untuk konfirmasi", "Halo! Saya baru saja berlangganan di situs Anda."),
    "pl": ("Wpisz numer telefonu.", "Sprawdź numer; dodaj kierunkowy kraju (+…), jeśli to nie jest numer lokalny.",
           "Zaznacz pole, aby wyrazić zgodę.", "Otwórz WhatsApp, aby potwierdzić", "Dzień dobry! Potwierdzam zapis ze strony."),
}
LANGUAGES = tuple(_STRINGS)


def language(*candidates: str | None) -> str:
    """The first candidate we have words for ('pt-BR' → 'pt'), else English."""
    for candidate in candidates:
        code = (candidate or "")[:2].lower()
        if code in _STRINGS:
            return code
    return "en"


def strings(lang: str) -> dict[str, str]:
    """The widget's words in `lang` (a code from LANGUAGES), KEYS and OPTIN_KEYS."""
    words = dict(zip(KEYS, _STRINGS.get(lang, _STRINGS["en"]), strict=True))
    words.update(zip(OPTIN_KEYS, _OPTIN.get(lang, _OPTIN["en"]), strict=True))
    return words

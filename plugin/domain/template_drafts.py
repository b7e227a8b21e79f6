"""A message template as the owner writes it in StoreChat: the draft, its variables, and
how it reads on a phone with its sample values.

Pure. `TemplateDraft` is what the editor form holds, whatever its state (it may break
Meta's rules: `plugin.domain.template_rules.check` says where). It round-trips through
`to_dict` / `from_dict` so a draft can be stored and edited again. Meta's create-template
body is built from it by `adapters.whatsapp.template_definitions`.

Variables are `{{1}}`, `{{2}}`… (numbered, Meta's POSITIONAL format) or `{{first_name}}`
(named, Meta's NAMED format). The header (at most one variable) and the body are separate
components with their own samples: the header's is `header_sample`, the body's are keyed by
variable ("1", "first_name").
"""
from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar


class Category(enum.StrEnum):
    """What a template is for; Meta prices and reviews each differently."""

    UTILITY = "UTILITY"  # about an order or an account the shopper has
    MARKETING = "MARKETING"  # offers, news, anything promotional
    AUTHENTICATION = "AUTHENTICATION"  # a one-time code; Meta writes the words


class VariableStyle(enum.StrEnum):
    """How variables are written; the values are Meta's `parameter_format`."""

    NUMBERED = "POSITIONAL"
    NAMED = "NAMED"


class HeaderKind(enum.StrEnum):
    """What sits above the body."""

    NONE = "none"
    TEXT = "text"
    IMAGE = "image"
    VIDEO = "video"
    DOCUMENT = "document"


MEDIA_HEADERS = frozenset({HeaderKind.IMAGE, HeaderKind.VIDEO, HeaderKind.DOCUMENT})


class ButtonKind(enum.StrEnum):
    """The buttons an owner can put under a template."""

    QUICK_REPLY = "quick_reply"
    URL = "url"
    PHONE = "phone_number"
    COPY_CODE = "copy_code"


BUTTON_LABELS: dict[ButtonKind, str] = {
    ButtonKind.QUICK_REPLY: "Quick reply",
    ButtonKind.URL: "Open a web page",
    ButtonKind.PHONE: "Call a phone number",
    ButtonKind.COPY_CODE: "Copy a coupon code",
}
# The label WhatsApp shows on a copy-code button (the owner does not choose it).
COPY_CODE_LABEL = "Copy offer code"
# The words Meta writes into every authentication template (shown in English here).
AUTH_BODY = "{{1}} is your verification code."
AUTH_SECURITY = "For your security, do not share this code."
AUTH_FOOTER = "This code expires in {minutes} minutes."
AUTH_SAMPLE_CODE = "123456"
DEFAULT_OTP_LABEL = "Copy code"
DEFAULT_EXPIRY_MINUTES = 10

# {{ anything }}: each is checked to be a variable; a lone "{{" or "}}" is a typing slip.
TOKEN = re.compile(r"\{\{(.*?)\}\}")
NUMBERED_NAME = re.compile(r"[0-9]+")
NAMED_NAME = re.compile(r"[a-z][a-z0-9_]*")


@dataclass(frozen=True, slots=True, kw_only=True)
class Button:
    """One button: a label and, by kind, a URL (with a sample for its {{1}}), a phone
    number, or a sample coupon code."""

    kind: ButtonKind
    text: str = ""
    url: str = ""
    url_sample: str = ""
    phone: str = ""
    code_sample: str = ""

    def label(self) -> str:
        """The words on the button as the shopper sees them."""
        return COPY_CODE_LABEL if self.kind is ButtonKind.COPY_CODE else self.text

    def example_url(self) -> str:
        """The URL with its variable filled with the sample (Meta's review example)."""
        return self.url.replace("{{1}}", self.url_sample)


@dataclass(frozen=True, slots=True, kw_only=True)
class TemplateDraft:
    """A template as the owner typed it, in one language."""

    name: str
    language: str
    category: Category = Category.UTILITY
    style: VariableStyle = VariableStyle.NUMBERED
    header_kind: HeaderKind = HeaderKind.NONE
    header_text: str = ""
    header_sample: str = ""
    # The type of the media header's sample file (image/jpeg…), '' before one is given; the
    # file itself is kept beside the draft (see plugin.domain.template_samples).
    header_media_type: str = ""
    body: str = ""
    samples: Mapping[str, str] = field(default_factory=dict)  # body variable -> sample
    footer: str = ""
    buttons: tuple[Button, ...] = ()
    # Authentication templates only: Meta's preset words, the code's lifetime, the button.
    security_recommendation: bool = True
    code_expiry_minutes: int = DEFAULT_EXPIRY_MINUTES
    otp_button_text: str = DEFAULT_OTP_LABEL

    @property
    def is_authentication(self) -> bool:
        """True for a one-time-code template (Meta writes its body)."""
        return self.category is Category.AUTHENTICATION

    def body_variables(self) -> tuple[str, ...]:
        """The body's variables, each once, in the order they first appear."""
        return variables_in(self.body)

    def header_variables(self) -> tuple[str, ...]:
        """The text header's variables (none for other headers)."""
        return variables_in(self.header_text) if self.header_kind is HeaderKind.TEXT else ()

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able values, for storing the draft."""
        return {
            "name": self.name, "language": self.language, "category": self.category.value,
            "style": self.style.value, "header_kind": self.header_kind.value,
            "header_text": self.header_text, "header_sample": self.header_sample,
            "header_media_type": self.header_media_type, "body": self.body,
            "samples": dict(self.samples), "footer": self.footer,
            "buttons": [{"kind": b.kind.value, "text": b.text, "url": b.url,
                         "url_sample": b.url_sample, "phone": b.phone,
                         "code_sample": b.code_sample} for b in self.buttons],
            "security_recommendation": self.security_recommendation,
            "code_expiry_minutes": self.code_expiry_minutes,
            "otp_button_text": self.otp_button_text,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TemplateDraft:
        """Read a stored draft; unknown or missing values fall back to the defaults."""
        def text(key: str, default: str = "") -> str:
            value = data.get(key, default)
            return value if isinstance(value, str) else default

        buttons = []
        for raw in data.get("buttons") or []:
            if isinstance(raw, Mapping) and raw.get("kind") in ButtonKind.__members__.values():
                buttons.append(Button(kind=ButtonKind(raw["kind"]), **{
                    k: str(raw.get(k) or "") for k in ("text", "url", "url_sample", "phone",
                                                        "code_sample")}))
        samples = data.get("samples")
        expiry = data.get("code_expiry_minutes")
        return cls(
            name=text("name"), language=text("language"),
            category=_member(Category, data.get("category"), Category.UTILITY),
            style=_member(VariableStyle, data.get("style"), VariableStyle.NUMBERED),
            header_kind=_member(HeaderKind, data.get("header_kind"), HeaderKind.NONE),
            header_text=text("header_text"), header_sample=text("header_sample"),
            header_media_type=text("header_media_type"), body=text("body"),
            samples={str(k): str(v) for k, v in samples.items()}
            if isinstance(samples, Mapping) else {},
            footer=text("footer"), buttons=tuple(buttons),
            security_recommendation=data.get("security_recommendation") is not False,
            code_expiry_minutes=expiry if isinstance(expiry, int) and not isinstance(
                expiry, bool) else DEFAULT_EXPIRY_MINUTES,
            otp_button_text=text("otp_button_text", DEFAULT_OTP_LABEL),
        )

    def renamed(self, language: str) -> TemplateDraft:
        """The same template to be written in another language (same name and shape)."""
        return replace(self, language=language)


E = TypeVar("E", bound=enum.Enum)


def _member(kind: type[E], value: Any, default: E) -> E:
    try:
        return kind(value)
    except ValueError:
        return default


def tokens(text: str) -> list[re.Match[str]]:
    """Every {{…}} in `text`, valid or not, in order."""
    return list(TOKEN.finditer(text))


def variables_in(text: str) -> tuple[str, ...]:
    """The distinct well-formed variables of `text` ("1", "first_name"), in order of first
    appearance; malformed ones ({{first name}}) are left to the checker."""
    seen: dict[str, None] = {}
    for match in tokens(text):
        inner = match.group(1).strip()
        if NUMBERED_NAME.fullmatch(inner) or NAMED_NAME.fullmatch(inner):
            seen.setdefault(inner, None)
    return tuple(seen)


def fill(text: str, values: Mapping[str, str]) -> str:
    """`text` with each {{variable}} replaced by its value; a variable without one stays."""
    def substitute(match: re.Match[str]) -> str:
        value = values.get(match.group(1).strip(), "")
        return value if value else match.group(0)

    return TOKEN.sub(substitute, text)


@dataclass(frozen=True, slots=True)
class Preview:
    """The draft as a shopper's phone shows it, with the sample values."""

    header: str
    media: str  # "", "image", "video" or "document"
    body: str
    footer: str
    buttons: tuple[tuple[str, str], ...]  # (kind, label)


def preview(draft: TemplateDraft) -> Preview:
    """What the shopper would read, variables filled with the samples."""
    if draft.is_authentication:
        body = fill(AUTH_BODY, {"1": AUTH_SAMPLE_CODE})
        if draft.security_recommendation:
            body += " " + AUTH_SECURITY
        footer = AUTH_FOOTER.format(minutes=draft.code_expiry_minutes)
        return Preview("", "", body, footer,
                       ((ButtonKind.COPY_CODE.value, draft.otp_button_text or DEFAULT_OTP_LABEL),))
    header = ""
    if draft.header_kind is HeaderKind.TEXT:
        names = draft.header_variables()
        header = fill(draft.header_text, {names[0]: draft.header_sample} if names else {})
    media = draft.header_kind.value if draft.header_kind in MEDIA_HEADERS else ""
    return Preview(header, media, fill(draft.body, draft.samples), draft.footer,
                   tuple((b.kind.value, b.label()) for b in draft.buttons))

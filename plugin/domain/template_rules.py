"""Meta's rules for a message template, checked on a draft as the owner types.

Pure. `check(draft)` returns every `Problem` it finds, each naming the editor field it
belongs to (the form's own field names: "body", "footer", "sample_first_name",
"button_2_text", …) and saying what to change in words an owner understands. An empty list
means Meta's API will accept the template for review (its reviewers may still reject the
content, which no rule here can foresee).

The limits are Meta's, from its template documentation (components, buttons, parameter
formats) and the errors its API answers: names of at most 512 lowercase letters, digits and
underscores; a body of at most 1,024 characters whose variables are all of one style, run
{{1}}, {{2}}… in order, never start or end it, never stand side by side, and each have a
sample; a text header of at most 60 characters with at most one variable; a footer of at
most 60 characters without variables; at most 10 buttons (quick replies kept together, at
most 2 URL buttons, 1 phone button, 1 copy-code button), labels of at most 25 characters,
URLs of at most 2,000 with one variable only at the very end.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from plugin.domain.template_drafts import (
    MEDIA_HEADERS,
    NAMED_NAME,
    NUMBERED_NAME,
    Button,
    ButtonKind,
    HeaderKind,
    TemplateDraft,
    VariableStyle,
    tokens,
)
from plugin.domain.template_samples import SAMPLE_WORDS, fits

NAME_MAX = 512
BODY_MAX = 1024
HEADER_TEXT_MAX = 60
HEADER_VARIABLES_MAX = 1
FOOTER_MAX = 60
BUTTONS_MAX = 10
BUTTON_TEXT_MAX = 25
URL_MAX = 2000
URL_BUTTONS_MAX = 2
PHONE_BUTTONS_MAX = 1
COPY_CODE_BUTTONS_MAX = 1
COPY_CODE_MAX = 15
PHONE_MAX = 20
# A sample is one parameter value: Meta refuses new lines, tabs and long runs of spaces.
SAMPLE_MAX = 1024
# Authentication codes live between 1 and 90 minutes (Meta's code_expiration_minutes).
EXPIRY_MIN, EXPIRY_MAX = 1, 90

_NAME = re.compile(r"[a-z0-9_]+")
_BAD_SAMPLE = re.compile(r"[\n\t]| {5,}")
_PHONE = re.compile(r"\+?[0-9]{6,19}")
_CODE = re.compile(r"[A-Za-z0-9]+")
_HTTP_URL = re.compile(r"https?://[^\s/$.?#][^\s]*", re.IGNORECASE)
_BETWEEN_ADJACENT = re.compile(r"\s*")

# Languages Meta accepts for templates (its codes), named as an owner reads them.
LANGUAGES: dict[str, str] = {
    "ar": "Arabic", "zh_CN": "Chinese (simplified)", "zh_TW": "Chinese (traditional)",
    "nl": "Dutch", "en": "English", "en_GB": "English (UK)", "en_US": "English (US)",
    "fr": "French", "de": "German", "el": "Greek", "he": "Hebrew", "hi": "Hindi",
    "id": "Indonesian", "it": "Italian", "ja": "Japanese", "ko": "Korean", "ms": "Malay",
    "pl": "Polish", "pt_BR": "Portuguese (Brazil)", "pt_PT": "Portuguese (Portugal)",
    "ro": "Romanian", "ru": "Russian", "es": "Spanish", "es_AR": "Spanish (Argentina)",
    "es_ES": "Spanish (Spain)", "es_MX": "Spanish (Mexico)", "sv": "Swedish", "th": "Thai",
    "tr": "Turkish", "uk": "Ukrainian", "ur": "Urdu", "vi": "Vietnamese",
}


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing Meta would refuse: the editor field it belongs to, and what to do."""

    field: str
    message: str


def check(draft: TemplateDraft) -> list[Problem]:
    """Every problem of the draft against Meta's rules, in the order of the form."""
    problems = _identity(draft)
    if draft.is_authentication:
        return problems + _authentication(draft)
    problems += _header(draft)
    problems += _body(draft)
    problems += _footer(draft)
    problems += _buttons(draft)
    return problems


def problems_by_field(problems: list[Problem]) -> dict[str, str]:
    """The first problem of each field, as the form shows them."""
    found: dict[str, str] = {}
    for problem in problems:
        found.setdefault(problem.field, problem.message)
    return found


# Identity ------------------------------------------------------------------------------------

def _identity(draft: TemplateDraft) -> list[Problem]:
    problems = []
    if not draft.name:
        problems.append(Problem("name", "Give the template a name, like order_update."))
    elif len(draft.name) > NAME_MAX:
        problems.append(Problem("name", f"The name has {len(draft.name)} characters; "
                                        f"WhatsApp allows at most {NAME_MAX}."))
    elif not _NAME.fullmatch(draft.name):
        problems.append(Problem("name", "Use only lowercase letters, digits and underscores "
                                        "(no spaces), like order_update."))
    if draft.language not in LANGUAGES:
        problems.append(Problem("language", "Choose one of the languages in the list."))
    return problems


def _authentication(draft: TemplateDraft) -> list[Problem]:
    problems = []
    if not EXPIRY_MIN <= draft.code_expiry_minutes <= EXPIRY_MAX:
        problems.append(Problem("code_expiry_minutes", f"A code can last from {EXPIRY_MIN} to "
                                                       f"{EXPIRY_MAX} minutes."))
    label = draft.otp_button_text
    if not label.strip():
        problems.append(Problem("otp_button_text", "Write the label of the copy button."))
    elif len(label) > BUTTON_TEXT_MAX:
        problems.append(Problem("otp_button_text", _too_long("The button label", label,
                                                              BUTTON_TEXT_MAX)))
    return problems


# Variables -----------------------------------------------------------------------------------

def _variable_problems(text: str, field: str, style: VariableStyle) -> list[Problem]:
    """Malformed variables, a mix of styles, and stray braces in one text."""
    problems = []
    for match in tokens(text):
        inner = match.group(1).strip()
        if NUMBERED_NAME.fullmatch(inner):
            if style is VariableStyle.NAMED:
                problems.append(Problem(field, f"{match.group(0)} is numbered, but this "
                                               "template uses named variables like "
                                               "{{first_name}}: use one kind only."))
        elif NAMED_NAME.fullmatch(inner):
            if style is VariableStyle.NUMBERED:
                problems.append(Problem(field, f"{match.group(0)} is named, but this template "
                                               "uses numbered variables like {{1}}: use one "
                                               "kind only, or switch to named variables."))
        else:
            wanted = "{{1}}" if style is VariableStyle.NUMBERED else "{{first_name}}"
            problems.append(Problem(field, f"{match.group(0)} is not a variable WhatsApp "
                                           f"understands: write it like {wanted} (lowercase "
                                           "letters, digits and underscores)."))
    leftover = re.sub(r"\{\{.*?\}\}", "", text)
    if "{{" in leftover or "}}" in leftover:
        problems.append(Problem(field, "A variable is missing a brace: write it as {{…}}, "
                                       "with two braces on each side."))
    return problems


def _numbered_order(names: tuple[str, ...], field: str) -> list[Problem]:
    numbers = [int(n) for n in names if NUMBERED_NAME.fullmatch(n)]
    if not numbers:
        return []
    expected = list(range(1, len(numbers) + 1))
    if sorted(numbers) != expected:
        missing = next((n for n in expected if n not in numbers), len(numbers) + 1)
        return [Problem(field, f"Numbered variables must run {{{{1}}}}, {{{{2}}}}, {{{{3}}}}… "
                               f"without gaps: {{{{{missing}}}}} is missing.")]
    if numbers != expected:
        return [Problem(field, "Number the variables in the order they appear: the first is "
                               "{{1}}, the next {{2}}, and so on.")]
    return []


def _sample_problem(value: str, field: str, variable: str) -> Problem | None:
    if not value.strip():
        return Problem(field, f"Give a sample value for {{{{{variable}}}}}: WhatsApp's "
                              "reviewers read the message with it.")
    if _BAD_SAMPLE.search(value):
        return Problem(field, "A sample cannot hold new lines, tabs or more than 4 spaces "
                              "in a row.")
    if len(value) > SAMPLE_MAX:
        return Problem(field, _too_long("The sample", value, SAMPLE_MAX))
    return None


# Components ----------------------------------------------------------------------------------

def _header(draft: TemplateDraft) -> list[Problem]:
    if draft.header_kind in MEDIA_HEADERS:
        if not fits(draft.header_kind, draft.header_media_type):
            return [Problem("header_file", f"Choose {SAMPLE_WORDS[draft.header_kind]} as "
                                           "the sample for WhatsApp's reviewers.")]
        return []
    if draft.header_kind is not HeaderKind.TEXT:
        return []
    text = draft.header_text
    if not text.strip():
        return [Problem("header_text", "Write the header, or choose no header.")]
    problems = []
    if len(text) > HEADER_TEXT_MAX:
        problems.append(Problem("header_text", _too_long("The header", text, HEADER_TEXT_MAX)))
    if "\n" in text:
        problems.append(Problem("header_text", "The header is one line: remove the line "
                                               "break."))
    problems += _variable_problems(text, "header_text", draft.style)
    names = draft.header_variables()
    if len(names) > HEADER_VARIABLES_MAX:
        problems.append(Problem("header_text", "A header can hold only one variable."))
    elif names:
        problems += _numbered_order(names, "header_text")
        sample = _sample_problem(draft.header_sample, "header_sample", names[0])
        if sample:
            problems.append(sample)
    return problems


def _body(draft: TemplateDraft) -> list[Problem]:
    body = draft.body
    if not body.strip():
        return [Problem("body", "Write the message: the body is the one part every template "
                                "needs.")]
    problems = []
    if len(body) > BODY_MAX:
        problems.append(Problem("body", _too_long("The message", body, BODY_MAX)))
    problems += _variable_problems(body, "body", draft.style)
    found = tokens(body)
    stripped = body.strip()
    if found and (stripped.startswith(found[0].group(0))
                  or stripped.endswith(found[-1].group(0))):
        where = "start" if stripped.startswith(found[0].group(0)) else "end"
        problems.append(Problem("body", f"A variable cannot be at the very {where} of the "
                                        "message: add a few words "
                                        f"{'before' if where == 'start' else 'after'} it."))
    for first, second in zip(found, found[1:], strict=False):
        if _BETWEEN_ADJACENT.fullmatch(body[first.end():second.start()]):
            problems.append(Problem("body", f"{first.group(0)} and {second.group(0)} are side "
                                            "by side: put some words between them."))
            break
    names = draft.body_variables()
    problems += _numbered_order(names, "body")
    for name in names:
        sample = _sample_problem(draft.samples.get(name, ""), f"sample_{name}", name)
        if sample:
            problems.append(sample)
    return problems


def _footer(draft: TemplateDraft) -> list[Problem]:
    footer = draft.footer
    problems = []
    if len(footer) > FOOTER_MAX:
        problems.append(Problem("footer", _too_long("The footer", footer, FOOTER_MAX)))
    if tokens(footer):
        problems.append(Problem("footer", "The footer cannot hold variables: move them into "
                                          "the message."))
    if "\n" in footer:
        problems.append(Problem("footer", "The footer is one line: remove the line break."))
    return problems


def _buttons(draft: TemplateDraft) -> list[Problem]:
    buttons = draft.buttons
    problems = []
    if len(buttons) > BUTTONS_MAX:
        problems.append(Problem("buttons", f"A template has at most {BUTTONS_MAX} buttons; "
                                           f"remove {len(buttons) - BUTTONS_MAX}."))
    counts = Counter(b.kind for b in buttons)
    for kind, most, words in ((ButtonKind.URL, URL_BUTTONS_MAX, "web page buttons"),
                              (ButtonKind.PHONE, PHONE_BUTTONS_MAX, "phone button"),
                              (ButtonKind.COPY_CODE, COPY_CODE_BUTTONS_MAX, "copy-code button")):
        if counts[kind] > most:
            problems.append(Problem("buttons", f"A template can have {most} {words} at most; "
                                               f"this one has {counts[kind]}."))
    kinds = [b.kind is ButtonKind.QUICK_REPLY for b in buttons]
    groups = sum(1 for i, quick in enumerate(kinds) if i == 0 or quick != kinds[i - 1])
    if counts[ButtonKind.QUICK_REPLY] and len(counts) > 1 and groups > 2:
        problems.append(Problem("buttons", "Keep the quick replies together, all before or "
                                           "all after the other buttons."))
    if counts[ButtonKind.COPY_CODE] and draft.category.value != "MARKETING":
        problems.append(Problem("buttons", "A copy-code button is for coupon codes, which "
                                           "only marketing templates may carry."))
    labels = [b.text.strip().lower() for b in buttons if b.kind is not ButtonKind.COPY_CODE]
    if len(set(labels)) != len(labels):
        problems.append(Problem("buttons", "Two buttons have the same label: give each its "
                                           "own."))
    for index, button in enumerate(buttons, 1):
        problems += _button(button, f"button_{index}")
    return problems


def _button(button: Button, prefix: str) -> list[Problem]:
    problems = []
    if button.kind is not ButtonKind.COPY_CODE:
        if not button.text.strip():
            problems.append(Problem(f"{prefix}_text", "Write the button's label."))
        elif len(button.text) > BUTTON_TEXT_MAX:
            problems.append(Problem(f"{prefix}_text", _too_long("The label", button.text,
                                                               BUTTON_TEXT_MAX)))
        elif tokens(button.text):
            problems.append(Problem(f"{prefix}_text", "A button label cannot hold variables."))
    if button.kind is ButtonKind.URL:
        problems += _url_button(button, prefix)
    elif button.kind is ButtonKind.PHONE:
        if not _PHONE.fullmatch(button.phone.replace(" ", "")) or len(button.phone) > PHONE_MAX:
            problems.append(Problem(f"{prefix}_phone", "Enter the phone number with its "
                                                       "country code, like +351912345678."))
    elif button.kind is ButtonKind.COPY_CODE:
        code = button.code_sample
        if not _CODE.fullmatch(code) or len(code) > COPY_CODE_MAX:
            problems.append(Problem(f"{prefix}_code", f"Give a sample code of 1 to "
                                                      f"{COPY_CODE_MAX} letters and digits, "
                                                      "like SAVE20."))
    return problems


def _url_button(button: Button, prefix: str) -> list[Problem]:
    url = button.url.strip()
    found = tokens(url)
    bare = url.replace("{{1}}", "x")
    if not _HTTP_URL.fullmatch(bare):
        return [Problem(f"{prefix}_url", "Enter the full web address, starting with https://.")]
    if len(url) > URL_MAX:
        return [Problem(f"{prefix}_url", _too_long("The web address", url, URL_MAX))]
    if len(found) > 1 or (found and (found[0].group(0) != "{{1}}" or not url.endswith("{{1}}"))):
        return [Problem(f"{prefix}_url", "A web address can end with one variable, {{1}}, "
                                         "and hold no other.")]
    if found:
        sample = button.url_sample
        if not sample.strip() or " " in sample:
            return [Problem(f"{prefix}_url_sample", "Give a sample value for the end of the "
                                                    "address (no spaces), like A1B2C3.")]
        if len(button.example_url()) > URL_MAX:
            return [Problem(f"{prefix}_url_sample", "The address with its sample is longer "
                                                    f"than {URL_MAX} characters.")]
    return []


def _too_long(what: str, text: str, most: int) -> str:
    return f"{what} has {len(text)} characters; WhatsApp allows at most {most}."

"""Meta's template rules on drafts: each problem lands on its field, in an owner's words;
a draft that keeps every rule has none."""
from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plugin.domain.template_drafts import (
    Button,
    ButtonKind,
    Category,
    HeaderKind,
    TemplateDraft,
    VariableStyle,
    fill,
    preview,
    variables_in,
)
from plugin.domain.template_rules import check, problems_by_field
from tests.worlds.template_drafts import ORDER_UPDATE

GOOD = ORDER_UPDATE


def errors(draft: TemplateDraft) -> dict[str, str]:
    return problems_by_field(check(draft))


def test_a_draft_that_keeps_every_rule_has_no_problem() -> None:
    assert check(GOOD) == []
    named = replace(GOOD, style=VariableStyle.NAMED, header_text="Order {{order}}",
                    body="Hi {{first_name}}, order {{order}} ships with {{carrier}} today.",
                    samples={"first_name": "Ana", "order": "#1", "carrier": "DHL"})
    assert check(named) == []


@pytest.mark.parametrize(("changes", "field", "words"), [
    ({"name": ""}, "name", "Give the template a name"),
    ({"name": "Order Update"}, "name", "lowercase letters, digits and underscores"),
    ({"name": "a" * 513}, "name", "at most 512"),
    ({"language": "xx"}, "language", "Choose one of the languages"),
    ({"body": ""}, "body", "every template needs"),
    ({"body": "x" * 1025}, "body", "1025 characters; WhatsApp allows at most 1024"),
    ({"body": "{{1}} is waiting for you", "samples": {"1": "Ana"}}, "body", "very start"),
    ({"body": "Your order is {{1}}", "samples": {"1": "x"}}, "body", "very end"),
    ({"body": "Hi {{1}} {{2}}, thanks.", "samples": {"1": "a", "2": "b"}}, "body",
     "side by side"),
    ({"body": "Hi {{1}}, order {{3}} is here.", "samples": {"1": "a", "3": "b"}}, "body",
     "{{2}} is missing"),
    ({"body": "Hi {{2}}, order {{1}} is here.", "samples": {"1": "a", "2": "b"}}, "body",
     "order they appear"),
    ({"body": "Hi {{first_name}}, thanks.", "samples": {"first_name": "a"}}, "body",
     "is named, but this template uses numbered"),
    ({"body": "Hi {{first name}}, thanks."}, "body", "is not a variable WhatsApp understands"),
    ({"body": "Hi {{1}, thanks."}, "body", "missing a brace"),
    ({"samples": {"1": "Ana"}}, "sample_2", "Give a sample value for {{2}}"),
    ({"samples": {"1": "Ana", "2": "two\nlines"}}, "sample_2", "new lines"),
    ({"header_text": "x" * 61}, "header_text", "61 characters; WhatsApp allows at most 60"),
    ({"header_text": "{{1}} and {{2}}"}, "header_text", "only one variable"),
    ({"header_sample": ""}, "header_sample", "Give a sample value for {{1}}"),
    ({"header_kind": HeaderKind.IMAGE}, "header_file", "Choose a JPEG or PNG image"),
    ({"header_kind": HeaderKind.IMAGE, "header_media_type": "application/pdf"}, "header_file",
     "Choose a JPEG or PNG image"),
    ({"header_kind": HeaderKind.DOCUMENT, "header_media_type": "image/png"}, "header_file",
     "Choose a PDF"),
    ({"footer": "y" * 61}, "footer", "61 characters; WhatsApp allows at most 60"),
    ({"footer": "Hi {{1}}"}, "footer", "cannot hold variables"),
])
def test_each_broken_rule_lands_on_its_field(changes: dict[str, object], field: str,
                                            words: str) -> None:
    found = errors(replace(GOOD, **changes))  # type: ignore[arg-type]
    assert field in found, found
    assert words in found[field]


def _buttons(*buttons: Button, category: Category = Category.MARKETING) -> dict[str, str]:
    return errors(replace(GOOD, buttons=buttons, category=category))


QUICK = Button(kind=ButtonKind.QUICK_REPLY, text="Yes")
URL = Button(kind=ButtonKind.URL, text="Shop", url="https://shop.example")


def test_button_limits() -> None:
    assert "at most 10" in _buttons(*[replace(QUICK, text=f"q{i}") for i in range(11)])["buttons"]
    assert "2 web page buttons at most" in _buttons(
        URL, replace(URL, text="b"), replace(URL, text="c"))["buttons"]
    phone = Button(kind=ButtonKind.PHONE, text="Call", phone="+351912345678")
    assert "1 phone button" in _buttons(phone, replace(phone, text="Ring"))["buttons"]
    code = Button(kind=ButtonKind.COPY_CODE, code_sample="SAVE20")
    assert "1 copy-code button" in _buttons(code, code)["buttons"]
    assert "Keep the quick replies together" in _buttons(
        QUICK, URL, replace(QUICK, text="No"))["buttons"]
    assert "buttons" not in _buttons(QUICK, replace(QUICK, text="No"), URL)
    assert "same label" in _buttons(QUICK, replace(QUICK, text="yes"))["buttons"]
    assert "only marketing" in _buttons(code, category=Category.UTILITY)["buttons"]


def test_each_button_field() -> None:
    assert "25" in _buttons(replace(QUICK, text="x" * 26))["button_1_text"]
    assert "Write the button's label" in _buttons(URL, replace(QUICK, text=" "))["button_2_text"]
    assert "https://" in _buttons(replace(URL, url="shop.example"))["button_1_url"]
    assert "end with one variable" in _buttons(
        replace(URL, url="https://s.example/{{1}}/x", url_sample="a"))["button_1_url"]
    assert "end with one variable" in _buttons(
        replace(URL, url="https://s.example/{{2}}", url_sample="a"))["button_1_url"]
    assert "sample value" in _buttons(
        replace(URL, url="https://s.example/{{1}}"))["button_1_url_sample"]
    assert "2000" in _buttons(replace(URL, url="https://s.example/" + "a" * 2000))["button_1_url"]
    assert "country code" in _buttons(
        Button(kind=ButtonKind.PHONE, text="Call", phone="call me"))["button_1_phone"]
    assert "SAVE20" in _buttons(
        Button(kind=ButtonKind.COPY_CODE, code_sample="SAVE 20 NOW!!"))["button_1_code"]


def test_authentication_templates_check_only_their_options() -> None:
    auth = TemplateDraft(name="login_code", language="en", category=Category.AUTHENTICATION,
                         body="{{1}} ignored {{2}}")
    assert check(auth) == []
    assert "from 1 to 90" in errors(replace(auth, code_expiry_minutes=91))["code_expiry_minutes"]
    assert "25" in errors(replace(auth, otp_button_text="x" * 26))["otp_button_text"]
    shown = preview(auth)
    assert shown.body.startswith("123456 is your verification code.")
    assert shown.footer == "This code expires in 10 minutes."
    assert shown.buttons == (("copy_code", "Copy code"),)


def test_the_preview_fills_the_samples() -> None:
    shown = preview(GOOD)
    assert shown.header == "Order #1001"
    assert shown.body == "Hi Ana, your order #1001 is on its way."
    assert shown.buttons == (("url", "Track it"), ("phone_number", "Call us"))
    # A variable without a sample stays visible, so the owner sees what is missing.
    assert fill("Hi {{1}} and {{ 2 }}", {"1": "Ana"}) == "Hi Ana and {{ 2 }}"


def test_problems_by_field_keeps_the_first_of_each() -> None:
    found = check(replace(GOOD, body="{{1}} {{2}}", samples={}))
    assert len([p for p in found if p.field == "body"]) >= 2
    assert problems_by_field(found)["body"] == next(p.message for p in found if p.field == "body")


# Properties ----------------------------------------------------------------------------------

WORDS = st.text(alphabet="abcdefghij klmnopqrstuvwxyz,.!", min_size=1, max_size=30).filter(
    lambda w: w.strip() and "  " not in w)


@given(st.text(max_size=300), st.text(max_size=80), st.text(max_size=80))
@settings(max_examples=200)
def test_check_never_raises_on_any_text(body: str, header: str, footer: str) -> None:
    draft = replace(GOOD, body=body, header_text=header, footer=footer)
    for problem in check(draft):
        assert problem.field and problem.message


@given(st.lists(WORDS, min_size=2, max_size=8), st.booleans())
@settings(max_examples=150)
def test_variables_between_words_keep_every_rule(words: list[str], named: bool) -> None:
    """Words with a variable between each pair: numbered in order, or named; each with a
    sample. Such a body breaks no rule, and its variables are found in order."""
    names = [f"v{i}" if named else str(i) for i in range(1, len(words))]
    pairs = zip(words, names, strict=False)
    body = "".join(f"w{w}{{{{{n}}}}}" for w, n in pairs) + "x" + words[-1]
    draft = TemplateDraft(name="t", language="en", body=body,
                          style=VariableStyle.NAMED if named else VariableStyle.NUMBERED,
                          samples={n: "sample" for n in names})
    assert variables_in(body) == tuple(names)
    assert check(draft) == []


@given(st.builds(
    TemplateDraft, name=st.from_regex(r"[a-z_]{1,20}", fullmatch=True),
    language=st.sampled_from(["en", "es", "pt_BR"]), category=st.sampled_from(Category),
    style=st.sampled_from(VariableStyle), header_kind=st.sampled_from(HeaderKind),
    header_text=st.text(max_size=20), body=st.text(max_size=50), footer=st.text(max_size=20),
    samples=st.dictionaries(st.from_regex(r"[0-9]", fullmatch=True), st.text(max_size=5)),
    buttons=st.lists(st.builds(Button, kind=st.sampled_from(ButtonKind),
                               text=st.text(max_size=8)), max_size=3).map(tuple),
    code_expiry_minutes=st.integers(0, 100)))
def test_a_draft_survives_storage(draft: TemplateDraft) -> None:
    assert TemplateDraft.from_dict(draft.to_dict()) == draft

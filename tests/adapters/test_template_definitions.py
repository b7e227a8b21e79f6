"""The create-template builder and the client's create/edit calls: the body Meta documents,
samples in the shape of each parameter format, accepted by the fake Graph's independent
rules; refusals classified with the field they are about."""
from __future__ import annotations

import json
from dataclasses import replace

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.whatsapp.client import CloudClient
from adapters.whatsapp.errors import TemplateRefused
from adapters.whatsapp.template_definitions import create_request, edit_request, stored_components
from plugin.domain.errors import AccountError, PermanentError, RetryableError
from plugin.domain.template_drafts import (
    Button,
    ButtonKind,
    Category,
    HeaderKind,
    TemplateDraft,
    VariableStyle,
)
from plugin.domain.template_rules import check
from tests.fakes.graph import FakeGraph
from tests.fakes.graph_rules import Invalid, check_template_definition
from tests.worlds.template_drafts import ORDER_UPDATE

# The shared draft in a language whose code has an underscore, as Meta spells it.
DRAFT = replace(ORDER_UPDATE, language="pt_BR")


def test_numbered_variables_carry_positional_examples() -> None:
    assert create_request(DRAFT) == {
        "name": "order_update", "language": "pt_BR", "category": "UTILITY",
        "parameter_format": "POSITIONAL",
        "components": [
            {"type": "HEADER", "format": "TEXT", "text": "Order {{1}}",
             "example": {"header_text": ["#1001"]}},
            {"type": "BODY", "text": "Hi {{1}}, your order {{2}} is on its way.",
             "example": {"body_text": [["Ana", "#1001"]]}},
            {"type": "FOOTER", "text": "Reply STOP to opt out"},
            {"type": "BUTTONS", "buttons": [
                {"type": "URL", "text": "Track it", "url": "https://shop.example/t/{{1}}",
                 "example": ["https://shop.example/t/abc123"]},
                {"type": "PHONE_NUMBER", "text": "Call us", "phone_number": "+351912345678"}]},
        ]}
    check_template_definition(create_request(DRAFT))


def test_named_variables_carry_named_examples() -> None:
    draft = TemplateDraft(
        name="promo", language="en", category=Category.MARKETING, style=VariableStyle.NAMED,
        header_kind=HeaderKind.IMAGE, header_media_type="image/jpeg",
        body="Hi {{first_name}}, {{first_name}} gets {{discount}} off today!",
        samples={"first_name": "Ana", "discount": "20%"},
        buttons=(Button(kind=ButtonKind.QUICK_REPLY, text="Stop offers"),
                 Button(kind=ButtonKind.COPY_CODE, code_sample="SAVE20")))
    request = create_request(draft, "4::aW1hZ2UvanBlZw==:ARb")
    assert request["parameter_format"] == "NAMED"
    assert request["components"] == [
        {"type": "HEADER", "format": "IMAGE",
         "example": {"header_handle": ["4::aW1hZ2UvanBlZw==:ARb"]}},
        {"type": "BODY", "text": draft.body, "example": {"body_text_named_params": [
            {"param_name": "first_name", "example": "Ana"},
            {"param_name": "discount", "example": "20%"}]}},
        {"type": "BUTTONS", "buttons": [{"type": "QUICK_REPLY", "text": "Stop offers"},
                                        {"type": "COPY_CODE", "example": "SAVE20"}]},
    ]
    check_template_definition(request)


def test_authentication_sends_options_and_keeps_the_words_for_the_preview() -> None:
    draft = TemplateDraft(name="login_code", language="en", category=Category.AUTHENTICATION,
                          code_expiry_minutes=5, otp_button_text="Copy")
    request = create_request(draft)
    assert "parameter_format" not in request
    assert request["components"] == [
        {"type": "BODY", "add_security_recommendation": True},
        {"type": "FOOTER", "code_expiration_minutes": 5},
        {"type": "BUTTONS", "buttons": [{"type": "OTP", "otp_type": "COPY_CODE",
                                         "text": "Copy"}]}]
    check_template_definition(request)
    assert stored_components(draft)[0]["text"] == "{{1}} is your verification code."


def test_an_edit_sends_only_what_may_change() -> None:
    assert edit_request(DRAFT) == {key: create_request(DRAFT)[key]
                                   for key in ("category", "components", "parameter_format")}


# Every draft our rules accept, Meta's (the fake's, written separately) accept too.
_WORD = st.text(alphabet="abcdefgh ", min_size=2, max_size=12).filter(
    lambda w: w.strip() == w and "  " not in w)


@st.composite
def valid_drafts(draw: st.DrawFn) -> TemplateDraft:
    named = draw(st.booleans())
    count = draw(st.integers(0, 4))
    names = [f"v{i}" if named else str(i) for i in range(1, count + 1)]
    body = "Hello " + " ".join(f"{draw(_WORD)} {{{{{n}}}}}" for n in names) + " bye."
    quick = draw(st.integers(0, 3))
    buttons = tuple(Button(kind=ButtonKind.QUICK_REPLY, text=f"Reply {i}")
                    for i in range(quick))
    if draw(st.booleans()):
        buttons += (Button(kind=ButtonKind.URL, text="Open", url="https://s.example/{{1}}",
                           url_sample="x1"),)
    header = draw(st.sampled_from([HeaderKind.NONE, HeaderKind.TEXT, HeaderKind.DOCUMENT]))
    return TemplateDraft(
        name=draw(st.from_regex(r"[a-z][a-z0-9_]{0,30}", fullmatch=True)), language="en",
        category=draw(st.sampled_from([Category.UTILITY, Category.MARKETING])),
        style=VariableStyle.NAMED if named else VariableStyle.NUMBERED,
        header_kind=header, header_text="Your " + ("{{h}}" if named else "{{1}}"),
        header_sample="news", header_media_type="application/pdf", body=body,
        samples={n: f"s{n}" for n in names}, footer=draw(st.sampled_from(["", "Thanks"])),
        buttons=buttons)


@given(valid_drafts())
@settings(max_examples=150)
def test_what_our_rules_accept_the_fake_graph_accepts(draft: TemplateDraft) -> None:
    assert check(draft) == []
    check_template_definition(create_request(draft, "4::YXBwbGljYXRpb24vcGRm:ARc"))


def test_the_fake_refuses_what_meta_refuses() -> None:
    request = create_request(DRAFT)
    request["components"][1] = {"type": "BODY", "text": "{{1}} is here"}
    with pytest.raises(Invalid):
        check_template_definition(request)
    request["components"][1] = {"type": "BODY", "text": "Hi {{1}} bye",
                                "example": {"body_text": [[]]}}
    with pytest.raises(Invalid):
        check_template_definition(request)


# The client ----------------------------------------------------------------------------------

def _client(graph: FakeGraph) -> CloudClient:
    return CloudClient(httpx.Client(transport=httpx.WSGITransport(app=graph)),
                       "http://graph.test", "v23.0")


@pytest.fixture
def graph() -> FakeGraph:
    fake = FakeGraph()
    fake.add_waba("102290129340398", "EAAG-waba-token", "106540352242922")
    return fake


def test_create_then_edit_a_rejected_template(graph: FakeGraph) -> None:
    api = _client(graph)
    answer = api.create_template("102290129340398", "EAAG-waba-token", create_request(DRAFT))
    assert answer["status"] == "PENDING" and answer["category"] == "UTILITY"
    graph.reject("102290129340398", "order_update", "pt_BR")
    fixed = TemplateDraft.from_dict({**DRAFT.to_dict(), "footer": "Reply STOP to stop these"})
    api.edit_template(answer["id"], "EAAG-waba-token", edit_request(fixed))
    stored = graph.template("102290129340398", "order_update", "pt_BR")
    assert stored["status"] == "PENDING"
    assert {"type": "FOOTER", "text": "Reply STOP to stop these"} in stored["components"]
    assert graph.edits == [(answer["id"], edit_request(fixed))]


def test_refusals_are_classified(graph: FakeGraph) -> None:
    api = _client(graph)
    first = api.create_template("102290129340398", "EAAG-waba-token", create_request(DRAFT))
    with pytest.raises(TemplateRefused) as duplicate:
        api.create_template("102290129340398", "EAAG-waba-token", create_request(DRAFT))
    assert (duplicate.value.code, duplicate.value.subcode) == (100, 2388024)
    assert duplicate.value.field == "name"
    assert isinstance(duplicate.value, PermanentError)
    leading = TemplateDraft.from_dict({**DRAFT.to_dict(), "name": "other",
                                       "body": "{{1}} is yours, {{2}} too."})
    with pytest.raises(TemplateRefused) as start:
        api.create_template("102290129340398", "EAAG-waba-token", create_request(leading))
    assert start.value.field == "body"
    assert "start or end" in start.value.reason
    with pytest.raises(AccountError):
        api.create_template("102290129340398", "EAAG-wrong", create_request(DRAFT))
    graph.fail_next(4, 400, "Application request limit reached")
    with pytest.raises(RetryableError):
        api.edit_template(first["id"], "EAAG-waba-token", edit_request(DRAFT))
    with pytest.raises(TemplateRefused):  # a template still in review cannot be edited
        api.edit_template(first["id"], "EAAG-waba-token", edit_request(DRAFT))


def test_an_edit_without_meta_confirming_is_retried_later() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        assert json.loads(request.content)["category"] == "UTILITY"
        return httpx.Response(200, json={"success": False})

    api = CloudClient(httpx.Client(transport=httpx.MockTransport(answer)), "http://g", "v23.0")
    with pytest.raises(RetryableError):
        api.edit_template("123", "token", edit_request(DRAFT))

"""The Cloud API body builders: the exact shapes, and every documented limit refused by name
before anything is sent. The fake Graph API's own rules (written separately) accept what the
builders build."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.whatsapp import messages
from adapters.whatsapp.messages import (
    MessageLimitError,
    ProductSection,
    ReplyButton,
    Row,
    Section,
    TemplateButton,
)
from tests.fakes.graph_rules import Invalid, check_message

TO = "351912345678"


def _envelope_ok(body: dict[str, Any], kind: str) -> None:
    assert body["messaging_product"] == "whatsapp"
    assert body["recipient_type"] == "individual"
    assert body["to"] == TO
    assert body["type"] == kind
    check_message(body)  # Meta (the fake's rules) would accept it


def test_template_with_every_parameter_kind() -> None:
    body = messages.template(
        TO, "order_confirmation", "pt_BR",
        header=[messages.media_parameter("image", "1013859600285441")],
        body=[messages.text_parameter("Ana"), messages.currency_parameter("€54.80", "EUR", 54_800),
              messages.date_time_parameter("21 Nov 2026")],
        buttons=[TemplateButton(index=0, sub_type="url", value="orders/1001"),
                 TemplateButton(index=1, sub_type="quick_reply", value="stop-marketing")],
        callback_data="storechat:42")
    _envelope_ok(body, "template")
    template = body["template"]
    assert template["name"] == "order_confirmation"
    assert template["language"] == {"code": "pt_BR"}
    header, main, url, reply = template["components"]
    assert header == {"type": "header", "parameters": [
        {"type": "image", "image": {"id": "1013859600285441"}}]}
    assert main["parameters"] == [
        {"type": "text", "text": "Ana"},
        {"type": "currency", "currency": {"fallback_value": "€54.80", "code": "EUR",
                                          "amount_1000": 54_800}},
        {"type": "date_time", "date_time": {"fallback_value": "21 Nov 2026"}},
    ]
    assert url == {"type": "button", "sub_type": "url", "index": "0",
                   "parameters": [{"type": "text", "text": "orders/1001"}]}
    assert reply["parameters"] == [{"type": "payload", "payload": "stop-marketing"}]
    assert body["biz_opaque_callback_data"] == "storechat:42"


def test_a_template_without_parameters_has_no_components() -> None:
    body = messages.template(TO, "hello_world", "en_US")
    assert body["template"]["components"] == []
    assert "biz_opaque_callback_data" not in body


def test_text_with_preview() -> None:
    body = messages.text(TO, "See https://shop.example/p/1", preview_url=True)
    _envelope_ok(body, "text")
    assert body["text"] == {"preview_url": True, "body": "See https://shop.example/p/1"}


def test_list_message() -> None:
    body = messages.interactive_list(
        TO, "How did we do?", "Choose a score",
        [Section(title="Great", rows=[Row(id="10", title="10 – loved it",
                                          description="Everything was perfect")]),
         Section(title="Less great", rows=[Row(id=str(n), title=str(n)) for n in range(1, 10)])],
        header="Your order 1001", footer="Reply any time")
    _envelope_ok(body, "interactive")
    interactive = body["interactive"]
    assert interactive["type"] == "list"
    assert interactive["header"] == {"type": "text", "text": "Your order 1001"}
    assert interactive["footer"] == {"text": "Reply any time"}
    assert interactive["action"]["button"] == "Choose a score"
    first = interactive["action"]["sections"][0]
    assert first == {"title": "Great", "rows": [{"id": "10", "title": "10 – loved it",
                                                 "description": "Everything was perfect"}]}


def test_one_section_needs_no_title() -> None:
    body = messages.interactive_list(TO, "Pick", "Open", [Section(rows=[Row(id="a", title="A")])])
    assert body["interactive"]["action"]["sections"] == [{"rows": [{"id": "a", "title": "A"}]}]


def test_reply_buttons() -> None:
    body = messages.reply_buttons(TO, "Confirm your cash-on-delivery order?",
                            [ReplyButton(id="cod:yes", title="Yes, confirm"),
                             ReplyButton(id="cod:no", title="Cancel it")],
                            footer="Order 1001", callback_data="storechat:7")
    _envelope_ok(body, "interactive")
    assert body["interactive"]["type"] == "button"
    assert body["interactive"]["action"]["buttons"][0] == {
        "type": "reply", "reply": {"id": "cod:yes", "title": "Yes, confirm"}}


def test_single_and_multi_product() -> None:
    single = messages.single_product(TO, "123456", "SKU-1", body="Back in stock!")
    _envelope_ok(single, "interactive")
    assert single["interactive"]["action"] == {"catalog_id": "123456",
                                               "product_retailer_id": "SKU-1"}
    multi = messages.multi_product(TO, "123456", "You may also like", "Picked for you",
                             [ProductSection(title="Shirts", product_retailer_ids=["A", "B"]),
                              ProductSection(title="Trousers", product_retailer_ids=["C"])])
    _envelope_ok(multi, "interactive")
    assert multi["interactive"]["type"] == "product_list"
    assert multi["interactive"]["action"]["sections"][1] == {
        "title": "Trousers", "product_items": [{"product_retailer_id": "C"}]}


def test_location_request() -> None:
    body = messages.location_request(TO, "Where should we deliver?")
    _envelope_ok(body, "interactive")
    assert body["interactive"] == {"type": "location_request_message",
                                   "body": {"text": "Where should we deliver?"},
                                   "action": {"name": "send_location"}}


@pytest.mark.parametrize("kind", messages.MEDIA_KINDS)
def test_media_by_uploaded_id(kind: str) -> None:
    body = messages.media(TO, kind, "555")
    _envelope_ok(body, kind)
    assert body[kind] == {"id": "555"}


def test_document_caption_and_filename() -> None:
    body = messages.media(TO, "document", "555", caption="Your invoice",
                          filename="invoice-1001.pdf")
    _envelope_ok(body, "document")
    assert body["document"] == {"id": "555", "caption": "Your invoice",
                                "filename": "invoice-1001.pdf"}


def _rows(n: int) -> list[Row]:
    return [Row(id=f"r{i}", title=f"Row {i}") for i in range(n)]


# Each case: a builder call that breaks one documented limit, and words the error must name.
LIMITS: list[tuple[str, Callable[[], Any], str]] = [
    ("text body", lambda: messages.text(TO, "x" * 4097), "4096"),
    ("empty text", lambda: messages.text(TO, "  "), "required"),
    ("callback data", lambda: messages.text(TO, "hi", callback_data="x" * 513), "512"),
    ("recipient", lambda: messages.text("not a number", "hi"), "recipient"),
    ("11 rows", lambda: messages.interactive_list(TO, "b", "Open", [Section(rows=_rows(11))]),
     "1–10 rows"),
    ("rows across sections", lambda: messages.interactive_list(
        TO, "b", "Open", [Section(title=f"S{i}", rows=_rows(3)) for i in range(4)]), "10 rows"),
    ("11 sections", lambda: messages.interactive_list(
        TO, "b", "Open", [Section(title=f"S{i}", rows=[Row(id=f"{i}", title="t")])
                          for i in range(11)]), "1–10 sections"),
    ("row title", lambda: messages.interactive_list(
        TO, "b", "Open", [Section(rows=[Row(id="a", title="x" * 25)])]),
     "row title has at most 24"),
    ("row id", lambda: messages.interactive_list(
        TO, "b", "Open", [Section(rows=[Row(id="x" * 201, title="t")])]),
     "row id has at most 200"),
    ("row description", lambda: messages.interactive_list(
        TO, "b", "Open", [Section(rows=[Row(id="a", title="t", description="x" * 73)])]),
     "row description has at most 72"),
    ("list button", lambda: messages.interactive_list(TO, "b", "x" * 21, [Section(rows=_rows(1))]),
     "list button label has at most 20"),
    ("list body", lambda: messages.interactive_list(TO, "x" * 1025, "Open",
                                                    [Section(rows=_rows(1))]),
     "body has at most 1024"),
    ("list header", lambda: messages.interactive_list(TO, "b", "Open", [Section(rows=_rows(1))],
                                                header="x" * 61), "header has at most 60"),
    ("list footer", lambda: messages.interactive_list(TO, "b", "Open", [Section(rows=_rows(1))],
                                                footer="x" * 61), "footer has at most 60"),
    ("untitled sections", lambda: messages.interactive_list(
        TO, "b", "Open",
        [Section(rows=_rows(1)), Section(title="B", rows=[Row(id="z", title="z")])]),
     "section title"),
    ("duplicate row ids", lambda: messages.interactive_list(
        TO, "b", "Open", [Section(rows=[Row(id="a", title="1"), Row(id="a", title="2")])]),
     "unique"),
    ("4 buttons", lambda: messages.reply_buttons(TO, "b", [ReplyButton(id=str(i), title=str(i))
                                                     for i in range(4)]), "1–3 buttons"),
    ("button title", lambda: messages.reply_buttons(TO, "b",
                                                    [ReplyButton(id="a", title="x" * 21)]),
     "reply button title has at most 20"),
    ("button id", lambda: messages.reply_buttons(TO, "b", [ReplyButton(id="x" * 257, title="t")]),
     "reply button id has at most 256"),
    ("duplicate titles", lambda: messages.reply_buttons(TO, "b", [ReplyButton(id="a", title="Yes"),
                                                            ReplyButton(id="b", title="Yes")]),
     "titles must be unique"),
    ("duplicate ids", lambda: messages.reply_buttons(TO, "b", [ReplyButton(id="a", title="Yes"),
                                                         ReplyButton(id="a", title="No")]),
     "ids must be unique"),
    ("31 products", lambda: messages.multi_product(
        TO, "1", "h", "b",
        [ProductSection(title=f"S{i}", product_retailer_ids=[f"{i}-{j}" for j in range(11)])
         for i in range(3)]), "at most 30 products"),
    ("11 product sections", lambda: messages.multi_product(
        TO, "1", "h", "b", [ProductSection(title=f"S{i}", product_retailer_ids=["p"])
                            for i in range(11)]), "1–10 sections"),
    ("product section title", lambda: messages.multi_product(
        TO, "1", "h", "b", [ProductSection(title="x" * 25, product_retailer_ids=["p"])]),
     "product section title has at most 24"),
    ("multi-product header", lambda: messages.multi_product(
        TO, "1", "", "b", [ProductSection(title="S", product_retailer_ids=["p"])]), "header"),
    ("location body", lambda: messages.location_request(TO, "x" * 1025), "body has at most 1024"),
    ("caption", lambda: messages.media(TO, "image", "1", caption="x" * 1025),
     "caption has at most 1024"),
    ("audio caption", lambda: messages.media(TO, "audio", "1", caption="hi"), "no caption"),
    ("sticker filename", lambda: messages.media(TO, "sticker", "1", filename="a.webp"),
     "only a document"),
    ("path filename", lambda: messages.media(TO, "document", "1", filename="../etc/passwd"),
     "bare file name"),
    ("media kind", lambda: messages.media(TO, "gif", "1"), "media type"),
    ("template name", lambda: messages.template(TO, "Order Confirmation", "en"), "template name"),
    ("template language", lambda: messages.template(TO, "a", "english"), "language"),
    ("currency code", lambda: messages.currency_parameter("€1", "euro", 1000), "ISO 4217"),
    ("currency amount", lambda: messages.currency_parameter("€1", "EUR", 1.5), "amount_1000"),  # type: ignore[arg-type]
    ("date fallback", lambda: messages.date_time_parameter(""), "fallback_value"),
    ("newline parameter", lambda: messages.text_parameter("Rua A\nLisboa"), "new lines"),
    ("spaces parameter", lambda: messages.text_parameter("a     b"), "consecutive spaces"),
    ("button index", lambda: messages.template(TO, "a", "en", buttons=[
        TemplateButton(index=10, sub_type="url", value="x")]), "index"),
    ("button sub_type", lambda: messages.template(TO, "a", "en", buttons=[
        TemplateButton(index=0, sub_type="call", value="x")]), "sub_type"),
]


@pytest.mark.parametrize(("case", "build", "words"), LIMITS, ids=[c[0] for c in LIMITS])
def test_every_limit_is_refused_with_a_clear_message(case: str, build: Callable[[], Any],
                                                     words: str) -> None:
    with pytest.raises(MessageLimitError) as caught:
        build()
    assert words in str(caught.value)


def test_limits_are_inclusive() -> None:
    """Exactly at each limit is accepted (by us and by the fake's rules)."""
    bodies = [
        messages.text(TO, "x" * 4096, callback_data="c" * 512),
        messages.interactive_list(TO, "b" * 1024, "l" * 20,
                            [Section(title="s" * 24, rows=[Row(id="i" * 200, title="t" * 24,
                                                               description="d" * 72)]),
                             Section(title="Other", rows=_rows(9))],
                            header="h" * 60, footer="f" * 60),
        messages.reply_buttons(TO, "b", [ReplyButton(id="i" * 256, title="t" * 20),
                                   ReplyButton(id="2", title="Two"),
                                   ReplyButton(id="3", title="Three")]),
        messages.multi_product(TO, "1", "h" * 60, "b", [ProductSection(
            title="s" * 24, product_retailer_ids=[str(n) for n in range(30)])]),
        messages.media(TO, "video", "1", caption="c" * 1024),
    ]
    for body in bodies:
        check_message(body)


@given(st.text(max_size=5000))
def test_text_bodies_either_build_or_name_the_limit(value: str) -> None:
    try:
        body = messages.text(TO, value)
    except MessageLimitError as error:
        assert not value.strip() or len(value) > messages.TEXT_BODY_MAX, str(error)
    else:
        assert body["text"]["body"] == value
        check_message(body)


@given(st.lists(st.tuples(st.text(min_size=1, max_size=30), st.text(min_size=1, max_size=30)),
                min_size=1, max_size=5))
def test_reply_buttons_agree_with_the_fake(buttons: list[tuple[str, str]]) -> None:
    """Whatever the builder accepts, Meta's rules (the fake's) accept too."""
    try:
        body = messages.reply_buttons(TO, "Pick one",
                                [ReplyButton(id=i, title=t) for i, t in buttons])
    except MessageLimitError:
        return
    try:
        check_message(body)
    except Invalid as error:  # pragma: no cover - would be a disagreement worth reading
        pytest.fail(f"the builder built a body Meta refuses: {error.details}")


def test_template_body_from_planned_parameters_and_buttons() -> None:
    button = {"type": "button", "sub_type": "url", "index": "0",
              "parameters": [{"type": "text", "text": "t"}]}
    assert messages.template("351912345678", "order_shipped", "en", body=["Ana"],
                             buttons=[button]) == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "351912345678",
        "type": "template",
        "template": {"name": "order_shipped", "language": {"code": "en"},
                     "components": [{"type": "body",
                                     "parameters": [{"type": "text", "text": "Ana"}]},
                                    button]},
    }


def test_catalog_and_multi_product_template_buttons() -> None:
    sections = [ProductSection(title="Shirts", product_retailer_ids=["s-1", "s-2"])]
    body = messages.template(TO, "linen_picks", "en", body=["20%"],
                             buttons=[messages.product_button(0, "s-1", sections)])
    _envelope_ok(body, "template")
    assert body["template"]["components"][1] == {
        "type": "button", "sub_type": "mpm", "index": "0", "parameters": [
            {"type": "action", "action": {"thumbnail_product_retailer_id": "s-1", "sections": [
                {"title": "Shirts", "product_items": [{"product_retailer_id": "s-1"},
                                                      {"product_retailer_id": "s-2"}]}]}}]}
    catalog = messages.template(TO, "catalog_all", "en",
                                buttons=[messages.product_button(1, "s-9")])
    _envelope_ok(catalog, "template")
    assert catalog["template"]["components"] == [{
        "type": "button", "sub_type": "CATALOG", "index": "1", "parameters": [
            {"type": "action", "action": {"thumbnail_product_retailer_id": "s-9"}}]}]
    # A button in Graph's own shape (as planned and stored) reads back the same.
    stored = body["template"]["components"][1]
    again = messages.template(TO, "linen_picks", "en", body=["20%"], buttons=[stored])
    assert again == body


def test_multi_product_template_buttons_keep_whatsapps_limits() -> None:
    many = [ProductSection(title=f"S{n}", product_retailer_ids=[f"p-{n}"]) for n in range(11)]
    with pytest.raises(MessageLimitError, match="1–10 sections, not 11"):
        messages.product_button(0, "p-0", many)
    crowded = [ProductSection(title="All", product_retailer_ids=[f"p-{n}" for n in range(31)])]
    with pytest.raises(MessageLimitError, match="at most 30 products across all sections, "
                                                "not 31"):
        messages.product_button(0, "p-0", crowded)
    with pytest.raises(MessageLimitError, match="thumbnail product retailer id is required"):
        messages.product_button(0, "")
    with pytest.raises(MessageLimitError, match="needs an action parameter"):
        messages.template_button({"type": "button", "sub_type": "mpm", "index": "0",
                                  "parameters": [{"type": "text", "text": "x"}]})
    # The fake Graph refuses an MPM button over Meta's limits, independently of the builder.
    over = {"messaging_product": "whatsapp", "to": TO, "type": "template", "template": {
        "name": "linen_picks", "language": {"code": "en"}, "components": [{
            "type": "button", "sub_type": "mpm", "index": "0", "parameters": [{
                "type": "action", "action": {"thumbnail_product_retailer_id": "p-0",
                                             "sections": [{"title": "All", "product_items": [
                                                 {"product_retailer_id": f"p-{n}"}
                                                 for n in range(31)]}]}}]}]}}
    with pytest.raises(Invalid):
        check_message(over)


def test_a_media_header_by_link_is_https_only() -> None:
    assert messages.media_link_parameter("image", "https://cdn.example.com/a.jpg") == {
        "type": "image", "image": {"link": "https://cdn.example.com/a.jpg"}}
    for bad in ("http://cdn.example.com/a.jpg", "", "https://cdn.example.com/a b.jpg",
                "javascript:alert(1)", "https://x/" + "a" * messages.MEDIA_LINK_MAX):
        with pytest.raises(MessageLimitError):
            messages.media_link_parameter("image", bad)
    with pytest.raises(MessageLimitError):
        messages.media_link_parameter("sticker", "https://cdn.example.com/a.webp")

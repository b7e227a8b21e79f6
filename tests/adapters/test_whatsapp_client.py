"""CloudClient against the fake Graph API served on loopback: every message type, media
upload, paginated templates, template creation, the webhook subscription, the number's
details, and how each Graph failure maps to the error classes the pipeline acts on."""
from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from adapters.whatsapp import messages
from adapters.whatsapp.client import TEMPLATE_PAGE_SIZE, CloudClient, PhoneNumberInfo
from plugin.domain.errors import (
    AccountError,
    HeldError,
    NeedsTemplateError,
    PermanentError,
    RetryableError,
)
from tests.fakes.graph import FakeGraph
from tests.fakes.server import LoopbackServer

PNID, WABA, TOKEN = "106540352242922", "102290129340398", "EAAG-test-token-0123456789"
TO = "351912345678"


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[LoopbackServer, list[FakeGraph]]]:
    """One loopback server for the module (stopping one takes half a second); each test
    puts its own fresh fake behind it."""
    current: list[FakeGraph] = []
    with LoopbackServer(lambda environ, start: current[-1](environ, start)) as running:
        yield running, current


@pytest.fixture
def world(server) -> Iterator[tuple[FakeGraph, CloudClient]]:  # type: ignore[no-untyped-def]
    running, current = server
    fake = FakeGraph()
    fake.add_waba(WABA, TOKEN, PNID, verified_name="Linen & Co",
                  display_phone_number="+351 21 000 0000", throughput="HIGH")
    current.append(fake)
    with httpx.Client() as http:
        yield fake, CloudClient(http, running.url, "v23.0", timeout=0.5)


BODIES = [
    messages.text(TO, "Hello", callback_data="storechat:1"),
    messages.template(TO, "order_confirmation", "en", body=[
        messages.text_parameter("Ana"), messages.currency_parameter("€5", "EUR", 5000),
        messages.date_time_parameter("today")]),
    messages.interactive_list(TO, "Score?", "Open",
                              [messages.Section(rows=[messages.Row(id="1", title="1")])]),
    messages.reply_buttons(TO, "Confirm?", [messages.ReplyButton(id="y", title="Yes")]),
    messages.single_product(TO, "123456", "SKU"),
    messages.multi_product(TO, "123456", "Picks", "For you",
                     [messages.ProductSection(title="All", product_retailer_ids=["A"])]),
    messages.location_request(TO, "Where?"),
    messages.media(TO, "document", "555", caption="Invoice", filename="invoice.pdf"),
]


@pytest.mark.parametrize("body", BODIES, ids=[b["type"] + ":" + str(b.get("interactive", {})
                                                                      .get("type", ""))
                                               for b in BODIES])
def test_each_message_type_is_sent(world, body) -> None:  # type: ignore[no-untyped-def]
    fake, client = world
    wamid = client.send_message(PNID, TOKEN, body)
    [sent] = fake.sent
    assert (sent.wamid, sent.phone_number_id, sent.payload) == (wamid, PNID, body)
    assert fake.bodies(body["type"]) == [body]


def test_upload_media_returns_an_id_the_fake_stored(world) -> None:  # type: ignore[no-untyped-def]
    fake, client = world
    media_id = client.upload_media(PNID, TOKEN, b"%PDF-1.4 fake", "application/pdf",
                                   "invoice.pdf")
    assert fake.media[media_id] == (b"%PDF-1.4 fake", "application/pdf", "invoice.pdf")


def test_unsupported_media_is_refused(world) -> None:  # type: ignore[no-untyped-def]
    _fake, client = world
    with pytest.raises(PermanentError) as caught:
        client.upload_media(PNID, TOKEN, b"MZ", "application/x-msdownload", "a.exe")
    assert caught.value.code == 131053


def test_templates_are_listed_across_pages(world) -> None:  # type: ignore[no-untyped-def]
    fake, client = world
    count = TEMPLATE_PAGE_SIZE * 2 + 5
    for n in range(count):
        fake.add_template(WABA, f"t_{n:03d}", "en", status="APPROVED", quality="YELLOW")
    templates = client.list_templates(WABA, TOKEN)
    assert [t["name"] for t in templates] == [f"t_{n:03d}" for n in range(count)]
    first = templates[0]
    assert set(first) >= {"name", "language", "status", "category", "components", "id",
                          "quality_score", "rejected_reason"}
    assert first["quality_score"] == {"score": "YELLOW"}


def test_an_empty_waba_lists_nothing(world) -> None:  # type: ignore[no-untyped-def]
    assert world[1].list_templates(WABA, TOKEN) == []


def test_create_template_is_pending_then_approved(world) -> None:  # type: ignore[no-untyped-def]
    fake, client = world
    definition = {"name": "order_shipped", "language": "en", "category": "UTILITY",
                  "components": [{"type": "BODY", "text": "Order {{1}} is on its way",
                                  "example": {"body_text": [["1001"]]}}]}
    created = client.create_template(WABA, TOKEN, definition)
    assert created["status"] == "PENDING" and created["category"] == "UTILITY"
    fake.approve(WABA, "order_shipped", "en")
    [listed] = client.list_templates(WABA, TOKEN)
    assert (listed["id"], listed["status"]) == (created["id"], "APPROVED")
    with pytest.raises(PermanentError) as again:
        client.create_template(WABA, TOKEN, definition)
    assert "already" in again.value.reason


def test_a_template_without_examples_is_refused(world) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PermanentError) as caught:
        world[1].create_template(WABA, TOKEN, {
            "name": "x", "language": "en", "category": "UTILITY",
            "components": [{"type": "BODY", "text": "Hi {{1}}"}]})
    assert "example" in caught.value.reason


def test_subscribe_app_then_it_is_listed(world) -> None:  # type: ignore[no-untyped-def]
    fake, client = world
    assert client.subscribed_apps(WABA, TOKEN) == []
    client.subscribe_app(WABA, TOKEN)
    assert fake.wabas[WABA].subscribed
    [app] = client.subscribed_apps(WABA, TOKEN)
    assert app["whatsapp_business_api_data"]["name"] == "StoreChat"


def test_phone_number_info(world) -> None:  # type: ignore[no-untyped-def]
    info = world[1].phone_number_info(PNID, TOKEN)
    assert info == PhoneNumberInfo(id=PNID, display_phone_number="+351 21 000 0000",
                                   verified_name="Linen & Co", quality_rating="GREEN",
                                   throughput_level="HIGH", code_verification_status="VERIFIED",
                                   name_status="APPROVED", messaging_limit_tier="TIER_1K")


@pytest.mark.parametrize(("code", "status", "error"), [
    (131047, 400, NeedsTemplateError),
    (131056, 400, RetryableError),
    (130429, 429, RetryableError),
    (131026, 400, PermanentError),
    (131049, 400, HeldError),
    (190, 401, AccountError),
    (132001, 404, PermanentError),
    (1, 500, RetryableError),
    (2, 503, RetryableError),
])
def test_graph_errors_map_to_classes(world, code, status, error) -> None:  # type: ignore[no-untyped-def]
    fake, client = world
    fake.fail_next(code, status, f"failure {code}")
    with pytest.raises(error) as caught:
        client.send_message(PNID, TOKEN, messages.text(TO, "hi"))
    assert caught.value.code == code
    assert fake.sent == []


def test_errors_are_mapped_for_every_call_not_only_sends(world) -> None:  # type: ignore[no-untyped-def]
    fake, client = world
    fake.fail_next(190, 401, "expired")
    with pytest.raises(AccountError):
        client.list_templates(WABA, TOKEN)
    fake.fail_next(1, 500, "boom")
    with pytest.raises(RetryableError):
        client.phone_number_info(PNID, TOKEN)


def test_a_bad_token_and_an_unknown_id(world) -> None:  # type: ignore[no-untyped-def]
    _fake, client = world
    with pytest.raises(AccountError):
        client.phone_number_info(PNID, "EAAG-wrong")
    with pytest.raises(PermanentError) as caught:
        client.phone_number_info("999999999", TOKEN)
    assert caught.value.code == 100 and "does not exist" in caught.value.reason


def test_a_body_over_a_limit_is_refused_like_meta_does(world) -> None:  # type: ignore[no-untyped-def]
    fake, client = world
    body = messages.text(TO, "hi")
    body["text"]["body"] = "x" * 4097  # past the builder, straight to the API
    with pytest.raises(PermanentError) as caught:
        client.send_message(PNID, TOKEN, body)
    assert caught.value.code == 131009 and "4096" in caught.value.reason
    assert fake.sent == []


def test_a_slow_answer_is_a_retryable_timeout(world) -> None:  # type: ignore[no-untyped-def]
    fake, client = world
    fake.slow_next(1.5)
    with pytest.raises(RetryableError) as caught:
        client.send_message(PNID, TOKEN, messages.text(TO, "hi"))
    assert "in time" in caught.value.reason


def test_nobody_listening_is_retryable() -> None:
    with httpx.Client() as http:
        client = CloudClient(http, "http://127.0.0.1:9", "v23.0", timeout=0.5)
        with pytest.raises(RetryableError):
            client.send_message(PNID, TOKEN, messages.text(TO, "hi"))

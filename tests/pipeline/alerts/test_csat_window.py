"""The satisfaction survey and the 24-hour window, judged when the message is sent: a list
written while the shopper's window was open goes as the approved csat template (marketing,
opted-in shoppers only) when the window has closed by the time it is sent, or when Meta
answers 131047; with no approved template it is skipped, and the survey says why — as it
does for an invitation skipped for STOP. On Shopify, through signed webhooks and the fake
Graph API (exact bodies)."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from plugin.domain import csat
from plugin.domain.outbox import MessageState
from plugin.infra import db, queue
from plugin.models import Customer, Message, SurveyState
from tests.pipeline.alerts.conftest import ShopifyAlerts
from tests.pipeline.alerts.csat_world import (
    approve_template,
    days_pass,
    messages,
    sent,
    surveys,
    switch,
)
from tests.pipeline.alerts.price_world import opt_in
from tests.pipeline.alerts.test_csat_shopify import ANA, delivered, order

DAYS = 3.1  # when the survey is due (3 days after delivery by default)


@pytest.fixture
def store(shopify: ShopifyAlerts) -> ShopifyAlerts:
    """The survey on; Ana, opted in, ordered #1001 and it was delivered."""
    shopify.webhook("orders/create", order(1001))
    opt_in(shopify, ANA)
    switch(shopify, on=True)
    shopify.webhook("fulfillments/update", delivered(1001))
    return shopify


def wrote_last(world: ShopifyAlerts, hours_before_due: float) -> None:
    """Ana's last message came this long before the survey is due."""
    with world.app.app_context(), db.transaction() as session:
        at = db.utcnow() + timedelta(days=DAYS) - timedelta(hours=hours_before_due)
        session.execute(update(Customer).where(Customer.phone_e164 == ANA)
                        .values(last_inbound_at=at))


def invitation(survey_id: int) -> dict[str, Any]:
    """The csat template as the fake Graph receives it for Ana's #1001."""
    return {"messaging_product": "whatsapp", "recipient_type": "individual",
            "to": ANA.lstrip("+"), "type": "template", "template": {
                "name": "csat", "language": {"code": "en"}, "components": [
                    {"type": "body", "parameters": [{"type": "text", "text": "Ana"},
                                                    {"type": "text", "text": "#1001"}]},
                    {"type": "button", "sub_type": "quick_reply", "index": "0",
                     "parameters": [{"type": "payload", "payload": f"csat:{survey_id}"}]}]},
            "biz_opaque_callback_data": ""}


def without_marker(body: dict[str, Any]) -> dict[str, Any]:
    return {**body, "biz_opaque_callback_data": ""}


def held_sends(world: ShopifyAlerts, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Send jobs asked for from now on are held (the send rate, quiet hours); their ids."""
    real = queue.enqueue
    held: list[int] = []

    def enqueue(job: queue.Job, row_id: int, delay: float = 0) -> bool:
        if job == queue.Job.SEND_MESSAGE.value:
            held.append(row_id)
            return True
        return real(job, row_id, delay)

    monkeypatch.setattr(queue, "enqueue", enqueue)
    return held


def the_window_closes_and_it_is_sent(world: ShopifyAlerts, held: list[int],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.undo()
    with world.app.app_context(), db.transaction() as session:
        session.execute(update(Customer).where(Customer.phone_e164 == ANA)
                        .values(last_inbound_at=db.utcnow() - timedelta(hours=25)))
    world.app.extensions["storechat.limiter"].storage.reset()
    with world.app.app_context():
        for message_id in held:
            queue.enqueue(queue.Job.SEND_MESSAGE, message_id)


def send_pending(world: ShopifyAlerts) -> None:
    """Send what waits in the outbox now, as if the seconds that space messages to one
    shopper (Meta's pair limit) had passed between each."""
    with world.app.app_context():
        with db.transaction() as session:
            session.execute(update(Message).where(
                Message.state == MessageState.PENDING.value).values(not_before=None))
            pending = list(session.scalars(select(Message.id).where(
                Message.state == MessageState.PENDING.value).order_by(Message.id)))
        for message_id in pending:
            world.app.extensions["storechat.limiter"].storage.reset()
            queue.enqueue(queue.Job.SEND_MESSAGE, message_id)


def test_within_the_window_the_list_goes(store: ShopifyAlerts) -> None:
    approve_template(store)
    wrote_last(store, hours_before_due=2)
    assert days_pass(store, DAYS) == 1
    [score_list] = sent(store)
    assert score_list["type"] == "interactive"
    assert score_list["interactive"]["type"] == "list"


def test_a_list_held_until_the_window_closed_goes_as_the_template(
        store: ShopifyAlerts, monkeypatch: pytest.MonkeyPatch) -> None:
    approve_template(store)
    wrote_last(store, hours_before_due=2)
    held = held_sends(store, monkeypatch)
    assert days_pass(store, DAYS) == 1 and len(held) == 1
    the_window_closes_and_it_is_sent(store, held, monkeypatch)
    [survey] = surveys(store)
    assert [without_marker(b) for b in sent(store)] == [invitation(survey.id)]
    assert survey.state == SurveyState.SENT
    assert messages(store) == [(f"csat:{survey.id}", "csat", MessageState.SENT.value)]


def test_meta_answering_131047_sends_the_template_instead(store: ShopifyAlerts) -> None:
    approve_template(store)
    wrote_last(store, hours_before_due=2)
    # Our clock said open; Meta's says closed (the shopper's last message was elsewhere).
    store.graph.fail_next(131047, message="Re-engagement message")
    assert days_pass(store, DAYS) == 1
    send_pending(store)
    [survey] = surveys(store)
    assert [without_marker(b) for b in sent(store)] == [invitation(survey.id)]


def test_no_template_and_a_closed_window_is_skipped_with_its_reason(
        store: ShopifyAlerts, monkeypatch: pytest.MonkeyPatch) -> None:
    wrote_last(store, hours_before_due=2)  # no approved csat template
    held = held_sends(store, monkeypatch)
    assert days_pass(store, DAYS) == 1
    the_window_closes_and_it_is_sent(store, held, monkeypatch)
    assert sent(store) == []
    assert days_pass(store, DAYS + 1) == 0  # the next sweep settles it
    [survey] = surveys(store)
    assert survey.state == SurveyState.SKIPPED
    assert survey.reason == ("the invitation was skipped: free-form messages need an open "
                             "24-hour window; send a template instead")


def test_no_template_and_a_closed_window_when_due_is_skipped_at_once(
        store: ShopifyAlerts) -> None:
    wrote_last(store, hours_before_due=30)
    assert days_pass(store, DAYS) == 0
    [survey] = surveys(store)
    assert (survey.state, survey.reason) == (SurveyState.SKIPPED,
                                             "no approved “csat” template to carry it")
    with store.app.app_context():
        assert db.session().scalars(select(Message).where(
            Message.cause.startswith(csat.CAUSE_PREFIX))).all() == []


def test_an_invitation_skipped_for_stop_leaves_the_survey_skipped(
        store: ShopifyAlerts) -> None:
    approve_template(store)
    store.writes(ANA, "STOP")
    assert days_pass(store, DAYS) == 1
    assert sent(store) == []
    days_pass(store, DAYS + 1)
    [survey] = surveys(store)
    assert survey.state == SurveyState.SKIPPED
    assert survey.reason == "the invitation was skipped: the customer opted out of marketing"



def onboard(world: ShopifyAlerts) -> None:
    """The number is onboarded to Meta's Marketing Messages API."""
    from plugin.models import WhatsAppAccount
    from tests.pipeline.catalog.e2e_world import PNID

    world.graph.onboard_marketing(PNID)
    with world.app.app_context(), db.transaction() as session:
        for account in session.scalars(select(WhatsAppAccount)):
            account.marketing_messages_api = True


def endpoints(world: ShopifyAlerts) -> list[tuple[str, str]]:
    """(message type, Graph endpoint) of each survey message the fake Graph accepted."""
    return [(s.payload["type"], s.endpoint) for s in world.graph.sent
            if s.payload in sent(world)]


def test_the_list_goes_to_messages_even_where_marketing_messages_are_on(
        store: ShopifyAlerts) -> None:
    # The list is marketing for consent and caps, but not a template: the Marketing
    # Messages API takes templates only.
    onboard(store)
    approve_template(store)
    wrote_last(store, hours_before_due=2)
    assert days_pass(store, DAYS) == 1
    assert endpoints(store) == [("interactive", "messages")]


def test_the_template_goes_by_its_category(store: ShopifyAlerts) -> None:
    onboard(store)
    approve_template(store)  # MARKETING, as the starter
    wrote_last(store, hours_before_due=30)
    assert days_pass(store, DAYS) == 1
    assert endpoints(store) == [("template", "marketing_messages")]


def test_a_utility_survey_template_goes_to_messages_and_still_needs_the_opt_in(
        store: ShopifyAlerts) -> None:
    from plugin.models import Template

    onboard(store)
    approve_template(store)
    with store.app.app_context(), db.transaction() as session:
        session.scalars(select(Template).where(Template.name == "csat")).one().category = \
            "UTILITY"
    wrote_last(store, hours_before_due=30)
    assert days_pass(store, DAYS) == 1
    assert endpoints(store) == [("template", "messages")]

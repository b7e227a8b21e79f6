"""The Analytics page's conversation, keyword, widget and health sections through the real
paths: a shopper writes through Meta's signed webhook, the team answers and resolves in the
inbox, Meta reports the number's quality and the account's standing; each table as CSV, the
same figures in the API, warnings on the home page, and nothing of another owner's store."""
from __future__ import annotations

import csv
import io
import json
import re
import time
from html import unescape
from typing import Any

from sqlalchemy import select

from plugin.auth import api_tokens
from plugin.auth.api_tokens import Scope
from plugin.infra import db
from plugin.models import (
    Conversation,
    ConversationRollup,
    NumberHealth,
    Store,
    WhatsAppAccount,
    WidgetCounter,
)
from plugin.pipeline import rollups
from tests.admin.api.world import call
from tests.conftest import create_owner, csrf_token, shared_fixture, sign_in
from tests.worlds.inbox import InboxWorld


def _quality(event: str, at: int, limit: str = "TIER_2K") -> bytes:
    """A phone_number_quality_update as Meta's reference shows it."""
    return json.dumps({"object": "whatsapp_business_account", "entry": [{
        "id": "WABA", "time": at, "changes": [{"field": "phone_number_quality_update",
                                               "value": {"display_phone_number": "15550783881",
                                                         "event": event,
                                                         "current_limit": limit}}]}]}).encode()


def _page(world: InboxWorld, path: str = "analytics?days=7") -> str:
    response = world.client.get(f"/stores/{world.store_id}/{path}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return unescape(response.get_data(as_text=True))


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _section(page: str, section_id: str) -> str:
    found = re.search(rf'<section[^>]*id="{section_id}".*?</section>', page, re.S)
    assert found is not None, section_id
    return found.group(0)


def _csv(world: InboxWorld, name: str) -> list[list[str]]:
    response = world.client.get(f"/stores/{world.store_id}/analytics/{name}.csv?days=7")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def _token(world: InboxWorld) -> str:
    with world.app.app_context(), db.transaction() as session:
        return api_tokens.issue(session, world.store_id, "r", Scope.READ, "test")[1]


def _team_answers_and_resolves(world: InboxWorld) -> None:
    world.writes("Where is my parcel? The tracking number says nothing", "wamid.IN1")
    with world.app.app_context():
        conversation = db.session().scalars(select(Conversation.id)).one()
    url = f"/stores/{world.store_id}/inbox/{conversation}"
    world.app.extensions["storechat.limiter"].storage.reset()
    token = csrf_token(world.client, f"/stores/{world.store_id}/inbox")
    assert world.client.post(f"{url}/reply", data={"csrf_token": token, "text": "On its way!"}
                             ).status_code in (200, 302)
    assert world.client.post(f"{url}/manage", data={
        "csrf_token": token, "action": "status", "status": "resolved"}).status_code in (200, 302)


def test_a_conversation_answered_and_resolved_shows_in_every_figure(
        inbox_world: InboxWorld) -> None:
    _team_answers_and_resolves(inbox_world)
    page = _page(inbox_world)
    conversations = _text(_section(page, "conversation-figures"))
    assert "Conversations started 1" in conversations
    assert "Conversations resolved 1" in conversations
    assert "0.0% (0 of 1 replies" in conversations  # the team's only: nothing automatic
    trends = _section(page, "keyword-trends")
    assert 'data-language="en"' in trends and 'data-term="parcel"' in trends
    assert 'data-term="tracking number"' in trends and 'data-term="the"' not in trends
    rows = {r[0]: r for r in _csv(inbox_world, "conversations")}
    assert rows["Conversations resolved"][1] == "1"
    assert rows["First reply minutes (the team)"][2] == "1"  # over one first reply
    assert ["en", "parcel", "1", "0", "+1"] in _csv(inbox_world, "keywords")
    token = _token(inbox_world)
    body = call(inbox_world.client, "GET",
                f"/api/v1/analytics/conversations?store={inbox_world.store_id}&days=7",
                token).json
    assert body is not None
    assert (body["started"], body["resolved"], body["team_replies"]) == (1, 1, 1)
    team = next(t for t in body["reply_times"] if t["whose"] == "team")
    assert team["first_replies"] == 1 and team["replies"] == 1
    keywords = call(inbox_world.client, "GET",
                    f"/api/v1/analytics/keywords?store={inbox_world.store_id}&days=7",
                    token).json
    assert keywords is not None
    [english] = keywords["languages"]
    assert english["language"] == "en"
    assert {"term": "parcel", "this_period": 1, "previous_period": 0, "change": 1} \
        in english["terms"]


def test_a_second_resolve_and_a_redelivered_message_count_once(
        inbox_world: InboxWorld) -> None:
    _team_answers_and_resolves(inbox_world)
    inbox_world.writes("Where is my parcel? The tracking number says nothing", "wamid.IN1")
    with inbox_world.app.app_context():
        figures = {(r.figure, r.detail): r.n for r in db.session().scalars(
            select(ConversationRollup))}
    assert figures[("inbound", "")] == 1 and figures[("resolved", "")] == 1


def test_the_quality_webhook_is_stored_shown_and_warned_about(inbox_world: InboxWorld) -> None:
    now = int(time.time())
    assert inbox_world.post_webhook(_quality("FLAGGED", now)) == 200
    # A redelivery of an older event does not undo the newer one.
    assert inbox_world.post_webhook(_quality("UNFLAGGED", now - 3600)) == 200
    with inbox_world.app.app_context():
        [row] = db.session().scalars(select(NumberHealth)).all()
    assert (row.display_phone_number, row.flagged, row.messaging_limit) == (
        "15550783881", True, "TIER_2K")
    health = _section(_page(inbox_world), "number-health")
    assert "Flagged: quality is low" in health and 'data-warning="number"' in health
    home = unescape(inbox_world.client.get("/").get_data(as_text=True))
    assert 'data-warning="number"' in home and "Meta flagged your number 15550783881" in home
    assert _csv(inbox_world, "health")[1][:5] == ["15550783881", "WABA", "yes", "FLAGGED",
                                                  "TIER_2K"]
    body = call(inbox_world.client, "GET",
                f"/api/v1/analytics/health?store={inbox_world.store_id}",
                _token(inbox_world)).json
    assert body is not None and [w["key"] for w in body["warnings"]] == ["number"]
    assert body["numbers"][0]["flagged"] is True
    assert inbox_world.post_webhook(_quality("UNFLAGGED", now + 60, "TIER_10K")) == 200
    home = unescape(inbox_world.client.get("/").get_data(as_text=True))
    assert 'data-warning="number"' not in home
    assert "TIER_10K" in _section(_page(inbox_world), "number-health")


def _recorded(name: str) -> dict[str, Any]:
    examples: dict[str, Any] = json.loads(shared_fixture(
        "whatsapp", "pywa", "updates", "account_update.json").read_text())
    return dict(examples[name])


def test_recorded_account_updates_keep_the_standing_and_skip_the_rest(
        inbox_world: InboxWorld) -> None:
    restriction = _recorded("account_restriction")
    with inbox_world.app.app_context(), db.transaction() as session:
        account = session.scalars(select(WhatsAppAccount)).one()
        account.waba_id = restriction["entry"][0]["id"]
    assert inbox_world.post_webhook(json.dumps(_recorded("pricing_tiering_update")).encode()) \
        == 200
    with inbox_world.app.app_context():
        assert db.session().scalars(select(NumberHealth)).all() == []
    assert inbox_world.post_webhook(json.dumps(restriction).encode()) == 200
    with inbox_world.app.app_context():
        [row] = db.session().scalars(select(NumberHealth)).all()
    assert (row.display_phone_number, row.account_event) == ("", "ACCOUNT_RESTRICTION")
    assert "RESTRICTED_BIZ_INITIATED_MESSAGING" in row.account_detail
    home = unescape(inbox_world.client.get("/").get_data(as_text=True))
    assert 'data-warning="account"' in home


def test_widget_events_per_page_and_product_with_the_csv(inbox_world: InboxWorld) -> None:
    with inbox_world.app.app_context(), db.transaction() as session:
        store = session.get(Store, inbox_world.store_id)
        assert store is not None
        today = rollups.store_today(store.timezone)
        session.add_all([
            WidgetCounter(store_id=store.id, day=today, kind="open", path="/p/linen",
                          product="SKU-1", count=10),
            WidgetCounter(store_id=store.id, day=today, kind="click", path="/p/linen",
                          product="SKU-1", count=4),
            WidgetCounter(store_id=store.id, day=today, kind="optin", path="/p/linen",
                          product="SKU-1", count=2),
            WidgetCounter(store_id=store.id, day=today, kind="click", path="/", product="",
                          count=1),
        ])
    widget = _text(_section(_page(inbox_world), "widget-figures"))
    assert "/p/linen SKU-1 10 4 (40.0% of opens) 2" in widget
    assert _csv(inbox_world, "widget")[1:] == [["/p/linen", "SKU-1", "10", "4", "2", "40.0"],
                                               ["/", "", "0", "1", "0", ""]]
    body = call(inbox_world.client, "GET",
                f"/api/v1/analytics/widget?store={inbox_world.store_id}&days=7",
                _token(inbox_world)).json
    assert body is not None and body["lines"][0] == {
        "page": "/p/linen", "product": "SKU-1", "opens": 10, "clicks": 4, "optins": 2}


def test_another_owners_store_answers_404(inbox_world: InboxWorld) -> None:
    create_owner(inbox_world.app, "other@example.com")
    other = inbox_world.app.test_client()
    assert sign_in(other, "other@example.com").status_code == 302
    for name in ("conversations", "keywords", "widget", "health"):
        assert other.get(f"/stores/{inbox_world.store_id}/analytics/{name}.csv"
                         ).status_code == 404

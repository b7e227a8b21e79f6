"""The real paths keep the conversation rollups: a shopper's message through Meta's signed
webhook, the greeting the automatic answers write (an automatic reply), a message written
skipped (no reply at all), and the team's reply written later."""
from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from plugin.infra import db
from plugin.models import ConversationRollup, Customer
from plugin.pipeline import outbox
from tests.pipeline import test_conversation_e2e as conversation
from tests.pipeline.test_auto_answers import World, switch_on, writes

world = conversation.world


def _figures(app: Flask, store_id: int) -> dict[tuple[str, str], int]:
    with app.app_context():
        return {(r.figure, r.detail): r.n for r in db.session().scalars(
            select(ConversationRollup).where(ConversationRollup.store_id == store_id))}


def test_an_automatic_greeting_then_the_teams_reply(world: World) -> None:
    app, fake, store_id = world
    switch_on(app, store_id)
    writes(app, "wamid.H1", "Do you ship to Madeira?")
    assert len(fake.sent) == 1  # the greeting
    figures = _figures(app, store_id)
    assert figures[("replies", "automatic")] == 1
    assert figures[("first_reply", "any")] == 1 and ("first_reply", "team") not in figures
    with app.app_context(), db.transaction() as session:
        customer = session.scalars(select(Customer).where(Customer.store_id == store_id)).one()
        assert outbox.write(session, store_id=store_id, customer_id=customer.id,
                            cause="inbox:1", step="agent:1:a", to="+351", payload={},
                            skipped="no consent") is not None
        assert outbox.write(session, store_id=store_id, customer_id=customer.id,
                            cause="inbox:1", step="agent:1:b", to="+351", payload={}) is not None
    figures = _figures(app, store_id)
    assert figures[("replies", "team")] == 1  # the skipped one is no reply
    # The team's first reply still answers the shopper's message; any reply's clock had
    # already stopped at the greeting.
    assert figures[("first_reply", "team")] == 1 and figures[("reply", "any")] == 1
    assert figures[("started", "")] == 1 and figures[("inbound", "")] == 1

"""The reply clock's moves, without a database: a message starts a conversation (once) and
its waits, a reply stops them with their business seconds and counts the first reply once
per conversation, a team reply stops the team's wait too, a resolution starts it over; and
which messages are replies and which shopper messages wait for one."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from plugin.domain import business_hours
from plugin.domain.conversation_figures import (
    AUTOMATIC,
    TEAM,
    Figure,
    close,
    reply_kind,
    start_wait,
    stop_wait,
    waits_for_reply,
)

ALWAYS = business_hours.read(None, None, "UTC")
T = datetime(2026, 11, 2, 10)


@dataclass
class Clock:
    open: bool = False
    waiting_since: datetime | None = None
    team_waiting_since: datetime | None = None
    first_pending: bool = True
    team_first_pending: bool = True


def test_a_message_starts_a_conversation_once_and_waits_from_its_oldest_message() -> None:
    clock = Clock()
    assert start_wait(clock, T) == [(Figure.STARTED, "", 1)]
    assert start_wait(clock, T + timedelta(minutes=5)) == []
    assert clock.waiting_since == clock.team_waiting_since == T


def test_an_automatic_reply_stops_only_the_wait_for_any_reply() -> None:
    clock = Clock()
    start_wait(clock, T)
    counts = stop_wait(clock, AUTOMATIC, T + timedelta(minutes=10), ALWAYS)
    assert counts == [(Figure.REPLY, "any", 1), (Figure.REPLY_SECONDS, "any", 600),
                      (Figure.FIRST_REPLY, "any", 1), (Figure.FIRST_REPLY_SECONDS, "any", 600),
                      (Figure.FIRST_OVER_TARGET, "any", 1)]
    assert clock.waiting_since is None and clock.team_waiting_since == T
    # The team answers later: its own first reply, over the whole wait.
    team = stop_wait(clock, TEAM, T + timedelta(minutes=20), ALWAYS)
    assert (Figure.FIRST_REPLY_SECONDS, "team", 1200) in team
    assert not any(detail == "any" for _, detail, _ in team)
    # Another message and reply: a reply, but no longer the first.
    start_wait(clock, T + timedelta(minutes=30))
    again = stop_wait(clock, TEAM, T + timedelta(minutes=31), ALWAYS)
    assert (Figure.REPLY, "team", 1) in again
    assert not any(figure is Figure.FIRST_REPLY for figure, _, _ in again)


def test_a_resolution_stops_the_waits_and_the_next_message_starts_over() -> None:
    clock = Clock()
    start_wait(clock, T)
    stop_wait(clock, TEAM, T + timedelta(minutes=1), ALWAYS)
    start_wait(clock, T + timedelta(minutes=2))
    close(clock)
    assert stop_wait(clock, TEAM, T + timedelta(minutes=3), ALWAYS) == []
    assert start_wait(clock, T + timedelta(minutes=4)) == [(Figure.STARTED, "", 1)]
    assert clock.first_pending and clock.team_first_pending


def test_replies_and_messages_that_wait() -> None:
    assert reply_kind("answer:wamid.x", "greeting") == AUTOMATIC
    assert reply_kind("inbox:4", "agent:1:ab") == TEAM
    assert reply_kind("campaign:7", "c") is None
    assert waits_for_reply("text", "")
    assert not waits_for_reply("reaction", "")
    assert not waits_for_reply("list_reply", "csat:4:9")

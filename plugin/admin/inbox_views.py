"""The team inbox as people read it: the conversation list with its filters, and one
conversation as a thread of bubbles (received messages, our messages from every path with
their ticks, private notes), its service window and the customer beside it.

Shared by the inbox pages (plugin.admin.inbox) and the JSON API (plugin.admin.api.inbox);
everything is read through plugin.auth.tenancy.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, cast, exists, func, or_, select
from sqlalchemy.orm import Session

from plugin.admin.message_views import RowButton, message_rows_where
from plugin.domain import inbox
from plugin.domain.policy import SERVICE_WINDOW
from plugin.models import (
    Conversation,
    ConversationNote,
    Customer,
    Message,
    Order,
    Owner,
    ReceivedMessage,
)

# The list shows this many conversations, the thread this many of the newest messages.
LIST_LIMIT = 50
THREAD_LIMIT = 100
VIEWS = ("all", "mine", "unassigned")
# Unread conversations are counted up to this many; the tab then says "99+".
UNREAD_CAP = 100
# OpenStreetMap shows a received location without a key or a script of ours.
MAP_LINK = "https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=16/{lat}/{lon}"


@dataclass(frozen=True, slots=True)
class Filters:
    """What the list shows: a view, a status, a tag, a search (name, phone, order number)."""

    view: str = "all"
    status: str = ""
    tag: str = ""
    search: str = ""

    @classmethod
    def read(cls, args: Any) -> Filters:
        """Filters from a query string; unknown values fall back to showing everything."""
        view = args.get("view", "all")
        status = args.get("status", "")
        return cls(view=view if view in VIEWS else "all",
                   status=status if status in inbox.Status.__members__.values() else "",
                   tag=str(args.get("tag", "")).strip().lower()[:30],
                   search=str(args.get("q", "")).strip()[:60])

    def query(self) -> dict[str, str]:
        """The filters as query-string arguments (empty ones left out)."""
        return {k: v for k, v in (("view", self.view), ("status", self.status),
                                  ("tag", self.tag), ("q", self.search)) if v and v != "all"}


@dataclass(frozen=True, slots=True)
class ConversationRow:
    """One line of the conversation list."""

    id: int
    customer_id: int
    name: str
    phone: str
    status: str
    assignee: str
    assignee_id: int | None
    unread: int
    preview: str
    last_message_at: datetime
    tags: tuple[str, ...]


def customer_name(customer: Customer | Any) -> str:
    """The customer's name, else their number, else a placeholder."""
    name = " ".join(p for p in (customer.first_name, customer.last_name) if p).strip()
    return name or customer.phone_e164 or "Unknown customer"


def conversations(session: Session, store_id: int, filters: Filters, viewer_id: int | None,
                  now: datetime, limit: int = LIST_LIMIT,
                  after: int | None = None) -> list[ConversationRow]:
    """The store's conversations matching `filters`, the most recent first; with `after`
    (a conversation id of the store), only those listed after that one."""
    query = (select(Conversation, Customer.first_name, Customer.last_name,
                    Customer.phone_e164, Owner.email)
             .join(Customer, Customer.id == Conversation.customer_id)
             .outerjoin(Owner, Owner.id == Conversation.assignee_id)
             .where(Conversation.store_id == store_id))
    if filters.view == "mine":
        query = query.where(Conversation.assignee_id == (viewer_id or 0))
    elif filters.view == "unassigned":
        query = query.where(Conversation.assignee_id.is_(None))
    if filters.status == inbox.Status.SNOOZED:
        query = query.where(Conversation.status == "snoozed", Conversation.snoozed_until > now)
    elif filters.status == inbox.Status.OPEN:
        query = query.where(or_(Conversation.status == "open", (
            (Conversation.status == "snoozed") & (Conversation.snoozed_until <= now))))
    elif filters.status:
        query = query.where(Conversation.status == filters.status)
    if filters.tag:
        # Tags are JSON lists of checked words: the quoted tag cannot match across items.
        query = query.where(cast(Conversation.tags, String).like(f'%"{filters.tag}"%'))
    if filters.search:
        query = query.where(_search(store_id, filters.search))
    if after is not None:
        last = session.scalar(select(Conversation.last_message_at).where(
            Conversation.id == after, Conversation.store_id == store_id))
        if last is not None:
            query = query.where(or_(Conversation.last_message_at < last, (
                (Conversation.last_message_at == last) & (Conversation.id < after))))
    rows = session.execute(query.order_by(Conversation.last_message_at.desc(),
                                          Conversation.id.desc()).limit(limit))
    return [ConversationRow(
        id=c.id, customer_id=c.customer_id,
        name=" ".join(p for p in (first, last) if p).strip() or phone or "Unknown customer",
        phone=phone or "", status=inbox.current_status(c.status, c.snoozed_until, now).value,
        assignee=email or "", assignee_id=c.assignee_id, unread=c.unread,
        preview=c.last_preview, last_message_at=c.last_message_at, tags=tuple(c.tags or ()))
        for c, first, last, phone, email in rows]


def _search(store_id: int, text: str) -> Any:
    """Name, phone (digits anywhere in the number) or an order number of the customer."""
    like = f"%{text.replace('%', '').replace('_', '')}%"
    digits = "".join(ch for ch in text if ch.isdigit())
    clauses = [Customer.first_name.ilike(like), Customer.last_name.ilike(like),
               (Customer.first_name + " " + Customer.last_name).ilike(like),
               exists().where(Order.store_id == store_id,
                              Order.customer_id == Customer.id,
                              Order.number == text.lstrip("#"))]
    if len(digits) >= 3:
        clauses.append(Customer.phone_e164.like(f"%{digits}%"))
    return or_(*clauses)


def unread_counts(session: Session, store_id: int, viewer_id: int | None) -> dict[str, int]:
    """Conversations with unread messages per view (all, mine, unassigned), counted up to
    UNREAD_CAP (shown as "99+"): an index range over the unread ones, never the store."""
    def count(*where: Any) -> int:
        unread = (select(Conversation.id).where(Conversation.store_id == store_id,
                                                Conversation.unread > 0, *where)
                  .limit(UNREAD_CAP).subquery())
        return int(session.scalar(select(func.count()).select_from(unread)) or 0)

    return {"all": count(), "mine": count(Conversation.assignee_id == (viewer_id or 0)),
            "unassigned": count(Conversation.assignee_id.is_(None))}


@dataclass(frozen=True, slots=True)
class Bubble:
    """One entry of a thread: a received message, one of ours, or a private note."""

    key: str  # "in-<id>", "out-<id>", "note-<id>": unique across the three
    side: str  # "in" | "out" | "note"
    at: datetime
    kind: str
    text: str
    ticks: str = ""
    state: str = ""
    state_words: str = ""
    reason: str = ""
    media_id: int | None = None  # a received message with a stored file
    media_state: str = ""
    media_note: str = ""
    media_mime: str = ""
    map_link: str = ""
    buttons: tuple[RowButton, ...] = ()
    author: str = ""
    read: bool = False


@dataclass(frozen=True, slots=True)
class Window:
    """The 24-hour service window: open until `closes_at` (UTC), or closed."""

    open: bool
    closes_at: datetime | None
    words: str


@dataclass(frozen=True, slots=True)
class Thread:
    """One conversation as its page shows it."""

    conversation: Conversation
    customer: Customer
    name: str
    bubbles: list[Bubble]
    window: Window
    orders: list[Order]
    customer_tags: list[str] = field(default_factory=list)


def window(last_inbound_at: datetime | None, now: datetime) -> Window:
    """The window's state now; its words name the closing time, which does not change from
    one poll to the next (the page counts down to it)."""
    if inbox.window_left(last_inbound_at, now) is None or last_inbound_at is None:
        return Window(False, None, "closed: only an approved template can reach this customer")
    closes = last_inbound_at + SERVICE_WINDOW
    return Window(True, closes, f"open until {closes:%d %b %H:%M} UTC")


def _received(row: ReceivedMessage) -> Bubble:
    location = row.details.get("location") if isinstance(row.details, dict) else None
    text = row.text
    link = ""
    if row.kind == "location" and isinstance(location, dict):
        link = MAP_LINK.format(lat=location.get("latitude"), lon=location.get("longitude"))
        text = " · ".join(str(location[k]) for k in ("name", "address") if location.get(k))
    if row.kind == "order" and isinstance(row.details.get("order"), dict):
        items = row.details["order"].get("product_items") or []
        text = (text + " " if text else "") + f"({len(items)} item(s) from the catalog)"
    return Bubble(key=f"in-{row.id}", side="in", at=row.received_at, kind=row.kind,
                  text=text, media_id=row.id if row.media_state == "stored" else None,
                  media_state=row.media_state or "", media_note=row.media_note or "",
                  media_mime=row.media_mime or "", map_link=link,
                  read=row.read_at is not None)


def thread(session: Session, conversation: Conversation, now: datetime,
           limit: int = THREAD_LIMIT) -> Thread:
    """The conversation's newest messages of every path and its notes, oldest first."""
    customer = session.get(Customer, conversation.customer_id)
    assert customer is not None
    received = session.scalars(select(ReceivedMessage).where(
        ReceivedMessage.conversation_id == conversation.id)
        .order_by(ReceivedMessage.id.desc()).limit(limit))
    bubbles = [_received(r) for r in received]
    for row in message_rows_where(session, conversation.store_id, limit,
                                  Message.customer_id == customer.id, now=now):
        bubbles.append(Bubble(key=f"out-{row.id}", side="out", at=row.created_at,
                              kind=row.template or "text", text=row.text, ticks=row.ticks,
                              state=row.state, state_words=row.state_words,
                              reason=row.reason, buttons=row.buttons,
                              author="Team" if row.step.startswith("agent:")
                              or row.cause.startswith("inbox:") else "Automatic"))
    for note in session.scalars(select(ConversationNote).where(
            ConversationNote.conversation_id == conversation.id)
            .order_by(ConversationNote.id.desc()).limit(limit)):
        bubbles.append(Bubble(key=f"note-{note.id}", side="note", at=note.created_at,
                              kind="note", text=note.body, author=note.author))
    bubbles.sort(key=lambda b: (b.at, b.key))
    orders = list(session.scalars(select(Order).where(
        Order.store_id == conversation.store_id, Order.customer_id == customer.id)
        .order_by(Order.created_at.desc()).limit(5)))
    return Thread(conversation=conversation, customer=customer, name=customer_name(customer),
                  bubbles=bubbles[-limit:], window=window(customer.last_inbound_at, now),
                  orders=orders, customer_tags=[str(t) for t in customer.tags or []])


def snooze_choices(now: datetime) -> list[tuple[str, datetime]]:
    """The snooze times offered: in an hour, tomorrow, next week."""
    return [("1 hour", now + timedelta(hours=1)), ("Tomorrow", now + timedelta(days=1)),
            ("Next week", now + timedelta(days=7))]


def version(session: Session, store_id: int, conversation: Conversation | None) -> str:
    """A cheap fingerprint of what the open inbox page shows: the store's newest
    conversation change (every message, reply, assignment, note bumps it) and, for the open
    conversation, its outbound messages' count and status stamps (the ticks)."""
    newest = session.scalar(select(func.max(Conversation.updated_at)).where(
        Conversation.store_id == store_id))
    parts = [str(newest)]
    if conversation is not None:
        ticks = session.execute(select(
            func.count(Message.id), func.max(Message.id), func.count(Message.sent_at),
            func.count(Message.delivered_at), func.count(Message.read_at),
            func.count(Message.failed_at), func.max(Message.state))
            .where(Message.customer_id == conversation.customer_id)).one()
        parts.append(repr(tuple(ticks)))
    return "|".join(parts)

"""The team inbox: conversations, their messages (every path's, in order), replies under
the same window and template rules as the inbox page (text, buttons, lists, location
requests, product cards, files, templates), assignment, resolving, and the store's quick
replies."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from flask import current_app, request
from pydantic import BaseModel, Field
from spectree import Tag
from spectree.model_adapter.pydantic_adapter import BaseFile
from werkzeug.datastructures import FileStorage

from plugin.admin import inbox_views
from plugin.admin.api import access
from plugin.admin.api.base import blueprint, documented, spec
from plugin.admin.api.paging import ListQuery, StoreQuery, Strict, after_cursor, utc
from plugin.admin.api.problems import ApiError, Problem, ProblemCode
from plugin.auth import roles
from plugin.auth.roles import Role
from plugin.domain import inbox
from plugin.domain.inbox import InboxError
from plugin.infra import db
from plugin.infra.ids import MAX_ROW_ID
from plugin.models import Conversation, Customer
from plugin.pipeline.inbox import attachments, compose, manage, products, quick_replies

TAG = Tag(name="inbox", description="Customer conversations, answered by the store's people.")

# Agents answer the inbox through the API as on its pages.
roles.declare_module(__name__, Role.AGENT)


class ConversationQuery(ListQuery):
    """Filters of the conversation list."""

    view: Literal["all", "mine", "unassigned"] = "all"
    status: inbox.Status | None = None
    tag: str | None = Field(default=None, max_length=30)
    q: str | None = Field(default=None, max_length=60,
                          description="A name, part of a phone number, or an order number.")


class ConversationOut(BaseModel):
    """A conversation as the inbox list shows it."""

    id: int
    customer_id: int
    name: str
    phone: str
    status: str = Field(description="open, pending, resolved or snoozed.")
    assignee_id: int | None
    unread: int
    preview: str
    last_message_at: datetime | None
    tags: list[str]


class ConversationList(BaseModel):
    """Conversations, the most recent first."""

    data: list[ConversationOut]
    next_cursor: str | None


class EntryOut(BaseModel):
    """One entry of a conversation: a received message, one of ours, or a private note."""

    key: str = Field(description="in-<id>, out-<id> (a message of GET /messages) or "
                     "note-<id>.")
    side: Literal["in", "out", "note"]
    at: datetime | None
    kind: str
    text: str
    state: str = Field(description="For ours: pending, sending, sent, delivered, read, "
                       "failed or skipped.")
    reason: str
    media_url: str = Field(description="A received file, for the store's signed-in people.")
    media_state: str = Field(description="pending, stored, refused or failed ('' without).")
    map_link: str


class ThreadOut(BaseModel):
    """A conversation's newest entries, oldest first, and its service window."""

    conversation: ConversationOut
    window_open: bool
    window_closes_at: datetime | None
    data: list[EntryOut]


class ReplyIn(Strict):
    """A reply: text, up to 3 buttons, a list of up to 10 rows, a location request, one
    or several synced catalog products (`product`), a file already uploaded to the
    number (`media`: its Meta media id; or POST .../attachments to upload one), or an
    approved template with its values. Free-form kinds need the 24-hour window open."""

    type: Literal["text", "buttons", "list", "location_request", "template", "product",
                  "media"] = "text"
    text: str = Field(default="", max_length=10_000, description="A /shortcut expands "
                      "to that quick reply. WhatsApp takes at most 4,096 characters.")
    buttons: list[str] = Field(default_factory=list, max_length=10)
    list_button: str = Field(default="Choose", max_length=40)
    rows: list[str] = Field(default_factory=list, max_length=20)
    template: str = Field(default="", max_length=512)
    language: str = Field(default="", max_length=16)
    values: list[str] = Field(default_factory=list, max_length=20)
    retailer_ids: list[str] = Field(default_factory=list, max_length=30, description=(
        "For `product`: the catalog items' retailer ids (GET /catalog/items); one is sent "
        "as a product card, several as a product list."))
    header: str = Field(default="", max_length=60, description="For `product` with "
                        "several items: the list's header.")
    media_id: str = Field(default="", max_length=64, description="For `media`: a media id "
                          "the store's number uploaded; its declared type and size are "
                          "checked like an upload's, and `text` is the caption.")
    filename: str = Field(default="", max_length=200, description="For `media` documents.")


class AttachmentIn(BaseModel):
    """A file to send (multipart/form-data) with an optional caption."""

    file: BaseFile
    caption: str = Field(default="", max_length=1024)


class SentOut(BaseModel):
    """The reply's message in the outbox (see GET /messages/{message_id})."""

    message_id: int


class AssignIn(Strict):
    """Who answers the conversation (null: nobody)."""

    assignee_id: int | None = Field(ge=1, le=MAX_ROW_ID)


class StatusIn(Strict):
    """A conversation's new status; `snoozed_until` (UTC) only with `snoozed`. A new
    message from the customer opens a resolved or snoozed conversation again."""

    status: Literal["open", "pending", "resolved", "snoozed"]
    # An ISO 8601 string in JSON: read as such, not as a Python datetime (Strict's default).
    snoozed_until: datetime | None = Field(default=None, strict=False)


class QuickReplyIn(Strict):
    """A quick reply: its shortcut (typed after /) and text with variables."""

    shortcut: str = Field(min_length=1, max_length=33)
    body: str = Field(min_length=1, max_length=5000, description="May use "
                      "{{customer_name}}, {{order_number}} and {{tracking_link}}.")


class QuickReplyOut(BaseModel):
    """A saved quick reply."""

    id: int
    shortcut: str
    body: str


class QuickReplyList(BaseModel):
    """The store's quick replies (at most 50), by shortcut."""

    data: list[QuickReplyOut]


def _row_out(row: inbox_views.ConversationRow) -> ConversationOut:
    return ConversationOut(id=row.id, customer_id=row.customer_id, name=row.name,
                           phone=row.phone, status=row.status, assignee_id=row.assignee_id,
                           unread=row.unread, preview=row.preview,
                           last_message_at=utc(row.last_message_at), tags=list(row.tags))


def _one(conversation: Conversation) -> ConversationOut:
    customer = db.session().get(Customer, conversation.customer_id)
    assert customer is not None
    return ConversationOut(
        id=conversation.id, customer_id=customer.id, name=inbox_views.customer_name(customer),
        phone=customer.phone_e164 or "",
        status=inbox.current_status(conversation.status, conversation.snoozed_until,
                                    db.utcnow()).value,
        assignee_id=conversation.assignee_id, unread=conversation.unread,
        preview=conversation.last_preview, last_message_at=utc(conversation.last_message_at),
        tags=list(conversation.tags or []))


def _refused(error: InboxError) -> ApiError:
    if str(error) == compose.WINDOW_CLOSED:
        return ApiError(ProblemCode.WINDOW_CLOSED, str(error))
    return ApiError(ProblemCode.VALIDATION_FAILED, str(error))


@blueprint.get("/conversations")
@spec.validate(resp=documented(ConversationList), tags=[TAG], operation_id="listConversations")
def list_conversations(query: ConversationQuery) -> ConversationList:
    """List conversations, the most recent first"""
    filters = inbox_views.Filters(view=query.view, status=query.status.value
                                  if query.status else "", tag=(query.tag or "").lower(),
                                  search=query.q or "")
    viewer = access.caller().principal.owner_id
    rows = inbox_views.conversations(db.session(), access.store_id(), filters, viewer,
                                     db.utcnow(), limit=query.limit + 1,
                                     after=after_cursor(query))
    more = len(rows) > query.limit
    rows = rows[:query.limit]
    return ConversationList(data=[_row_out(r) for r in rows],
                            next_cursor=str(rows[-1].id) if more else None)


@blueprint.get("/conversations/<int:conversation_id>/messages")
@spec.validate(query=StoreQuery, resp=documented(ThreadOut), tags=[TAG],
               operation_id="listConversationMessages")
def conversation_messages(conversation_id: int) -> ThreadOut:
    """A conversation's messages of every path and its notes, oldest first"""
    conversation = access.get_or_404(Conversation, conversation_id)
    thread = inbox_views.thread(db.session(), conversation, db.utcnow())
    store = access.store_id()
    entries = [EntryOut(
        key=b.key, side=b.side, at=utc(b.at), kind=b.kind, text=b.text, state=b.state,  # type: ignore[arg-type]
        reason=b.reason, media_state=b.media_state, map_link=b.map_link,
        media_url=f"/stores/{store}/inbox/media/{b.media_id}" if b.media_id else "")
        for b in thread.bubbles]
    return ThreadOut(conversation=_one(conversation), window_open=thread.window.open,
                     window_closes_at=utc(thread.window.closes_at), data=entries)


@blueprint.post("/conversations/<int:conversation_id>/messages")
@spec.validate(query=StoreQuery, resp=documented(SentOut, status=201, write=True,
                                                  extra={"HTTP_409": Problem}),
               tags=[TAG], operation_id="sendConversationMessage")
def send(conversation_id: int, json: ReplyIn) -> tuple[SentOut, int]:
    """Reply in a conversation (free-form only inside the 24-hour window)"""
    conversation = access.get_or_404(Conversation, conversation_id)
    session = db.session()
    customer = session.get(Customer, conversation.customer_id)
    assert customer is not None
    author = access.caller().principal.owner_id or 0
    text = quick_replies.expand(session, customer, json.text)
    try:
        if json.type == "buttons":
            sent = compose.send_buttons(session, conversation, customer, author, text,
                                        json.buttons)
        elif json.type == "list":
            sent = compose.send_list(session, conversation, customer, author, text,
                                     json.list_button, json.rows)
        elif json.type == "location_request":
            sent = compose.send_location_request(session, conversation, customer, author, text)
        elif json.type == "template":
            sent = compose.send_template(session, conversation, customer, author,
                                         json.template, json.language, json.values)
        elif json.type == "product":
            sent = products.send(session, conversation, customer, author, json.retailer_ids,
                                 text, json.header)
        elif json.type == "media":
            if not json.media_id.strip():
                raise InboxError("A media reply needs the media_id of an uploaded file.")
            sent = attachments.send_media_id(session, conversation, customer, author,
                                             json.media_id, json.filename, text)
        else:
            sent = compose.send_text(session, conversation, customer, author, text)
    except InboxError as error:
        session.rollback()
        raise _refused(error) from None
    session.commit()
    return SentOut(message_id=sent), 201


# Room for the form's other fields beside a file at the inbox's size cap.
ATTACHMENT_OVERHEAD = 64 * 1024


@blueprint.url_value_preprocessor
def _allow_attachments(endpoint: str | None, values: dict[str, object] | None) -> None:
    # Before the guard reads anything: an attachment may be as large as the inbox's media
    # cap, above the API's usual request cap; a larger one is refused (413).
    if endpoint == f"{blueprint.name}.send_attachment":
        request.max_content_length = max(
            current_app.config["STORECHAT"].inbox_media_max_bytes + ATTACHMENT_OVERHEAD,
            current_app.config["MAX_CONTENT_LENGTH"] or 0)


@blueprint.post("/conversations/<int:conversation_id>/attachments")
@spec.validate(query=StoreQuery, resp=documented(SentOut, status=201, write=True,
                                                  extra={"HTTP_409": Problem}),
               tags=[TAG], operation_id="sendConversationAttachment")
def send_attachment(conversation_id: int, form: AttachmentIn) -> tuple[SentOut, int]:
    """Send a file (multipart/form-data `file`, optional `caption`) inside the 24-hour
    window: the same type and size checks as the inbox page"""
    conversation = access.get_or_404(Conversation, conversation_id)
    if form is None:
        raise ApiError(ProblemCode.VALIDATION_FAILED, "Send the file as multipart/form-data "
                       "with the field `file`.")
    session = db.session()
    customer = session.get(Customer, conversation.customer_id)
    assert customer is not None
    upload = form.file
    if not isinstance(upload, FileStorage):
        raise ApiError(ProblemCode.VALIDATION_FAILED, "The field `file` must be a file.")
    try:
        sent = attachments.send_file(session, conversation, customer,
                                     access.caller().principal.owner_id or 0, upload.read(),
                                     upload.mimetype or "", upload.filename or "file",
                                     form.caption)
    except InboxError as error:
        session.rollback()
        raise _refused(error) from None
    session.commit()
    return SentOut(message_id=sent), 201


access.MULTIPART_ENDPOINTS.add(f"{blueprint.name}.{send_attachment.__name__}")


@blueprint.post("/conversations/<int:conversation_id>/assign")
@spec.validate(query=StoreQuery, resp=documented(ConversationOut, write=True), tags=[TAG],
               operation_id="assignConversation")
def assign(conversation_id: int, json: AssignIn) -> ConversationOut:
    """Assign a conversation to one of the store's people, or to nobody"""
    conversation = access.get_or_404(Conversation, conversation_id)
    try:
        manage.assign(db.session(), conversation, json.assignee_id)
    except InboxError as error:
        raise _refused(error) from None
    db.session().commit()
    return _one(conversation)


@blueprint.post("/conversations/<int:conversation_id>/status")
@spec.validate(query=StoreQuery, resp=documented(ConversationOut, write=True), tags=[TAG],
               operation_id="setConversationStatus")
def set_status(conversation_id: int, json: StatusIn) -> ConversationOut:
    """Resolve a conversation, or set it open, pending, or snoozed until a time"""
    conversation = access.get_or_404(Conversation, conversation_id)
    until = json.snoozed_until
    if until is not None and until.tzinfo is not None:
        until = until.astimezone(UTC).replace(tzinfo=None)
    try:
        manage.set_status(db.session(), conversation, json.status, until)
    except InboxError as error:
        raise _refused(error) from None
    db.session().commit()
    return _one(conversation)


@blueprint.get("/quick-replies")
@spec.validate(query=StoreQuery, resp=documented(QuickReplyList), tags=[TAG],
               operation_id="listQuickReplies")
def list_quick_replies() -> QuickReplyList:
    """List the store's quick replies"""
    return QuickReplyList(data=[QuickReplyOut(id=r.id, shortcut=r.shortcut, body=r.body)
                                for r in quick_replies.library(db.session(),
                                                               access.store_id())])


@blueprint.post("/quick-replies")
@spec.validate(query=StoreQuery, resp=documented(QuickReplyOut, status=201, write=True),
               tags=[TAG], operation_id="saveQuickReply")
def save_quick_reply(json: QuickReplyIn) -> tuple[QuickReplyOut, int]:
    """Add a quick reply, or change the text of the one with that shortcut"""
    session = db.session()
    try:
        reply = quick_replies.save(session, access.store_id(), json.shortcut, json.body)
    except InboxError as error:
        raise _refused(error) from None
    session.commit()
    return QuickReplyOut(id=reply.id, shortcut=reply.shortcut, body=reply.body), 201

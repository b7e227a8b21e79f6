"""The shop assistant, applied to a shopper's inbound message: where is my order, cancel it,
browse products, talk to a person (plugin.domain.assistant reads the intent; its words are
in plugin.domain.assistant_words). Answers come from the store's own orders and catalog.

Each answer is one outbox row with cause "answer:<wamid>" and step "bot:<intent>", written
in the transaction that stores the inbound message: a redelivered message is answered once,
and the "answer:" prefix counts it as automatic. An order is only ever shown to the phone
it belongs to; an order number typed by anyone else gets the same words as no order at all.
"""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from adapters.whatsapp import messages
from adapters.whatsapp.messages import ProductSection, ReplyButton, Row, Section
from plugin.domain import assistant
from plugin.domain.assistant import Action, Intent, Reading
from plugin.domain.assistant_words import say, status_word
from plugin.domain.messaging import InboundKind, InboundMessage
from plugin.domain.phones import wa_recipient
from plugin.infra import db, queue
from plugin.models import (
    AssistantSettings,
    CatalogItem,
    Customer,
    ItemState,
    Order,
    Store,
    WhatsAppAccount,
)
from plugin.pipeline import assistant_cancel, intent_detection, outbox, store_gateway
from plugin.pipeline.inbox import handover
from plugin.pipeline.inbox import manage as inbox_manage

log = logging.getLogger(__name__)

CAUSE_PREFIX = "answer:"
# Orders older than this are not "recent": the assistant does not list them.
RECENT = timedelta(days=90)
# A list message holds ten rows; a multi-product message thirty items.
LIST_MAX, PRODUCTS_MAX = 10, 30
# What a confirmed cancellation does (the owner's choice).
ON_CANCEL_CHOICES = ("request", "cancel")
# The kinds a shopper asks with: typed text, and taps on the assistant's own buttons/rows.
_ASKING_KINDS = frozenset({InboundKind.TEXT, InboundKind.BUTTON_REPLY, InboundKind.LIST_REPLY})
_CANCELLED = frozenset({"cancelled", "refunded", "voided", "failed"})
_DELIVERED = frozenset({"delivered"})
_SHIPPED = frozenset({"fulfilled", "partially_fulfilled", "completed", "shipped", "in_transit",
                      "out_for_delivery", "attempted_delivery", "ready_for_pickup",
                      "confirmed", "label_printed", "label_purchased", "success"})
_WAITING = frozenset({"pending", "authorized", "expired"})


def settings_for(session: Session, store_id: int) -> AssistantSettings | None:
    """The store's assistant settings (None: it never saved them, the assistant is off)."""
    return session.scalars(select(AssistantSettings).where(
        AssistantSettings.store_id == store_id)).first()


def answer(session: Session, store: Store, customer: Customer,
           message: InboundMessage) -> bool:
    """Answer `message` when it asks the assistant something it is on for; True when an
    answer was written (then greeting and away stay quiet for this message)."""
    settings = settings_for(session, store.id)
    if settings is None or not settings.enabled or not customer.phone_e164:
        return False
    if message.kind not in _ASKING_KINDS:
        return False  # a reaction, media or an unsupported message asks nothing of it
    # Keywords and our own payloads, or a plugged detector before them (intent_detection).
    reading = intent_detection.detector().detect(message.text, message.payload)
    if reading is None or reading.intent.value not in (settings.intents or []):
        return False
    if handover.silenced(session, store.id, customer.id):
        return False  # handed to a person: they answer now
    language = reading.language or assistant.language_for(customer.locale, store.locale)
    reply = _Reply(session, store, customer, message, reading, language)
    if reading.intent is Intent.HUMAN:
        reply.hand_over()
    elif reading.intent is Intent.BROWSE:
        reply.browse()
    else:
        reply.orders(settings.on_cancel)
    return True


def claims_cancel(session: Session, store: Store, message: InboundMessage) -> bool:
    """Whether a sentence the consent rules would question ("cancel my order") is the
    assistant's to answer: it is on for cancelling, and the words ask to cancel an order."""
    settings = settings_for(session, store.id)
    return (settings is not None and settings.enabled
            and Intent.CANCEL.value in (settings.intents or [])
            and message.kind in _ASKING_KINDS and assistant.cancels_an_order(message.text))


def _status_kind(order: Order) -> str:
    """One of preparing, waiting, shipped, delivered, cancelled."""
    status = (order.status or "").lower()
    shipment = str((order.snapshot or {}).get("shipment_status") or "").lower()
    if status in _CANCELLED:
        return "cancelled"
    if status in _DELIVERED or shipment in _DELIVERED:
        return "delivered"
    if status in _SHIPPED or shipment or (order.tracking or {}).get("number"):
        return "shipped"
    return "waiting" if status in _WAITING else "preparing"


def _label(order: Order) -> str:
    return order.number if order.number.startswith("#") else f"#{order.number}"


class _Reply:
    """One inbound message's answer, written to the outbox once."""

    def __init__(self, session: Session, store: Store, customer: Customer,
                 message: InboundMessage, reading: Reading, language: str) -> None:
        self.session, self.store, self.customer = session, store, customer
        self.message, self.reading, self.language = message, reading, language
        self.to = wa_recipient(customer.phone_e164 or "")

    def write(self, payload: Mapping[str, Any], order: Order | None = None) -> None:
        message_id = outbox.write(
            self.session, store_id=self.store.id, customer_id=self.customer.id,
            order_id=order.id if order else None,
            cause=f"{CAUSE_PREFIX}{self.message.wamid}"[:120],
            step=f"bot:{self.reading.intent.value}", to=self.customer.phone_e164 or "",
            payload=payload)
        if message_id is not None:
            queue.enqueue_after_commit(self.session, queue.Job.SEND_MESSAGE, message_id)

    def say(self, key: str, order: Order | None = None, **values: str) -> None:
        self.write(messages.text(self.to, say(key, self.language, **values),
                                 preview_url="url" in values), order)

    def offer_person(self, key: str) -> None:
        self.write(messages.reply_buttons(self.to, say(key, self.language), [ReplyButton(
            id=assistant.payload(Intent.HUMAN, self.language),
            title=say("person_button", self.language))]))

    # Talk to a person ------------------------------------------------------------------

    def hand_over(self, note: str = "") -> None:
        conversation = handover.hand_over(self.session, self.store.id, self.customer.id)
        if note:
            inbox_manage.add_note(self.session, conversation, None, "Shop assistant", note)
        self.say("handover")

    # Where is my order / cancel it ------------------------------------------------------

    def orders(self, on_cancel: str) -> None:
        action = self.reading.action
        if action is Action.ASK:
            found = self._typed_or_recent()
            if not found:
                self.offer_person("none")
            elif len(found) > 1:
                self._choose(found)
            elif self.reading.intent is Intent.CANCEL:
                self._ask_to_cancel(found[0])
            else:
                self._status(found[0])
            return
        order = self._own(self.reading.argument)
        if order is None:
            self.offer_person("none")  # not this phone's: say nothing of it
        elif action is Action.ORDER:
            self._status(order)
        elif action is Action.CANCEL_ASK:
            self._ask_to_cancel(order)
        elif action is Action.CANCEL_NO:
            self.say("cancel_kept", order, number=_label(order))
        elif action is Action.CANCEL_YES and self._refused(order) is None:
            self._cancel(order, on_cancel)
        else:
            self.say(self._refused(order) or "cancel_already", order, number=_label(order))

    def _owners(self) -> list[int]:
        """The ids of the store's customer rows that are this phone (a shopper may have
        one from the store and one from an earlier chat)."""
        sender = self.message.sender
        same = [Customer.id == self.customer.id,
                Customer.phone_e164 == self.customer.phone_e164]
        if sender.wa_id:
            same.append(Customer.wa_id == sender.wa_id)
        return list(self.session.scalars(select(Customer.id).where(
            Customer.store_id == self.store.id, or_(*same))))

    def _typed_or_recent(self) -> list[Order]:
        owners = self._owners()
        query = select(Order).where(Order.store_id == self.store.id,
                                    Order.customer_id.in_(owners))
        number = self.reading.argument
        if number:
            # Only among this phone's orders: another shopper's number finds nothing.
            return list(self.session.scalars(query.where(
                Order.number.in_((number, f"#{number}"))).limit(1)))
        since = db.utcnow() - RECENT
        return list(self.session.scalars(query.where(
            or_(Order.placed_at >= since, Order.created_at >= since))
            .order_by(Order.created_at.desc(), Order.id.desc()).limit(LIST_MAX)))

    def _own(self, platform_id: str) -> Order | None:
        return self.session.scalars(select(Order).where(
            Order.store_id == self.store.id, Order.platform_id == platform_id,
            Order.customer_id.in_(self._owners()))).first()

    def _choose(self, orders: Sequence[Order]) -> None:
        action = Action.ORDER if self.reading.intent is Intent.WISMO else Action.CANCEL_ASK
        rows = [Row(id=assistant.payload(action, self.language, order.platform_id),
                    title=_label(order)[:24],
                    description=status_word(_status_kind(order), self.language))
                for order in orders]
        self.write(messages.interactive_list(
            self.to, say("choose", self.language), say("orders_button", self.language),
            [Section(rows=rows)]))

    def _status(self, order: Order) -> None:
        lines = [say("status", self.language, number=_label(order),
                     status=status_word(_status_kind(order), self.language))]
        tracking = order.tracking or {}
        url = str(tracking.get("url") or "")
        for key, value in (("carrier", tracking.get("company")), ("tracking", url),
                           ("expected", str(tracking.get("estimated_delivery") or "")[:10])):
            if value:
                lines.append(say(key, self.language, carrier=str(value), url=str(value),
                                 date=str(value)))
        self.write(messages.text(self.to, "\n".join(lines), preview_url=bool(url)), order)

    def _refused(self, order: Order) -> str | None:
        """Why `order` cannot be cancelled (a text key), None when it can."""
        kind = _status_kind(order)
        if kind == "cancelled":
            return "cancel_already"
        return "cancel_shipped" if kind in ("shipped", "delivered") else None

    def _ask_to_cancel(self, order: Order) -> None:
        refused = self._refused(order)
        if refused is not None:
            self.say(refused, order, number=_label(order))
            return
        self.write(messages.reply_buttons(
            self.to, say("cancel_ask", self.language, number=_label(order)),
            [ReplyButton(id=assistant.payload(Action.CANCEL_YES, self.language,
                                              order.platform_id),
                         title=say("yes_cancel", self.language)),
             ReplyButton(id=assistant.payload(Action.CANCEL_NO, self.language,
                                              order.platform_id),
                         title=say("no_keep", self.language))]), order)

    def _cancel(self, order: Order, on_cancel: str) -> None:
        number = _label(order)
        if on_cancel == "cancel" and self.store.platform in store_gateway.PLATFORMS:
            # Recorded first, so a job lost with its worker is found again by the sweeper;
            # a repeated tap queues nothing more.
            if assistant_cancel.record(self.session, order.id):
                queue.enqueue_after_commit(self.session, queue.Job.ASSISTANT_CANCEL, order.id)
            self.say("cancel_done", order, number=number)
            return
        conversation = handover.hand_over(self.session, self.store.id, self.customer.id)
        inbox_manage.add_note(self.session, conversation, None, "Shop assistant",
                              f"The customer asked in WhatsApp to cancel order {number} "
                              f"(unfulfilled). Cancel it in the store, then answer them.")
        self.say("cancel_requested", order, number=number)

    # Browse products ---------------------------------------------------------------------

    def browse(self) -> None:
        offered = select(CatalogItem).where(CatalogItem.store_id == self.store.id,
                                            CatalogItem.state == ItemState.SYNCED,
                                            CatalogItem.data.is_not(None))
        if self.reading.action is Action.COLLECTION:
            category = next((c for c in self._categories()
                             if _key(c) == self.reading.argument), None)
            if category is not None:
                offered = offered.where(CatalogItem.category == category)
            self._products(list(self.session.scalars(offered.order_by(CatalogItem.id)
                                                     .limit(PRODUCTS_MAX * 4))), category)
            return
        categories = self._categories()
        if not categories:
            self._products(list(self.session.scalars(offered.order_by(CatalogItem.id)
                                                     .limit(PRODUCTS_MAX * 4))), None)
            return
        rows = [Row(id=assistant.payload(Action.COLLECTION, self.language, _key(c)),
                    title=c[:24]) for c in categories]
        self.write(messages.interactive_list(
            self.to, say("browse", self.language), say("collections_button", self.language),
            [Section(rows=rows)]))

    def _categories(self) -> list[str]:
        return list(self.session.scalars(
            select(CatalogItem.category).where(
                CatalogItem.store_id == self.store.id,
                CatalogItem.state == ItemState.SYNCED, CatalogItem.category != "")
            .distinct().order_by(CatalogItem.category).limit(LIST_MAX)))

    def _products(self, items: list[CatalogItem], category: str | None) -> None:
        # One card per product: its first synced variant.
        seen: dict[str, CatalogItem] = {}
        for item in items:
            seen.setdefault(item.product_id, item)
        chosen = list(seen.values())[:PRODUCTS_MAX]
        if not chosen:
            self.say("no_products")
            return
        catalog_id = self.session.scalars(select(WhatsAppAccount.catalog_id).where(
            WhatsAppAccount.store_id == self.store.id, WhatsAppAccount.catalog_id.is_not(None),
            WhatsAppAccount.catalog_id != "").order_by(WhatsAppAccount.id)).first()
        body = say("products", self.language)
        if catalog_id:
            title = (category or say("collections_button", self.language))[:24]
            self.write(messages.multi_product(
                self.to, catalog_id, title[:60], body,
                [ProductSection(title=title,
                                product_retailer_ids=[i.retailer_id for i in chosen])]))
            return
        # No catalog on the number: the products as text, each with its link.
        lines = [body] + [f"• {(i.data or {}).get('title') or i.title}: "
                          f"{(i.data or {}).get('link', '')}" for i in chosen[:LIST_MAX]]
        self.write(messages.text(self.to, "\n".join(lines), preview_url=False))


def _key(category: str) -> str:
    """A short stable id for a category, to fit a list row id."""
    return hashlib.sha1(category.encode()).hexdigest()[:12]

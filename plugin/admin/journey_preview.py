"""What the automation editor's phone preview renders with: a recent order for an order
journey, the store's most recent cart with items for a cart recovery step (else a sample of
either), sample product values for a product flow, and the bubble the draft's template
makes of it."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from plugin.admin.journey_form import Draft, is_recovery
from plugin.admin.message_views import Bubble, bubble, event_from_order, sample_event
from plugin.auth import tenancy
from plugin.domain import recovery
from plugin.domain.events import LineItem, OrderEvent
from plugin.domain.journeys import render_parameters
from plugin.infra import db
from plugin.models import Checkout, Order, Store
from plugin.pipeline.alerts import flows

# The preview offers this many of the store's newest orders to render with.
RECENT_ORDERS = 10
# What a discount code looks like in the preview (the real one is made when a step is sent).
SAMPLE_CODE = "SAVE-7Q2K"
# The link in a preview goes nowhere (a real send has its own /t/<token> link).
SAMPLE_LINK = "https://storechat.invalid/t/preview"
# What a product flow's blanks read in the preview (a real alert fills them per shopper).
FLOW_SAMPLES = {"first_name": "Ana", "product_title": "Linen shirt – Blue / M",
                "product_url": SAMPLE_LINK, "old_price": "€20.00", "new_price": "€18.50",
                "product_titles": "Canvas tote and Linen scarf", "order_number": "#1001"}


def recent_orders(store: Store) -> list[Order]:
    """The store's newest orders, for the preview to render with."""
    return list(db.session().scalars(
        tenancy.scoped(select(Order), Order).where(Order.store_id == store.id)
        .order_by(Order.id.desc()).limit(RECENT_ORDERS)))


def preview_event(store: Store, choice: str) -> tuple[OrderEvent, Order | None]:
    """The order to render with: the chosen recent order, else the newest, else a sample."""
    orders = recent_orders(store)
    if choice == "sample" or not orders:
        return sample_event(store.currency), None
    order = next((o for o in orders if str(o.id) == choice), orders[0])
    return event_from_order(order), order


def recent_cart(store: Store) -> Checkout | None:
    """The store's most recent checkout that has items, for a recovery step's preview."""
    return db.session().scalars(
        tenancy.scoped(select(Checkout), Checkout)
        .where(Checkout.store_id == store.id, Checkout.item_count > 0)
        .order_by(Checkout.activity_at.desc().nulls_last(), Checkout.id.desc()).limit(1)
    ).first()


def sample_cart(currency: str | None, discount: recovery.Discount | None) -> recovery.CartView:
    """A made-up cart for stores without carts yet, so the preview still reads naturally."""
    return recovery.CartView(
        first_name="Ana", currency=currency or "EUR", total=Decimal("89.80"), item_count=2,
        items=(LineItem(title="Linen shirt", quantity=1, price=Decimal("49.90"),
                        variant_title="Blue / M"),
               LineItem(title="Canvas tote", quantity=1, price=Decimal("39.90"))),
        link_url=SAMPLE_LINK, discount_code=SAMPLE_CODE if discount else "",
        discount_percent=discount.percent if discount else 0,
        discount_expires_at=(db.utcnow() + timedelta(hours=discount.hours)
                             if discount else None))


def cart_for(store: Store, draft: Draft, choice: str) -> tuple[recovery.CartView,
                                                               Checkout | None]:
    """The cart a recovery step previews with: the most recent one, else a sample."""
    discount = recovery.discount_of(draft.conditions)
    checkout = None if choice == "sample" else recent_cart(store)
    if checkout is None:
        return sample_cart(store.currency, discount), None
    expires = db.utcnow() + timedelta(hours=discount.hours) if discount else None
    return recovery.cart_view(checkout, link_url=SAMPLE_LINK,
                              discount_code=SAMPLE_CODE if discount else "",
                              discount=discount, discount_expires_at=expires), checkout


def render(store: Store, journey: str, draft: Draft, choice: str
           ) -> tuple[Bubble | None, Order | Checkout | None, tuple[str, ...]]:
    """The bubble for the draft (None without a template), what it was rendered with (an
    order, a checkout, or None for a sample), and its body parameters."""
    if flows.is_flow(journey):
        if draft.template is None:
            return None, None, ()
        values = tuple(FLOW_SAMPLES.get(v) or "-" for v in draft.variables)
        return bubble(draft.template.components, values), None, values
    if is_recovery(journey):
        cart, checkout = cart_for(store, draft, choice)
        if draft.template is None:
            return None, checkout, ()
        parameters = recovery.render_cart_parameters(cart, draft.variables, draft.language)
        return bubble(draft.template.components, parameters), checkout, parameters
    event, order = preview_event(store, choice)
    if draft.template is None:
        return None, order, ()
    parameters = render_parameters(event, draft.variables, language=draft.language)
    return bubble(draft.template.components, parameters), order, parameters

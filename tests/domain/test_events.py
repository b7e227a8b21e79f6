"""Order snapshots: OrderEvent.to_snapshot / from_snapshot, and rows written before them."""
from __future__ import annotations

import json
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from plugin.domain.events import CustomerRef, EventKind, LineItem, OrderEvent, Tracking

_text = st.text(max_size=30)
_money = st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=2,
                     allow_nan=False, allow_infinity=False)
_customers = st.builds(CustomerRef, platform_id=_text, first_name=_text, last_name=_text,
                       phone=st.none() | _text, email=st.none() | _text,
                       locale=st.none() | _text)
_lines = st.builds(LineItem, title=_text, quantity=st.integers(-5, 10_000), price=_money)
_tracking = st.builds(Tracking, number=_text, url=_text, company=_text,
                      estimated_delivery=_text)
_events = st.builds(
    OrderEvent, kind=st.sampled_from(EventKind), order_id=_text, number=_text, status=_text,
    currency=_text, total=_money, customer=st.none() | _customers, payment_gateway=_text,
    line_items=st.lists(_lines, max_size=4).map(tuple), tracking=st.none() | _tracking,
    status_url=_text, payment_url=_text, awaiting_payment=st.none() | st.booleans(),
    shipment_status=_text)


@given(_events)
def test_a_snapshot_reads_back_as_the_same_event(event: OrderEvent) -> None:
    stored = json.loads(json.dumps(event.to_snapshot()))  # as the JSON column keeps it
    assert OrderEvent.from_snapshot(stored) == event


# An order row's snapshot exactly as plugin.pipeline.orders wrote it before to_snapshot
# existed (asdict with kind, total and prices as strings, plus the pipeline's own keys).
TODAYS_ROW = {
    "kind": "order_fulfilled", "order_id": "o-1", "number": "1001", "status": "shipped",
    "currency": "EUR", "total": "54.80",
    "customer": {"platform_id": "c-1", "first_name": "Ana", "last_name": "Silva",
                 "phone": "+351 912 345 678", "email": None, "locale": "pt-PT"},
    "payment_gateway": "cod",
    "line_items": [{"title": "Linen shirt", "quantity": 2, "price": "24.90"}],
    "tracking": {"number": "TRK123", "url": "https://track.example/TRK123",
                 "company": "DemoPost", "estimated_delivery": ""},
    "status_url": "https://shop.example/orders/1001", "payment_url": "",
    "awaiting_payment": False, "shipment_status": "in_transit",
    "tracking_token": "tok-abc", "stage": 1,
}


def test_a_snapshot_written_by_todays_code_still_reads() -> None:
    assert OrderEvent.from_snapshot(TODAYS_ROW) == OrderEvent(
        kind=EventKind.ORDER_FULFILLED, order_id="o-1", number="1001", status="shipped",
        currency="EUR", total=Decimal("54.80"),
        customer=CustomerRef(platform_id="c-1", first_name="Ana", last_name="Silva",
                             phone="+351 912 345 678", locale="pt-PT"),
        payment_gateway="cod",
        line_items=(LineItem(title="Linen shirt", quantity=2, price=Decimal("24.90")),),
        tracking=Tracking(number="TRK123", url="https://track.example/TRK123",
                          company="DemoPost"),
        status_url="https://shop.example/orders/1001", awaiting_payment=False,
        shipment_status="in_transit")


def test_an_older_or_damaged_snapshot_reads_with_defaults() -> None:
    event = OrderEvent.from_snapshot({
        "number": 1001, "total": "not money", "customer": "Ana",
        "line_items": [{"title": "Mug", "quantity": "x"}, "junk", {"title": "Tea"}],
        "awaiting_payment": "yes", "tracking": None,
    })
    assert event.kind is EventKind.ORDER_PLACED
    assert (event.number, event.total, event.customer) == ("1001", Decimal("0"), None)
    assert event.line_items == (LineItem(title="Tea", quantity=0, price=Decimal("0")),)
    assert event.awaiting_payment is None and event.tracking is None
    assert OrderEvent.from_snapshot({}).order_id == ""

"""Cart recovery: whether it is on, its steps, what it did in a period (per step, revenue
per currency, why carts got no message), and the store's carts with the state of each step.
A write token may switch the whole sequence on or off and set the attribution window, as
the admin's Cart recovery page does (plugin.admin.recovery); a step's words are edited in the
admin's editor, and its switch and delay through PATCH /automations/{id}."""
from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, model_validator
from spectree import Tag
from sqlalchemy import select

from plugin.admin.api import access
from plugin.admin.api.base import blueprint, documented, spec
from plugin.admin.api.paging import ListQuery, StoreQuery, Strict, page, utc
from plugin.admin.recovery import MAX_ATTRIBUTION_DAYS, MIN_ATTRIBUTION_DAYS
from plugin.infra import db
from plugin.models import Automation, Checkout, Store
from plugin.pipeline.recovery import carts as recovery_carts
from plugin.pipeline.recovery import stats as recovery_stats
from plugin.pipeline.recovery import steps as recovery_steps

TAG = Tag(name="recovery", description="Cart recovery: the sequence, its figures and the "
          "carts it works on.")
# The longest period the figures may cover, in days.
MAX_PERIOD_DAYS = 365


class StepOut(BaseModel):
    """One step of the sequence."""

    step: int
    automation_id: int = Field(description="Switch it or change its delay with PATCH "
                               "/automations/{id}.")
    template: str
    language: str
    variables: list[str] = Field(description="Cart fields, in the template's {{n}} order.")
    delay_minutes: int = Field(description="After the cart's last activity, as set; never "
                               "sent sooner than 15 minutes after it.")
    discount_percent: int = Field(description="0 for none.")
    discount_hours: int | None = Field(description="How long the discount code is valid.")
    enabled: bool


class Money(BaseModel):
    """An exact amount in one currency."""

    currency: str
    amount: str = Field(description="A decimal string, exact (e.g. `12.345` KWD).")


class StepFiguresOut(BaseModel):
    """What one step did in the period (step 0: recovered orders with no known step)."""

    step: int
    sent: int
    delivered: int = Field(description="Delivered or read.")
    read: int
    clicked: int
    failed: int
    not_sent: int = Field(description="Skipped or stopped (see `reasons`).")
    recovered: int = Field(description="Orders recovered after this step was the last sent.")
    revenue: list[Money]


class ReasonOut(BaseModel):
    """Why carts (or steps) got no message, with how many."""

    reason: str
    count: int


class FiguresOut(BaseModel):
    """The figures of a period: each event counted in its own time (a cart when last
    active, a message when sent, an order when recovered)."""

    since: datetime
    until: datetime
    carts_seen: int
    reachable: int = Field(description="Carts seen with a phone StoreChat can message.")
    total: StepFiguresOut = Field(description="Every step added up (its `step` is 0).")
    steps: list[StepFiguresOut]
    reasons: list[ReasonOut] = Field(description="Most frequent first.")


class RecoveryOut(BaseModel):
    """The store's cart recovery."""

    enabled: bool = Field(description="Whether any step sends.")
    attribution_days: int = Field(description="An order within this many days after a cart "
                                  "message counts as recovered.")
    steps: list[StepOut]
    figures: FiguresOut


class RecoveryQuery(StoreQuery):
    """The period of the figures."""

    days: int = Field(default=recovery_stats.DEFAULT_DAYS, ge=1, le=MAX_PERIOD_DAYS,
                      description="The figures cover this many days up to now.")


class RecoveryPatch(Strict):
    """What may change; fields left out stay as they are."""

    enabled: bool | None = Field(default=None, description="Switch every step on (setting "
                                 "up StoreChat's steps when there are none) or off.")
    attribution_days: int | None = Field(default=None, ge=MIN_ATTRIBUTION_DAYS,
                                         le=MAX_ATTRIBUTION_DAYS)

    @model_validator(mode="after")
    def _something(self) -> RecoveryPatch:
        if self.enabled is None and self.attribution_days is None:
            raise ValueError("give enabled, attribution_days or both")
        return self


class StepStateOut(BaseModel):
    """One step of a cart's latest cycle."""

    step: int
    state: str = Field(description="scheduled, due-claimed, sent, skipped or stopped.")
    words: str = Field(description='As the owner reads it, e.g. "skipped: recovered before '
                       'step 2".')
    message_state: str | None = Field(description="The sent message's state: pending, "
                                      "sending, sent, delivered, read or failed.")
    clicked: bool
    due_at: datetime | None
    sent_at: datetime | None


class CheckoutOut(BaseModel):
    """A cart and where its recovery stands."""

    id: int
    activity_at: datetime | None
    first_name: str
    phone: str = Field(description="Masked, or why there is no phone.")
    item_count: int
    total: Money
    completed_at: datetime | None
    recovered_at: datetime | None
    recovered: Money | None = Field(description="The recovering order's total.")
    recovered_step: int | None
    recovered_clicked: bool
    steps: list[StepStateOut]


class CheckoutList(BaseModel):
    """A page of carts, newest first."""

    data: list[CheckoutOut]
    next_cursor: str | None


def _money(amounts: dict[str, object]) -> list[Money]:
    return [Money(currency=code, amount=str(amount)) for code, amount in sorted(amounts.items())]


def _figures(row: recovery_stats.StepFigures) -> StepFiguresOut:
    return StepFiguresOut(step=row.step, sent=row.sent, delivered=row.delivered, read=row.read,
                          clicked=row.clicked, failed=row.failed, not_sent=row.not_sent,
                          recovered=row.recovered, revenue=_money(dict(row.revenue)))


def _store() -> Store:
    store = db.session().get(Store, access.store_id())
    assert store is not None  # access found it among the caller's stores a moment ago
    return store


def _recovery(store: Store, days: int) -> RecoveryOut:
    session = db.session()
    rules = recovery_steps.store_steps(session, store.id, enabled_only=False)
    ids: dict[str, int] = {journey: row_id for journey, row_id in session.execute(
        select(Automation.journey, Automation.id).where(
            Automation.store_id == store.id,
            Automation.journey.in_([r.journey for r in rules])))}
    figures = recovery_stats.figures(session, store.id,
                                     recovery_stats.last_days(db.utcnow(), days),
                                     [r.step for r in rules])
    since, until = utc(figures.period.since), utc(figures.period.until)
    assert since is not None and until is not None
    return RecoveryOut(
        enabled=any(r.enabled for r in rules),
        attribution_days=store.recovery_attribution_days,
        steps=[StepOut(step=r.step, automation_id=ids[r.journey], template=r.template,
                       language=r.language, variables=list(r.variables),
                       delay_minutes=r.delay_minutes,
                       discount_percent=r.discount.percent if r.discount else 0,
                       discount_hours=r.discount.hours if r.discount else None,
                       enabled=r.enabled) for r in rules],
        figures=FiguresOut(since=since, until=until, carts_seen=figures.carts_seen,
                           reachable=figures.reachable, total=_figures(figures.total),
                           steps=[_figures(s) for s in figures.steps],
                           reasons=[ReasonOut(reason=r, count=c) for r, c in figures.reasons]))


@blueprint.get("/recovery")
@spec.validate(resp=documented(RecoveryOut), tags=[TAG], operation_id="getRecovery")
def get_recovery(query: RecoveryQuery) -> RecoveryOut:
    """Cart recovery: on or off, its steps and its figures

    Per step and overall for the last `days` days: messages sent, delivered, read, clicked,
    recovered orders and revenue per currency (exact decimal strings), and why carts got no
    message."""
    return _recovery(_store(), query.days)


@blueprint.patch("/recovery")
@spec.validate(query=StoreQuery, resp=documented(RecoveryOut, write=True), tags=[TAG],
               operation_id="updateRecovery")
def update_recovery(json: RecoveryPatch) -> RecoveryOut:
    """Switch cart recovery on or off, or change the attribution window

    `enabled: true` switches every step on, setting up StoreChat's three steps when the
    store has none; `false` stops every step at once."""
    session, store = db.session(), _store()
    if json.enabled is not None:
        recovery_steps.set_enabled(session, store, json.enabled)
    if json.attribution_days is not None:
        store.recovery_attribution_days = json.attribution_days
    session.commit()
    return _recovery(store, recovery_stats.DEFAULT_DAYS)


def _checkout_out(row: recovery_carts.CartRow) -> CheckoutOut:
    return CheckoutOut(
        id=row.id, activity_at=utc(row.activity_at), first_name=row.first_name,
        phone=row.phone, item_count=row.item_count,
        total=Money(currency=row.currency, amount=row.total),
        completed_at=utc(row.completed_at), recovered_at=utc(row.recovered_at),
        recovered=(Money(currency=row.recovered_currency or "",
                         amount=row.recovered_total or "0") if row.recovered_at else None),
        recovered_step=row.recovered_step, recovered_clicked=row.recovered_clicked,
        steps=[StepStateOut(step=s.step, state=s.state, words=s.words,
                            message_state=s.message_state, clicked=s.clicked,
                            due_at=utc(s.due_at), sent_at=utc(s.sent_at)) for s in row.steps])


@blueprint.get("/checkouts")
@spec.validate(resp=documented(CheckoutList), tags=[TAG], operation_id="listCheckouts")
def list_checkouts(query: ListQuery) -> CheckoutList:
    """List the store's carts, newest first

    Each with its total, the state of each recovery step of its latest cycle (with the
    reason a step was skipped or stopped) and, once recovered, the order's amount."""
    rows, cursor = page(select(Checkout), Checkout, query)
    return CheckoutList(data=[_checkout_out(r) for r in
                              recovery_carts.cart_rows(db.session(), rows)],
                        next_cursor=cursor)

"""Writing a campaign's recipients: one held outbox row per reachable customer of its
segment (cause "campaign:<id>", step the customer id, so each is written once), and the
checks that refuse a campaign before anything is written.

Rows are written held (`not_before` = HELD_UNTIL, far in the future): neither a send job
nor the sweeper touches them until the runner releases them in slices. Writing resumes
after the last customer id written, so a run cut short goes on where it stopped; the
segment's day windows are read at the campaign's start time, fixed for the whole walk.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from adapters.whatsapp.messages import MessageLimitError
from plugin.domain import attribution
from plugin.domain import campaigns as domain
from plugin.domain import segments as segment_rules
from plugin.domain.outbox import MessageState
from plugin.domain.segments import FieldProblem
from plugin.models import Campaign, CampaignCode, Customer, Message, Template
from plugin.pipeline import holdouts, segments
from plugin.pipeline.campaigns import codes, links, plan

# A held row is due at this time: never, until the runner releases it.
HELD_UNTIL = datetime(2999, 1, 1)
# Customers read and rows written per statement.
BATCH = segments.BATCH
_MESSAGES = Message.__table__
_CODES = CampaignCode.__table__


def check_audience(session: Session, store_id: int, definition: segment_rules.Definition,
                   variables: tuple[domain.Variable, ...], now: datetime) -> int:
    """The reachable count; CampaignRefused for none, or for a variable mapped to a
    customer field (without a fallback text) that is empty for some of them."""
    reachable = segments.count(session, store_id, definition, now).reachable
    if reachable == 0:
        raise domain.CampaignRefused([FieldProblem(
            "segment", "this segment has no reachable customers (a WhatsApp number and a "
                       "marketing opt-in): choose or widen another")])
    problems = []
    ids = segments.reachable_select(store_id, definition, now).scalar_subquery()
    for index, variable in enumerate(variables):
        if variable.source != domain.SOURCE_FIELD or variable.fallback:
            continue
        empty = session.scalar(select(func.count(Customer.id)).where(
            Customer.id.in_(ids), _empty(variable.value)))
        if empty:
            label = domain.CUSTOMER_FIELDS[variable.value]
            problems.append(FieldProblem(
                f"var{index + 1}", f"{label} is empty for {empty} of {reachable} customers: "
                                   "write a text to use when it is empty, or map another "
                                   "field"))
    if problems:
        raise domain.CampaignRefused(problems)
    return reachable


def _empty(field: str) -> Any:
    def blank(column: Any) -> Any:
        return or_(column.is_(None), func.trim(column) == "")
    if field == "full_name":
        return blank(Customer.first_name) & blank(Customer.last_name)
    return blank(getattr(Customer, field))


def write_some(session: Session, campaign: Campaign, template: Template,
               batches: int) -> bool:
    """Write up to `batches` batches of the campaign's recipients after the last written;
    True when every recipient is written."""
    definition = segment_rules.parse(campaign.definition or {})
    variables = domain.read_variables(campaign.variables, len(plan.body_variables(template)))
    discount = domain.read_discount(campaign.discount)
    assert campaign.started_at is not None
    # One query for the whole tick's recipients: each reachable_ids call evaluates the
    # audience (consent, tags) afresh, which costs about a count, so not one per batch.
    wanted = BATCH * batches
    found = segments.reachable_ids(session, campaign.store_id, definition,
                                   campaign.written_through, wanted, campaign.started_at)
    for first in range(0, len(found), BATCH):
        ids = found[first:first + BATCH]
        write_batch(session, campaign, template, variables, discount, ids)
        campaign.written_through = ids[-1]
    return len(found) < wanted


def write_batch(session: Session, campaign: Campaign, template: Template,
                variables: tuple[domain.Variable, ...], discount: domain.Discount,
                customer_ids: list[int]) -> int:
    """Write the held rows (and unique codes) of these customers, each once; how many rows
    this call built (a row already written is left as it is)."""
    customers = session.execute(select(
        Customer.id, Customer.phone_e164, Customer.wa_id, Customer.first_name,
        Customer.last_name, Customer.email, Customer.country)
        .where(Customer.id.in_(customer_ids)))
    shared = (codes.code_for(campaign.id, None)
              if discount.mode == domain.DISCOUNT_SHARED else "")
    now = campaign.started_at
    cause = links.cause(campaign.id)
    header = plan.header_parameters(template, campaign.header_media)  # the same for all
    held = _hold_out(session, campaign, customer_ids)
    rows: list[dict[str, Any]] = []
    code_rows: list[dict[str, Any]] = []
    for c in customers:
        if c.id in held:
            continue  # a holdout: no message row, so nothing can ever send to them
        code = shared
        if discount.mode == domain.DISCOUNT_UNIQUE:
            code = codes.code_for(campaign.id, c.id)
            code_rows.append({"campaign_id": campaign.id, "customer_id": c.id,
                              "code": code, "created_at": None})
        to = c.phone_e164 or (f"+{c.wa_id}" if c.wa_id else "")
        fields = domain.customer_fields(c.first_name, c.last_name, c.email, c.country)
        params = plan.recipient_params(variables, fields, code)
        row = {"store_id": campaign.store_id, "customer_id": c.id, "order_id": None,
               "cause": cause, "step": links.recipient_step(c.id), "to": to,
               "template": template.name, "fallback": None, "attempts": 0,
               "created_at": now, "enqueued_at": now, "not_before": HELD_UNTIL,
               "state": MessageState.PENDING.value, "reason": None, "payload": {}}
        try:
            row["payload"] = plan.payload(template, to, params,
                                          links.token(campaign.id, c.id), header)
        except MessageLimitError as error:
            row.update(state=MessageState.SKIPPED.value, not_before=None,
                       reason=f"not sent: the message breaks a WhatsApp limit ({error})"[:255])
        rows.append(row)
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    if code_rows:
        session.execute(module.insert(_CODES).on_conflict_do_nothing(
            index_elements=["campaign_id", "code"]), code_rows)
    # An executemany: psycopg pipelines it (a multi-row VALUES of 1,000 rows measured
    # several times slower on PostgreSQL).
    if rows:
        session.execute(module.insert(_MESSAGES).on_conflict_do_nothing(
            index_elements=["store_id", "cause", "step"]), rows)
    return len(rows)


def _hold_out(session: Session, campaign: Campaign, customer_ids: list[int]) -> set[int]:
    """Record the batch's recipients in the campaign's holdout experiment (when it has a
    share) and return those held out."""
    if campaign.holdout_percent <= 0 or campaign.started_at is None:
        return set()
    members = [(unit, cid, attribution.held_out(unit, campaign.holdout_percent))
               for cid in customer_ids
               for unit in (holdouts.campaign_unit(campaign.id, cid),)]
    holdouts.record(session, campaign.store_id, links.cause(campaign.id), members,
                    campaign.started_at, timedelta(days=campaign.attribution_days))
    return {cid for _unit, cid, held in members if held}


def add_shared_code(session: Session, campaign: Campaign) -> None:
    """The shared code's row (made at the store before the first send)."""
    module = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(module.insert(_CODES).on_conflict_do_nothing(
        index_elements=["campaign_id", "code"]).values(
        campaign_id=campaign.id, customer_id=None, code=codes.code_for(campaign.id, None),
        created_at=None))


def written(session: Session, campaign: Campaign) -> int:
    """How many rows the campaign has in the outbox."""
    return int(session.scalar(select(func.count(Message.id)).where(
        Message.store_id == campaign.store_id, Message.cause == links.cause(campaign.id)))
        or 0)

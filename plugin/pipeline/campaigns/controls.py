"""What an owner does to a campaign (the admin pages and the API call these): save it,
start or schedule it, pause, resume, cancel, preview it on a real customer, send a test.

Every check runs before anything is written, so a refused request leaves nothing behind;
a change of state is one conditional UPDATE, so two clicks (or a click and the runner)
never both apply. Pausing takes released rows not yet claimed by a send back on hold, and
resuming releases them again: a row is sent only by the send that claimed it, so neither
ever sends a message twice.
"""
from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from plugin.domain import attribution
from plugin.domain import campaigns as domain
from plugin.domain import segments as segment_rules
from plugin.domain.campaigns import CampaignRefused, CampaignState
from plugin.domain.errors import SendError
from plugin.domain.outbox import MessageState
from plugin.domain.phones import to_e164
from plugin.domain.segments import FieldProblem
from plugin.infra import db, queue
from plugin.models import Campaign, Customer, Message, Segment, Store, WhatsAppAccount
from plugin.pipeline import outbox, segments, transports
from plugin.pipeline.campaigns import codes, links, materialise, plan

_PENDING = MessageState.PENDING.value


@dataclass(frozen=True, slots=True, kw_only=True)
class Draft:
    """A campaign as the owner submits it (the form and the API build one)."""

    name: str
    template: str
    language: str
    segment_id: int | None
    variables: list[Mapping[str, Any]]
    discount: Mapping[str, Any]
    link_url: str = ""
    attribution_days: int = domain.ATTRIBUTION_DAYS_DEFAULT
    # For a template with a media header: {"link": https URL} or an upload's {"id",
    # "filename"} (plugin.pipeline.campaigns.header_upload); None keeps the saved one.
    header_media: Mapping[str, Any] | None = None
    # The share of recipients held out (never messaged) to measure the lift, 0–50 %.
    holdout_percent: int = 0


def save(session: Session, store: Store, campaign: Campaign | None, draft: Draft) -> Campaign:
    """Create or change a campaign (draft or scheduled only); CampaignRefused names each
    mistake, or says it is sending and cannot change."""
    if campaign is not None and CampaignState(campaign.state) not in domain.EDITABLE:
        raise CampaignRefused([FieldProblem(
            "campaign", f"this campaign is {campaign.state}: it cannot be changed while it "
                        "is sending or after. Cancel it and make a new one.")])
    problems: list[FieldProblem] = []
    name = draft.name.strip()[:domain.NAME_MAX]
    if not name:
        problems.append(FieldProblem("name", "give the campaign a name"))
    template = plan.find_template(session, store.id, draft.template, draft.language)
    variables: tuple[domain.Variable, ...] = ()
    discount = domain.Discount()
    header_media: dict[str, str] | None = None
    try:
        plan.check_template(template)
        assert template is not None
        variables = domain.read_variables(draft.variables, len(plan.body_variables(template)))
    except CampaignRefused as error:
        problems.extend(error.problems)
    try:
        header_media = plan.read_header_media(template, draft.header_media or (
            campaign.header_media if campaign is not None else None))
    except CampaignRefused as error:
        problems.extend(error.problems)
    try:
        discount = domain.read_discount(draft.discount)
    except CampaignRefused as error:
        problems.extend(error.problems)
    if any(v.source == domain.SOURCE_DISCOUNT for v in variables) and \
            discount.mode == domain.DISCOUNT_NONE:
        problems.append(FieldProblem("discount_mode", "a variable sends the discount code: "
                                                      "choose a shared or unique code"))
    # A draft may wait for its segment (start asks for one); a segment named must be here.
    segment = session.get(Segment, draft.segment_id) if draft.segment_id else None
    if draft.segment_id is not None and (segment is None or segment.store_id != store.id):
        problems.append(FieldProblem("segment", "choose one of this store's segments"))
    if not 1 <= draft.attribution_days <= domain.ATTRIBUTION_DAYS_MAX:
        problems.append(FieldProblem("attribution_days",
                                     f"1 to {domain.ATTRIBUTION_DAYS_MAX} days"))
    if not 0 <= draft.holdout_percent <= attribution.MAX_HOLDOUT_PERCENT:
        problems.append(FieldProblem("holdout_percent",
                                     f"0 to {attribution.MAX_HOLDOUT_PERCENT} %"))
    link = draft.link_url.strip()
    if link and not link.lower().startswith(("https://", "http://")):
        problems.append(FieldProblem("link_url", "a web address starting with https://"))
    if problems:
        raise CampaignRefused(problems)
    now = db.utcnow()
    campaign = campaign or Campaign(store_id=store.id, state=CampaignState.DRAFT.value,
                                    created_at=now)
    campaign.name, campaign.template, campaign.language = name, draft.template, draft.language
    campaign.segment_id = draft.segment_id
    campaign.variables = [v.to_json() for v in variables]
    campaign.discount = discount.to_json()
    campaign.link_url, campaign.attribution_days = link, draft.attribution_days
    campaign.header_media = header_media
    campaign.holdout_percent = draft.holdout_percent
    campaign.updated_at = now
    session.add(campaign)
    session.flush()
    return campaign


def start(session: Session, campaign: Campaign, *, scheduled_at: datetime | None,
          deadline_at: datetime | None, now: datetime | None = None) -> int:
    """Start now (`scheduled_at` None) or at a time, all naive UTC; the reachable count.
    CampaignRefused for a time in the past, a deadline before the start, a segment nobody
    in it can get, a variable mapped to a field empty for some of them, or a campaign not
    in draft or scheduled. Nothing is written then."""
    now = now or db.utcnow()
    if CampaignState(campaign.state) not in domain.EDITABLE:
        raise CampaignRefused([FieldProblem("campaign", f"this campaign is {campaign.state}")])
    domain.check_timing(scheduled_at, deadline_at, now)
    template = plan.find_template(session, campaign.store_id, campaign.template,
                                  campaign.language)
    plan.check_template(template)
    assert template is not None
    plan.read_header_media(template, campaign.header_media)
    variables = domain.read_variables(campaign.variables, len(plan.body_variables(template)))
    segment = session.get(Segment, campaign.segment_id) if campaign.segment_id else None
    if segment is None:
        raise CampaignRefused([FieldProblem("segment", "choose a segment")])
    definition = segment_rules.parse(segment.definition)
    reachable = materialise.check_audience(session, campaign.store_id, definition, variables,
                                           scheduled_at or now)
    begin = max(scheduled_at or now, now)
    campaign.definition = definition.to_json()
    campaign.state, campaign.reason = CampaignState.SCHEDULED.value, None
    campaign.scheduled_at, campaign.deadline_at = begin, deadline_at
    campaign.run_until, campaign.updated_at = begin, now
    queue.enqueue_after_commit(session, queue.Job.CAMPAIGN_RUN, campaign.id,
                               (begin - now).total_seconds())
    return reachable


def _move(session: Session, campaign: Campaign, old: tuple[CampaignState, ...],
          new: CampaignState, **values: Any) -> bool:
    result = session.execute(
        update(Campaign).where(Campaign.id == campaign.id,
                               Campaign.state.in_([s.value for s in old]))
        .values(state=new.value, updated_at=db.utcnow(), **values)
        .execution_options(synchronize_session=False))
    moved = cast(CursorResult[Any], result).rowcount == 1
    if not moved:
        raise CampaignRefused([FieldProblem(
            "campaign", f"this campaign is {campaign.state}: it cannot be {new.value} now")])
    session.refresh(campaign)
    return moved


def _mine(campaign: Campaign) -> Any:
    return ((Message.store_id == campaign.store_id) & (Message.cause == links.cause(campaign.id))
            & (Message.state == _PENDING))


def pause(session: Session, campaign: Campaign) -> None:
    """Stop releasing, and put released rows no send has claimed back on hold."""
    _move(session, campaign, (CampaignState.SENDING, CampaignState.PREPARING,
                              CampaignState.SCHEDULED), CampaignState.PAUSED)
    session.execute(update(Message).where(_mine(campaign),
                                          Message.not_before < materialise.HELD_UNTIL)
                    .values(not_before=materialise.HELD_UNTIL)
                    .execution_options(synchronize_session=False))


def resume(session: Session, campaign: Campaign) -> None:
    """Go on where the pause stopped (preparing again when it paused before sending)."""
    written = materialise.written(session, campaign) if campaign.started_at else 0
    ready = campaign.started_at is not None and written > 0 and not codes.missing(
        session, campaign.id) and campaign.total == written
    state = CampaignState.SENDING if ready else (
        CampaignState.PREPARING if campaign.started_at else CampaignState.SCHEDULED)
    _move(session, campaign, (CampaignState.PAUSED,), state, run_until=None)
    queue.enqueue_after_commit(session, queue.Job.CAMPAIGN_RUN, campaign.id)


def cancel(session: Session, campaign: Campaign) -> int:
    """Stop for good: every row not yet claimed by a send is skipped; how many."""
    now = db.utcnow()
    _move(session, campaign, tuple(s for s in CampaignState if s not in domain.FINISHED),
          CampaignState.CANCELLED, finished_at=now, run_until=None)
    result = session.execute(update(Message).where(_mine(campaign))
                             .values(state=MessageState.SKIPPED.value,
                                     reason=domain.CANCELLED_REASON, not_before=None)
                             .execution_options(synchronize_session=False))
    return cast(CursorResult[Any], result).rowcount


@dataclass(frozen=True, slots=True)
class Preview:
    """The campaign's message for one real customer, as their phone shows it."""

    customer_id: int
    customer_name: str
    text: str
    payload: dict[str, Any]


def preview_customers(session: Session, campaign: Campaign, limit: int = 20) -> list[Customer]:
    """Real customers of the campaign's segment to preview with (reachable first)."""
    segment = session.get(Segment, campaign.segment_id) if campaign.segment_id else None
    if segment is None:
        return []
    definition = segment_rules.parse(campaign.definition or segment.definition)
    ids = segments.reachable_ids(session, campaign.store_id, definition, 0, limit)
    return list(session.scalars(select(Customer).where(Customer.id.in_(ids))
                                .order_by(Customer.id))) if ids else []


def preview(session: Session, campaign: Campaign, customer: Customer) -> Preview:
    """The message `customer` would get (their code as it will be)."""
    template = plan.find_template(session, campaign.store_id, campaign.template,
                                  campaign.language)
    plan.check_template(template)
    assert template is not None
    variables = domain.read_variables(campaign.variables, len(plan.body_variables(template)))
    params = plan.recipient_params(variables, _fields(customer), _code(campaign, customer.id))
    to = customer.phone_e164 or (f"+{customer.wa_id}" if customer.wa_id else None)
    return Preview(customer_id=customer.id,
                   customer_name=" ".join(p for p in (customer.first_name,
                                                      customer.last_name) if p) or (to or ""),
                   text=plan.preview_text(template, params),
                   payload=plan.payload(template, to, params,
                                        links.token(campaign.id, customer.id),
                                        plan.header_parameters(template,
                                                               campaign.header_media)))


def test_send(session: Session, store: Store, campaign: Campaign, phone: str,
              customer: Customer | None) -> str:
    """Send the message to the owner's own number now (with `customer`'s fields, or the
    variables' fallbacks); the wamid. It is logged in the outbox as sent, never counted in
    the campaign's figures. CampaignRefused for a number WhatsApp cannot reach."""
    number = to_e164(phone.strip(), store.country)
    if not number:
        raise CampaignRefused([FieldProblem("phone", "a WhatsApp number with its country "
                                                     "code, such as +351912345678")])
    template = plan.find_template(session, campaign.store_id, campaign.template,
                                  campaign.language)
    plan.check_template(template)
    assert template is not None
    variables = domain.read_variables(campaign.variables, len(plan.body_variables(template)))
    fields = _fields(customer) if customer is not None else {}
    params = [p or "…" for p in plan.recipient_params(variables, fields,
                                                      codes.code_for(campaign.id, None))]
    payload = plan.payload(template, number, params, "test",
                           plan.header_parameters(template, campaign.header_media))
    account = session.scalars(select(WhatsAppAccount).where(
        WhatsAppAccount.store_id == store.id).limit(1)).first()
    transport = transports.for_account(session, account, store)
    try:
        wamid = transport.send(payload)
    except SendError as error:
        raise CampaignRefused([FieldProblem("phone", f"WhatsApp did not take the test: "
                                                     f"{error.reason}")]) from None
    message_id = outbox.write(session, store_id=store.id, cause=f"campaign-test:{campaign.id}",
                              step=uuid.uuid4().hex[:20], to=number, template=template.name,
                              payload=payload)
    if message_id is not None:
        session.execute(update(Message).where(Message.id == message_id).values(
            state=MessageState.SENT.value, wamid=wamid, transport=transport.name,
            sent_at=db.utcnow(), reason="test send to the owner"))
    return wamid


def _fields(customer: Customer) -> dict[str, str | None]:
    return domain.customer_fields(customer.first_name, customer.last_name, customer.email,
                                  customer.country)


def _code(campaign: Campaign, customer_id: int) -> str:
    mode = domain.read_discount(campaign.discount).mode
    if mode == domain.DISCOUNT_UNIQUE:
        return codes.code_for(campaign.id, customer_id)
    return codes.code_for(campaign.id, None) if mode == domain.DISCOUNT_SHARED else ""

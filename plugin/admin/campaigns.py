"""Campaigns in the admin: the store's campaigns with their progress, the editor (template,
variables, segment, discount), and one campaign's page: start now or schedule it in the
store's time zone with an optional deadline, preview it on a real customer, send a test
to the owner, watch it send (a progress bar fed by counts), pause, resume, cancel, and
read its results.

`GET /stores/<id>/campaigns`, `GET|POST …/campaigns/new`, `GET|POST …/<campaign id>/edit`,
`GET …/<campaign id>`, `GET …/<campaign id>/progress` (JSON), `POST …/<campaign id>/start`,
`…/pause`, `…/resume`, `…/cancel`, `…/test`.
"""
from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from plugin.auth import tenancy
from plugin.auth.guard import protect
from plugin.domain import campaigns as domain
from plugin.domain.campaigns import CampaignRefused
from plugin.domain.segments import FieldProblem
from plugin.domain.template_samples import LARGEST_SAMPLE, MB
from plugin.infra import db
from plugin.models import Campaign, Customer, Segment, Store
from plugin.pipeline import rollups
from plugin.pipeline.campaigns import controls, header_upload, plan, results

blueprint = protect(Blueprint("campaigns_admin", __name__))

# Variable rows the editor offers (a template's own count is shown; the rest hidden).
MAX_VARIABLES = 8
# An editor POST may carry a header file as large as the largest kind allows, plus the form.
EDITOR_REQUEST_MAX = LARGEST_SAMPLE + MB


@blueprint.url_value_preprocessor
def _allow_header_files(endpoint: str | None, values: dict[str, object] | None) -> None:
    # Before the hooks that read the body (CSRF): the editor's POST may carry a header file
    # over the usual size cap.
    if endpoint in (f"{blueprint.name}.new", f"{blueprint.name}.edit"):
        request.max_content_length = max(EDITOR_REQUEST_MAX,
                                         current_app.config["MAX_CONTENT_LENGTH"] or 0)


def _campaign(store_id: int, campaign_id: int) -> tuple[Store, Campaign]:
    store = tenancy.get_or_404(Store, store_id)
    campaign = tenancy.get_or_404(Campaign, campaign_id)
    if campaign.store_id != store.id:
        abort(404)
    return store, campaign


def progress_json(progress: results.Progress, campaign: Campaign) -> dict[str, Any]:
    """The counts as the page's script (and the API) read them."""
    return {"state": campaign.state, "reason": campaign.reason, "total": progress.total,
            "held": progress.held, "queued": progress.queued, "sent": progress.sent,
            "failed": progress.failed, "dropped": progress.dropped,
            "deadline_dropped": progress.deadline_dropped, "done": progress.done,
            "percent": progress.percent}


@blueprint.get("/stores/<int:store_id>/campaigns")
def index(store_id: int) -> ResponseReturnValue:
    """The store's campaigns, newest first, each with its progress."""
    store = tenancy.get_or_404(Store, store_id)
    session = db.session()
    rows = list(session.scalars(select(Campaign).where(Campaign.store_id == store.id)
                                .order_by(Campaign.id.desc())))
    listed = [(c, results.progress(session, c)) for c in rows]
    return render_template("campaigns/index.html", store=store, campaigns=listed,
                           local=lambda t: domain.utc_to_local(t, store.timezone))


@blueprint.route("/stores/<int:store_id>/campaigns/new", methods=["GET", "POST"])
def new(store_id: int) -> ResponseReturnValue:
    """A new campaign (saved as a draft)."""
    return _editor(tenancy.get_or_404(Store, store_id), None)


@blueprint.route("/stores/<int:store_id>/campaigns/<int:campaign_id>/edit",
                 methods=["GET", "POST"])
def edit(store_id: int, campaign_id: int) -> ResponseReturnValue:
    """Change a draft or scheduled campaign; a sending one is refused (409) with why."""
    store, campaign = _campaign(store_id, campaign_id)
    if domain.CampaignState(campaign.state) not in domain.EDITABLE:
        flash(f"“{campaign.name}” is {campaign.state}: it cannot be changed while it is "
              "sending or after. Cancel it and make a new one.", "error")
        if request.method == "POST":
            return _page(store, campaign, {}, status=409)
        return redirect(url_for("campaigns_admin.show", store_id=store.id,
                                campaign_id=campaign.id))
    return _editor(store, campaign)


def _form_values(campaign: Campaign | None) -> dict[str, Any]:
    if campaign is None:
        return {"name": "", "template": "", "segment_id": "", "discount_mode": "none",
                "discount_percent": "", "discount_hours": str(domain.DISCOUNT_HOURS_DEFAULT),
                "link_url": "", "attribution_days": str(domain.ATTRIBUTION_DAYS_DEFAULT),
                "holdout_percent": "0", "variables": [], "header_link": "", "header_file": ""}
    discount = campaign.discount or {}
    header = campaign.header_media or {}
    return {"name": campaign.name, "template": f"{campaign.template}|{campaign.language}",
            "segment_id": str(campaign.segment_id or ""),
            "discount_mode": discount.get("mode", "none"),
            "discount_percent": str(discount.get("percent") or ""),
            "discount_hours": str(discount.get("hours") or domain.DISCOUNT_HOURS_DEFAULT),
            "link_url": campaign.link_url, "attribution_days": str(campaign.attribution_days),
            "holdout_percent": str(campaign.holdout_percent),
            "variables": list(campaign.variables or []),
            "header_link": header.get("link", ""), "header_file": header.get("filename", "")}


def _submitted() -> tuple[dict[str, Any], controls.Draft]:
    form = request.form
    variables = []
    for index in range(1, MAX_VARIABLES + 1):
        source = form.get(f"var{index}_source", "")
        text = form.get(f"var{index}_text", "")
        if source == domain.SOURCE_FIELD:
            variables.append({"source": source, "value": form.get(f"var{index}_field", ""),
                              "fallback": text})
        else:
            variables.append({"source": source, "value": text, "fallback": ""})
    name, _, language = form.get("template", "").partition("|")
    segment = form.get("segment_id", "")
    days = form.get("attribution_days", "")
    holdout = form.get("holdout_percent", "0").strip() or "0"
    values = {"name": form.get("name", ""), "template": form.get("template", ""),
              "segment_id": segment, "discount_mode": form.get("discount_mode", "none"),
              "discount_percent": form.get("discount_percent", ""),
              "discount_hours": form.get("discount_hours", ""),
              "link_url": form.get("link_url", ""), "attribution_days": days,
              "holdout_percent": holdout, "variables": variables,
              "header_link": form.get("header_link", "").strip(), "header_file": ""}
    draft = controls.Draft(
        name=values["name"], template=name, language=language,
        segment_id=int(segment) if segment.isdigit() else None, variables=variables,
        discount={"mode": values["discount_mode"], "percent": values["discount_percent"],
                  "hours": values["discount_hours"]},
        link_url=values["link_url"],
        attribution_days=int(days) if days.isdigit() else 0,
        holdout_percent=int(holdout) if holdout.isdigit() else -1,
        header_media={"link": values["header_link"]} if values["header_link"] else None)
    return values, draft


def _with_uploaded_header(store: Store, draft: controls.Draft) -> controls.Draft:
    """The draft with the header file the owner chose uploaded to the store's number
    (CampaignRefused "header_media" when it cannot be); unchanged without a file."""
    upload = request.files.get("header_file")
    data = upload.read() if upload is not None else b""
    if not data:
        return draft
    session = db.session()
    template = plan.find_template(session, store.id, draft.template, draft.language)
    kind = plan.media_kind(template)
    if not kind:
        raise CampaignRefused([FieldProblem(
            "header_media", "this template has no image, video or document header: "
                            "no file is needed")])
    media = header_upload.upload(session, store.id, kind, data,
                                 upload.filename if upload is not None else "")
    return dataclasses.replace(draft, header_media=media)


def _editor(store: Store, campaign: Campaign | None) -> ResponseReturnValue:
    session = db.session()
    errors: dict[str, str] = {}
    values = _form_values(campaign)
    if request.method == "POST":
        values, draft = _submitted()
        try:
            draft = _with_uploaded_header(store, draft)
            campaign = controls.save(session, store, campaign, draft)
            session.commit()
            flash(f"Campaign “{campaign.name}” saved. Preview it, then send or schedule it.")
            return redirect(url_for("campaigns_admin.show", store_id=store.id,
                                    campaign_id=campaign.id))
        except CampaignRefused as error:
            session.rollback()
            errors = {p.field: p.message for p in error.problems}
    templates = plan.approved_templates(session, store.id)
    segments = list(session.scalars(select(Segment).where(Segment.store_id == store.id)
                                    .order_by(Segment.name)))
    return render_template(
        "campaigns/editor.html", store=store, campaign=campaign,
        form={"values": values, "errors": errors}, segments=segments,
        templates=[(t, len(plan.body_variables(t)), plan.preview_text(t, []),
                    plan.media_kind(t)) for t in templates],
        fields=domain.CUSTOMER_FIELDS, max_variables=MAX_VARIABLES), 422 if errors else 200


@blueprint.get("/stores/<int:store_id>/campaigns/<int:campaign_id>")
def show(store_id: int, campaign_id: int) -> ResponseReturnValue:
    """One campaign: start or schedule, preview, test, progress, controls, results."""
    store, campaign = _campaign(store_id, campaign_id)
    return _page(store, campaign, {})


def _page(store: Store, campaign: Campaign, errors: dict[str, str],
          status: int = 200, values: dict[str, str] | None = None) -> ResponseReturnValue:
    session = db.session()
    customers = controls.preview_customers(session, campaign)
    chosen = request.values.get("customer", "")
    customer = next((c for c in customers if str(c.id) == chosen),
                    customers[0] if customers else None)
    preview = None
    if customer is not None:
        try:
            preview = controls.preview(session, campaign, customer)
        except (CampaignRefused, ValueError) as error:
            errors.setdefault("preview", str(error))
    template = plan.find_template(session, campaign.store_id, campaign.template,
                                  campaign.language)
    segment = session.get(Segment, campaign.segment_id) if campaign.segment_id else None
    return render_template(
        "campaigns/campaign.html", store=store, campaign=campaign, segment=segment,
        template=template, progress=results.progress(session, campaign),
        results=results.results(session, campaign), customers=customers, preview=preview,
        orders_since=orders_since(store, campaign),
        form={"values": values or {}, "errors": errors},
        local=lambda t: domain.utc_to_local(t, store.timezone),
        editable=domain.CampaignState(campaign.state) in domain.EDITABLE), status


def orders_since(store: Store, campaign: Campaign) -> date:
    """The store's day the campaign started: its attributed-orders list runs from it to
    today, so that it holds every order the last-touch figure counts, however old."""
    return rollups.store_today(store.timezone, campaign.started_at or campaign.created_at)


@blueprint.get("/stores/<int:store_id>/campaigns/<int:campaign_id>/progress")
def progress(store_id: int, campaign_id: int) -> ResponseReturnValue:
    """The counts the page's progress bar follows (JSON)."""
    _, campaign = _campaign(store_id, campaign_id)
    return jsonify(progress_json(results.progress(db.session(), campaign), campaign))


@blueprint.post("/stores/<int:store_id>/campaigns/<int:campaign_id>/start")
def start(store_id: int, campaign_id: int) -> ResponseReturnValue:
    """Send now or at the time given (the store's zone), with the optional deadline."""
    store, campaign = _campaign(store_id, campaign_id)
    session = db.session()
    values = {k: request.form.get(k, "") for k in ("when", "scheduled_at", "deadline_at")}
    try:
        scheduled = (domain.local_to_utc(values["scheduled_at"], store.timezone)
                     if values["when"] == "later" else None)
        if values["when"] == "later" and scheduled is None:
            raise CampaignRefused([domain.FieldProblem("scheduled_at", "choose a time")])
        deadline = domain.local_to_utc(values["deadline_at"], store.timezone)
    except ValueError as error:
        if isinstance(error, CampaignRefused):
            return _page(store, campaign, {p.field: p.message for p in error.problems},
                         422, values)
        return _page(store, campaign, {"scheduled_at": "a date and time"}, 422, values)
    try:
        reachable = controls.start(session, campaign, scheduled_at=scheduled,
                                   deadline_at=deadline)
    except CampaignRefused as error:
        session.rollback()
        return _page(store, campaign, {p.field: p.message for p in error.problems}, 422,
                     values)
    session.commit()
    when = "now" if scheduled is None else "at " + values["scheduled_at"].replace("T", " ")
    flash(f"Sending to {reachable} customers {when}.")
    return redirect(url_for("campaigns_admin.show", store_id=store.id, campaign_id=campaign.id))


def _control(store_id: int, campaign_id: int, action: str) -> ResponseReturnValue:
    store, campaign = _campaign(store_id, campaign_id)
    session = db.session()
    try:
        getattr(controls, action)(session, campaign)
    except CampaignRefused as error:
        session.rollback()
        flash(str(error).partition(": ")[2] or str(error), "error")
        return redirect(url_for("campaigns_admin.show", store_id=store.id,
                                campaign_id=campaign.id)), 303
    session.commit()
    flash({"pause": "Paused: nothing more is sent until you resume.",
           "resume": "Resumed.", "cancel": "Cancelled: the messages not sent are dropped."}
          [action])
    return redirect(url_for("campaigns_admin.show", store_id=store.id, campaign_id=campaign.id))


@blueprint.post("/stores/<int:store_id>/campaigns/<int:campaign_id>/pause")
def pause(store_id: int, campaign_id: int) -> ResponseReturnValue:
    """Stop releasing messages; those queued and not yet sent go back on hold."""
    return _control(store_id, campaign_id, "pause")


@blueprint.post("/stores/<int:store_id>/campaigns/<int:campaign_id>/resume")
def resume(store_id: int, campaign_id: int) -> ResponseReturnValue:
    """Go on sending where the pause stopped."""
    return _control(store_id, campaign_id, "resume")


@blueprint.post("/stores/<int:store_id>/campaigns/<int:campaign_id>/cancel")
def cancel(store_id: int, campaign_id: int) -> ResponseReturnValue:
    """Stop for good; what is not sent is dropped."""
    return _control(store_id, campaign_id, "cancel")


@blueprint.post("/stores/<int:store_id>/campaigns/<int:campaign_id>/test")
def test(store_id: int, campaign_id: int) -> ResponseReturnValue:
    """Send the message to the owner's number, with the previewed customer's fields."""
    store, campaign = _campaign(store_id, campaign_id)
    session = db.session()
    customer = None
    chosen = request.form.get("customer", "")
    if chosen.isdigit():
        customer = session.get(Customer, int(chosen))
        if customer is None or customer.store_id != store.id:
            abort(404)
    try:
        controls.test_send(session, store, campaign, request.form.get("phone", ""), customer)
    except CampaignRefused as error:
        session.rollback()
        return _page(store, campaign, {p.field: p.message for p in error.problems}, 422,
                     {"phone": request.form.get("phone", "")})
    session.commit()
    flash("Test sent to your number.")
    return redirect(url_for("campaigns_admin.show", store_id=store.id, campaign_id=campaign.id))


def init_app(app: Flask) -> None:
    """Register the campaign pages."""
    app.register_blueprint(blueprint)

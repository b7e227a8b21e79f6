"""Templates written in StoreChat: kept as drafts, submitted for Meta's review, resubmitted
once fixed; and a store's templates as plain values for any reader (admin, API).

`submit` sends a checked draft to the store's WABA (POST /{waba-id}/message_templates, or
POST /{template-id} to resubmit a rejected or paused one) and marks it PENDING; Meta's
template webhooks and the periodic sync move it on (APPROVED, REJECTED with the reason,
PAUSED, DISABLED). A store with no WhatsApp token (the demo store, or a store before its
number is connected) is in the sandbox: nothing leaves StoreChat, and a delayed queue job
(`sandbox_review`, SANDBOX_REVIEW_SECONDS later) approves the template, so the whole loop
can be tried without Meta.

A media header's sample file is kept on the row (`header_sample`); a real submission first
uploads it to the Meta app (WHATSAPP_APP_ID) by the Resumable Upload API, whose handle is the
header's example, so a rejected template is resubmitted from the stored file.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from adapters.whatsapp.client import CloudClient
from adapters.whatsapp.template_definitions import (
    create_request,
    edit_request,
    stored_components,
)
from plugin.domain.errors import RequestRefused
from plugin.domain.template_drafts import MEDIA_HEADERS, TemplateDraft, variables_in
from plugin.domain.template_samples import FILE_NAMES, SAMPLE_WORDS, fits
from plugin.infra import db, queue
from plugin.models import Store, Template, TemplateSource, WhatsAppAccount
from plugin.platforms.whatsapp.number import client, installation_account

log = logging.getLogger(__name__)

# How long the sandbox "reviews" a template before approving it: long enough to see it
# pending, short enough to try the whole loop at once.
SANDBOX_REVIEW_SECONDS = 4
DRAFT = "DRAFT"
PENDING = "PENDING"
APPROVED = "APPROVED"
# Statuses whose template the owner may change and send for review (again).
EDITABLE = frozenset({DRAFT, "REJECTED", "PAUSED"})
# Statuses Meta lets an existing template be edited from (POST /{template-id}).
RESUBMITTABLE = frozenset({"REJECTED", "PAUSED"})


class DraftRefused(RequestRefused):
    """A template draft cannot be saved or submitted as asked; `field` names the editor
    field at fault ('' when none in particular)."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def account_for(session: Session, store: Store) -> WhatsAppAccount | None:
    """The number whose WABA receives the store's templates: its own connected one, else the
    installation's default (real stores only); None means the sandbox."""
    account = session.scalars(select(WhatsAppAccount).where(
        WhatsAppAccount.store_id == store.id).order_by(WhatsAppAccount.id)).first()
    if account is not None and account.access_token and account.waba_id:
        return account
    default = installation_account(store)
    return default if default is not None and default.waba_id else None


def save_draft(session: Session, store: Store, draft: TemplateDraft,
               row: Template | None = None, sample: bytes | None = None) -> Template:
    """Keep the owner's draft (new, or on `row`) and, for a media header, its new `sample`
    file (of the draft's `header_media_type`; None keeps the stored one); raises
    DraftRefused when another template of the store has the same name and language, the
    row can no longer change, or a media header has no sample of its type."""
    if row is not None and row.status not in EDITABLE:
        raise DraftRefused(f"This template is {row.status.lower()} at WhatsApp and cannot be "
                           "changed here.")
    if row is not None and row.meta_id:
        # Meta keys a template by name and language: an edit keeps both.
        draft = TemplateDraft.from_dict({**draft.to_dict(), "name": row.name,
                                         "language": row.language})
    taken = session.scalars(select(Template.id).where(
        Template.store_id == store.id, Template.name == draft.name,
        Template.language == draft.language)).first()
    if taken is not None and (row is None or taken != row.id):
        raise DraftRefused(f"This store already has a template “{draft.name}” in "
                           f"{draft.language}: choose another name, or edit that one.", "name")
    if row is None:
        row = Template(store_id=store.id, source=TemplateSource.APP, status=DRAFT)
        session.add(row)
    row.name, row.language = draft.name, draft.language
    row.category = draft.category.value
    row.parameter_format = None if draft.is_authentication else draft.style.value
    row.components = stored_components(draft)
    row.draft = draft.to_dict()
    row.synced_at = db.utcnow()
    _keep_sample(row, draft, sample)
    try:
        session.flush()
    except IntegrityError:
        # The same name and language committed since the check above (a double-clicked
        # Save, two tabs): the unique key refuses it, in words rather than a 500.
        raise DraftRefused(f"This store already has a template “{draft.name}” in "
                           f"{draft.language}: choose another name, or edit that one.",
                           "name") from None
    return row


def _keep_sample(row: Template, draft: TemplateDraft, sample: bytes | None) -> None:
    if draft.is_authentication or draft.header_kind not in MEDIA_HEADERS:
        row.header_sample = row.header_sample_type = None  # no header file to keep
        return
    if sample is not None:
        row.header_sample, row.header_sample_type = sample, draft.header_media_type
    if not fits(draft.header_kind, row.header_sample_type or "") \
            or row.header_sample_type != draft.header_media_type:
        raise DraftRefused(f"Choose {SAMPLE_WORDS[draft.header_kind]} as the sample for "
                           "WhatsApp's reviewers.", "header_file")


def submit(session: Session, store: Store, row: Template,
           api: CloudClient | None = None) -> str:
    """Send the row's draft for review; "whatsapp" or "sandbox" says where it went.
    Raises TemplateRefused (Meta refused the definition), AccountError (the token) or
    another SendError (Meta did not answer); the row is unchanged then."""
    if row.draft is None or row.status not in EDITABLE:
        raise DraftRefused("Only a template written here, not yet approved, can be sent for "
                           "review.")
    draft = TemplateDraft.from_dict(row.draft)
    account = account_for(session, store)
    if account is None:
        _pending(row)
        queue.enqueue_after_commit(session, queue.Job.SANDBOX_TEMPLATE_REVIEW, row.id,
                                   SANDBOX_REVIEW_SECONDS)
        return "sandbox"
    api = api or client()
    assert account.waba_id and account.access_token  # account_for returns only such
    sample = _sample(row, draft)
    resubmit = bool(row.meta_id) and row.status in RESUBMITTABLE
    # Pending (and the row locked) before Meta hears of it: a status webhook that answers
    # before this commits waits for it and then applies, instead of being overwritten by
    # PENDING afterwards. Meta refusing rolls this back with the rest.
    _pending(row)
    session.flush()
    handle = ""
    if sample is not None:
        app_id, data, file_type = sample
        handle = api.upload_sample(app_id, account.access_token, data, file_type,
                                   FILE_NAMES.get(file_type, "sample"))
    if resubmit:
        assert row.meta_id is not None
        api.edit_template(row.meta_id, account.access_token, edit_request(draft, handle))
    else:
        answer = api.create_template(account.waba_id, account.access_token,
                                     create_request(draft, handle))
        row.meta_id = answer["id"][:64]
        row.category = (answer["category"] or row.category)[:20]
        row.status = (answer["status"] or PENDING)[:20]
    return "whatsapp"


def _sample(row: Template, draft: TemplateDraft) -> tuple[str, bytes, str] | None:
    """(app id, bytes, type) of the media header's sample to upload; None without a media
    header. Refused, before Meta hears anything, without the app id or the file."""
    if draft.is_authentication or draft.header_kind not in MEDIA_HEADERS:
        return None
    app_id = current_app.config["STORECHAT"].whatsapp_app_id
    if not app_id:
        raise DraftRefused("WhatsApp takes a header sample only through a Meta app: set "
                           "WHATSAPP_APP_ID (your Meta app's id) in StoreChat's settings, "
                           "or choose another header.", "header_file")
    data, file_type = row.header_sample, row.header_sample_type or ""
    if not data or not fits(draft.header_kind, file_type):
        raise DraftRefused(f"Choose {SAMPLE_WORDS[draft.header_kind]} as the sample for "
                           "WhatsApp's reviewers.", "header_file")
    return app_id, data, file_type


def _pending(row: Template, status: str = PENDING) -> None:
    row.status = status[:20]
    row.reason = None
    row.submitted_at = db.utcnow()


def sandbox_review(template_id: int) -> None:
    """Job: the sandbox's review approves a pending template written in StoreChat. When its
    store has connected a real number since, Meta never saw the template: it goes back to
    a draft to submit there (left pending, the sweeper would queue this job forever)."""
    with db.transaction() as session:
        row = session.get(Template, template_id)
        if row is None or row.status != PENDING or row.source != TemplateSource.APP \
                or row.meta_id is not None:
            return
        store = session.get(Store, row.store_id)
        if store is None:
            return
        if account_for(session, store) is not None:
            row.status, row.submitted_at = DRAFT, None
            return
        row.status = APPROVED
        row.synced_at = db.utcnow()
    log.info("sandbox approved template %s", template_id)


def enqueue_lost_reviews(submitted_before: datetime) -> int:
    """Sweeper: queue the sandbox review again for templates sent to the sandbox before
    `submitted_before` and still pending (their delayed job was lost); how many."""
    with db.transaction() as session:
        ids = list(session.scalars(select(Template.id).where(
            Template.source == TemplateSource.APP, Template.status == PENDING,
            Template.meta_id.is_(None), Template.submitted_at < submitted_before)))
    for template_id in ids:
        queue.enqueue(queue.Job.SANDBOX_TEMPLATE_REVIEW, template_id)
    return len(ids)


def template_dicts(session: Session, store_id: int) -> list[dict[str, Any]]:
    """The store's templates as plain values (name, language, category, status, Meta's
    reason, variables, components…), by name and language; callers scope `store_id`."""
    rows = session.scalars(select(Template).where(Template.store_id == store_id)
                           .order_by(Template.name, Template.language))
    return [template_dict(row) for row in rows]


def template_dict(row: Template) -> dict[str, Any]:
    """One template as plain, JSON-able values."""
    body = next((str(c.get("text") or "") for c in row.components or []
                 if isinstance(c, dict) and str(c.get("type", "")).upper() == "BODY"), "")
    return {
        "id": row.id, "name": row.name, "language": row.language, "category": row.category,
        "status": row.status, "reason": row.reason, "quality": row.quality,
        "source": row.source, "parameter_format": row.parameter_format or "POSITIONAL",
        "variables": list(variables_in(body)), "components": list(row.components or []),
        "meta_id": row.meta_id,
        "submitted_at": row.submitted_at.isoformat() + "Z" if row.submitted_at else None,
    }

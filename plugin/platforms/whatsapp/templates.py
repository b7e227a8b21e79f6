"""A number's message templates: kept in step with its WABA, and StoreChat's starters submitted.

Template sync is an upsert on (store, name, language) that also deletes what Meta no longer
lists (drafts written in StoreChat and not yet submitted stay); the sweeper enqueues it for
every connected account every SYNC_INTERVAL_SECONDS, claimed once per interval so several
workers sweeping together still enqueue one job per account.
"""
from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from adapters.whatsapp.client import CloudClient
from plugin.domain import starter_templates
from plugin.domain.errors import AccountError, PermanentError, SendError
from plugin.infra import db, queue
from plugin.infra.sql import insert_ignore
from plugin.models import OneTimeToken, Store, StoreStatus, Template, WhatsAppAccount
from plugin.platforms.whatsapp.number import client

log = logging.getLogger(__name__)

# How often each connected account's templates are re-read from Meta. Status, category and
# quality webhooks keep rows current in between; the sync repairs anything they missed.
SYNC_INTERVAL_SECONDS = 6 * 3600
# A template submitted this recently may be missing from Meta's list (the list lags a
# create, and one submitted while the list was being read is not in it): the sync leaves it.
SUBMIT_LIST_LAG = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class SyncResult:
    """What one template sync changed."""

    added: int
    updated: int
    removed: int
    total: int


def sync_templates(session: Session, account: WhatsAppAccount,
                   api: CloudClient | None = None) -> SyncResult:
    """Make the store's Template rows what Meta lists for the account's WABA: upsert on
    (name, language), delete what Meta no longer has. Raises SendError when Meta fails."""
    if not account.waba_id or not account.access_token:
        raise PermanentError("this number has no WhatsApp Business Account ID or token")
    # The list is a snapshot from before the rows are read: what was submitted since is newer.
    asked_at = db.utcnow()
    listed = (api or client()).list_templates(account.waba_id, account.access_token)
    rows = {(t.name, t.language): t for t in session.scalars(
        select(Template).where(Template.store_id == account.store_id))}
    now = db.utcnow()
    added = updated = 0
    seen: set[tuple[str, str]] = set()
    for item in listed:
        values = _template_values(item)
        if values is None:
            continue
        key = (values["name"], values["language"])
        if key in seen:
            continue
        seen.add(key)
        row = rows.get(key)
        if row is None:
            session.add(Template(store_id=account.store_id, synced_at=now, **values))
            added += 1
        elif row.submitted_at is None or row.submitted_at < asked_at:
            for name, value in values.items():
                setattr(row, name, value)
            row.synced_at = now
            updated += 1
    # A draft written in StoreChat is not at Meta until it is submitted, and one submitted
    # moments ago may not be listed yet: both stay.
    gone = [row for key, row in rows.items() if key not in seen and row.status != "DRAFT"
            and not (row.submitted_at is not None
                     and row.submitted_at >= asked_at - SUBMIT_LIST_LAG)]
    removed = 0
    for row in gone:
        if row.draft is not None and row.meta_id is None:
            # Written here and only ever reviewed by the sandbox (before this number was
            # connected): Meta has never seen it, so it is a draft to submit, not deleted work.
            row.status, row.reason, row.submitted_at = "DRAFT", None, None
            continue
        session.delete(row)
        removed += 1
    if account.id is not None:  # the installation's default number has no row to stamp
        account.templates_synced_at = now
    session.flush()
    return SyncResult(added=added, updated=updated, removed=removed, total=len(seen))


def _template_values(item: dict[str, Any]) -> dict[str, Any] | None:
    """A Template row's fields from one entry of Meta's list; None when it has no identity."""
    name, language = item.get("name"), item.get("language")
    if not isinstance(name, str) or not name or not isinstance(language, str) or not language:
        return None
    quality = item.get("quality_score")
    score = quality.get("score") if isinstance(quality, dict) else quality
    reason = item.get("rejected_reason")
    components = item.get("components")
    return {"name": name[:512], "language": language[:16],
            "category": str(item.get("category") or "")[:20],
            "status": str(item.get("status") or "")[:20],
            "components": components if isinstance(components, list) else [],
            "meta_id": str(item["id"])[:64] if item.get("id") else None,
            "quality": str(score)[:20] if score else None,
            "reason": str(reason)[:255] if reason and reason != "NONE" else None}


def starter_languages(store: Store) -> tuple[str, ...]:
    """The starter languages for a store: its own (from its locale) and English."""
    locale = (store.locale or "").replace("-", "_")
    base = locale.split("_")[0].lower()
    own = next((lang for lang in starter_templates.LANGUAGES if lang == locale), None) or next(
        (lang for lang in starter_templates.LANGUAGES if lang.split("_")[0] == base), None)
    return tuple(dict.fromkeys(lang for lang in (own, "en") if lang))


def create_starter_templates(session: Session, account: WhatsAppAccount, public_url: str,
                             api: CloudClient | None = None,
                             languages: tuple[str, ...] | None = None) -> list[str]:
    """Submit the starter templates the WABA does not have yet (by name and language), in
    `languages` (default: every starter language); returns the names submitted. A definition
    Meta refuses is logged and skipped; a failing token or network raises SendError."""
    if not account.waba_id or not account.access_token:
        raise PermanentError("this number has no WhatsApp Business Account ID or token")
    api = api or client()
    existing = {(t.get("name"), t.get("language"))
                for t in api.list_templates(account.waba_id, account.access_token)}
    created = []
    for definition in starter_templates.definitions(public_url):
        if languages is not None and definition.language not in languages:
            continue
        if (definition.name, definition.language) in existing:
            continue
        try:
            api.create_template(account.waba_id, account.access_token,
                                definition.create_request())
        except PermanentError as error:
            log.warning("starter template %s/%s refused by WhatsApp: %s", definition.name,
                        definition.language, error.reason)
            continue
        created.append(definition.name)
        existing.add((definition.name, definition.language))
    return created


# The periodic sync --------------------------------------------------------------------------

def sync_job(account_id: int) -> None:
    """Job: sync one account's templates; failures are logged (the sweeper comes back)."""
    with db.transaction() as session:
        account = session.get(WhatsAppAccount, account_id)
        if account is None or not account.access_token or account.needs_reauth:
            return
        try:
            result = sync_templates(session, account)
        except AccountError as error:
            account.needs_reauth = True
            log.warning("template sync of number %s: token refused (%s)",
                        account.phone_number_id, error.reason)
            return
        except SendError as error:
            log.warning("template sync of number %s failed: %s", account.phone_number_id,
                        error.reason)
            return
    log.info("templates of number %s synced: %s", account_id, result)


def enqueue_due_syncs(now: datetime | None = None) -> int:
    """Enqueue `sync_templates` for each connected account not synced for an interval and
    not yet claimed in this one; returns how many were enqueued."""
    now = now or db.utcnow()
    due_before = now - timedelta(seconds=SYNC_INTERVAL_SECONDS)
    bucket = int(now.timestamp()) // SYNC_INTERVAL_SECONDS
    claimed = []
    with db.transaction() as tx:
        ids = list(tx.scalars(
            select(WhatsAppAccount.id).join(Store, Store.id == WhatsAppAccount.store_id)
            .where(Store.status == StoreStatus.ACTIVE.value,
                   WhatsAppAccount.access_token.is_not(None),
                   WhatsAppAccount.needs_reauth.is_(False),
                   or_(WhatsAppAccount.templates_synced_at.is_(None),
                       WhatsAppAccount.templates_synced_at < due_before))))
        for account_id in ids:
            digest = hashlib.sha256(f"wa_templates:{account_id}:{bucket}".encode()).hexdigest()
            if insert_ignore(tx, OneTimeToken, {"purpose": "wa_templates", "token_hash": digest,
                                                "created_at": now, "used_at": now,
                                                "expires_at": now + timedelta(
                                                    seconds=SYNC_INTERVAL_SECONDS)},
                             ("token_hash",)) is not None:
                claimed.append(account_id)
    for account_id in claimed:
        queue.enqueue(queue.Job.SYNC_TEMPLATES, account_id)
    return len(claimed)

"""Inbound media, fetched once: the job looks the media id up at Meta, downloads the file
with the number's token (size-capped, type-checked) and keeps it in the media store.

The row's `media_state` is the record: `pending` until the job stores the file (`stored`),
or gives up for good (`refused`: type or size; `failed`: Meta would not give it). A stored
or refused file is never downloaded again; a lost job is re-enqueued by the sweep while the
row is still pending. The store (`MediaStore`) is a local folder by default, or an
S3-compatible bucket (adapters.s3) when STORECHAT_INBOX_MEDIA_S3_BUCKET is set.
"""
from __future__ import annotations

import hashlib
import logging
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol

import httpx
from flask import current_app
from sqlalchemy import select

from adapters import s3
from adapters.whatsapp import media_download
from plugin.domain.errors import PermanentError, RetryableError
from plugin.infra import db, queue
from plugin.models import ReceivedMessage, Store, WhatsAppAccount
from plugin.pipeline import transports

log = logging.getLogger(__name__)

# The types WhatsApp carries (Meta's supported media list); anything else is refused, as is
# a file served as another type than Meta declared.
ALLOWED_TYPES = {
    "image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp",
    "video/mp4": ".mp4", "video/3gpp": ".3gp",
    "audio/aac": ".aac", "audio/amr": ".amr", "audio/mpeg": ".mp3", "audio/mp4": ".m4a",
    "audio/ogg": ".ogg",
    "text/plain": ".txt", "application/pdf": ".pdf",
    "application/msword": ".doc", "application/vnd.ms-excel": ".xls",
    "application/vnd.ms-powerpoint": ".ppt",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
}
# Huey's retries for a passing failure: 30 s, then 1, 2, 4 and 8 minutes (Meta keeps media
# for 30 days, so a slow retry loses nothing).
JOB_RETRY: dict[str, Any] = {"retries": 5, "retry_delay": 30, "retry_backoff": 2}
# The sweep re-enqueues a download still pending after this long (its job was lost).
STALE_PENDING = timedelta(minutes=15)


class MediaStore(Protocol):
    """Where downloaded files live: a local folder here, object storage elsewhere."""

    def put(self, key: str, data: bytes) -> None:
        """Keep `data` under `key` (overwriting the same bytes is harmless)."""

    def get(self, key: str) -> bytes | None:
        """The bytes under `key`, or None when absent."""

    def delete(self, key: str) -> None:
        """Forget `key` (nothing when absent)."""


class FolderStore:
    """Files under one folder, one sub-folder per store."""

    def __init__(self, root: Path) -> None:
        self._root = root

    def _path(self, key: str) -> Path:
        path = (self._root / key).resolve()
        if self._root.resolve() not in path.parents:
            raise ValueError("media key outside the media folder")
        return path

    def put(self, key: str, data: bytes) -> None:
        """Write the file atomically (a reader never sees half of it)."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(path.suffix + ".part")
        partial.write_bytes(data)
        partial.replace(path)

    def get(self, key: str) -> bytes | None:
        """The file's bytes, or None."""
        path = self._path(key)
        return path.read_bytes() if path.is_file() else None

    def delete(self, key: str) -> None:
        """Remove the file, if there."""
        self._path(key).unlink(missing_ok=True)


def media_store() -> MediaStore:
    """This installation's media store: the S3-compatible bucket when one is configured
    (STORECHAT_INBOX_MEDIA_S3_*), else the folder (STORECHAT_INBOX_MEDIA_DIR, else the
    instance's)."""
    settings = current_app.config["STORECHAT"]
    if settings.inbox_media_s3_bucket:
        return s3.Bucket(settings.inbox_media_s3_endpoint, settings.inbox_media_s3_bucket,
                         s3.Credentials(settings.inbox_media_s3_access_key_id,
                                        settings.inbox_media_s3_secret_access_key,
                                        settings.inbox_media_s3_region or "us-east-1"),
                         _http())
    root = Path(settings.inbox_media_dir) if settings.inbox_media_dir else (
        Path(settings.instance_path) / "inbox_media")
    return FolderStore(root)


def _http() -> httpx.Client:
    extensions = current_app.extensions
    if "storechat.inbox_http" not in extensions:
        extensions["storechat.inbox_http"] = httpx.Client()
    return extensions["storechat.inbox_http"]


def credentials(session: Any, store_id: int) -> tuple[str, str] | None:
    """(phone number id, token) the store's number reads media and sends receipts with, as
    the send job chooses them (plugin.pipeline.transports); None in the sandbox."""
    store = session.get(Store, store_id)
    account = session.scalars(select(WhatsAppAccount).where(
        WhatsAppAccount.store_id == store_id).limit(1)).first()
    if account is not None and account.access_token:
        return account.phone_number_id, account.access_token
    settings = current_app.config["STORECHAT"]
    if store is not None and transports.default_number_serves(session, store):
        return settings.whatsapp_phone_number_id, settings.whatsapp_access_token
    return None


def fetch(received_id: int) -> None:
    """Download one received message's media if still pending; safe to run twice. A passing
    failure raises (the queue retries); a final one is kept on the row with its reason."""
    settings = current_app.config["STORECHAT"]
    with db.transaction() as session:
        row = session.get(ReceivedMessage, received_id)
        if row is None or row.media_state != "pending" or not row.media_id:
            return
        found = credentials(session, row.store_id)
        store_id, media_id = row.store_id, row.media_id
    if found is None:
        _finish(received_id, "failed", note="no WhatsApp token to download it with")
        return
    _, token = found
    client = transports.cloud_client()
    try:
        data, mime = _download(client, media_id, token, settings.inbox_media_max_bytes,
                               settings.whatsapp_graph_url)
    except media_download.MediaTooLarge as error:
        _finish(received_id, "refused", note=f"too large: {error.reason}")
        return
    except PermanentError as error:
        _finish(received_id, "failed", note=error.reason)
        return
    extension = ALLOWED_TYPES.get(mime)
    if extension is None:
        _finish(received_id, "refused", note=f"type {mime[:60]} is not accepted", mime=mime)
        return
    key = f"{store_id}/{received_id}-{hashlib.sha256(data).hexdigest()[:16]}{extension}"
    media_store().put(key, data)
    _finish(received_id, "stored", mime=mime, size=len(data), path=key)


def _download(client: Any, media_id: str, token: str, cap: int,
              graph_base: str) -> tuple[bytes, str]:
    """Look up, then download; an expired URL is looked up once more."""
    for attempt in (1, 2):
        info = media_download.lookup(client, media_id, token)
        if info.mime_type not in ALLOWED_TYPES:
            return b"", info.mime_type
        try:
            data, served = media_download.download(_http(), info, token, max_bytes=cap,
                                                   graph_base=graph_base)
        except media_download.MediaExpired:
            if attempt == 2:
                raise
            continue
        if served and served != info.mime_type:
            raise PermanentError(f"served as {served[:60]}, declared {info.mime_type[:60]}")
        return data, info.mime_type
    raise RetryableError("the media URL expired twice")  # not reached


def _finish(received_id: int, state: str, *, note: str | None = None, mime: str | None = None,
            size: int | None = None, path: str | None = None) -> None:
    with db.transaction() as session:
        row = session.get(ReceivedMessage, received_id)
        if row is None or row.media_state != "pending":
            return
        row.media_state, row.media_note = state, (note or None) and note[:255]
        row.media_mime, row.media_size, row.media_path = mime, size, path
    if state != "stored":
        log.info("inbox media %s %s: %s", received_id, state, note)


def requeue_stale(now: Any) -> int:
    """Enqueue again the downloads still pending long after their message came (lost jobs)."""
    with db.transaction() as session:
        ids = list(session.scalars(select(ReceivedMessage.id).where(
            ReceivedMessage.media_state == "pending",
            ReceivedMessage.received_at < now - STALE_PENDING).limit(500)))
        for row_id in ids:
            queue.enqueue_after_commit(session, queue.Job.INBOX_MEDIA, row_id)
    return len(ids)


def forget_customers(session: Any, customer_ids: list[int]) -> None:
    """Delete the files these customers sent (their rows go with the customer)."""
    store = media_store()
    for path in session.scalars(select(ReceivedMessage.media_path).where(
            ReceivedMessage.customer_id.in_(customer_ids),
            ReceivedMessage.media_path.is_not(None))):
        store.delete(path)


def forget_store(session: Any, store_id: int) -> None:
    """Delete every file the store's customers sent (its rows go with the store)."""
    store = media_store()
    for path in session.scalars(select(ReceivedMessage.media_path).where(
            ReceivedMessage.store_id == store_id, ReceivedMessage.media_path.is_not(None))):
        store.delete(path)

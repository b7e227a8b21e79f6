"""Files the team sends from the inbox: checked (a type WhatsApp carries, at most the
inbox's size cap) before anything leaves, uploaded to the number's media endpoint, then
sent as a media message through the outbox, inside the 24-hour window only. A file already
uploaded to Meta (the API's `media_id`) is looked up there and held to the same checks,
by the type and size Meta declares for it."""
from __future__ import annotations

import re

from flask import current_app
from sqlalchemy.orm import Session

from adapters.whatsapp import media_download, messages
from adapters.whatsapp.messages import MessageLimitError
from plugin.domain.errors import PermanentError, RetryableError, SendError
from plugin.domain.inbox import InboxError
from plugin.models import Conversation, Customer
from plugin.pipeline import transports
from plugin.pipeline.inbox import compose, media

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._ -]")


def kind_for(mime: str) -> str:
    """The WhatsApp message type a file of this type is sent as."""
    family = mime.split("/", 1)[0]
    return family if family in ("image", "video", "audio") else "document"


def check(data: bytes, mime: str) -> str:
    """The file's type, lower-cased; InboxError when WhatsApp does not carry it or it is
    over the cap."""
    return check_declared(mime, len(data))


def check_declared(mime: str, size: int) -> str:
    """The same checks for a file known by its type and size in bytes."""
    mime = mime.split(";")[0].strip().lower()
    if mime not in media.ALLOWED_TYPES:
        raise InboxError(f"WhatsApp does not carry files of type {mime[:60] or 'unknown'}: "
                         "send an image (JPEG, PNG), a video (MP4), audio, a PDF or an "
                         "Office document.")
    cap = current_app.config["STORECHAT"].inbox_media_max_bytes
    if size > cap:
        raise InboxError(f"The file is {size:,} bytes; the inbox sends at most {cap:,}.")
    if not size:
        raise InboxError("The file is empty.")
    return mime


def send_file(session: Session, conversation: Conversation, customer: Customer,
              author_id: int, data: bytes, mime: str, filename: str, caption: str) -> int:
    """Check, upload and send one file with an optional caption; its outbox id."""
    mime = check(data, mime)
    to = compose.free_form_recipient(customer)
    found = media.credentials(session, conversation.store_id)
    if found is None:
        raise InboxError("Files go out once a WhatsApp number is connected (Settings → "
                         "WhatsApp number); the sandbox records text only.")
    phone_number_id, token = found
    name = _safe_name(filename)
    try:
        media_id = transports.cloud_client().upload_media(phone_number_id, token, data, mime,
                                                          name)
    except SendError as error:
        raise InboxError(f"WhatsApp did not take the file: {error.reason}") from None
    return _send(session, conversation, customer, author_id, to, media_id, mime, name,
                 caption)


def send_media_id(session: Session, conversation: Conversation, customer: Customer,
                  author_id: int, media_id: str, filename: str, caption: str) -> int:
    """Send a file already uploaded to the store's number (its Meta media id), checked by
    the type and size Meta declares for it; its outbox id."""
    to = compose.free_form_recipient(customer)
    found = media.credentials(session, conversation.store_id)
    if found is None:
        raise InboxError("Files go out once a WhatsApp number is connected (Settings → "
                         "WhatsApp number); the sandbox records text only.")
    _, token = found
    try:
        info = media_download.lookup(transports.cloud_client(), media_id.strip(), token)
    except (PermanentError, RetryableError) as error:
        raise InboxError(f"WhatsApp does not know the media {media_id[:40]!r} for this "
                         f"number: {error.reason}") from None
    if info.file_size is None:
        raise InboxError("WhatsApp did not say how large the media is; upload the file "
                         "instead.")
    mime = check_declared(info.mime_type, info.file_size)
    return _send(session, conversation, customer, author_id, to, media_id.strip(), mime,
                 _safe_name(filename), caption)


def _safe_name(filename: str) -> str:
    return _SAFE_NAME.sub("_", filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1])[:200] or "file"


def _send(session: Session, conversation: Conversation, customer: Customer, author_id: int,
          to: str, media_id: str, mime: str, name: str, caption: str) -> int:
    kind = kind_for(mime)
    try:
        payload = messages.media(to, kind, media_id,
                                 caption=caption.strip() if kind != "audio" else "",
                                 filename=name if kind == "document" else "")
    except MessageLimitError as error:
        raise InboxError(f"Attachment: {error.reason}.") from None
    return compose.queue_payload(session, conversation, customer, author_id, payload,
                                 f"[{kind}] {caption.strip() or name}")

"""Files the team sends from the inbox: checked (a type WhatsApp carries, at most the
inbox's size cap) before anything leaves, uploaded to the number's media endpoint, then
sent as a media message through the outbox, inside the 24-hour window only."""
from __future__ import annotations

import re

from flask import current_app
from sqlalchemy.orm import Session

from adapters.whatsapp import messages
from adapters.whatsapp.messages import MessageLimitError
from plugin.domain.errors import SendError
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
    mime = mime.split(";")[0].strip().lower()
    if mime not in media.ALLOWED_TYPES:
        raise InboxError(f"WhatsApp does not carry files of type {mime[:60] or 'unknown'}: "
                         "send an image (JPEG, PNG), a video (MP4), audio, a PDF or an "
                         "Office document.")
    cap = current_app.config["STORECHAT"].inbox_media_max_bytes
    if len(data) > cap:
        raise InboxError(f"The file is {len(data):,} bytes; the inbox sends at most "
                         f"{cap:,}.")
    if not data:
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
    kind = kind_for(mime)
    name = _SAFE_NAME.sub("_", filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1])[:200] or "file"
    try:
        media_id = transports.cloud_client().upload_media(phone_number_id, token, data, mime,
                                                          name)
        payload = messages.media(to, kind, media_id,
                                 caption=caption.strip() if kind != "audio" else "",
                                 filename=name if kind == "document" else "")
    except MessageLimitError as error:
        raise InboxError(f"Attachment: {error.reason}.") from None
    except SendError as error:
        raise InboxError(f"WhatsApp did not take the file: {error.reason}") from None
    return compose.queue_payload(session, conversation, customer, author_id, payload,
                                 f"[{kind}] {caption.strip() or name}")

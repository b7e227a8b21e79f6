"""A campaign's header file uploaded by the owner: checked by its first bytes (as template
samples are: JPEG or PNG for an image, MP4 for a video, PDF for a document, within Meta's
size caps), then uploaded to the store's WhatsApp number through the Graph media upload
(`POST /<phone number id>/media`); every message of the campaign then names the media id,
so the file is sent once to Meta, not fetched by Meta for each recipient.

Meta keeps an uploaded file for 30 days: a campaign scheduled later than that should use a
link instead (the editor says so).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from plugin.domain.campaigns import CampaignRefused
from plugin.domain.errors import SendError
from plugin.domain.segments import FieldProblem
from plugin.domain.template_drafts import HeaderKind
from plugin.domain.template_samples import FILE_NAMES, sample_problem, sniff
from plugin.pipeline import transports
from plugin.pipeline.inbox import media

FIELD = "header_media"


def upload(session: Session, store_id: int, kind: str, data: bytes,
           filename: str) -> dict[str, Any]:
    """Upload `data` as the header file of a `kind` ("image", "video", "document") header;
    the campaign's header media ({"id", "filename"}). CampaignRefused ("header_media") for
    a file of another kind or too large, a store without a connected number, or a file
    WhatsApp did not take."""
    try:
        header = HeaderKind(kind)
    except ValueError:
        header = HeaderKind.NONE
    problem = sample_problem(header, data)
    if problem:
        raise CampaignRefused([FieldProblem(FIELD, problem.replace(
            " as the sample for WhatsApp's reviewers", "").replace("a sample", "a file"))])
    found = media.credentials(session, store_id)
    if found is None:
        raise CampaignRefused([FieldProblem(FIELD, "files are uploaded to your WhatsApp "
                                                   "number once one is connected; give a "
                                                   "web address (https://…) instead")])
    phone_number_id, token = found
    mime = sniff(data)
    name = (filename or "").strip().replace("/", "_")[:200] or FILE_NAMES[mime]
    try:
        media_id = transports.cloud_client().upload_media(phone_number_id, token, data, mime,
                                                          name)
    except SendError as error:
        raise CampaignRefused([FieldProblem(FIELD, f"WhatsApp did not take the file: "
                                                   f"{error.reason}")]) from None
    return {"id": media_id, "filename": name}

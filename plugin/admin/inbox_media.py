"""Files customers sent, served only to people signed in to the store they wrote to: never
as a public URL, never sniffed into HTML, always as the type checked at download."""
from __future__ import annotations

from flask import Blueprint, Flask, Response, abort
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from plugin.auth import tenancy
from plugin.auth.guard import protect
from plugin.auth.roles import Role
from plugin.domain.errors import PermanentError, RetryableError
from plugin.infra import db
from plugin.models import ReceivedMessage, Store
from plugin.pipeline.inbox import media

blueprint = protect(Blueprint("inbox_media", __name__), minimum=Role.AGENT)
# Types a browser may show in the page (the rest are downloaded as attachments).
INLINE = ("image/", "video/", "audio/")


@blueprint.get("/stores/<int:store_id>/inbox/media/<int:message_id>")
def file(store_id: int, message_id: int) -> ResponseReturnValue:
    """One received file of the store; 404 for anything else."""
    store = tenancy.get_or_404(Store, store_id)
    row = db.session().scalars(select(ReceivedMessage).where(
        ReceivedMessage.id == message_id, ReceivedMessage.store_id == store.id)).first()
    if row is None or row.media_state != "stored" or not row.media_path or not row.media_mime:
        abort(404)
    try:
        data = media.media_store().get(row.media_path)
    except (RetryableError, PermanentError):  # the object storage is out of reach
        abort(503)
    if data is None:
        abort(404)
    inline = row.media_mime.startswith(INLINE)
    name = row.media_path.rsplit("/", 1)[-1]
    return Response(data, mimetype=row.media_mime, headers={
        "Content-Disposition": f'{"inline" if inline else "attachment"}; filename="{name}"',
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "private, max-age=3600"})


def init_app(app: Flask) -> None:
    """Register the media route."""
    app.register_blueprint(blueprint)

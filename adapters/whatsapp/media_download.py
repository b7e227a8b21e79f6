"""Inbound media and read receipts on the Cloud API.

A received media message carries only an id. Meta's two steps: `GET /<media id>` answers a
short-lived URL (about five minutes) with the file's type and size, then a GET of that URL
*with the same Bearer token* answers the bytes. The URL is Meta's to choose, so it is only
followed to Meta's own hosts (or to the Graph base URL a test points us at), never elsewhere
with our token; the bytes are read up to a cap and no further.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from adapters.whatsapp.client import CloudClient
from plugin.domain.errors import PermanentError, RetryableError

# Where Meta serves media downloads from (lookaside.fbsbx.com today).
MEDIA_HOSTS = (".fbsbx.com", ".facebook.com", ".whatsapp.net", ".fbcdn.net")
DOWNLOAD_TIMEOUT_SECONDS = 30.0
CHUNK = 64 * 1024


class MediaTooLarge(PermanentError):
    """The file is over the inbox's size cap: it is not downloaded."""


class MediaExpired(RetryableError):
    """The download URL ran out (Meta answered 404): look the media up again."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MediaInfo:
    """What `GET /<media id>` says of a file."""

    url: str
    mime_type: str
    file_size: int | None
    sha256: str = ""


def lookup(client: CloudClient, media_id: str, token: str) -> MediaInfo:
    """The download URL and the type and size Meta declares for `media_id`."""
    response = client.exchange("GET", media_id, token)
    body = _json(response)
    if not response.is_success:
        found = body.get("error")
        error: dict[str, Any] = found if isinstance(found, dict) else {}
        code = error.get("code") if isinstance(error.get("code"), int) else None
        reason = str(error.get("message") or f"WhatsApp answered HTTP {response.status_code}")
        if response.status_code >= 500 or response.status_code == 429:
            raise RetryableError(reason, code)
        raise PermanentError(f"WhatsApp would not give the media: {reason}", code)
    url, mime = body.get("url"), body.get("mime_type")
    if not isinstance(url, str) or not url or not isinstance(mime, str):
        raise RetryableError("WhatsApp answered the media lookup without a URL or type")
    size = body.get("file_size")
    return MediaInfo(url=url, mime_type=mime.split(";")[0].strip().lower(),
                     file_size=size if isinstance(size, int) else None,
                     sha256=str(body.get("sha256") or ""))


def trusted_url(url: str, graph_base: str) -> bool:
    """Whether our token may be sent to `url`: https on Meta's hosts, or the Graph base's
    own origin (a local fake in tests)."""
    parts, base = urlsplit(url), urlsplit(graph_base)
    if (parts.scheme, parts.netloc) == (base.scheme, base.netloc):
        return True
    host = (parts.hostname or "").lower()
    return parts.scheme == "https" and any(host.endswith(h) for h in MEDIA_HOSTS)


def download(http: httpx.Client, info: MediaInfo, token: str, *, max_bytes: int,
             graph_base: str) -> tuple[bytes, str]:
    """The file's bytes and the type it was served as; MediaTooLarge past `max_bytes`
    (read no further), MediaExpired when the URL ran out."""
    if not trusted_url(info.url, graph_base):
        raise PermanentError("WhatsApp gave a media URL outside Meta's hosts; not followed")
    if info.file_size is not None and info.file_size > max_bytes:
        raise MediaTooLarge(f"the file is {info.file_size:,} bytes; the cap is {max_bytes:,}")
    try:
        with http.stream("GET", info.url, headers={"Authorization": f"Bearer {token}"},
                         timeout=DOWNLOAD_TIMEOUT_SECONDS) as response:
            if response.status_code == 404:
                raise MediaExpired("the media URL expired")
            if not response.is_success:
                raise RetryableError(f"the media download answered HTTP {response.status_code}")
            data = bytearray()
            for chunk in response.iter_bytes(CHUNK):
                data += chunk
                if len(data) > max_bytes:
                    raise MediaTooLarge(f"the file is over the cap of {max_bytes:,} bytes")
            served = response.headers.get("content-type", "").split(";")[0].strip().lower()
    except httpx.TransportError as exc:
        raise RetryableError(f"could not download the media ({exc.__class__.__name__})") from exc
    return bytes(data), served


def mark_read(client: CloudClient, phone_number_id: str, token: str, wamid: str) -> None:
    """Tell Meta the customer's message was read (its blue ticks on their phone)."""
    response = client.exchange("POST", f"{phone_number_id}/messages", token, json={
        "messaging_product": "whatsapp", "status": "read", "message_id": wamid})
    if not response.is_success or _json(response).get("success") is not True:
        raise RetryableError(f"WhatsApp did not take the read receipt "
                             f"(HTTP {response.status_code})")


def _json(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}

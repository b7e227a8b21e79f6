"""An S3-compatible bucket (AWS S3, Cloudflare R2, Backblaze B2, MinIO…): put, get and
delete one object, each request signed with AWS Signature Version 4.

Three calls do not justify boto3 (and botocore's megabytes) as a dependency: the signature
is a few HMACs over a canonical form of the request, written here from AWS's specification
and checked against its published example (tests/adapters/test_s3.py). Objects are
addressed path-style, `<endpoint>/<bucket>/<key>`, which every S3-compatible service takes.
"""
from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, unquote, urlsplit

import httpx

from plugin.domain.errors import PermanentError, RetryableError

ALGORITHM = "AWS4-HMAC-SHA256"
SERVICE = "s3"
TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class Credentials:
    """An access key pair and the region its requests are signed for."""

    access_key_id: str
    secret_access_key: str
    region: str = "us-east-1"


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def signing_key(secret: str, day: str, region: str, service: str = SERVICE) -> bytes:
    """The day's signing key: the secret HMAC-chained through date, region and service."""
    key = _hmac(f"AWS4{secret}".encode(), day)
    key = _hmac(key, region)
    key = _hmac(key, service)
    return _hmac(key, "aws4_request")


def canonical_uri(path: str) -> str:
    """The (URL's, percent-encoded) path as S3 signs it: each byte but unreserved ones and
    '/' percent-encoded exactly once."""
    return quote(unquote(path) or "/", safe="/-_.~")


def signature_headers(credentials: Credentials, method: str, url: str,
                      headers: Mapping[str, str], payload_sha256: str,
                      now: datetime) -> dict[str, str]:
    """The headers that sign this request (Authorization, x-amz-date,
    x-amz-content-sha256), over `headers` and the host; the request sends all of them."""
    parts = urlsplit(url)
    amz_date = now.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    day = amz_date[:8]
    signed = {name.lower(): " ".join(str(value).split()) for name, value in headers.items()}
    signed.update({"host": parts.netloc, "x-amz-date": amz_date,
                   "x-amz-content-sha256": payload_sha256})
    names = sorted(signed)
    query = "&".join(sorted(parts.query.split("&"))) if parts.query else ""
    canonical = "\n".join([
        method.upper(), canonical_uri(parts.path), query,
        "".join(f"{name}:{signed[name]}\n" for name in names), ";".join(names),
        payload_sha256])
    scope = f"{day}/{credentials.region}/{SERVICE}/aws4_request"
    to_sign = "\n".join([ALGORITHM, amz_date, scope,
                         hashlib.sha256(canonical.encode()).hexdigest()])
    signature = hmac.new(signing_key(credentials.secret_access_key, day, credentials.region),
                         to_sign.encode(), hashlib.sha256).hexdigest()
    return {"Authorization": f"{ALGORITHM} Credential={credentials.access_key_id}/{scope}, "
                             f"SignedHeaders={';'.join(names)}, Signature={signature}",
            "x-amz-date": amz_date, "x-amz-content-sha256": payload_sha256}


class Bucket:
    """One bucket at an S3-compatible endpoint (e.g. https://s3.eu-west-1.amazonaws.com)."""

    def __init__(self, endpoint: str, bucket: str, credentials: Credentials,
                 http: httpx.Client | None = None) -> None:
        self._base = f"{endpoint.rstrip('/')}/{quote(bucket, safe='')}"
        self._credentials = credentials
        self._http = http or httpx.Client(timeout=TIMEOUT_SECONDS)

    def _send(self, method: str, key: str, body: bytes = b"",
              headers: Mapping[str, str] | None = None) -> httpx.Response:
        url = f"{self._base}/{quote(key, safe='/-_.~')}"
        extra = dict(headers or {})
        signing = signature_headers(self._credentials, method, url, extra,
                                    hashlib.sha256(body).hexdigest(), datetime.now(UTC))
        try:
            response = self._http.request(method, url, content=body or None,
                                          headers={**extra, **signing})
        except httpx.HTTPError as error:
            raise RetryableError(f"object storage unreachable: {error}") from None
        if response.status_code >= 500 or response.status_code in (408, 429):
            raise RetryableError(f"object storage answered HTTP {response.status_code}")
        return response

    @staticmethod
    def _refused(response: httpx.Response, what: str) -> PermanentError:
        return PermanentError(f"object storage refused the {what} (HTTP "
                              f"{response.status_code}): {response.text[:300]}")

    def put(self, key: str, data: bytes) -> None:
        """Store `data` under `key`, replacing what was there."""
        response = self._send("PUT", key, data,
                              {"content-type": "application/octet-stream"})
        if not response.is_success:
            raise self._refused(response, "upload")

    def get(self, key: str) -> bytes | None:
        """The object's bytes, or None when there is none under `key`."""
        response = self._send("GET", key)
        if response.status_code == 404:
            return None
        if not response.is_success:
            raise self._refused(response, "download")
        return response.content

    def delete(self, key: str) -> None:
        """Delete the object (nothing when absent: S3 answers 204 either way)."""
        response = self._send("DELETE", key)
        if not response.is_success and response.status_code != 404:
            raise self._refused(response, "delete")

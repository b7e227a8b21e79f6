"""A fake S3-compatible object store on loopback, checking requests as S3 does.

Path-style `PUT|GET|DELETE /<bucket>/<key>`. Every request must carry an AWS Signature V4
`Authorization` that this fake recomputes on its own from what it received (method, raw
path, query, the signed headers, the body's SHA-256): an unknown access key is 403
InvalidAccessKeyId, a wrong signature 403 SignatureDoesNotMatch, a body whose hash is not
the declared `x-amz-content-sha256` 400 XAmzContentSHA256Mismatch, a request dated more
than 15 minutes away 403 RequestTimeTooSkewed, a bucket it does not hold 404 NoSuchBucket
and a missing key 404 NoSuchKey, each with S3's XML error body. DELETE answers 204 whether
or not the key existed, like S3.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, unquote

from werkzeug.wrappers import Request, Response

_AUTH = re.compile(r"AWS4-HMAC-SHA256 Credential=(?P<key>[^/]+)/(?P<day>\d{8})/"
                   r"(?P<region>[^/]+)/s3/aws4_request, SignedHeaders=(?P<names>[a-z0-9;-]+), "
                   r"Signature=(?P<signature>[0-9a-f]{64})$")
SKEW = timedelta(minutes=15)


def _error(status: int, code: str, message: str) -> Response:
    body = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
            f"<Message>{message}</Message></Error>")
    return Response(body, status=status, content_type="application/xml")


def _mac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


@dataclass
class FakeS3:
    """Buckets of objects, with the key pairs allowed to use them."""

    keys: dict[str, str]  # access key id -> secret
    region: str = "us-east-1"
    objects: dict[str, dict[str, bytes]] = field(default_factory=dict)  # bucket -> key -> data
    requests: list[tuple[str, str]] = field(default_factory=list)  # (method, path) accepted
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        return self._handle(Request(environ))(environ, start_response)

    def _handle(self, request: Request) -> Response:
        body = request.get_data()
        refused = self._check_signature(request, body)
        if refused is not None:
            return refused
        raw_path = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") \
            or quote(request.path)
        bucket, _, key = unquote(raw_path.split("?")[0]).lstrip("/").partition("/")
        with self._lock:
            if bucket not in self.objects:
                return _error(404, "NoSuchBucket", "The specified bucket does not exist")
            held = self.objects[bucket]
            self.requests.append((request.method, f"/{bucket}/{key}"))
            if request.method == "PUT":
                held[key] = body
                return Response("", status=200, headers={
                    "ETag": f'"{hashlib.md5(body).hexdigest()}"'})  # noqa: S324 (S3's ETag)
            if request.method == "GET":
                if key not in held:
                    return _error(404, "NoSuchKey", "The specified key does not exist.")
                return Response(held[key], content_type="application/octet-stream")
            if request.method == "DELETE":
                held.pop(key, None)
                return Response("", status=204)
        return _error(405, "MethodNotAllowed", "The specified method is not allowed")

    def _check_signature(self, request: Request, body: bytes) -> Response | None:
        found = _AUTH.match(request.headers.get("Authorization", ""))
        if found is None:
            return _error(403, "AccessDenied", "Access Denied")
        secret = self.keys.get(found["key"])
        if secret is None:
            return _error(403, "InvalidAccessKeyId", "The AWS Access Key Id you provided "
                          "does not exist in our records.")
        amz_date = request.headers.get("x-amz-date", "")
        try:
            moment = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        except ValueError:
            return _error(403, "AccessDenied", "AWS authentication requires a valid Date")
        if abs(datetime.now(UTC) - moment) > SKEW or amz_date[:8] != found["day"]:
            return _error(403, "RequestTimeTooSkewed", "The difference between the request "
                          "time and the current time is too large.")
        declared = request.headers.get("x-amz-content-sha256", "")
        if declared != hashlib.sha256(body).hexdigest():
            return _error(400, "XAmzContentSHA256Mismatch", "The provided "
                          "'x-amz-content-sha256' header does not match what was computed.")
        names = found["names"].split(";")
        if "host" not in names or "x-amz-date" not in names:
            return _error(403, "AccessDenied", "host and x-amz-date must be signed")
        raw_path = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") \
            or quote(request.path)
        path, _, query = raw_path.partition("?")
        canonical = "\n".join([
            request.method, path, "&".join(sorted(query.split("&"))) if query else "",
            "".join(f"{n}:{' '.join(request.headers.get(n, '').split())}\n" for n in names),
            found["names"], declared])
        scope = f"{found['day']}/{found['region']}/s3/aws4_request"
        to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope,
                             hashlib.sha256(canonical.encode()).hexdigest()])
        key = _mac(_mac(_mac(_mac(f"AWS4{secret}".encode(), found["day"]), found["region"]),
                        "s3"), "aws4_request")
        expected = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
        if found["region"] != self.region or not hmac.compare_digest(expected,
                                                                      found["signature"]):
            return _error(403, "SignatureDoesNotMatch", "The request signature we calculated "
                          "does not match the signature you provided.")
        return None

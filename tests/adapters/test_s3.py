"""The S3 bucket adapter: AWS Signature V4 as AWS's own published example signs it, and
put/get/delete against the fake S3 on loopback, which recomputes every signature and
refuses as S3 does (wrong secret, unknown key, missing bucket)."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from adapters import s3
from plugin.domain.errors import PermanentError
from tests.fakes.s3 import FakeS3
from tests.fakes.server import LoopbackServer

KEY_ID, SECRET = "AKIDSTORECHAT", "s3cr3t/KEY+for+tests"


def test_the_signature_is_the_one_of_aws_published_example() -> None:
    # "Example: GET Object" of AWS's Signature Version 4 documentation for S3.
    credentials = s3.Credentials("AKIAIOSFODNN7EXAMPLE",
                                 "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "us-east-1")
    headers = s3.signature_headers(
        credentials, "GET", "https://examplebucket.s3.amazonaws.com/test.txt",
        {"Range": "bytes=0-9"},
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        datetime(2013, 5, 24, tzinfo=UTC))
    assert headers["Authorization"] == (
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
        "aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
    assert headers["x-amz-date"] == "20130524T000000Z"


@pytest.fixture
def fake() -> Iterator[tuple[FakeS3, str]]:
    store = FakeS3(keys={KEY_ID: SECRET}, region="eu-west-1", objects={"media": {}})
    with LoopbackServer(store) as server:
        yield store, server.url


def _bucket(url: str, secret: str = SECRET, key_id: str = KEY_ID,
            name: str = "media") -> s3.Bucket:
    return s3.Bucket(url, name, s3.Credentials(key_id, secret, "eu-west-1"))


def test_put_get_delete_round_trip(fake: tuple[FakeS3, str]) -> None:
    store, url = fake
    bucket = _bucket(url)
    key = "7/41-ab cd+é.jpg"  # spaces, a plus and a non-ASCII letter are encoded and signed
    bucket.put(key, b"\xff\xd8\xffpicture")
    assert store.objects["media"] == {key: b"\xff\xd8\xffpicture"}
    assert bucket.get(key) == b"\xff\xd8\xffpicture"
    assert bucket.get("7/none.jpg") is None
    bucket.delete(key)
    bucket.delete(key)  # already gone: S3 answers 204 again
    assert store.objects["media"] == {}
    assert [m for m, _ in store.requests] == ["PUT", "GET", "GET", "DELETE", "DELETE"]


def test_a_wrong_secret_unknown_key_or_missing_bucket_is_refused(
        fake: tuple[FakeS3, str]) -> None:
    store, url = fake
    with pytest.raises(PermanentError, match="SignatureDoesNotMatch"):
        _bucket(url, secret="not-the-secret").put("a.txt", b"x")
    with pytest.raises(PermanentError, match="InvalidAccessKeyId"):
        _bucket(url, key_id="AKIDUNKNOWN").get("a.txt")
    with pytest.raises(PermanentError, match="NoSuchBucket"):
        _bucket(url, name="elsewhere").put("a.txt", b"x")
    assert store.objects["media"] == {} and store.requests == []

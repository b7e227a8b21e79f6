"""Inbox media kept in S3-compatible storage (STORECHAT_INBOX_MEDIA_S3_*): a received image
is downloaded once from the fake Graph, written to the fake S3 (every request signed and
checked), never to the folder, and served from there to the store's people only; storage
that refuses the key answers 503 instead of a broken file."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from plugin.config import ConfigError, load_settings
from plugin.infra import db
from plugin.models import ReceivedMessage
from tests.fakes.s3 import FakeS3
from tests.fakes.server import LoopbackServer
from tests.worlds.inbox import TOKEN, InboxWorld

KEY_ID, SECRET = "AKIDINBOX", "inbox-secret-key"


@pytest.fixture
def s3_world(inbox_world: InboxWorld) -> Iterator[tuple[InboxWorld, FakeS3]]:
    store = FakeS3(keys={KEY_ID: SECRET}, region="auto", objects={"storechat-media": {}})
    with LoopbackServer(store) as server:
        inbox_world.app.config["STORECHAT"] = inbox_world.app.config["STORECHAT"] \
            .with_overrides(inbox_media_s3_endpoint=server.url,
                            inbox_media_s3_bucket="storechat-media",
                            inbox_media_s3_region="auto",
                            inbox_media_s3_access_key_id=KEY_ID,
                            inbox_media_s3_secret_access_key=SECRET)
        yield inbox_world, store


def test_received_media_goes_to_the_bucket_and_is_served_from_it(
        s3_world: tuple[InboxWorld, FakeS3]) -> None:
    world, store = s3_world
    jpeg = b"\xff\xd8\xff\xe0picture in a bucket"
    world.graph.add_inbound_media("65463453", jpeg, "image/jpeg", TOKEN)
    world.deliver_fixture("message.json", "image")
    with world.app.app_context():
        row = db.session().scalars(select(ReceivedMessage)).one()
    assert row.media_state == "stored"
    assert store.objects["storechat-media"] == {row.media_path: jpeg}
    folder = Path(world.app.config["STORECHAT"].instance_path) / "inbox_media"
    assert not folder.exists() or not any(folder.rglob("*.jpg"))
    url = f"/stores/{world.store_id}/inbox/media/{row.id}"
    served = world.client.get(url)
    assert served.status_code == 200 and served.data == jpeg
    assert world.app.test_client().get(url).status_code == 302  # signed out: sign in first
    assert world.graph.downloads["65463453"] == 1

    store.keys.clear()  # the key was revoked at the storage
    assert world.client.get(url).status_code == 503


def test_a_bucket_without_endpoint_or_keys_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="STORECHAT_INBOX_MEDIA_S3_ENDPOINT"):
        load_settings({"STORECHAT_INBOX_MEDIA_S3_BUCKET": "media"})
    with pytest.raises(ConfigError, match="ACCESS_KEY_ID"):
        load_settings({"STORECHAT_INBOX_MEDIA_S3_BUCKET": "media",
                       "STORECHAT_INBOX_MEDIA_S3_ENDPOINT": "https://s3.example"})
    settings = load_settings({"STORECHAT_INBOX_MEDIA_S3_BUCKET": "media",
                              "STORECHAT_INBOX_MEDIA_S3_ENDPOINT": "https://s3.example",
                              "STORECHAT_INBOX_MEDIA_S3_ACCESS_KEY_ID": "AKID",
                              "STORECHAT_INBOX_MEDIA_S3_SECRET_ACCESS_KEY": "secret"})
    assert (settings.inbox_media_s3_bucket, settings.inbox_media_s3_region) == (
        "media", "us-east-1")

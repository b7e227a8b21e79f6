"""Headers every response carries."""
from __future__ import annotations

from pathlib import Path

from tests.conftest import make_app

HSTS = "max-age=31536000; includeSubDomains"


def test_https_public_url_sends_hsts_on_every_response(tmp_path: Path) -> None:
    client = make_app(tmp_path / "instance", public_url="https://chat.example.com").test_client()
    for path in ("/healthz", "/signin", "/no-such-page", "/widget.js"):
        assert client.get(path).headers.get("Strict-Transport-Security") == HSTS, path


def test_http_public_url_sends_no_hsts(tmp_path: Path) -> None:
    client = make_app(tmp_path / "instance", public_url="http://127.0.0.1:8000").test_client()
    assert "Strict-Transport-Security" not in client.get("/healthz").headers

"""The URL seam: shopifyapp's hard-coded https://<shop> URLs reach STORECHAT_SHOPIFY_ADMIN_URL."""
from __future__ import annotations

import httpx

from plugin.platforms.shopify import client


def _recorder() -> tuple[list[httpx.Request], httpx.MockTransport]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={})

    return seen, httpx.MockTransport(handler)


def test_shop_urls_are_rewritten_onto_the_admin_url() -> None:
    seen, inner = _recorder()
    transport = client.AdminUrlTransport("http://127.0.0.1:9101/{shop}", inner)
    with httpx.Client(transport=transport) as http:
        http.post("https://acme.myshopify.com/admin/oauth/access_token?x=1", json={"a": 1})
        http.get("https://example.com/other")
        http.get("https://acme.myshopify.com.evil.com/admin")
    rewritten, other, lookalike = seen
    assert str(rewritten.url) == "http://127.0.0.1:9101/acme.myshopify.com/admin/oauth/access_token?x=1"
    assert rewritten.headers["Host"] == "127.0.0.1:9101"
    assert rewritten.read() == b'{"a":1}'
    assert str(other.url) == "https://example.com/other"
    assert lookalike.url.host == "acme.myshopify.com.evil.com"


def test_the_default_admin_url_sends_requests_unchanged() -> None:
    http = client.make_http(client.DEFAULT_ADMIN_URL)
    try:
        assert not isinstance(http._transport, client.AdminUrlTransport)
        assert http.timeout.connect == client.CONNECT_TIMEOUT_SECONDS
    finally:
        http.close()


def test_shop_domains() -> None:
    assert client.is_shop_domain("acme-2.myshopify.com")
    for bad in ("acme.myshopify.com.", "ACME.myshopify.com", "a.b.myshopify.com", "myshopify.com",
                "acme.myshopify.com\n"):
        assert not client.is_shop_domain(bad), bad

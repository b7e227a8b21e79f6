"""The guarded session for owner-supplied hosts: which addresses it refuses, that it refuses
them before connecting, that it never follows a redirect, and that TLS still checks the
certificate against the host name while the address is pinned."""
from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
import requests

from adapters.woocommerce.client import AddressRefused, WooClient
from plugin.platforms.woocommerce import egress
from plugin.platforms.woocommerce.urls import is_public_address
from tests.fakes.network import PUBLIC_ADDRESS, InternalService, resolver
from tests.fakes.server import LoopbackServer
from tests.fakes.woocommerce import FakeWooCommerce, TlsLoopbackServer, self_signed_certificate

REFUSED_URLS = [
    "http://127.0.0.1:9/", "http://127.8.9.10:9/", "http://localhost:9/",
    "http://169.254.169.254/latest/meta-data/", "http://10.0.0.5/", "http://172.16.1.1/",
    "http://192.168.1.1/", "http://100.100.100.200/", "http://0.0.0.0:9/", "http://[::1]:9/",
    "http://[::ffff:127.0.0.1]:9/", "http://[fd00:ec2::254]/", "http://[fe80::1]/",
    "http://[64:ff9b::a9fe:a9fe]/", "http://[2002:7f00:1::]/", "https://127.0.0.1:9/",
]


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every connection attempt the guard makes, recorded and refused: no packet leaves."""
    attempts: list[Any] = []

    def refuse(address: Any, *args: Any, **kwargs: Any) -> Any:
        attempts.append(address)
        raise ConnectionRefusedError("the test lets no connection through")

    monkeypatch.setattr(egress.connection, "create_connection", refuse)
    return attempts


@pytest.mark.parametrize("url", REFUSED_URLS)
def test_private_loopback_and_metadata_addresses_are_refused_before_connecting(
        url: str, connections: list[Any]) -> None:
    with pytest.raises(AddressRefused, match="private or local address"):
        egress.session(allow_private=False).get(url, timeout=2)
    assert connections == []


def test_a_name_with_one_private_answer_is_refused(monkeypatch: pytest.MonkeyPatch,
                                                  connections: list[Any]) -> None:
    # Round-robin DNS that slips 127.0.0.1 in among public answers is refused as a whole.
    real = socket.getaddrinfo

    def mixed(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "shop.example":
            return real(PUBLIC_ADDRESS, port, *args, **kwargs) + real(
                "127.0.0.1", port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", mixed)
    with pytest.raises(AddressRefused, match="shop.example is at 127.0.0.1"):
        egress.session(allow_private=False).get("https://shop.example/wp-json/", timeout=2)
    assert connections == []


def test_the_peer_is_checked_once_connected(monkeypatch: pytest.MonkeyPatch) -> None:
    # Should anything between the lookup and the socket change the address (a resolver
    # library, a socket option), the address actually connected to is what counts.
    checked: list[str] = []

    def policy(address: str) -> bool:
        checked.append(address)
        return len(checked) == 1  # the looked-up address passes, the peer does not

    with LoopbackServer(InternalService()) as server:
        with pytest.raises(AddressRefused, match="127.0.0.1"):
            egress._session(policy).get(server.url, timeout=2)
    assert checked == ["127.0.0.1", "127.0.0.1"]


def test_redirects_are_never_followed_even_where_loopback_is_allowed() -> None:
    internal = InternalService()
    site = FakeWooCommerce()
    with LoopbackServer(internal) as inside, LoopbackServer(site) as outside:
        site.url, site.redirect_rest_to = outside.url, inside.url
        session = egress.session(allow_private=True)
        response = session.get(f"{outside.url}/wp-json/", timeout=2)
        assert response.status_code == 302
        response = session.get(f"{outside.url}/wp-json/", timeout=2, allow_redirects=True)
        assert response.status_code == 302
        key = site.add_key()
        api = WooClient(site.url, key["consumer_key"], key["consumer_secret"], session=session)
        with pytest.raises(AddressRefused, match=f"redirects system_status to {inside.url[7:]}"):
            api.system_status()
        with pytest.raises(AddressRefused, match="redirects /wp-json/"):
            api.site_info()
    assert internal.requests == []


def test_environment_proxies_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    # A proxy would connect for us, past the check; the guarded session goes direct.
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "")
    internal = InternalService()
    with LoopbackServer(internal) as server:
        assert egress.session(allow_private=True).get(server.url + "/x", timeout=2).ok
    assert internal.requests == ["/x?"]


def test_tls_to_a_pinned_address_still_checks_the_host_name(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cert, key = self_signed_certificate(tmp_path, "shop.example")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", cert)
    monkeypatch.setattr(socket, "getaddrinfo", resolver(
        lambda host, port: "127.0.0.1" if host in ("shop.example", "other.example") else None))
    site = FakeWooCommerce()
    with TlsLoopbackServer(site, cert, key) as server:
        port = server.url.rsplit(":", 1)[1]
        site.url = f"https://shop.example:{port}"
        api_key = site.add_key()
        api = WooClient(site.url, api_key["consumer_key"], api_key["consumer_secret"],
                        session=egress.session(allow_private=True))
        assert api.system_status().currency == "EUR"  # Basic auth over verified TLS
        # The certificate names shop.example only: the same address under another name fails.
        with pytest.raises(requests.exceptions.SSLError):
            egress.session(allow_private=True).get(f"https://other.example:{port}/wp-json/",
                                                   timeout=2)
        with pytest.raises(AddressRefused):
            egress.session(allow_private=False).get(f"{site.url}/wp-json/", timeout=2)


@pytest.mark.parametrize("address,public", [
    ("93.184.215.14", True), ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", True),
    ("127.0.0.1", False), ("169.254.169.254", False), ("100.64.0.1", False),
    ("::ffff:169.254.169.254", False), ("64:ff9b::7f00:1", False), ("64:ff9b::5db8:d70e", True),
    ("2002:a9fe:a9fe::", False), ("fe80::1%eth0", False), ("224.0.0.1", False),
    ("not an address", False),
])
def test_is_public_address(address: str, public: bool) -> None:
    assert is_public_address(address) is public

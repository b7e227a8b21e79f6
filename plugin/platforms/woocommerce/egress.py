"""Outbound HTTP to a host a store owner chose: every connection checked where it lands (SSRF).

Checking the store URL once (`urls.check_public`) is not enough: DNS may answer differently
a moment later (rebinding), and a redirect may point anywhere. So the session made here

- resolves the host itself at connect time, refuses it if any address it resolves to is
  private, loopback, link-local (cloud metadata) or otherwise not public, connects to the
  address it checked (pinned: no second lookup), and checks the socket's peer once more;
- never follows a redirect (the client turns a 3xx into AddressRefused);
- ignores proxy settings from the environment: a proxy would connect for us, past the check.

With STORECHAT_ALLOW_HTTP_STORES (tests, local development) every address is allowed; the
same code path still runs.
"""
from __future__ import annotations

import os
import socket
from collections.abc import Callable
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3 import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util import connection

from adapters.woocommerce.client import AddressRefused
from plugin.platforms.woocommerce.urls import is_public_address

AddressPolicy = Callable[[str], bool]

REFUSED = ("{host} is at {address}, a private or local address; StoreChat only connects to "
           "stores on the public internet.")


def session(*, allow_private: bool) -> requests.Session:
    """A requests session for owner-supplied hosts: public addresses only unless
    `allow_private`, checked on every connection; no redirects, no proxies."""
    return _session(_allow_all if allow_private else is_public_address)


def _session(allowed: AddressPolicy) -> requests.Session:
    guarded = _NoRedirectSession()
    guarded.trust_env = False  # no proxies and no .netrc from the environment...
    # ...but the CA bundle requests would have taken from it (self-signed test stores).
    guarded.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get(
        "CURL_CA_BUNDLE") or True
    adapter = _CheckedAdapter(allowed)
    guarded.mount("http://", adapter)
    guarded.mount("https://", adapter)
    return guarded


def _allow_all(address: str) -> bool:
    return True


class _NoRedirectSession(requests.Session):
    """A session that hands back every 3xx instead of following it."""

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        kwargs["allow_redirects"] = False
        return super().send(request, **kwargs)


class _CheckedConnection(HTTPConnection):
    """A connection that resolves, checks and pins its address before connecting."""

    allowed: AddressPolicy = staticmethod(lambda address: False)

    def _new_conn(self) -> socket.socket:
        try:
            found = socket.getaddrinfo(self._dns_host, self.port, 0, socket.SOCK_STREAM)
        except socket.gaierror as unknown:
            raise NameResolutionError(self.host, self, unknown) from unknown
        addresses = list(dict.fromkeys(str(info[4][0]) for info in found))
        for address in addresses:
            if not self.allowed(address):
                # One private answer is enough: the host is not a public store.
                raise AddressRefused(REFUSED.format(host=self.host, address=address))
        last_failure: OSError | None = None
        for address in addresses:
            try:
                sock = connection.create_connection(
                    (address, self.port), self.timeout, source_address=self.source_address,
                    socket_options=self.socket_options)
            except TimeoutError as timeout:
                raise ConnectTimeoutError(self, f"Connection to {self.host} timed out") \
                    from timeout
            except OSError as failure:
                last_failure = failure
                continue
            peer = str(sock.getpeername()[0])
            if not self.allowed(peer):
                sock.close()
                raise AddressRefused(REFUSED.format(host=self.host, address=peer))
            return sock
        raise NewConnectionError(self, f"Failed to establish a new connection: {last_failure}")


class _CheckedHTTPSConnection(_CheckedConnection, HTTPSConnection):
    """The same over TLS: the certificate is still checked against the host name."""


class _CheckedAdapter(HTTPAdapter):
    """A transport adapter whose connection pools use the checked connections."""

    def __init__(self, allowed: AddressPolicy) -> None:
        attributes = {"allowed": staticmethod(allowed)}
        self._pools = {
            "http": type("CheckedHTTPPool", (HTTPConnectionPool,), {"ConnectionCls": type(
                "CheckedHTTPConnection", (_CheckedConnection,), attributes)}),
            "https": type("CheckedHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": type(
                "CheckedHTTPSConnection", (_CheckedHTTPSConnection,), attributes)}),
        }
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = self._pools

    def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
        raise AddressRefused("StoreChat does not call stores through a proxy")

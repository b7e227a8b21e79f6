"""Store URLs: one normal form, and no requests to private addresses (SSRF, DESIGN §7)."""
from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

from plugin.domain.errors import RequestRefused

Resolver = Callable[[str], list[str]]

EXAMPLE = "https://shop.example.com"
# One label of a host name as DNS allows it (after IDNA encoding): letters, digits, hyphens.
_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
# What is quoted back of an address that is not one, at most.
_ECHO_CHARS = 60


class StoreUrlError(RequestRefused):
    """The address cannot be a WooCommerce store StoreChat may call; the message says why."""


def resolve(host: str) -> list[str]:
    """Every address `host` resolves to (empty when it does not resolve)."""
    try:
        return sorted({info[4][0] for info in socket.getaddrinfo(host, None)})
    except (socket.gaierror, UnicodeError):
        return []


def normalise_store_url(raw: str, *, allow_private: bool,
                        resolver: Resolver = resolve) -> str:
    """`Shop.Example.com/`, `https://shop.example.com/shop/` → `https://shop.example.com[/shop]`.

    https only and public addresses only, unless `allow_private` (STORECHAT_ALLOW_HTTP_STORES,
    the test mode), which also allows http and loopback. Raises StoreUrlError.
    """
    text = (raw or "").strip()
    if not text:
        raise StoreUrlError(f"Enter your store's address, like {EXAMPLE}.")
    if "://" not in text:
        text = "https://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise _not_an_address(raw) from None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").rstrip(".")
    if scheme not in ("http", "https") or not _is_host(host):
        raise _not_an_address(raw)
    if parts.username or parts.password or parts.query or parts.fragment:
        raise StoreUrlError("Enter only the store's address, without a login or query.")
    if scheme == "http" and not allow_private:
        raise StoreUrlError("The store must use https:// (WooCommerce sends API keys only "
                            "over a secure connection).")
    if not allow_private:
        if "." not in host:
            raise StoreUrlError(f"Enter the store's full address, like {EXAMPLE}.")
        addresses = resolver(host)
        if not addresses:
            raise StoreUrlError(f"No website was found at {host}. Check the address for a "
                                "typing mistake.")
        if any(not is_public_address(address) for address in addresses):
            raise StoreUrlError(f"{host} leads to a private or local address; StoreChat only "
                                "connects to stores on the public internet.")
    netloc = host if ":" not in host else f"[{host}]"
    if port is not None and port != {"http": 80, "https": 443}[scheme]:
        netloc += f":{port}"
    path = parts.path.rstrip("/")
    for suffix in ("/wp-admin", "/wp-json"):  # pasted from the admin or the API
        if path.endswith(suffix):
            path = path[: -len(suffix)]
    return f"{scheme}://{netloc}{path}"


def _not_an_address(raw: str) -> StoreUrlError:
    typed = " ".join((raw or "").split())
    if len(typed) > _ECHO_CHARS:
        typed = typed[:_ECHO_CHARS - 1] + "…"
    return StoreUrlError(f"“{typed}” is not a web address. Enter your store's address, "
                         f"like {EXAMPLE}.")


def _is_host(host: str) -> bool:
    """True for an IP address or a host name DNS could hold (international names too)."""
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    return 0 < len(ascii_host) <= 253 and all(_LABEL.fullmatch(label)
                                              for label in ascii_host.split("."))


def check_public(url: str, *, allow_private: bool, resolver: Resolver = resolve) -> None:
    """Re-check a stored URL before calling it (its DNS may point elsewhere by now)."""
    normalise_store_url(url, allow_private=allow_private, resolver=resolver)


# IPv6 prefixes that carry an IPv4 address a gateway will connect to (NAT64, RFC 6052).
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def is_public_address(address: str) -> bool:
    """True for a global unicast address; False for private, loopback, link-local (cloud
    metadata: 169.254.169.254, fd00:ec2::254), shared, reserved, multicast and unparsable ones,
    also when hidden in an IPv6 form that reaches an IPv4 address."""
    try:
        ip = ipaddress.ip_address(address.split("%")[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif ip.sixtofour is not None:
            ip = ip.sixtofour
        elif ip in _NAT64:
            ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip.is_global and not ip.is_multicast

"""Pieces of a hostile network, all on 127.0.0.1: an internal service that records who
reached it, a bare port that counts connections, and DNS answers chosen by the test."""
from __future__ import annotations

import ipaddress
import json
import socket
import threading
from collections.abc import Callable
from typing import Any

from werkzeug.wrappers import Request, Response

# What the internal service answers: enough to pass for WooCommerce and show up as a name.
SECRET = "INTERNAL-ONLY metadata token"
# A global unicast address (example.com's); tests only ever *resolve* to it, never connect.
PUBLIC_ADDRESS = "93.184.215.14"


class InternalService:
    """A WSGI app standing for a metadata service or an internal admin: it answers anything
    with JSON that carries SECRET, and records every request it gets."""

    def __init__(self) -> None:
        self.requests: list[str] = []  # full paths with their query

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        self.requests.append(request.full_path)
        body = {"name": SECRET, "timezone_string": "UTC",
                "environment": {"version": SECRET}, "settings": {"currency": "XXX"}}
        return Response(json.dumps(body), mimetype="application/json")(environ, start_response)


class ConnectionCounter:
    """A port on 127.0.0.1 that accepts connections, counts them and hangs up."""

    def __init__(self) -> None:
        self._socket = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._socket.getsockname()[1]
        self.accepted = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self._socket.accept()
            except OSError:
                return
            self.accepted += 1
            connection.close()

    def __enter__(self) -> ConnectionCounter:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._socket.close()
        self._thread.join(timeout=5)


def resolver(answers: Callable[[str, Any], str | None]) -> Callable[..., Any]:
    """A socket.getaddrinfo that answers `answers(host, port)` when it gives an address;
    IP literals and localhost resolve as usual, and any other name does not resolve (no
    DNS query ever leaves the machine)."""
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        address = answers(name.rstrip("."), port)
        if address is None and name != "localhost":
            try:
                ipaddress.ip_address(name.strip("[]").split("%")[0])
            except ValueError:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None
        return real(address or host, port, *args, **kwargs)

    return getaddrinfo

"""Sign-in throttling: too many failures per account or per address pause further tries."""
from __future__ import annotations

import time

from flask import current_app
from limits import RateLimitItemPerSecond

from plugin.infra.ratelimit import limiter

# Failures allowed per window before sign-in is paused; an address gets more room than
# an account because several people may share one (an office, a mobile carrier).
FAILURES_PER_ACCOUNT = 10
FAILURES_PER_ADDRESS = 50


def _items() -> list[tuple[RateLimitItemPerSecond, str]]:
    window = current_app.config["STORECHAT"].login_window_seconds
    return [
        (RateLimitItemPerSecond(FAILURES_PER_ACCOUNT, window), "signin-account"),
        (RateLimitItemPerSecond(FAILURES_PER_ADDRESS, window), "signin-address"),
    ]


def wait_seconds(email: str, address: str) -> int:
    """How long this account and address must wait before trying again (0: go ahead)."""
    waits = []
    for (item, namespace), key in zip(_items(), (email, address), strict=True):
        if not limiter().test(item, namespace, key):
            reset_at, _remaining = limiter().get_window_stats(item, namespace, key)
            waits.append(max(1, int(reset_at - time.time()) + 1))
    return max(waits, default=0)


def record_failure(email: str, address: str) -> None:
    """Count a failed sign-in against the account and the address."""
    for (item, namespace), key in zip(_items(), (email, address), strict=True):
        limiter().hit(item, namespace, key)

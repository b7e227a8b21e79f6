"""Send-rate limits shared by every process: in memory when embedded, in Redis at scale."""
from __future__ import annotations

from flask import Flask, current_app
from limits import RateLimitItemPerSecond
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter


def init_app(app: Flask) -> None:
    """Create the app's limiter on the storage the settings name."""
    settings = app.config["STORECHAT"]
    storage = storage_from_string(settings.redis_url or "memory://")
    app.extensions["storechat.limiter"] = MovingWindowRateLimiter(storage)


def limiter() -> MovingWindowRateLimiter:
    """The app's limiter (memory or Redis), for any per-key limit."""
    return current_app.extensions["storechat.limiter"]


# Meta's pair rate limit: about one message every 6 seconds to the same user.
RECIPIENT_SPACING_SECONDS = 6


def allow_recipient(sender_id: str, recipient: str) -> bool:
    """Count a message to one shopper from one number; False within 6 s of the last one."""
    item = RateLimitItemPerSecond(1, RECIPIENT_SPACING_SECONDS)
    return bool(limiter().hit(item, "wa-recipient", sender_id, recipient))


def allow_send(sender_id: str, per_second: int) -> bool:
    """Count one send for a WhatsApp number; False when its per-second throughput is used up."""
    return bool(limiter().hit(RateLimitItemPerSecond(per_second), "wa-send", sender_id))

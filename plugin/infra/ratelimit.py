"""Rate limits shared by every process: in the database when embedded, in Redis at scale.

Each gunicorn worker and queue consumer is its own process, so a limit kept in process
memory would allow N times its number and forget everything at a restart. Embedded, the
counters live in one small table (`rate_limit_counters`) updated with one atomic
INSERT … ON CONFLICT DO UPDATE … RETURNING per hit; with Redis, in Redis.
"""
from __future__ import annotations

import hashlib
import threading
import time

from flask import Flask, current_app
from limits import RateLimitItemPerSecond
from limits.storage import Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter, RateLimiter
from sqlalchemy import Engine, delete, select, text
from sqlalchemy.exc import SQLAlchemyError

from plugin.models import RateLimitCounter

# Expired counter rows are deleted at most this often per process (and at its first hit).
PURGE_INTERVAL_SECONDS = 60
# Limit keys longer than the column are stored as their SHA-256 (keys hold emails, paths).
MAX_KEY_LENGTH = 255


class DatabaseStorage(Storage):
    """A `limits` storage on the app's database: one fixed-window counter row per key.

    A window starts at a key's first hit and lasts the limit's period, as in `limits`'
    Redis and memory fixed windows. Counts commit on their own connection, so a request
    that fails afterwards still counts (a failed sign-in must).
    """

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self._engine = engine
        self._purged_at = 0.0
        self._purge_lock = threading.Lock()

    @property
    def base_exceptions(self) -> type[Exception]:
        """Errors of the database underneath."""
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Add `amount` to the key's counter, starting a new window if the last one ended."""
        now = time.time()
        self._purge_if_due(now)
        with self._engine.begin() as connection:
            return int(connection.execute(_INCREMENT, {
                "key": _stored(key), "amount": amount, "now": now, "until": now + expiry,
            }).scalar_one())

    def get(self, key: str) -> int:
        """The key's count in its current window (0 when none)."""
        row = self._row(key)
        return row[0] if row else 0

    def get_expiry(self, key: str) -> float:
        """When the key's window ends, in epoch seconds (now when none)."""
        row = self._row(key)
        return row[1] if row else time.time()

    def check(self) -> bool:
        """True when the database answers."""
        try:
            with self._engine.connect() as connection:
                connection.execute(select(1))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        """Delete every counter; how many there were."""
        with self._engine.begin() as connection:
            return connection.execute(delete(RateLimitCounter)).rowcount

    def clear(self, key: str) -> None:
        """Forget one key's counter."""
        with self._engine.begin() as connection:
            connection.execute(delete(RateLimitCounter).where(
                RateLimitCounter.key == _stored(key)))

    def _row(self, key: str) -> tuple[int, float] | None:
        with self._engine.connect() as connection:
            row = connection.execute(
                select(RateLimitCounter.count, RateLimitCounter.expires_at).where(
                    RateLimitCounter.key == _stored(key),
                    RateLimitCounter.expires_at > time.time())
            ).first()
        return (int(row[0]), float(row[1])) if row else None

    def _purge_if_due(self, now: float) -> None:
        # One thread per process purges; the others go on counting meanwhile.
        if now - self._purged_at < PURGE_INTERVAL_SECONDS or not self._purge_lock.acquire(False):
            return
        try:
            with self._engine.begin() as connection:
                connection.execute(delete(RateLimitCounter).where(
                    RateLimitCounter.expires_at <= now))
            self._purged_at = now
        finally:
            self._purge_lock.release()


# One upsert per hit, the same text on SQLite (3.35+) and PostgreSQL. Written as SQL rather
# than built with the ORM on every call: each send counts two limits, and building and
# compiling the statement cost more CPU than running it (bench/send).
_INCREMENT = text(
    "INSERT INTO rate_limit_counters (key, count, expires_at) VALUES (:key, :amount, :until)"
    " ON CONFLICT (key) DO UPDATE SET"
    # A stored window that is over: this hit opens a new one.
    " count = CASE WHEN rate_limit_counters.expires_at <= :now THEN :amount"
    " ELSE rate_limit_counters.count + :amount END,"
    " expires_at = CASE WHEN rate_limit_counters.expires_at <= :now THEN :until"
    " ELSE rate_limit_counters.expires_at END"
    " RETURNING count")


def _stored(key: str) -> str:
    if len(key) <= MAX_KEY_LENGTH:
        return key
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def init_app(app: Flask) -> None:
    """Create the app's limiter: Redis (moving windows) when configured, else the database."""
    settings = app.config["STORECHAT"]
    limiter: RateLimiter
    if settings.redis_url:
        limiter = MovingWindowRateLimiter(storage_from_string(settings.redis_url))
    else:
        limiter = FixedWindowRateLimiter(DatabaseStorage(app.extensions["storechat.engine"]))
    app.extensions["storechat.limiter"] = limiter


def limiter() -> RateLimiter:
    """The app's limiter (database or Redis), for any per-key limit."""
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


def take_sends(sender_id: str, per_second: int, wanted: int) -> tuple[int, float]:
    """Take up to `wanted` sends of a number's per-second throughput at once (one count for
    a whole batch, shared with every other worker and with `allow_send`): how many were
    granted, and when none were, how many seconds until the window frees some."""
    item = RateLimitItemPerSecond(per_second)
    stats = limiter().get_window_stats(item, "wa-send", sender_id)
    take = min(wanted, int(stats.remaining))
    if take > 0 and limiter().hit(item, "wa-send", sender_id, cost=take):
        return take, 0.0
    # Used up, or another worker took the rest first: wait for the window to move.
    return 0, max(0.0, min(1.0, float(stats.reset_time) - time.time()))

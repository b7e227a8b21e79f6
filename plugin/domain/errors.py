"""Why a send did not work, as classes the pipeline can act on and the owner can read.

    SendError
    ├── RetryableError          try again later (throttling, pair limit, 5xx, timeouts)
    ├── NeedsTemplateError      131047: outside the 24-hour window, send a template instead
    ├── HeldError               131049: Meta held it for the ecosystem; wait 24 h
    ├── AccountError            190: the access token is invalid; the owner must re-authorise
    └── PermanentError          will never work as it is (131026 undeliverable, 132xxx template)

Graph error codes map to classes in `classify`; a code we do not know is permanent, so
nothing is retried forever.
"""
from __future__ import annotations


class SendError(Exception):
    """A message could not be sent; `code` is the provider's error code when there is one."""

    def __init__(self, reason: str, code: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


class RetryableError(SendError):
    """A passing condition: the same request may work later."""


class NeedsTemplateError(SendError):
    """The 24-hour service window is closed: only a template may be sent."""


class HeldError(SendError):
    """Meta held the message (marketing cap or ecosystem protection); retry after 24 h."""


class AccountError(SendError):
    """The WhatsApp account's token is invalid or revoked; the owner must reconnect."""


class PermanentError(SendError):
    """The request will never succeed as it is."""


_BY_CODE: dict[int, type[SendError]] = {
    4: RetryableError,  # application request limit
    80007: RetryableError,  # WABA rate limit
    130429: RetryableError,  # Cloud API throughput reached
    131056: RetryableError,  # too many messages to the same user pair
    131047: NeedsTemplateError,  # re-engagement: more than 24 h since the user wrote
    131049: HeldError,  # not delivered to maintain a healthy ecosystem
    190: AccountError,  # access token expired or invalidated
    131026: PermanentError,  # undeliverable (not on WhatsApp, old app, ...)
}


def classify(code: int | None, http_status: int, reason: str) -> SendError:
    """The SendError for a Graph error code and HTTP status."""
    if code is not None and code in _BY_CODE:
        return _BY_CODE[code](reason, code)
    if code is not None and 132000 <= code < 133000:
        return PermanentError(reason, code)  # template errors: wrong name, params, paused
    if http_status >= 500 or http_status == 429:
        return RetryableError(reason, code)
    return PermanentError(reason, code)

"""Graph API error codes, declared on the classes that mean them (as pywa does).

Each class subclasses the domain category the pipeline acts on (plugin.domain.errors), and
names its codes in `__error_codes__`:

    RetryableError      RequestLimit (4, 80007), ThroughputReached (130429),
                        PairRateLimit (131056); any 5xx or 429 without a known code
    NeedsTemplateError  ReEngagement (131047)
    HeldError           EcosystemHold (131049)
    AccountError        InvalidToken (190)
    PermanentError      Undeliverable (131026), TemplateRejected (132000-132999);
                        any other code; TemplateRefused (a template submitted for
                        review that Meta's API refused, raised by the client's
                        create_template / edit_template; SampleRefused, its
                        media-header sample refused by upload_sample)

`classify` turns a failed call's (code, HTTP status) into one of them; a code we do not know
is permanent, so nothing is retried forever. `explain` says what a code means to the owner.
"""
from __future__ import annotations

from collections.abc import Collection
from typing import ClassVar

from plugin.domain.errors import (
    AccountError,
    HeldError,
    NeedsTemplateError,
    PermanentError,
    RetryableError,
    SendError,
)


class RequestLimit(RetryableError):
    """The app's (4) or the WABA's (80007) request rate limit was reached."""

    __error_codes__: ClassVar[Collection[int]] = (4, 80007)


class ThroughputReached(RetryableError):
    """The number's Cloud API throughput was reached."""

    __error_codes__: ClassVar[Collection[int]] = (130429,)


class PairRateLimit(RetryableError):
    """Too many messages to the same user in a short time."""

    __error_codes__: ClassVar[Collection[int]] = (131056,)


class ReEngagement(NeedsTemplateError):
    """More than 24 hours since the user last wrote: only a template may be sent."""

    __error_codes__: ClassVar[Collection[int]] = (131047,)


class EcosystemHold(HeldError):
    """Not delivered to maintain a healthy ecosystem (marketing caps)."""

    __error_codes__: ClassVar[Collection[int]] = (131049,)


class InvalidToken(AccountError):
    """The access token expired or was invalidated."""

    __error_codes__: ClassVar[Collection[int]] = (190,)


class Undeliverable(PermanentError):
    """The number is not on WhatsApp, or the user's app is too old."""

    __error_codes__: ClassVar[Collection[int]] = (131026,)


class TemplateRejected(PermanentError):
    """A template error: wrong name or language, parameters, paused or disabled template."""

    __error_codes__: ClassVar[Collection[int]] = range(132000, 133000)


CODED: tuple[type[SendError], ...] = (RequestLimit, ThroughputReached, PairRateLimit,
                                      ReEngagement, EcosystemHold, InvalidToken,
                                      Undeliverable, TemplateRejected)


class TemplateRefused(PermanentError):
    """Meta's API refused a template submitted for review (create or edit); `field` names
    the editor field at fault when the subcode says which ('' otherwise)."""

    @property
    def field(self) -> str:
        """The template editor's field this refusal is about ('' when none in particular)."""
        return TEMPLATE_SUBCODE_FIELDS.get(self.subcode or 0, "")


class SampleRefused(TemplateRefused):
    """Meta's Resumable Upload API refused a template's media-header sample file."""

    @property
    def field(self) -> str:
        """The editor's sample file field, whatever Meta's code."""
        return "header_file"


# Subcodes Meta answers a refused template with, and the editor field each is about.
TEMPLATE_SUBCODE_FIELDS: dict[int, str] = {
    2388024: "name",  # content in this language already exists for this name
    2388023: "name",  # a template of this name and language is being deleted
    2388299: "body",  # a variable at the start or end of the body
}


def classify(code: int | None, http_status: int, reason: str,
             subcode: int | None = None) -> SendError:
    """The SendError for a Graph error code and HTTP status (see the module's table)."""
    if code is not None:
        for kind in CODED:
            if code in getattr(kind, "__error_codes__", ()):
                return kind(reason, code, subcode=subcode)
    if http_status >= 500 or http_status == 429:
        return RetryableError(reason, code, subcode=subcode)
    return PermanentError(reason, code, subcode=subcode)


def template_refusal(error: PermanentError) -> TemplateRefused:
    """The same refusal, as a template's: what create_template and edit_template raise."""
    return TemplateRefused(error.reason, error.code, subcode=error.subcode)


# Graph error codes in an owner's words: what happened and what, if anything, to do.
EXPLANATIONS: dict[int, str] = {
    4: "Too many requests to WhatsApp at once; StoreChat tries again by itself.",
    80007: "Your WhatsApp Business Account reached its rate limit; StoreChat tries again.",
    130429: "Your number's sending speed limit was reached; StoreChat tries again.",
    131056: "Too many messages to this customer in a short time; StoreChat tries again.",
    131047: "More than 24 hours passed since the customer last wrote, so only an approved "
            "template can be sent.",
    131049: "WhatsApp held this marketing message to protect the customer's experience; "
            "it can be tried again after 24 hours.",
    131026: "The message could not be delivered: the number may not use WhatsApp, or the "
            "customer's app is too old.",
    130472: "The customer's number is part of a WhatsApp experiment and did not get it.",
    131021: "The message was addressed to your own business number.",
    131031: "Your WhatsApp Business Account is locked or restricted; see WhatsApp Manager.",
    131042: "There is a payment problem with your WhatsApp Business Account.",
    131009: "A value in the message is over one of WhatsApp's limits.",
    131051: "WhatsApp does not support this kind of message.",
    190: "Your WhatsApp access token stopped working; connect the number again.",
    368: "WhatsApp blocked the account for a while for a policy violation.",
    132000: "The template's variables do not match what was sent.",
    132001: "The template does not exist in this language, or is not approved yet.",
    132005: "The template's text is too long once its variables are filled in.",
    132007: "WhatsApp's content policy refused the filled-in template.",
    132012: "A template variable has the wrong format.",
    132015: "The template is paused because of low quality; edit it in WhatsApp Manager.",
    132016: "The template is disabled because of low quality.",
    132018: "A template variable holds new lines or tabs, which templates refuse.",
}


def explain(code: int | None) -> str:
    """An owner-readable sentence for a Graph error code ('' when we have none)."""
    if code is None:
        return ""
    if code in EXPLANATIONS:
        return EXPLANATIONS[code]
    if code in TemplateRejected.__error_codes__:
        return "WhatsApp refused the template as it was sent."
    return ""

"""Whether a due cart recovery step is sent, and the message it sends. Pure.

The worker (plugin/pipeline/recovery_send.py) loads what it knows about one due step into
`StepFacts`; `verdict` says, in the order the owner would ask, whether the step is sent, or
skipped, or stops the rest of its cycle, or waits (quiet hours), with the reason the owner
reads. `plan` turns a step's rule, the cart and the template Meta approved into the
message's parts: language, body parameters, the link button's token and an image header.
"""
from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from plugin.domain import recovery
from plugin.domain.journeys import button_kinds
from plugin.domain.policy import Decision
from plugin.domain.template_drafts import variables_in

# Why a step was not sent, as the owner reads them (the timers' own reasons are in
# plugin/pipeline/recovery_timers.py, which re-exports these).
STORE_UNINSTALLED = "the store is uninstalled"
STORE_RECONNECT = "the store needs reconnecting"
TURNED_OFF = "cart recovery is off"
RECOVERED_BEFORE = "recovered before step "
ORDERED_BEFORE = "ordered before step "
ORDERED_SINCE = "ordered since the cart"
REPLIED = "the shopper replied"
EMPTIED = "the cart was emptied"
NO_PHONE = "no phone"
OVERTAKEN = "step {later} is due too: only the latest step is sent"
NOT_APPROVED = "template {template} is not approved"
QUIET_HOURS = "quiet hours until {until}"
NO_IMAGE = "the template needs a product image and the cart has none"
MEDIA_HEADER = "the template's {kind} header cannot be filled from a cart"
TEXT_HEADER = "the template's header has a variable a cart cannot fill"
NO_DISCOUNT = "the discount code could not be created"
NO_STEP_DISCOUNT = "the template shows a discount and the step carries none"
# Store statuses (models.StoreStatus values; the domain does not import models).
_ACTIVE, _UNINSTALLED = "active", "uninstalled"


class Outcome(enum.StrEnum):
    """What becomes of a due step."""

    SEND = "send"
    SKIP = "skip"      # this step is not sent; later steps still may be
    STOP = "stop"      # this step and the rest of its cycle are not sent
    DEFER = "defer"    # back to scheduled, due again at `due_at`
    COMPLETE = "complete"  # skip, and the checkout counts as completed (an order since)


@dataclass(frozen=True, slots=True)
class Verdict:
    """An outcome with the owner's reason, and for DEFER when the step is due again."""

    outcome: Outcome
    reason: str = ""
    due_at: datetime | None = None


SEND = Verdict(Outcome.SEND)


@dataclass(frozen=True, slots=True, kw_only=True)
class StepFacts:
    """What the worker knows about one due step when it decides."""

    step: int
    store_status: str
    enabled: bool            # the store has this step, switched on
    completed: bool          # the checkout is completed
    ordered_since: bool      # an order from this shopper since the cart was created
    replied: bool            # the shopper wrote to us after this cycle's first message
    emptied: bool
    phone: str | None
    later_due: int | None    # a later step of this cycle that is due too, if any
    template: str
    approved: bool           # the template is approved in at least one language
    policy: Decision         # plugin.domain.policy.decide for this shopper and template
    now: datetime            # UTC
    local_now: datetime | None  # the store's local time, for the end of quiet hours


def verdict(facts: StepFacts) -> Verdict:
    """Send, skip, stop the cycle or wait, with the reason the owner reads."""
    if facts.store_status != _ACTIVE:
        return Verdict(Outcome.STOP, STORE_UNINSTALLED if facts.store_status == _UNINSTALLED
                       else STORE_RECONNECT)
    if not facts.enabled:
        return Verdict(Outcome.SKIP, TURNED_OFF)
    if facts.completed:
        return Verdict(Outcome.SKIP, f"{RECOVERED_BEFORE}{facts.step}")
    if facts.ordered_since:
        return Verdict(Outcome.COMPLETE, ORDERED_SINCE)
    if facts.replied:
        return Verdict(Outcome.STOP, REPLIED)
    if facts.emptied:
        return Verdict(Outcome.STOP, EMPTIED)
    if not facts.phone:
        return Verdict(Outcome.STOP, NO_PHONE)
    if facts.later_due is not None:
        # A worker that was behind must not send three messages in a row to one shopper.
        return Verdict(Outcome.SKIP, OVERTAKEN.format(later=facts.later_due))
    if not facts.approved:
        return Verdict(Outcome.SKIP, NOT_APPROVED.format(template=facts.template))
    decision = facts.policy
    if decision.defer is not None:
        return Verdict(Outcome.DEFER, quiet_reason(facts.local_now, decision.defer),
                       facts.now + decision.defer)
    if not decision.send:
        return Verdict(Outcome.SKIP, decision.reason)
    return SEND


def quiet_reason(local_now: datetime | None, wait: timedelta) -> str:
    """"quiet hours until 09:00", in the local time they end."""
    if local_now is None:
        return QUIET_HOURS.format(until=f"in {int(wait.total_seconds() // 60)} minutes")
    return QUIET_HOURS.format(until=(local_now + wait).strftime("%H:%M"))


# The message ------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True, kw_only=True)
class ApprovedTemplate:
    """One approved language of a template, as synced from Meta."""

    name: str
    language: str
    components: Sequence[Mapping[str, Any]]
    named: bool = False  # written with named variables ({{first_name}}), not {{1}}


@dataclass(frozen=True, slots=True, kw_only=True)
class PlannedStep:
    """The parts of a recovery message, ready for the Cloud API body builder."""

    template: str
    language: str
    body: tuple[str, ...]
    parameter_names: tuple[str, ...] = ()
    buttons: tuple[dict[str, Any], ...] = ()
    header_image: str = ""  # the first item's https image, for an IMAGE header


def header_format(components: Iterable[Mapping[str, Any]]) -> tuple[str, str]:
    """(format, text) of a template's header: ("IMAGE", ""), ("TEXT", "Hi {{1}}"), or
    ("", "") when it has none."""
    for component in components:
        if str(component.get("type", "")).upper() == "HEADER":
            return (str(component.get("format") or "TEXT").upper(),
                    str(component.get("text") or ""))
    return "", ""


def body_text(components: Iterable[Mapping[str, Any]]) -> str:
    """The template's body text ('' when it has none)."""
    return next((str(c.get("text") or "") for c in components
                 if str(c.get("type", "")).upper() == "BODY"), "")


def plan(template: ApprovedTemplate, variables: Sequence[str], cart: recovery.CartView,
         link_token: str) -> PlannedStep | str:
    """The message of a step for `cart` in `template`'s language, or the reason it cannot be
    sent (a header the cart cannot fill, a discount field with no code)."""
    if not cart.discount_code and recovery.DISCOUNT_FIELDS & set(variables):
        # The cart view carries the step's percent even when its code could not be made.
        return NO_DISCOUNT if cart.discount_percent else NO_STEP_DISCOUNT
    header_kind, header_text = header_format(template.components)
    image = ""
    if header_kind == "IMAGE":
        image = recovery.first_image(cart)
        if not image:
            return NO_IMAGE
    elif header_kind in ("VIDEO", "DOCUMENT", "LOCATION"):
        return MEDIA_HEADER.format(kind=header_kind.lower())
    elif header_kind == "TEXT" and variables_in(header_text):
        return TEXT_HEADER
    body = recovery.render_cart_parameters(cart, variables, template.language)
    names = variables_in(body_text(template.components)) if template.named else ()
    buttons = tuple(
        {"type": "button", "sub_type": "url", "index": str(index),
         "parameters": [{"type": "text", "text": link_token}]}
        for index, kind in enumerate(button_kinds(template.components))
        if kind == "url_dynamic")
    return PlannedStep(template=template.name, language=template.language, body=body,
                       parameter_names=names, buttons=buttons, header_image=image)

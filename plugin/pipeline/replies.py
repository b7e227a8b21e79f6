"""Free-form replies to a shopper, each with the template to send instead once the 24-hour
window has closed: an answer never fails for lack of a template, and never breaks Meta's rule.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from adapters.whatsapp import messages
from plugin.domain.phones import wa_recipient
from plugin.models import Customer, Store
from plugin.pipeline import outbox


@dataclass(frozen=True, slots=True)
class Fallback:
    """The approved template (and its parameters) that stands in for a reply."""

    template: str
    language: str
    parameters: tuple[str, ...] = ()


def queue_text(session: Session, store: Store, customer: Customer, text: str, *, cause: str,
               step: str, fallback: Fallback | None = None) -> int | None:
    """Write one reply to the outbox (unique per cause and step); its id, or None if it was
    already there. The caller enqueues `send_message` after committing. Raises
    MessageLimitError when the text or the fallback breaks one of WhatsApp's limits."""
    if not customer.phone_e164:
        raise ValueError("this customer has no WhatsApp number")
    to = wa_recipient(customer.phone_e164)
    stand_in = None
    if fallback is not None:
        # Built (and checked) now: a template that breaks a limit is refused here, at once,
        # not when the window closes.
        stand_in = {"template": fallback.template,
                    "payload": messages.template(to, fallback.template, fallback.language,
                                                 body=fallback.parameters)}
    return outbox.write(session, store_id=store.id, customer_id=customer.id, cause=cause,
                        step=step, to=customer.phone_e164, payload=messages.text(to, text),
                        fallback=stand_in)

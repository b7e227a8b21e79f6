"""Which templates the journey editor offers, and the warning a wrong category earns.

A journey sends a template only when it is approved, in the language chosen for each
shopper (their own, else the store's; plugin.domain.journeys.choose_language), so the
editor lists the approved templates in the languages of the store's shoppers: the store's
locale and the locales of its customers. The template the journey has now stays listed
(with the editor's own warning) so saving never silently changes it.

An order update is a utility message: sent with a marketing template it needs the
shopper's marketing opt-in, is priced as marketing, and Meta may hold it (131049).
"""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from plugin.domain.journeys import FALLBACK_LANGUAGE, base_language
from plugin.models import Customer, Store, Template

APPROVED = "APPROVED"
MARKETING = "MARKETING"
# Triggers whose messages are order updates (utility), not promotions.
ORDER_TRIGGER_PREFIX = "order_"


def shopper_languages(session: Session, store: Store) -> set[str]:
    """The base languages ("en", "pt") of the store and of its customers; English when
    neither says."""
    locales = set(session.scalars(select(Customer.locale).distinct().where(
        Customer.store_id == store.id, Customer.locale.is_not(None))))
    bases = {base_language(code) for code in [store.locale or "", *locales] if code}
    return bases or {FALLBACK_LANGUAGE}


def journey_templates(templates: Iterable[Template], languages: set[str],
                      current: tuple[str, str]) -> list[Template]:
    """The approved templates in one of `languages` (by base language), and the current one."""
    return [t for t in templates
            if (t.status == APPROVED and base_language(t.language) in languages)
            or (t.name, t.language) == current]


def category_warning(trigger: str, template: Template | None) -> str:
    """Why a marketing template does not suit an order update ('' when it is fine)."""
    if template is None or template.category != MARKETING:
        return ""
    if not trigger.startswith(ORDER_TRIGGER_PREFIX):
        return ""
    return ("This is a marketing template, but an order update is a utility message: "
            "it would reach only shoppers who opted in to marketing, cost more, and WhatsApp "
            "may hold it. Choose a utility template.")

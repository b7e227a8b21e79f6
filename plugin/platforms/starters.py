"""A store's automations: the starter journeys a new store gets with one click."""
from __future__ import annotations

from sqlalchemy.orm import Session

from plugin.domain import starter_templates
from plugin.domain.journeys import starter_rules
from plugin.infra.sql import insert_ignore
from plugin.models import Automation, Store


def starter_language(locale: str | None) -> str:
    """The starter template language closest to a store locale ("pt-PT" → pt_BR), else en."""
    code = (locale or "").replace("-", "_").lower()
    base = code.split("_")[0]
    for language in starter_templates.LANGUAGES:
        if language.lower() == code or language.split("_")[0] == base:
            return language
    return "en"


def install_starters(session: Session, store: Store) -> int:
    """Create the store's automation for every shipped journey it lacks, each with its
    starter template, variables, conditions and delay; returns how many were new.
    Idempotent: a journey the owner already has (edited or switched off) is left alone."""
    language = starter_language(store.locale)
    created = 0
    for rule in starter_rules():
        new_id = insert_ignore(session, Automation, {
            "store_id": store.id, "journey": rule.journey, "trigger": rule.trigger.value,
            "template": rule.template, "language": language,
            "variables": list(rule.variables), "conditions": dict(rule.conditions),
            "delay_seconds": rule.delay_seconds, "enabled": True,
        }, ("store_id", "journey"))
        created += new_id is not None
    return created

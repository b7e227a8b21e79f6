"""A store's cart recovery sequence: its steps as stored (one `Automation` row per step),
turned on in one click with StoreChat's defaults, and read back for the worker and editor.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from plugin.domain import recovery
from plugin.infra.sql import insert_ignore
from plugin.models import Automation, Store
from plugin.platforms.starters import starter_language


@dataclass(frozen=True, slots=True, kw_only=True)
class StepRule:
    """One recovery step of a store, as the worker and the editor read it."""

    step: int
    journey: str
    template: str
    language: str
    variables: tuple[str, ...]
    delay_minutes: int  # as the owner set it; recovery.effective_delay_minutes for the wait
    conditions: Mapping[str, Any] = field(default_factory=dict)
    enabled: bool = True

    @property
    def discount(self) -> recovery.Discount | None:
        """The discount this step carries, if any."""
        return recovery.discount_of(self.conditions)


def store_steps(session: Session, store_id: int, *, enabled_only: bool = True) -> list[StepRule]:
    """The store's recovery steps by step number (only the enabled ones by default)."""
    query = select(Automation).where(Automation.store_id == store_id,
                                     Automation.journey.startswith(recovery.JOURNEY_PREFIX))
    if enabled_only:
        query = query.where(Automation.enabled.is_(True))
    rules = []
    for row in session.scalars(query):
        step = recovery.step_number(row.journey)
        if step is None:
            continue
        rules.append(StepRule(step=step, journey=row.journey, template=row.template,
                              language=row.language, variables=tuple(row.variables or ()),
                              delay_minutes=max(int(row.delay_seconds or 0) // 60, 0),
                              conditions=dict(row.conditions or {}), enabled=row.enabled))
    return sorted(rules, key=lambda rule: rule.step)


def install_steps(session: Session, store: Store, *, enabled: bool = False) -> int:
    """Create the steps the store lacks from StoreChat's defaults (a step the owner edited is
    left alone); returns how many were new. Off unless `enabled`."""
    language = starter_language(store.locale)
    created = 0
    for default in recovery.DEFAULT_STEPS:
        new_id = insert_ignore(session, Automation, {
            "store_id": store.id, "journey": default.journey,
            "trigger": recovery.TRIGGER.value, "template": default.template,
            "language": language, "variables": list(default.variables),
            "conditions": dict(default.conditions),
            "delay_seconds": default.delay_minutes * 60, "enabled": enabled,
        }, ("store_id", "journey"))
        created += new_id is not None
    return created


def set_enabled(session: Session, store: Store, on: bool) -> None:
    """Turn the whole sequence on or off in one click (installing the default steps first
    when the store has none)."""
    install_steps(session, store)
    session.execute(update(Automation).where(
        Automation.store_id == store.id,
        Automation.journey.startswith(recovery.JOURNEY_PREFIX)).values(enabled=on)
        .execution_options(synchronize_session=False))

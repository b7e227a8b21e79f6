"""GET/PATCH /api/v1/sending: the store's marketing limits (caps, the stricter at-risk cap,
quiet hours), the same settings as Settings → Marketing limits, checked by the same rules
(plugin.domain.marketing_limits); a value out of bounds is a validation_failed problem
naming its field, and nothing is saved."""
from __future__ import annotations

from dataclasses import asdict, replace

from pydantic import BaseModel, Field, model_validator
from spectree import Tag

from plugin.admin.api import access
from plugin.admin.api.base import blueprint, documented, spec
from plugin.admin.api.paging import StoreQuery, Strict
from plugin.admin.api.problems import ApiError, FieldError, ProblemCode
from plugin.admin.marketing_limits import of_store, save
from plugin.domain.marketing_limits import problems
from plugin.infra import db
from plugin.models import Store

TAG = Tag(name="sending", description="Marketing limits: how often and when marketing "
          "may reach a customer. Order updates are never limited by them.")


class SendingOut(BaseModel):
    """The store's marketing limits."""

    weekly_cap: int = Field(description="Marketing messages per customer in any 7 days.")
    at_risk_cap: int = Field(description="For customers tagged at_risk: at most this many…")
    at_risk_cap_days: int = Field(description="…in any this many days.")
    quiet_start_hour: int = Field(description="Quiet hours start (0-23), in the customer's "
                                  "time zone when their number gives one, else the store's.")
    quiet_end_hour: int = Field(description="Quiet hours end (0-23); equal to the start: "
                                "no quiet hours. Marketing due in them waits until then.")
    timezone: str | None = Field(description="The store's time zone; without one there are "
                                 "no quiet hours for customers whose number gives none.")


class SendingPatch(Strict):
    """What may change; fields left out stay as they are."""

    weekly_cap: int | None = None
    at_risk_cap: int | None = None
    at_risk_cap_days: int | None = None
    quiet_start_hour: int | None = None
    quiet_end_hour: int | None = None

    @model_validator(mode="after")
    def _something(self) -> SendingPatch:
        if all(value is None for value in self.model_dump().values()):
            raise ValueError("give at least one limit to change")
        return self


def _store() -> Store:
    store = db.session().get(Store, access.store_id())
    assert store is not None  # access found it among the caller's stores a moment ago
    return store


def _out(store: Store) -> SendingOut:
    return SendingOut(**asdict(of_store(store)), timezone=store.timezone)


@blueprint.get("/sending")
@spec.validate(query=StoreQuery, resp=documented(SendingOut), tags=[TAG],
               operation_id="getSending")
def get_sending() -> SendingOut:
    """The store's marketing limits"""
    return _out(_store())


@blueprint.patch("/sending")
@spec.validate(query=StoreQuery, resp=documented(SendingOut, write=True), tags=[TAG],
               operation_id="updateSending")
def update_sending(json: SendingPatch) -> SendingOut:
    """Change the store's marketing limits

    They apply to every marketing message not yet sent. The at-risk cap must be the
    stricter one (per day, no more than the weekly cap)."""
    store = _store()
    changes = {name: value for name, value in json.model_dump().items() if value is not None}
    wanted = replace(of_store(store), **changes)
    found = problems(wanted)
    if found:
        raise ApiError(ProblemCode.VALIDATION_FAILED, errors=[
            FieldError(field=name, location="body", message=message)
            for name, message in found.items()])
    save(store, wanted)
    db.session().commit()
    return _out(store)

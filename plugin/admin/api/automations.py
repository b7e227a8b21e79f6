"""Automations (journeys): which template each order event sends, after which delay, and
whether it is on. A write token may switch one on or off and change its delay, within the
same bounds as the admin's editor (plugin.admin.journeys); the template and its variables
are chosen in the editor, which checks them against the store's templates."""
from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, model_validator
from spectree import Tag
from sqlalchemy import select

from plugin.admin.api import access
from plugin.admin.api.base import blueprint, documented, spec
from plugin.admin.api.paging import ListQuery, StoreQuery, Strict, page
from plugin.admin.api.problems import ApiError, FieldError, ProblemCode
from plugin.admin.journey_form import journey_name, longest_delay_seconds
from plugin.infra import db
from plugin.models import Automation

TAG = Tag(name="automations", description="Order journeys: what is sent, when, and "
          "whether it is on.")


class AutomationOut(BaseModel):
    """One journey of the store."""

    id: int
    journey: str = Field(description="Its stable name, e.g. `order_shipped`.")
    name: str = Field(description="As the owner reads it.")
    trigger: str = Field(description="The order event that starts it.")
    template: str
    language: str
    variables: list[Any] = Field(description="Order fields, in the template's {{n}} order.")
    conditions: dict[str, Any]
    delay_seconds: int
    enabled: bool


class AutomationList(BaseModel):
    """A page of automations, newest first."""

    data: list[AutomationOut]
    next_cursor: str | None


class AutomationPatch(Strict):
    """What may change through the API; fields left out stay as they are."""

    enabled: bool | None = None
    delay_seconds: int | None = Field(
        default=None, ge=0, description="Seconds after the event: at most 7 days for an order "
        "journey, 30 days for a cart recovery step, a day for a stock or price alert, 60 days "
        "for cross-sell after delivery.")

    @model_validator(mode="after")
    def _something(self) -> AutomationPatch:
        if self.enabled is None and self.delay_seconds is None:
            raise ValueError("give enabled, delay_seconds or both")
        return self


def _out(row: Automation) -> AutomationOut:
    return AutomationOut(id=row.id, journey=row.journey, name=journey_name(row.journey),
                         trigger=row.trigger, template=row.template, language=row.language,
                         variables=list(row.variables or []),
                         conditions=dict(row.conditions or {}),
                         delay_seconds=row.delay_seconds, enabled=row.enabled)


@blueprint.get("/automations")
@spec.validate(resp=documented(AutomationList), tags=[TAG], operation_id="listAutomations")
def list_automations(query: ListQuery) -> AutomationList:
    """List the store's automations"""
    rows, cursor = page(select(Automation), Automation, query)
    return AutomationList(data=[_out(a) for a in rows], next_cursor=cursor)


@blueprint.get("/automations/<int:automation_id>")
@spec.validate(query=StoreQuery, resp=documented(AutomationOut), tags=[TAG],
               operation_id="getAutomation")
def get_automation(automation_id: int) -> AutomationOut:
    """One automation"""
    return _out(access.get_or_404(Automation, automation_id))


@blueprint.patch("/automations/<int:automation_id>")
@spec.validate(query=StoreQuery, resp=documented(AutomationOut, write=True),
               tags=[TAG], operation_id="updateAutomation")
def update_automation(automation_id: int, json: AutomationPatch) -> AutomationOut:
    """Switch an automation on or off, or change its delay

    Messages already written keep the delay they were written with."""
    row = access.get_or_404(Automation, automation_id)
    if json.enabled is not None:
        row.enabled = json.enabled
    if json.delay_seconds is not None:
        longest = longest_delay_seconds(row.journey)
        if json.delay_seconds > longest:
            raise ApiError(ProblemCode.VALIDATION_FAILED, errors=[FieldError(
                field="delay_seconds", location="body",
                message=f"At most {longest} seconds for this automation.")])
        row.delay_seconds = json.delay_seconds
    db.session().commit()
    return _out(row)

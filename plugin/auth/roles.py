"""Roles in a store, and the least role each admin page and API operation asks for.

A person's role is per store: the store's owner (or the Shopify shop itself, or an API token
made by the owner) is OWNER; a team member (plugin.models.StoreMember) is AGENT or ADMIN.
Roles are ordered: whoever holds a higher one may do all that a lower one may.

Each module declares what its pages need, next to its routes, so a section built in
parallel brings its own rule:

    blueprint = protect(Blueprint("customers_admin", __name__), minimum=Role.AGENT)
    roles.declare_module(__name__, Role.AGENT)        # every operation defined in a module
    roles.declare_endpoint("auth.owners", Role.OWNER)  # one endpoint

The most specific declaration wins (endpoint, then the view's module, then its blueprint).
Anything nobody declared needs ADMIN: a page added later works for admins and stays
closed to agents until someone decides otherwise. plugin.auth.guard enforces it.
"""
from __future__ import annotations

from enum import IntEnum

from flask import current_app


class Role(IntEnum):
    """A person's role in one store, least to most."""

    AGENT = 1  # the inbox and customers
    ADMIN = 2  # everything but the owner's own settings
    OWNER = 3  # everything: the team, the connection, the WhatsApp number, API tokens

    @property
    def label(self) -> str:
        """The role as the Team page names it."""
        return self.name.capitalize()

    @classmethod
    def member_role(cls, value: str) -> Role | None:
        """The role a member may be given ("agent" or "admin"); None for anything else."""
        return {"agent": cls.AGENT, "admin": cls.ADMIN}.get(value.strip().lower())


# What an undeclared page or operation needs.
DEFAULT = Role.ADMIN
_ENDPOINTS: dict[str, Role] = {}
_MODULES: dict[str, Role] = {}
_BLUEPRINTS: dict[str, Role] = {}
# What each role may do, in the words of a refusal.
_SCOPE = {Role.AGENT: "the inbox and customers",
          Role.ADMIN: "everything but the owner's settings"}


def declare_endpoint(endpoint: str, minimum: Role) -> None:
    """Let only people with at least `minimum` in the store call `endpoint`."""
    _ENDPOINTS[endpoint] = minimum


def declare_module(module: str, minimum: Role) -> None:
    """The same for every view function defined in `module` (pass `__name__`)."""
    _MODULES[module] = minimum


def declare_blueprint(name: str, minimum: Role) -> None:
    """The same for every route of the blueprint called `name`."""
    _BLUEPRINTS[name] = minimum


def required(endpoint: str | None) -> Role:
    """The least role `endpoint` asks for: its own declaration, its module's, its
    blueprint's, else DEFAULT."""
    if endpoint is None:
        return DEFAULT
    if endpoint in _ENDPOINTS:
        return _ENDPOINTS[endpoint]
    view = current_app.view_functions.get(endpoint)
    module = getattr(view, "__module__", None)
    if module in _MODULES:
        return _MODULES[module]
    blueprint = endpoint.rpartition(".")[0]
    return _BLUEPRINTS.get(blueprint, DEFAULT)


def refusal(role: Role, minimum: Role) -> str:
    """Why a person with `role` may not do what needs `minimum`, in their words."""
    who = ("the store's owner" if minimum is Role.OWNER
           else "the store's admins and its owner")
    scope = _SCOPE.get(role)
    yours = f" Your role in this store is {role.name.lower()}" + (
        f": {scope}." if scope else ".")
    return f"Only {who} may open this.{yours}"

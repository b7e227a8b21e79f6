"""Segments: a saved filter over a store's customers, as an owner builds it.

A definition is a list of criteria, joined by "all of" or "any of": each tag to include is
one criterion, and so is a spend range, an order-count range, a last-order window, a
last-interaction window (an order or a message), a country list, a language list and a
consent purpose. Excluded tags always exclude, whatever the join. No criterion at all
matches every customer. Parsing is strict: an owner's mistake comes back as a field error
in their words, never as a segment that silently matches something else.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from plugin.domain.customer_tags import clean_tag
from plugin.domain.errors import RequestRefused

MATCH_ALL = "all"
MATCH_ANY = "any"
# Consent purposes a segment may require a current opt-in for (the consent log's names).
PURPOSES = ("marketing", "order_updates", "back_in_stock")
# Day windows longer than ten years are typing mistakes.
MAX_DAYS = 3650
# Criteria lists longer than this are not a segment an owner built by hand.
MAX_ITEMS = 50
# The largest spend a filter may name, in the store's currency.
MAX_SPEND = Decimal("100000000")
_COUNTRY = re.compile(r"^[A-Z]{2}$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")

# Why a matched customer is not reachable, in the order they are checked (the first that
# applies is the one counted), and the owner's words for each.
NO_NUMBER = "no_number"
OPTED_OUT = "opted_out"
NO_OPT_IN = "no_opt_in"
UNCONFIRMED = "unconfirmed"
US_NUMBER = "us_number"
REACHABLE = "reachable"
LEFT_OUT: dict[str, str] = {
    NO_NUMBER: "No WhatsApp number",
    OPTED_OUT: "Opted out of marketing",
    NO_OPT_IN: "No marketing opt-in",
    UNCONFIRMED: "Opted in on a form, not yet confirmed by a WhatsApp message",
    US_NUMBER: "+1 (US) number: Meta does not deliver marketing templates there",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Definition:
    """A parsed, valid segment definition (spend in the store's currency)."""

    match: str = MATCH_ALL
    tags_include: tuple[str, ...] = ()
    tags_exclude: tuple[str, ...] = ()
    spend_min: Decimal | None = None
    spend_max: Decimal | None = None
    orders_min: int | None = None
    orders_max: int | None = None
    last_order_within_days: int | None = None
    last_order_before_days: int | None = None
    interaction_within_days: int | None = None
    interaction_before_days: int | None = None
    countries: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    consent_purpose: str | None = None

    def to_json(self) -> dict[str, Any]:
        """JSON-safe, as stored; `parse` reads it back to an equal definition."""
        out: dict[str, Any] = {"match": self.match}
        for name in _LISTS:
            out[name] = list(getattr(self, name))
        for name in _MONEY:
            value = getattr(self, name)
            out[name] = None if value is None else str(value)
        for name in _INTS:
            out[name] = getattr(self, name)
        out["consent_purpose"] = self.consent_purpose
        return out


_LISTS = ("tags_include", "tags_exclude", "countries", "languages")
_MONEY = ("spend_min", "spend_max")
_INTS = ("orders_min", "orders_max", "last_order_within_days", "last_order_before_days",
         "interaction_within_days", "interaction_before_days")


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One mistake in a definition: which field, and what to do about it."""

    field: str
    message: str


class DefinitionError(RequestRefused):
    """A definition that cannot be saved; `problems` names each mistake."""

    def __init__(self, problems: list[FieldProblem]) -> None:
        super().__init__("; ".join(f"{p.field}: {p.message}" for p in problems))
        self.problems = problems


@dataclass
class _Reader:
    data: Mapping[str, Any]
    problems: list[FieldProblem] = field(default_factory=list)

    def fail(self, name: str, message: str) -> None:
        self.problems.append(FieldProblem(name, message))

    def words(self, name: str) -> list[str]:
        value = self.data.get(name)
        if value is None or value == "":
            return []
        if isinstance(value, str):
            value = value.split(",")
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(name, "a list of words")
            return []
        if len(value) > MAX_ITEMS:
            self.fail(name, f"at most {MAX_ITEMS}")
            return []
        return [v.strip() for v in value if v.strip()]

    def number(self, name: str, *, money: bool = False) -> Any:
        value = self.data.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            self.fail(name, "a number")
            return None
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            self.fail(name, "a number")
            return None
        if not number.is_finite() or number < 0:
            self.fail(name, "zero or more")
            return None
        if money:
            if number > MAX_SPEND:
                self.fail(name, f"at most {MAX_SPEND}")
                return None
            return number.quantize(Decimal("0.01"), ROUND_HALF_UP)
        if number != number.to_integral_value():
            self.fail(name, "a whole number")
            return None
        if number > MAX_DAYS * 100:
            self.fail(name, "too large")
            return None
        return int(number)


def parse(data: Mapping[str, Any]) -> Definition:
    """A valid Definition from JSON or form data; DefinitionError names every mistake."""
    if not isinstance(data, Mapping):
        raise DefinitionError([FieldProblem("definition", "an object")])
    read = _Reader(data)
    match = str(data.get("match") or MATCH_ALL)
    if match not in (MATCH_ALL, MATCH_ANY):
        read.fail("match", "all or any")
    tags = {name: _tags(read, name) for name in ("tags_include", "tags_exclude")}
    countries = tuple(sorted({c.upper() for c in read.words("countries")}))
    if any(not _COUNTRY.match(c) for c in countries):
        read.fail("countries", "two-letter country codes, such as PT or BR")
    languages = tuple(sorted({w.replace("-", "_").split("_")[0].lower()
                              for w in read.words("languages")}))
    if any(not _LANGUAGE.match(code) for code in languages):
        read.fail("languages", "language codes, such as en or pt")
    values = {name: read.number(name, money=True) for name in _MONEY}
    values.update({name: read.number(name) for name in _INTS})
    for name in _INTS[2:]:
        if values[name] is not None and not 1 <= values[name] <= MAX_DAYS:
            read.fail(name, f"between 1 and {MAX_DAYS} days")
    for low, high in (("spend_min", "spend_max"), ("orders_min", "orders_max")):
        if values[low] is not None and values[high] is not None and values[low] > values[high]:
            read.fail(high, "at least the minimum")
    purpose = data.get("consent_purpose") or None
    if purpose is not None and purpose not in PURPOSES:
        read.fail("consent_purpose", "one of " + ", ".join(PURPOSES))
    if set(tags["tags_include"]) & set(tags["tags_exclude"]):
        read.fail("tags_exclude", "a tag cannot be both included and excluded")
    if read.problems:
        raise DefinitionError(read.problems)
    return Definition(match=match, countries=countries, languages=languages,
                      consent_purpose=purpose, tags_include=tags["tags_include"],
                      tags_exclude=tags["tags_exclude"], **values)


def _tags(read: _Reader, name: str) -> tuple[str, ...]:
    tags = []
    for word in read.words(name):
        tag = clean_tag(word)
        if tag is None:
            read.fail(name, f"{word!r} is not a tag")
        elif tag not in tags:
            tags.append(tag)
    return tuple(tags)


def criteria_count(definition: Definition) -> int:
    """How many criteria the join applies to (0: every customer matches)."""
    return (len(definition.tags_include)
            + sum(1 for pair in (("spend_min", "spend_max"), ("orders_min", "orders_max"))
                  if any(getattr(definition, n) is not None for n in pair))
            + sum(1 for n in _INTS[2:] if getattr(definition, n) is not None)
            + bool(definition.countries) + bool(definition.languages)
            + bool(definition.consent_purpose))

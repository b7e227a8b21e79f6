"""Parsing a segment definition: what an owner may write, and each mistake named."""
from __future__ import annotations

from decimal import Decimal

import pytest

from plugin.domain.segments import DefinitionError, criteria_count, parse


def test_a_full_definition_round_trips() -> None:
    definition = parse({"match": "any", "tags_include": ["VIP", "new"],
                        "tags_exclude": "at_risk", "spend_min": "10", "spend_max": "10.005",
                        "orders_min": 1, "orders_max": "3", "last_order_within_days": 30,
                        "interaction_before_days": 90, "countries": ["pt", "BR"],
                        "languages": ["pt-BR", "en_US", "PT"], "consent_purpose": "marketing"})
    assert definition.tags_include == ("vip", "new")
    assert definition.tags_exclude == ("at_risk",)
    assert (definition.spend_min, definition.spend_max) == (Decimal("10.00"), Decimal("10.01"))
    assert definition.countries == ("BR", "PT") and definition.languages == ("en", "pt")
    assert parse(definition.to_json()) == definition
    assert criteria_count(definition) == 2 + 1 + 1 + 1 + 1 + 1 + 1 + 1


def test_empty_fields_mean_no_criterion() -> None:
    definition = parse({"spend_min": "", "countries": "", "consent_purpose": ""})
    assert criteria_count(definition) == 0 and definition.match == "all"


@pytest.mark.parametrize(("data", "field"), [
    ({"match": "some"}, "match"),
    ({"spend_min": "ten"}, "spend_min"),
    ({"spend_min": "-1"}, "spend_min"),
    ({"spend_min": "20", "spend_max": "10"}, "spend_max"),
    ({"orders_min": "1.5"}, "orders_min"),
    ({"orders_min": True}, "orders_min"),
    ({"last_order_within_days": 0}, "last_order_within_days"),
    ({"interaction_within_days": 4000}, "interaction_within_days"),
    ({"countries": ["Portugal"]}, "countries"),
    ({"languages": ["português"]}, "languages"),
    ({"consent_purpose": "sms"}, "consent_purpose"),
    ({"tags_include": ["vip"], "tags_exclude": ["VIP"]}, "tags_exclude"),
    ({"tags_include": ["!!"]}, "tags_include"),
    ({"tags_include": [1]}, "tags_include"),
    ({"countries": ["PT"] * 51}, "countries"),
    ({"spend_max": "NaN"}, "spend_max"),
])
def test_each_mistake_is_named(data: dict[str, object], field: str) -> None:
    with pytest.raises(DefinitionError) as raised:
        parse(data)
    assert [p.field for p in raised.value.problems] == [field]


def test_several_mistakes_come_back_together() -> None:
    with pytest.raises(DefinitionError) as raised:
        parse({"match": "x", "countries": ["xx1"], "orders_max": "-2"})
    assert {p.field for p in raised.value.problems} == {"match", "countries", "orders_max"}

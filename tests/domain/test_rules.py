"""Pure rules: send policy, phone numbers."""
from __future__ import annotations

import pytest

from plugin.domain import policy
from plugin.domain.phones import to_e164, wa_recipient


def test_policy_sends_a_template_to_an_active_store() -> None:
    decision = policy.decide(policy.SendContext(store_active=True, recipient="+351912345678",
                                                is_template=True))
    assert decision.send


@pytest.mark.parametrize(("context", "fragment"), [
    (policy.SendContext(store_active=False, recipient="+1", is_template=True), "not active"),
    (policy.SendContext(store_active=True, recipient=None, is_template=True), "no WhatsApp"),
    (policy.SendContext(store_active=True, recipient="+1", is_template=False), "window"),
])
def test_policy_skips_with_a_reason(context: policy.SendContext, fragment: str) -> None:
    decision = policy.decide(context)
    assert not decision.send
    assert fragment in decision.reason


@pytest.mark.parametrize(("raw", "country", "expected"), [
    ("+351 912 345 678", None, "+351912345678"),
    ("912 345 678", "PT", "+351912345678"),
    ("0151 23456789", "DE", "+4915123456789"),
    ("(201) 555-0123", "US", "+12015550123"),
    ("12", "PT", None),
    ("not a phone", "PT", None),
    ("", "PT", None),
    (None, None, None),
])
def test_phone_numbers_become_e164(raw: str | None, country: str | None,
                                   expected: str | None) -> None:
    assert to_e164(raw, country) == expected


def test_the_cloud_api_recipient_has_no_plus() -> None:
    assert wa_recipient("+351912345678") == "351912345678"

"""Graph error codes: each on the class that means it, each class a domain category."""
from __future__ import annotations

import pytest

from adapters.whatsapp.errors import (
    CODED,
    EcosystemHold,
    InvalidToken,
    PairRateLimit,
    ReEngagement,
    RequestLimit,
    TemplateRejected,
    ThroughputReached,
    Undeliverable,
    classify,
    explain,
)
from plugin.domain import errors


@pytest.mark.parametrize(("code", "status", "kind"), [
    (4, 400, RequestLimit),
    (80007, 400, RequestLimit),
    (130429, 400, ThroughputReached),
    (131056, 400, PairRateLimit),
    (131047, 400, ReEngagement),
    (131049, 400, EcosystemHold),
    (190, 401, InvalidToken),
    (131026, 400, Undeliverable),
    (132000, 400, TemplateRejected),
    (132015, 400, TemplateRejected),
    (None, 503, errors.RetryableError),
    (None, 429, errors.RetryableError),
    (999999, 400, errors.PermanentError),
])
def test_graph_errors_map_to_what_to_do(code: int | None, status: int, kind: type) -> None:
    error = classify(code, status, "reason")
    assert type(error) is kind
    assert error.code == code


@pytest.mark.parametrize(("kind", "category"), [
    (RequestLimit, errors.RetryableError), (ThroughputReached, errors.RetryableError),
    (PairRateLimit, errors.RetryableError), (ReEngagement, errors.NeedsTemplateError),
    (EcosystemHold, errors.HeldError), (InvalidToken, errors.AccountError),
    (Undeliverable, errors.PermanentError), (TemplateRejected, errors.PermanentError),
])
def test_each_coded_class_is_the_category_the_pipeline_acts_on(kind: type,
                                                              category: type) -> None:
    assert issubclass(kind, category)
    assert issubclass(kind, errors.WhatsAppError) and issubclass(kind, errors.StoreChatError)


def test_no_code_is_declared_twice() -> None:
    codes = [code for kind in CODED for code in kind.__error_codes__]  # type: ignore[attr-defined]
    assert len(codes) == len(set(codes))


def test_every_code_a_class_declares_is_explained_to_the_owner() -> None:
    for kind in CODED:
        for code in kind.__error_codes__:  # type: ignore[attr-defined]
            assert explain(code), (kind.__name__, code)

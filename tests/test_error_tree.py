"""One exception tree: every error StoreChat raises on purpose descends from StoreChatError,
and each class name means one thing (plugin/domain/errors.py draws the tree)."""
from __future__ import annotations

import importlib
import inspect
from collections import defaultdict

import pytest

from plugin.domain import errors
from tests.test_architecture import MODULES

# Outside the tree for now: private control flow inside one parser, and three refusals in
# modules other changes are rewriting (they can join RequestRefused or PayloadError later).
OUTSIDE_THE_TREE = {
    "adapters.whatsapp.notifications._Skip",  # private control flow, never escapes its module
}


def _exception_classes() -> dict[str, type[BaseException]]:
    """Every exception class defined in a project module, by its dotted name."""
    found = {}
    for name in sorted(MODULES):
        module = importlib.import_module(name)
        for attr, value in vars(module).items():
            if (inspect.isclass(value) and issubclass(value, BaseException)
                    and value.__module__ == name):
                found[f"{name}.{attr}"] = value
    return found


CLASSES = _exception_classes()


@pytest.mark.parametrize("name", sorted(set(CLASSES) - OUTSIDE_THE_TREE))
def test_every_error_descends_from_the_root(name: str) -> None:
    assert issubclass(CLASSES[name], errors.StoreChatError)


def test_each_error_name_is_defined_once() -> None:
    by_name: dict[str, list[str]] = defaultdict(list)
    for dotted, cls in CLASSES.items():
        by_name[cls.__name__].append(dotted)
    # The Shopify Admin and the WooCommerce clients each say "Unauthorized" and "Unavailable"
    # for the same two meanings, under their own provider branch.
    shared = {"Unauthorized", "Unavailable"}
    assert {n: d for n, d in by_name.items() if len(d) > 1 and n not in shared} == {}
    for name in shared:
        assert {CLASSES[d].__mro__[2] for d in by_name[name]} == {errors.ShopifyError,
                                                                  errors.WooCommerceError}


def test_one_payload_error_for_every_adapter() -> None:
    from adapters import demo
    from adapters.shopify import webhooks as shopify
    from adapters.whatsapp import notifications as whatsapp
    from adapters.woocommerce import webhooks as woocommerce

    for parse in (lambda: demo.parse_event("orders/create", b"[" * 100_000),
                  lambda: shopify.parse_event("orders/create", b"[" * 100_000),
                  lambda: woocommerce.parse_event("order.created", b"[" * 100_000),
                  lambda: whatsapp.parse_notification(b"[" * 100_000)):
        with pytest.raises(errors.PayloadError):
            parse()

"""Product cards from the inbox composer: synced products found by name or item id, one
sent as a product card and several as a product list through the product message path
(the exact bodies the fake Graph receives), refused outside the window with the reason,
and items that may not be offered refused by name."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from plugin.infra import db
from plugin.models import Customer, ItemState, Message
from tests.admin.catalog_rows import item
from tests.admin.test_inbox import _conversation, _page, _post
from tests.worlds.inbox import CATALOG_ID, SHOPPER, InboxWorld, connect_catalog


def _stocked(world: InboxWorld) -> int:
    """The shopper writes now; the store has three synced shirts and one kept out."""
    connect_catalog(world, [item(world.store_id, 1), item(world.store_id, 2),
                            item(world.store_id, 3, title="Wool scarf"),
                            item(world.store_id, 4, ItemState.KEPT_OUT)])
    world.writes("Do you have linen shirts?", "wamid.P1")
    return _conversation(world)


def test_the_picker_lists_synced_products_found_by_name_or_id(inbox_world: InboxWorld) -> None:
    conversation = _stocked(inbox_world)
    page = _page(inbox_world, conversation)
    assert "Send products from the catalog" in page
    assert "Linen shirt 1" in page and "Wool scarf" in page
    assert "Linen shirt 4" not in page  # kept out: not offered
    found = inbox_world.client.get(
        f"/stores/{inbox_world.store_id}/inbox?c={conversation}&pq=SCARF").get_data(True)
    assert "Wool scarf" in found and "Linen shirt 1" not in found
    by_id = inbox_world.client.get(
        f"/stores/{inbox_world.store_id}/inbox?c={conversation}"
        f"&pq=sc-{inbox_world.store_id}-2").get_data(True)
    assert "Linen shirt 2" in by_id and "Wool scarf" not in by_id
    none = inbox_world.client.get(
        f"/stores/{inbox_world.store_id}/inbox?c={conversation}&pq=%25").get_data(True)
    assert "No synced product matches" in none  # % is a character, not a wildcard


def test_one_product_goes_as_a_product_card(inbox_world: InboxWorld) -> None:
    conversation = _stocked(inbox_world)
    retailer_id = f"sc-{inbox_world.store_id}-1"
    page = _post(inbox_world, conversation, "reply", mode="products", product=[retailer_id],
                 text="This one comes in white too.")
    [sent] = inbox_world.graph.sent
    with inbox_world.app.app_context():
        message = db.session().scalars(select(Message)).one()
        assert (message.step, message.state) == ("product_message", "sent")
        assert message.cause.startswith(f"inbox:{conversation}:")
    assert sent.payload == {
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": SHOPPER,
        "biz_opaque_callback_data": f"storechat:{message.id}",
        "type": "interactive", "interactive": {
            "type": "product", "body": {"text": "This one comes in white too."},
            "action": {"catalog_id": CATALOG_ID, "product_retailer_id": retailer_id}}}
    assert "This one comes in white too." in page


def test_several_products_go_as_one_product_list(inbox_world: InboxWorld) -> None:
    conversation = _stocked(inbox_world)
    first, third = (f"sc-{inbox_world.store_id}-{n}" for n in (1, 3))
    _post(inbox_world, conversation, "reply", mode="products", product=[first, third],
          header="Linen and wool")
    [sent] = inbox_world.graph.sent
    with inbox_world.app.app_context():
        message_id = db.session().scalars(select(Message.id)).one()
    assert sent.payload == {
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": SHOPPER,
        "biz_opaque_callback_data": f"storechat:{message_id}",
        "type": "interactive", "interactive": {
            "type": "product_list", "header": {"type": "text", "text": "Linen and wool"},
            "body": {"text": "Here are the products we talked about."},
            "action": {"catalog_id": CATALOG_ID, "sections": [
                {"title": "Products", "product_items": [
                    {"product_retailer_id": first}, {"product_retailer_id": third}]}]}}}


def test_outside_the_window_products_are_refused_with_the_reason(
        inbox_world: InboxWorld) -> None:
    conversation = _stocked(inbox_world)
    with inbox_world.app.app_context(), db.transaction() as session:
        customer = session.scalars(select(Customer)).one()
        customer.last_inbound_at = db.utcnow() - timedelta(hours=25)
    page = _page(inbox_world, conversation)
    assert "Send products from the catalog" not in page
    assert "product cards wait until they answer" in page
    refused = _post(inbox_world, conversation, "reply", mode="products",
                    product=[f"sc-{inbox_world.store_id}-1"])
    assert "only lets an approved template reach them" in refused
    assert inbox_world.graph.sent == []


def test_nothing_chosen_or_a_kept_out_item_is_refused(inbox_world: InboxWorld) -> None:
    conversation = _stocked(inbox_world)
    nothing = _post(inbox_world, conversation, "reply", mode="products")
    assert "Choose at least one product to send." in nothing
    kept_out = f"sc-{inbox_world.store_id}-4"
    refused = _post(inbox_world, conversation, "reply", mode="products", product=[kept_out])
    assert f"These products cannot be offered: {kept_out} (kept out of the catalog" in refused
    assert inbox_world.graph.sent == []

"""Product messages: offer one shopper one catalog item, or up to 30 in up to 10 sections.

The message goes through the outbox like every other (plugin.pipeline.product_messages):
interactive inside the shopper's 24-hour window, else through an approved marketing
template with a catalog or multi-product button (and then only with their marketing
opt-in). What cannot be sent as asked is a 422 naming the field and why, in plain words:
an item not in the store's catalog, more than 30 products or 10 sections, a closed window
with no such template.
"""
from __future__ import annotations

from pydantic import Field, model_validator
from spectree import Tag
from sqlalchemy import select

from adapters.whatsapp.messages import ProductSection
from plugin.admin.api import access
from plugin.admin.api.base import blueprint, documented, spec
from plugin.admin.api.messages import MessageOut, message_out
from plugin.admin.api.paging import Strict
from plugin.admin.api.problems import ApiError, FieldError, ProblemCode
from plugin.infra import db
from plugin.models import Customer, Message, Store
from plugin.pipeline.product_messages import STEP, ProductMessageRefused, send_products

TAG = Tag(name="product messages", description="Catalog items offered to one shopper.")
# Bounds on the body's size only: WhatsApp's own limits (30 products, 10 sections) are
# checked by the pipeline, which says in plain words what is over.
MAX_IDS = 100
MAX_SECTIONS = 20
# The outbox cause of a message sent with an idempotency key (once per key and store).
API_CAUSE = "api:products:"


class ProductSectionIn(Strict):
    """A titled group of products (by the retailer ids of the store's catalog)."""

    title: str = Field(min_length=1, max_length=100, description="At most 24 characters.")
    retailer_ids: list[str] = Field(min_length=1, max_length=MAX_IDS)


class ProductMessageIn(Strict):
    """What to offer, and the words around it. Give `retailer_ids` or `sections`."""

    retailer_ids: list[str] | None = Field(
        default=None, min_length=1, max_length=MAX_IDS,
        description="One id: a single-product message; several: one section (≤ 30).")
    sections: list[ProductSectionIn] | None = Field(
        default=None, min_length=1, max_length=MAX_SECTIONS,
        description="Up to 10 titled sections, 30 products across them.")
    body: str = Field(default="", max_length=4096, description="The message text (≤ 1024; "
                      "required with several products).")
    header: str = Field(default="", max_length=200, description="≤ 60 characters; required "
                        "with several products.")
    footer: str = Field(default="", max_length=200, description="≤ 60 characters.")
    template: str | None = Field(default=None, min_length=1, max_length=512,
                                 description="The approved catalog or multi-product "
                                 "template to use outside the 24-hour window (else one is "
                                 "chosen).")
    template_parameters: list[str] = Field(default_factory=list, max_length=20,
                                           description="The template's body values.")
    idempotency_key: str | None = Field(default=None, min_length=1, max_length=64,
                                        pattern=r"^[A-Za-z0-9._:-]+$",
                                        description="The same key sends the message once.")

    @model_validator(mode="after")
    def _one_of(self) -> ProductMessageIn:
        if (self.retailer_ids is None) == (self.sections is None):
            raise ValueError("give retailer_ids or sections (one of them)")
        return self


@blueprint.post("/customers/<int:customer_id>/product-messages")
@spec.validate(resp=documented(MessageOut, status=201, write=True,
                               extra={"HTTP_200": MessageOut}),
               tags=[TAG], operation_id="sendProductMessage")
def send_product_message(customer_id: int, json: ProductMessageIn) -> tuple[MessageOut, int]:
    """Offer products to a customer

    201 with the message written to the outbox (its state follows as it is sent); 200 with
    the earlier one when `idempotency_key` was used before. Inside the customer's 24-hour
    window it is an interactive product message; outside it, an approved marketing template
    with a catalog or multi-product button carries the products."""
    session = db.session()
    customer = access.get_or_404(Customer, customer_id)
    store_id = access.store_id()
    store = session.get(Store, store_id)
    assert store is not None  # access found it among the caller's stores
    cause = f"{API_CAUSE}{json.idempotency_key}" if json.idempotency_key else None
    if cause is not None:
        earlier = session.scalar(select(Message.id).where(
            Message.store_id == store_id, Message.cause == cause, Message.step == STEP))
        if earlier is not None:
            return message_out(earlier), 200
    sections = [ProductSection(title=s.title, product_retailer_ids=list(s.retailer_ids))
                for s in json.sections or []]
    try:
        message = send_products(session, store, customer, retailer_ids=json.retailer_ids or (),
                                sections=sections, body=json.body, header=json.header,
                                footer=json.footer, template=json.template,
                                template_parameters=json.template_parameters, cause=cause)
    except ProductMessageRefused as refused:
        session.rollback()
        field = refused.field or "(body)"
        raise ApiError(ProblemCode.VALIDATION_FAILED, str(refused), errors=[FieldError(
            field=field, location="path" if field == "customer_id" else "body",
            message=str(refused))]) from None
    message_id = message.id
    session.commit()  # the send is queued once this commits (and may already have run)
    session.expire_all()  # so the answer shows the message as the send left it
    return message_out(message_id), 201

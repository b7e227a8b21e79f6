"""The Templates pages in the demo store's sandbox: the live check, a bad form answered 400
with nothing saved, the sandbox's delayed approval through the queue, drafts, tenancy; and
what the journey editor offers and warns about."""
from __future__ import annotations

import html
import io
import json
import time
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from plugin.demo import store as demo_store
from plugin.infra import db
from plugin.models import Customer, Owner, Store, Template, WhatsAppAccount
from plugin.platforms.whatsapp import authoring
from plugin.platforms.whatsapp.templates import sync_templates
from tests.conftest import create_owner, csrf_token, sign_in

FORM = {"name": "order_update", "language": "en", "category": "UTILITY",
        "style": "POSITIONAL", "header_kind": "text", "header_text": "Order {{1}}",
        "header_sample": "#1001", "body": "Hi {{1}}, your order {{2}} is on its way.",
        "sample_1": "Ana", "sample_2": "#1001", "footer": "Linen & Co",
        "button_1_kind": "quick_reply", "button_1_text": "Thanks!", "action": "submit"}


class Demo:
    """A signed-in owner with their demo store (no WhatsApp token: the sandbox)."""

    def __init__(self, app: Flask, client: FlaskClient) -> None:
        self.app, self.client = app, client
        create_owner(app, "owner@example.com")
        sign_in(client, "owner@example.com")
        with app.app_context(), db.transaction() as session:
            owner_id = session.scalars(select(Owner.id)).one()
            self.store_id = demo_store.get_or_create(session, owner_id).id
        self.base = f"/stores/{self.store_id}/templates"

    def post(self, path: str, form: dict[str, str]) -> Any:
        return self.client.post(path, data=dict(form, csrf_token=csrf_token(
            self.client, f"{self.base}/new")))

    def rows(self) -> dict[str, Template]:
        with self.app.app_context():
            return {t.name: t for t in db.session().scalars(select(Template).where(
                Template.store_id == self.store_id))}


@pytest.fixture
def demo(app: Flask, client: FlaskClient) -> Demo:
    return Demo(app, client)


def test_the_list_shows_each_template_with_its_status(demo: Demo) -> None:
    page = html.unescape(demo.client.get(demo.base).get_data(as_text=True))
    assert "order_confirmation" in page and "Approved" in page
    assert "templates.css" in page and 'id="sandbox-note"' in page
    assert demo.client.get(f"{demo.base}/new").status_code == 200


def test_the_check_answers_the_preview_and_each_problem_as_the_owner_types(demo: Demo) -> None:
    answer = demo.post(f"{demo.base}/check", FORM).json
    assert answer["errors"] == {}
    assert answer["variables"] == ["1", "2"] and answer["header_variables"] == ["1"]
    assert "Hi Ana, your order #1001 is on its way." in html.unescape(answer["html"])
    assert "Order #1001" in html.unescape(answer["html"])
    broken = dict(FORM, body="x" * 1030, footer="f" * 61, button_1_text="")
    errors = demo.post(f"{demo.base}/check", broken).json["errors"]
    assert "1030 characters" in errors["body"]
    assert "61 characters" in errors["footer"]
    assert "label" in errors["button_1_text"]
    assert demo.rows().get("order_update") is None  # checking saves nothing


def test_a_form_that_breaks_a_rule_is_400_and_saves_nothing(demo: Demo) -> None:
    before = set(demo.rows())
    response = demo.post(f"{demo.base}/new", dict(FORM, footer="f" * 61, sample_2=""))
    assert response.status_code == 400
    page = html.unescape(response.get_data(as_text=True))
    assert 'id="error-footer" data-error-for="footer">The footer has 61 characters' in page
    assert 'id="error-sample_2" data-error-for="sample_2">Give a sample value for {{2}}' in page
    assert set(demo.rows()) == before


def test_the_sandbox_approves_a_submitted_template_after_a_moment(demo: Demo) -> None:
    response = demo.post(f"{demo.base}/new", FORM)
    assert response.status_code == 303
    row = demo.rows()["order_update"]
    assert (row.status, row.source, row.meta_id) == ("PENDING", "app", None)
    assert row.submitted_at is not None
    # The approval is a delayed queue job, not a sleeping thread.
    huey = demo.app.extensions["storechat.huey"]
    [job] = huey.scheduled()
    assert job.name == "sandbox_template_review" and job.args == (row.id,)
    assert job.eta is not None
    with demo.app.app_context():
        authoring.sandbox_review(row.id)
    assert demo.rows()["order_update"].status == "APPROVED"
    statuses = demo.client.get(f"{demo.base}/statuses").json["templates"]
    assert {"id": row.id, "status": "APPROVED", "words": "Approved",
            "reason": ""} in statuses


def test_the_sweeper_requeues_a_sandbox_review_whose_job_was_lost(demo: Demo) -> None:
    demo.post(f"{demo.base}/new", FORM)
    row = demo.rows()["order_update"]
    huey = demo.app.extensions["storechat.huey"]
    huey.storage.flush_schedule()  # the delayed job is lost (a queue outage)
    with demo.app.app_context():
        assert authoring.enqueue_lost_reviews(row.submitted_at) == 0  # not overdue yet
        later = row.submitted_at + timedelta(seconds=1)
        # Inline jobs here: the requeued review runs at once.
        assert authoring.enqueue_lost_reviews(later) == 1
    assert demo.rows()["order_update"].status == "APPROVED"


def test_a_draft_is_kept_edited_then_submitted(demo: Demo) -> None:
    assert demo.post(f"{demo.base}/new", dict(FORM, action="save")).status_code == 303
    row = demo.rows()["order_update"]
    assert row.status == "DRAFT" and row.draft is not None
    page = html.unescape(demo.client.get(f"{demo.base}/{row.id}").get_data(as_text=True))
    assert "Hi {{1}}, your order {{2}} is on its way." in page
    changed = dict(FORM, name="order_news", body="Hello {{1}}, order {{2}} left today.")
    assert demo.post(f"{demo.base}/{row.id}", changed).status_code == 303
    row = demo.rows()["order_news"]  # a draft not yet at Meta may still be renamed
    assert row.status == "PENDING"
    assert row.components[1]["text"] == "Hello {{1}}, order {{2}} left today."
    # Once in review it can no longer change here.
    refused = demo.post(f"{demo.base}/{row.id}", changed)
    assert refused.status_code == 400
    assert "cannot be changed here" in html.unescape(refused.get_data(as_text=True))


def test_the_same_name_and_language_is_refused_on_the_name(demo: Demo) -> None:
    response = demo.post(f"{demo.base}/new", dict(FORM, name="order_confirmation"))
    assert response.status_code == 400
    assert "already has a template “order_confirmation” in en" in html.unescape(
        response.get_data(as_text=True))


def test_another_language_starts_from_the_same_template(demo: Demo) -> None:
    demo.post(f"{demo.base}/new", FORM)
    row = demo.rows()["order_update"]
    page = html.unescape(demo.client.get(f"{demo.base}/new?from={row.id}").get_data(True))
    assert 'value="order_update"' in page
    assert '<option value="en"' in page and '<option value="en" selected' not in page


def test_another_owners_templates_are_404(app: Flask, demo: Demo) -> None:
    demo.post(f"{demo.base}/new", FORM)
    row = demo.rows()["order_update"]
    other = app.test_client()
    create_owner(app, "other@example.com")
    sign_in(other, "other@example.com")
    with app.app_context(), db.transaction() as session:
        owner_id = session.scalars(select(Owner.id).where(
            Owner.email == "other@example.com")).one()
        mine = demo_store.get_or_create(session, owner_id).id
    for path in (demo.base, f"{demo.base}/new", f"{demo.base}/{row.id}",
                 f"{demo.base}/statuses"):
        assert other.get(path).status_code == 404, path
    # Their own store's id with my template's id is 404 too.
    assert other.get(f"/stores/{mine}/templates/{row.id}").status_code == 404
    token = csrf_token(other, f"/stores/{mine}/templates/new")
    assert other.post(f"{demo.base}/{row.id}", data=dict(
        FORM, csrf_token=token)).status_code == 404
    assert demo.rows()["order_update"].status == "PENDING"


def test_a_post_without_its_csrf_token_is_refused(demo: Demo) -> None:
    response = demo.client.post(f"{demo.base}/new", data=FORM)
    assert response.status_code == 400
    assert "order_update" not in demo.rows()


def test_the_templates_as_plain_values(demo: Demo) -> None:
    demo.post(f"{demo.base}/new", FORM)
    with demo.app.app_context():
        listed = authoring.template_dicts(db.session(), demo.store_id)
    mine = next(t for t in listed if t["name"] == "order_update")
    json.dumps(listed)  # plain values only
    assert {k: mine[k] for k in ("language", "category", "status", "source",
                                 "parameter_format", "variables")} == {
        "language": "en", "category": "UTILITY", "status": "PENDING", "source": "app",
        "parameter_format": "POSITIONAL", "variables": ["1", "2"]}


def test_a_sync_keeps_drafts_meta_does_not_know_yet(app: Flask, demo: Demo) -> None:
    demo.post(f"{demo.base}/new", dict(FORM, action="save"))

    class NoTemplates:
        def list_templates(self, waba_id: str, token: str) -> list[dict[str, Any]]:
            return []

    with app.app_context(), db.transaction() as session:
        account = WhatsAppAccount(store_id=demo.store_id, phone_number_id="1", waba_id="2",
                                  access_token="t")
        sync_templates(session, account, NoTemplates())  # type: ignore[arg-type]
    assert set(demo.rows()) == {"order_update"}  # the synced starters went, the draft stays


# The journey editor --------------------------------------------------------------------------

def _add(app: Flask, store_id: int, name: str, language: str, category: str = "UTILITY",
         status: str = "APPROVED") -> None:
    with app.app_context(), db.transaction() as session:
        session.add(Template(store_id=store_id, name=name, language=language, category=category,
                             status=status, components=[
                                 {"type": "BODY", "text": "Hi {{1}}, news about {{2}}."}]))


def test_the_journey_editor_offers_approved_templates_in_the_shoppers_languages(
        app: Flask, demo: Demo) -> None:
    _add(app, demo.store_id, "english_ok", "en")
    _add(app, demo.store_id, "english_pending", "en", status="PENDING")
    _add(app, demo.store_id, "french_only", "fr")
    _add(app, demo.store_id, "spanish_only", "es")
    editor = f"/stores/{demo.store_id}/automations/order_shipped"
    page = demo.client.get(editor).get_data(as_text=True)
    assert 'value="english_ok"' in page and 'value="order_shipped"' in page
    for hidden in ("english_pending", "french_only", "spanish_only"):
        assert f'value="{hidden}"' not in page
    # A shopper who writes in Spanish brings Spanish templates in.
    with app.app_context(), db.transaction() as session:
        session.add(Customer(store_id=demo.store_id, platform_id="es-1", tags=[], locale="es-MX"))
    page = demo.client.get(editor).get_data(as_text=True)
    assert 'value="spanish_only"' in page and 'value="french_only"' not in page


def test_a_marketing_template_for_an_order_update_is_warned_next_to_the_field(
        app: Flask, demo: Demo) -> None:
    _add(app, demo.store_id, "big_sale", "en", category="MARKETING")
    editor = f"/stores/{demo.store_id}/automations/order_shipped"
    form = {"template": "big_sale", "language": "en", "var_1": "first_name",
            "var_2": "order_number", "delay": "0", "delay_unit": "minutes", "enabled": "1",
            "csrf_token": csrf_token(demo.client, editor)}
    answer = demo.client.post(f"{editor}/preview", data=form).json
    assert "marketing template" in answer["category_warning"]
    assert demo.client.post(f"{editor}/preview", data=dict(
        form, template="order_shipped", var_3="carrier", var_4="tracking_number"
    )).json["category_warning"] == ""
    assert demo.client.post(editor, data=form).status_code == 303
    page = html.unescape(demo.client.get(editor).get_data(as_text=True))
    warning = page.split('id="category-warning"')[1][:400]
    assert "hidden" not in warning.split(">")[0] and "utility message" in warning


def test_a_store_with_a_number_gets_its_templates_reviewed_by_meta_not_the_sandbox(
        app: Flask, demo: Demo) -> None:
    with app.app_context(), db.transaction() as session:
        store = Store(platform="woocommerce", domain="https://shop.example", owner_id=session.
                      scalars(select(Owner.id)).one())
        session.add(store)
        session.flush()
        session.add(WhatsAppAccount(store_id=store.id, phone_number_id="1", waba_id="2",
                                    access_token="t"))
        assert authoring.account_for(session, store) is not None
        demo_row = session.get(Store, demo.store_id)
        assert authoring.account_for(session, demo_row) is None


class _Listing:
    """Meta's template list, read while the owner submits a template (the race a slow list
    call opens): `during` runs between the list being asked for and it arriving."""

    def __init__(self, listed: list[dict[str, Any]], during: Any = None) -> None:
        self.listed, self.during = listed, during

    def list_templates(self, waba_id: str, token: str) -> list[dict[str, Any]]:
        if self.during is not None:
            self.during()
        return self.listed


def _connect(app: Flask, store_id: int) -> WhatsAppAccount:
    return WhatsAppAccount(store_id=store_id, phone_number_id="1", waba_id="2",
                           access_token="t")


def test_a_sync_leaves_a_template_submitted_while_it_read_metas_list(
        app: Flask, demo: Demo) -> None:
    demo.post(f"{demo.base}/new", dict(FORM, action="save"))
    rejected = {"name": "order_update", "language": "en", "status": "REJECTED",
                "rejected_reason": "INVALID_FORMAT", "id": "m-1", "category": "UTILITY"}

    def owner_resubmits() -> None:
        with app.app_context(), db.transaction() as other:
            row = other.scalars(select(Template).where(
                Template.store_id == demo.store_id, Template.name == "order_update")).one()
            row.status, row.submitted_at = "PENDING", db.utcnow()

    with app.app_context(), db.transaction() as session:
        sync_templates(session, _connect(app, demo.store_id),
                       _Listing([rejected], owner_resubmits))  # type: ignore[arg-type]
    # Meta's answer predates the resubmission: it does not move the template back.
    assert demo.rows()["order_update"].status == "PENDING"
    # Submitted just now and not listed yet at all: kept, not deleted.
    with app.app_context(), db.transaction() as session:
        sync_templates(session, _connect(app, demo.store_id),
                       _Listing([]))  # type: ignore[arg-type]
    assert demo.rows()["order_update"].status == "PENDING"


def test_a_template_the_sandbox_approved_is_a_draft_once_a_number_is_connected(
        app: Flask, demo: Demo) -> None:
    demo.post(f"{demo.base}/new", FORM)  # submitted to the sandbox
    with app.app_context():
        authoring.sandbox_review(demo.rows()["order_update"].id)  # its delayed review
    assert demo.rows()["order_update"].status == "APPROVED"
    with app.app_context(), db.transaction() as session:
        row = session.scalars(select(Template).where(Template.name == "order_update")).one()
        row.submitted_at = db.utcnow() - timedelta(hours=1)
    with app.app_context(), db.transaction() as session:
        sync_templates(session, _connect(app, demo.store_id),
                       _Listing([]))  # type: ignore[arg-type]
    kept = demo.rows()["order_update"]
    # Meta never saw it: the owner's words stay, to be submitted for Meta's own review.
    assert kept.status == "DRAFT" and kept.draft is not None and kept.submitted_at is None


def test_a_sandbox_review_after_a_number_was_connected_leaves_a_draft_not_a_loop(
        app: Flask, demo: Demo) -> None:
    demo.post(f"{demo.base}/new", FORM)  # in the sandbox's review
    template_id = demo.rows()["order_update"].id
    with app.app_context(), db.transaction() as session:
        session.add(_connect(app, demo.store_id))
        session.get(Template, template_id).submitted_at = db.utcnow() - timedelta(hours=1)
    with app.app_context():
        authoring.sandbox_review(template_id)
        # Nothing pending is left for the sweeper to queue again and again.
        assert authoring.enqueue_lost_reviews(db.utcnow()) == 0
    assert demo.rows()["order_update"].status == "DRAFT"


def test_a_second_save_racing_the_first_is_refused_in_words(
        app: Flask, demo: Demo, monkeypatch: pytest.MonkeyPatch) -> None:
    """A double-clicked Save: both requests check the name is free before either commits;
    the unique (store, name, language) refuses the second, which was a 500. The second
    request is made blind to the first's row, as it is when their checks run together."""
    assert demo.post(f"{demo.base}/new", dict(FORM, action="save")).status_code == 303
    original = Session.scalars

    def blind_to_the_first(self: Session, statement: Any, *args: Any, **kwargs: Any) -> Any:
        result = original(self, statement, *args, **kwargs)
        text = str(statement)
        if text.startswith("SELECT templates.id") and "templates.name" in text:
            return original(self, select(Template.id).where(Template.id == -1))
        return result

    monkeypatch.setattr(Session, "scalars", blind_to_the_first)
    second = demo.post(f"{demo.base}/new", dict(FORM, action="save"))
    assert second.status_code == 400
    assert "already has a template" in html.unescape(second.get_data(as_text=True))
    monkeypatch.undo()
    assert len([n for n in demo.rows() if n == "order_update"]) == 1


def test_meta_approving_a_resubmission_before_it_commits_is_not_overwritten(
        app: Flask, demo: Demo) -> None:
    """Meta may approve an edited template and send the webhook while the resubmission's
    own transaction is still open: the approval must win over the PENDING written then."""
    import threading

    from plugin.domain.messaging import TemplateUpdate
    from plugin.pipeline.conversations import apply_template_update

    demo.post(f"{demo.base}/new", dict(FORM, action="save"))
    with app.app_context(), db.transaction() as session:
        session.add(_connect(app, demo.store_id))
        row = session.scalars(select(Template).where(Template.name == "order_update")).one()
        row.status, row.meta_id, row.reason = "REJECTED", "m-1", "INVALID_FORMAT"
    webhook_done = threading.Event()

    def webhook() -> None:
        with app.app_context(), db.transaction() as session:
            apply_template_update(session, TemplateUpdate(
                waba_id="2", name="order_update", language="en", event="APPROVED",
                field="message_template_status_update", at=int(time.time())))
        webhook_done.set()

    class ApprovesAtOnce:
        def edit_template(self, template_id: str, token: str, body: Any) -> None:
            threading.Thread(target=webhook, daemon=True).start()
            time.sleep(0.2)  # the webhook is processed (or waits) while we are open

    with app.app_context(), db.transaction() as session:
        row = session.scalars(select(Template).where(Template.name == "order_update")).one()
        store = session.get(Store, demo.store_id)
        assert authoring.submit(session, store, row, ApprovesAtOnce()) == "whatsapp"  # type: ignore[arg-type]
    assert webhook_done.wait(10)
    assert demo.rows()["order_update"].status == "APPROVED"


PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
IMAGE_FORM = dict(FORM, header_kind="image", action="save")


def _with_file(form: dict[str, str], data: bytes, name: str = "a.png") -> dict[str, Any]:
    return dict(form, header_file=(io.BytesIO(data), name))


def test_an_image_header_needs_a_sample_file_which_the_check_does_not_ask_for(
        demo: Demo) -> None:
    errors = demo.post(f"{demo.base}/check", IMAGE_FORM).json["errors"]
    assert "header_file" not in errors  # the preview posts no files; the save checks it
    # The sample's type is the server's reading of the file, never a posted value.
    refused = demo.post(f"{demo.base}/new", dict(IMAGE_FORM, header_media_type="image/png"))
    assert refused.status_code == 400
    page = html.unescape(refused.get_data(as_text=True))
    assert "Choose a JPEG or PNG image" in page.split('id="error-header_file"')[1][:300]
    assert 'type="file"' in page and 'accept="image/jpeg,image/png,video/mp4' in page
    assert demo.rows().get("order_update") is None


def test_the_sample_is_kept_with_the_draft_and_dropped_with_its_header(demo: Demo) -> None:
    saved = demo.post(f"{demo.base}/new", _with_file(IMAGE_FORM, PNG))  # type: ignore[arg-type]
    assert saved.status_code == 303, saved.get_data(as_text=True)
    row_id = demo.rows()["order_update"].id

    def stored() -> tuple[bytes | None, str | None]:
        with demo.app.app_context():
            data, kind = db.session().execute(select(
                Template.header_sample, Template.header_sample_type).where(
                Template.id == row_id)).one()
            return data, kind

    assert stored() == (PNG, "image/png")
    edit = f"{demo.base}/{row_id}"
    assert demo.post(edit, IMAGE_FORM).status_code == 303  # no new file: the kept one
    assert stored() == (PNG, "image/png")
    as_pdf = demo.post(edit, dict(IMAGE_FORM, header_kind="document"))
    assert as_pdf.status_code == 400  # a PNG is no PDF sample
    assert "Choose a PDF" in html.unescape(as_pdf.get_data(as_text=True))
    assert demo.post(edit, dict(IMAGE_FORM, header_kind="text")).status_code == 303
    assert stored() == (None, None)

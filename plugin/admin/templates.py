"""The Templates pages: the store's message templates with their review status (and Meta's
reason for a rejection), and an editor to write one, with a live phone preview and Meta's
limits checked as the owner types.

Routes (blueprint "templates_admin", every one behind the owner gate and scoped to the
caller's stores; another store's id answers 404):

    GET  /stores/<id>/templates                  the list (`index`)
    GET  /stores/<id>/templates/statuses         [{id, status, reason}] for the list to poll
    GET  /stores/<id>/templates/new[?from=<tid>] a new template (or another language of one)
    POST /stores/<id>/templates/new              save it, or save and submit it
    GET  /stores/<id>/templates/<tid>            edit one written here (fix a rejected one)
    POST /stores/<id>/templates/<tid>            save, or save and (re)submit it
    POST /stores/<id>/templates/check            preview and problems of the posted form

The server is the authority: a POST whose form breaks one of Meta's rules, or that Meta's
API refuses, answers 400 with each problem next to its field and saves nothing. The form is
multipart: a media header's sample file (`header_file`) is typed by its first bytes and
kept with the template, so a later save or resubmission needs no new file.
"""
from __future__ import annotations

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from adapters.whatsapp.errors import TemplateRefused
from plugin.admin.template_form import (
    BUTTON_ROWS,
    CATEGORY_WORDS,
    HEADER_WORDS,
    TemplateForm,
    blank_form,
    form_from_draft,
    read_form,
)
from plugin.auth import tenancy
from plugin.auth.guard import protect
from plugin.domain.errors import AccountError, SendError
from plugin.domain.template_drafts import (
    BUTTON_LABELS,
    Category,
    HeaderKind,
    TemplateDraft,
    VariableStyle,
    preview,
)
from plugin.domain.template_rules import (
    BODY_MAX,
    BUTTON_TEXT_MAX,
    FOOTER_MAX,
    HEADER_TEXT_MAX,
    LANGUAGES,
)
from plugin.domain.template_samples import (
    LARGEST_SAMPLE,
    MB,
    SAMPLE_MAX_BYTES,
    SAMPLE_TYPES,
    sample_problem,
    sniff,
)
from plugin.infra import db, ids
from plugin.models import Store, Template
from plugin.platforms.starters import starter_language
from plugin.platforms.whatsapp import authoring

blueprint = protect(Blueprint("templates_admin", __name__))

# An editor POST may carry a sample file as large as the largest kind allows, plus the form.
EDITOR_REQUEST_MAX = LARGEST_SAMPLE + MB
# How the editor names a stored sample's type.
SAMPLE_NAMES = {"image/jpeg": "JPEG image", "image/png": "PNG image", "video/mp4": "MP4 video",
                "application/pdf": "PDF"}

# Status words and the badge each gets on the list.
STATUS_WORDS = {"DRAFT": "Draft", "PENDING": "In review", "APPROVED": "Approved",
                "REJECTED": "Rejected", "PAUSED": "Paused", "DISABLED": "Disabled",
                "IN_APPEAL": "In appeal", "FLAGGED": "Flagged", "PENDING_DELETION": "Deleting",
                "LIMIT_EXCEEDED": "Over the limit", "ARCHIVED": "Archived"}


@blueprint.url_value_preprocessor
def _allow_samples(endpoint: str | None, values: dict[str, object] | None) -> None:
    # URL preprocessors run before every before_request hook, and those read the body (the
    # NUL check, CSRF): an editor POST may carry a sample file over the usual size cap.
    if endpoint in (f"{blueprint.name}.create", f"{blueprint.name}.update"):
        request.max_content_length = max(EDITOR_REQUEST_MAX,
                                         current_app.config["MAX_CONTENT_LENGTH"] or 0)


def _store(store_id: int) -> Store:
    return tenancy.get_or_404(Store, store_id)


def _template(store: Store, template_id: int) -> Template:
    row = db.session().scalars(tenancy.scoped(select(Template), Template).where(
        Template.store_id == store.id, Template.id == template_id)).first()
    if row is None:
        abort(404)
    return row


def _sandbox(store: Store) -> bool:
    return authoring.account_for(db.session(), store) is None


@blueprint.get("/stores/<int:store_id>/templates")
def index(store_id: int) -> ResponseReturnValue:
    """Every template of the store with its status, and Meta's reason when rejected."""
    store = _store(store_id)
    rows = authoring.template_dicts(db.session(), store.id)
    return render_template("templates/index.html", store=store, rows=rows,
                           words=STATUS_WORDS, sandbox=_sandbox(store),
                           editable=authoring.EDITABLE)


@blueprint.get("/stores/<int:store_id>/templates/statuses")
def statuses(store_id: int) -> ResponseReturnValue:
    """Each template's status and reason, for the list to follow a review as it happens."""
    store = _store(store_id)
    return jsonify(templates=[
        {"id": t["id"], "status": t["status"], "words": STATUS_WORDS.get(t["status"],
                                                                        t["status"]),
         "reason": t["reason"] or ""}
        for t in authoring.template_dicts(db.session(), store.id)])


def _editor(store: Store, form: TemplateForm, draft: TemplateDraft,
            row: Template | None = None, status: int = 200) -> ResponseReturnValue:
    locked = row is not None and bool(row.meta_id)  # Meta keys it by name and language
    return render_template(
        "templates/edit.html", store=store, form=form, row=row, locked=locked,
        shown=preview(draft), draft=draft, languages=LANGUAGES, categories=CATEGORY_WORDS,
        headers=HEADER_WORDS, button_kinds=BUTTON_LABELS, button_rows=BUTTON_ROWS,
        styles={VariableStyle.NUMBERED.value: "Numbered: {{1}}, {{2}}",
                VariableStyle.NAMED.value: "Named: {{first_name}}"},
        limits={"body": BODY_MAX, "footer": FOOTER_MAX, "header_text": HEADER_TEXT_MAX,
                "button": BUTTON_TEXT_MAX},
        sandbox=_sandbox(store), words=STATUS_WORDS,
        editable=row is None or row.status in authoring.EDITABLE,
        media=HeaderKind, authentication=Category.AUTHENTICATION.value,
        sample_accept=",".join(t for types in SAMPLE_TYPES.values() for t in types),
        sample_caps={k.value: cap // MB for k, cap in SAMPLE_MAX_BYTES.items()},
        sample_names=SAMPLE_NAMES,
    ), status


@blueprint.get("/stores/<int:store_id>/templates/new")
def new(store_id: int) -> ResponseReturnValue:
    """An empty editor, or one holding another template's draft for another language."""
    store = _store(store_id)
    source = ids.parse_row_id(request.args.get("from"))
    if source is not None:
        original = _template(store, source)
        if original.draft:
            draft = TemplateDraft.from_dict(original.draft)
            taken = {t.language for t in db.session().scalars(select(Template).where(
                Template.store_id == store.id, Template.name == draft.name))}
            language = next((code for code in LANGUAGES if code not in taken), "")
            draft = draft.renamed(language)
            return _editor(store, form_from_draft(draft), draft)
    form = blank_form(starter_language(store.locale))
    _, draft = read_form(form.values)
    return _editor(store, form, draft)


@blueprint.post("/stores/<int:store_id>/templates/new")
def create(store_id: int) -> ResponseReturnValue:
    """Save the new template (and submit it when asked); 400 with the errors otherwise."""
    return _save(_store(store_id), None)


@blueprint.get("/stores/<int:store_id>/templates/<int:template_id>")
def edit(store_id: int, template_id: int) -> ResponseReturnValue:
    """The editor with a template written here; a rejected one shows Meta's reason."""
    store = _store(store_id)
    row = _template(store, template_id)
    if row.draft is None:
        flash("This template was written in WhatsApp Manager: change it there, or write a new "
              "one here.", "error")
        return redirect(url_for(".index", store_id=store.id), 303)
    draft = TemplateDraft.from_dict(row.draft)
    return _editor(store, form_from_draft(draft), draft, row)


@blueprint.post("/stores/<int:store_id>/templates/<int:template_id>")
def update(store_id: int, template_id: int) -> ResponseReturnValue:
    """Save the changed template (and resubmit it when asked); 400 with the errors."""
    store = _store(store_id)
    return _save(store, _template(store, template_id))


def _posted_sample(posted: dict[str, str], row: Template | None) -> tuple[bytes | None, str]:
    """(the new sample file, or None; why it is refused, or ''), and `posted` given the
    sample's type as the server reads it: a new file's signature, else the stored one's."""
    posted.pop("header_media_type", None)  # never the browser's word
    try:
        kind = HeaderKind(posted.get("header_kind") or HeaderKind.NONE.value)
    except ValueError:
        return None, ""
    upload = request.files.get("header_file")
    if kind in SAMPLE_TYPES and upload is not None and upload.filename:
        data = upload.stream.read(SAMPLE_MAX_BYTES[kind] + 1)
        problem = sample_problem(kind, data)
        if problem:
            return None, problem
        posted["header_media_type"] = sniff(data)
        return data, ""
    if row is not None and row.header_sample_type:
        posted["header_media_type"] = row.header_sample_type
    return None, ""


def _save(store: Store, row: Template | None) -> ResponseReturnValue:
    posted = request.form.to_dict()
    if row is not None and row.meta_id:  # Meta keys it by name and language: they stay
        posted.update(name=row.name, language=row.language)
    sample, sample_error = _posted_sample(posted, row)
    form, draft = read_form(posted)
    if sample_error:
        form.errors["header_file"] = sample_error
    if row is not None and row.status not in authoring.EDITABLE:
        form.errors["form"] = (f"This template is {STATUS_WORDS.get(row.status, row.status)}"
                               " at WhatsApp and cannot be changed here.")
    if form.errors:
        return _editor(store, form, draft, row, 400)
    submitting = request.form.get("action") == "submit"
    try:
        with db.transaction() as session:
            owned = session.get(Store, store.id)
            target = session.get(Template, row.id) if row is not None else None
            saved = authoring.save_draft(session, owned, draft, target, sample)
            where = authoring.submit(session, owned, saved) if submitting else ""
    except authoring.DraftRefused as error:
        form.errors[error.field or "form"] = error.message
        return _editor(store, form, draft, row, 400)
    except TemplateRefused as error:
        form.errors[error.field or "form"] = f"WhatsApp refused the template: {error.reason}"
        return _editor(store, form, draft, row, 400)
    except AccountError as error:
        form.errors["form"] = (f"WhatsApp refused the access token ({error.reason}): connect "
                               "the number again, then submit.")
        return _editor(store, form, draft, row, 400)
    except SendError as error:
        form.errors["form"] = (f"WhatsApp did not answer ({error.reason}). Nothing was saved; "
                               "try again in a minute.")
        return _editor(store, form, draft, row, 502)
    if where == "sandbox":
        flash(f"“{draft.name}” ({draft.language}) is in review. This store has no WhatsApp "
              "number, so StoreChat's sandbox approves it in a few seconds.")
    elif where:
        flash(f"“{draft.name}” ({draft.language}) was sent to WhatsApp for review. Review "
              "usually takes minutes, at most a day; this page follows its status.")
    else:
        flash(f"Draft “{draft.name}” ({draft.language}) saved. Submit it when it is ready.")
    return redirect(url_for(".index", store_id=store.id, highlight=saved.id), 303)


@blueprint.post("/stores/<int:store_id>/templates/check")
def check(store_id: int) -> ResponseReturnValue:
    """The phone preview and Meta's problems for the posted form; nothing saved."""
    store = _store(store_id)
    form, draft = read_form(request.form)
    # The sample file is checked when the template is saved; the preview posts no files.
    form.errors.pop("header_file", None)
    html = render_template("templates/_phone.html", store=store, shown=preview(draft))
    return jsonify(html=html, errors=form.errors, variables=list(draft.body_variables()),
                   header_variables=list(draft.header_variables()),
                   counts={"body": len(draft.body), "footer": len(draft.footer),
                           "header_text": len(draft.header_text)})


def init_app(app: Flask) -> None:
    """Register the Templates pages."""
    app.register_blueprint(blueprint)

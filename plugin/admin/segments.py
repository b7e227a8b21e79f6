"""Segments in the admin: the store's saved filters with their audience, and the editor whose
count follows the owner's edits (a small script asks the count endpoint as they type; without
script the "Count" button does the same through the form).

`GET /stores/<id>/segments`, `GET|POST /stores/<id>/segments/new`,
`GET|POST /stores/<id>/segments/<segment id>`, `GET /stores/<id>/segments/count?…` (JSON).
"""
from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from sqlalchemy import select

from plugin.auth import tenancy
from plugin.auth.guard import protect
from plugin.domain import segments as domain
from plugin.infra import db
from plugin.models import CustomerTag, Segment, Store
from plugin.pipeline import segments

blueprint = protect(Blueprint("segments_admin", __name__))

# A segment's name, as the owner reads it in lists.
NAME_MAX = 120
# The form's fields that make the definition (the rest is the name and the buttons).
DEFINITION_FIELDS = ("match", "tags_include", "tags_exclude", "spend_min", "spend_max",
                     "orders_min", "orders_max", "last_order_within_days",
                     "last_order_before_days", "interaction_within_days",
                     "interaction_before_days", "countries", "languages", "consent_purpose")


def audience_json(audience: segments.Audience) -> dict[str, Any]:
    """The counts as the page's script and the API read them."""
    return {"matched": audience.matched, "reachable": audience.reachable,
            "left_out": [{"reason": reason, "label": domain.LEFT_OUT[reason], "count": n}
                         for reason, n in audience.left_out.items()]}


def _definition_form(source: Any) -> dict[str, Any]:
    return {name: source.get(name, "") for name in DEFINITION_FIELDS}


def _form_of(segment: Segment | None) -> dict[str, str]:
    """A stored definition as the editor's field values."""
    if segment is None:
        return {"match": domain.MATCH_ALL}
    data = domain.parse(segment.definition).to_json()
    return {name: ", ".join(value) if isinstance(value, list) else
            ("" if value is None else str(value)) for name, value in data.items()}


@blueprint.get("/stores/<int:store_id>/segments")
def index(store_id: int) -> ResponseReturnValue:
    """The store's segments, each with its audience now."""
    store = tenancy.get_or_404(Store, store_id)
    session = db.session()
    rows = list(session.scalars(select(Segment).where(Segment.store_id == store.id)
                                .order_by(Segment.name, Segment.id)))
    counted = [(s, segments.count(session, store.id, domain.parse(s.definition)))
               for s in rows]
    return render_template("customers/segments.html", store=store, segments=counted)


@blueprint.route("/stores/<int:store_id>/segments/new", methods=["GET", "POST"])
def new(store_id: int) -> ResponseReturnValue:
    """A new segment."""
    return _editor(tenancy.get_or_404(Store, store_id), None)


@blueprint.route("/stores/<int:store_id>/segments/<int:segment_id>", methods=["GET", "POST"])
def edit(store_id: int, segment_id: int) -> ResponseReturnValue:
    """Change a segment."""
    store = tenancy.get_or_404(Store, store_id)
    segment = tenancy.get_or_404(Segment, segment_id)
    if segment.store_id != store.id:
        abort(404)
    return _editor(store, segment)


def _editor(store: Store, segment: Segment | None) -> ResponseReturnValue:
    session = db.session()
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {**_definition_form(request.form), "name": request.form.get("name", "")}
        name = values["name"].strip()[:NAME_MAX]
        try:
            definition = domain.parse(_definition_form(request.form))
        except domain.DefinitionError as error:
            definition = None
            errors = {p.field: p.message for p in error.problems}
        if request.form.get("action") == "save":
            if not name:
                errors["name"] = "Give the segment a name."
            if definition is not None and not errors:
                segment = segment or Segment(store_id=store.id)
                segment.name, segment.definition = name, definition.to_json()
                segment.updated_at = db.utcnow()
                session.add(segment)
                session.commit()
                flash(f"Segment “{name}” saved.")
                return redirect(url_for("segments_admin.edit", store_id=store.id,
                                        segment_id=segment.id))
    else:
        values = {**_form_of(segment), "name": segment.name if segment else ""}
        definition = domain.parse(segment.definition) if segment else domain.Definition()
    audience = (segments.count(session, store.id, definition)
                if definition is not None else None)
    tags = list(session.scalars(select(CustomerTag.tag).where(CustomerTag.store_id == store.id)
                                .distinct().order_by(CustomerTag.tag)))
    return render_template("customers/segment_editor.html", store=store, segment=segment,
                           form={"values": values, "errors": errors}, audience=audience,
                           left_out=domain.LEFT_OUT, tags=tags,
                           purposes=domain.PURPOSES), 422 if errors else 200


@blueprint.get("/stores/<int:store_id>/segments/count")
def count(store_id: int) -> ResponseReturnValue:
    """The audience of the definition in the query string (the editor's live count); a
    definition with mistakes answers its field errors instead (200: while the owner is
    typing, a half-written field is an answer to show, not a failed request)."""
    store = tenancy.get_or_404(Store, store_id)
    try:
        definition = domain.parse(_definition_form(request.args))
    except domain.DefinitionError as error:
        return jsonify(errors={p.field: p.message for p in error.problems})
    return jsonify(audience_json(segments.count(db.session(), store.id, definition)))


def init_app(app: Flask) -> None:
    """Register the segment pages."""
    app.register_blueprint(blueprint)

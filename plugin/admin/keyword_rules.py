"""Keyword rules in the admin: the store's rules in order (move up/down, on/off, add, edit,
delete) and a tester that says which rule a sample message matches and what it would do.

`GET|POST /stores/<id>/automations/keywords` lists the rules and adds one;
`GET|POST …/keywords/<rule>` edits one; `POST …/keywords/<rule>/<up|down|toggle|delete>`;
`POST …/keywords/test` answers the tester, as JSON to the page's script (Accept:
application/json) or as the page again without it. The rules are
plugin.domain.keyword_rules'; they answer shoppers in plugin.pipeline.keyword_rules.
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
from plugin.domain import keyword_rules
from plugin.domain.keyword_rules import MATCH_LABELS, Match, Rule
from plugin.infra import db
from plugin.models import KeywordRule, Store
from plugin.pipeline.inbox import people
from plugin.pipeline.keyword_rules import matching_rule, rules_of

blueprint = protect(Blueprint("keyword_rules", __name__))
ACTIONS = ("up", "down", "toggle", "delete")


def _rule_of(store: Store, rule_id: int) -> KeywordRule:
    row = db.session().scalars(select(KeywordRule).where(
        KeywordRule.id == rule_id, KeywordRule.store_id == store.id)).first()
    if row is None:
        abort(404)
    return row


def _empty_values() -> dict[str, Any]:
    return {"match": Match.ANY.value, "words": "", "reply": "", "buttons": "", "tags": "",
            "assignee_id": "", "hand_over": False, "enabled": True}


def _values_of(rule: Rule) -> dict[str, Any]:
    return {"match": rule.match.value, "words": "\n".join(rule.words), "reply": rule.reply,
            "buttons": "\n".join(rule.buttons), "tags": ", ".join(rule.tags),
            "assignee_id": str(rule.assignee_id or ""), "hand_over": rule.hand_over,
            "enabled": rule.enabled}


def _read(form: Any) -> tuple[dict[str, Any], Rule, dict[str, str]]:
    """The posted form → (values to show again, the rule, errors of reading it)."""
    values = {name: form.get(name, "").strip() for name in
              ("match", "words", "reply", "buttons", "tags", "assignee_id")}
    values["reply"] = form.get("reply", "").strip("\r\n ")
    values["hand_over"] = form.get("hand_over") == "on"
    # An unticked box is not posted: "enabled_shown" says the form had the box.
    values["enabled"] = form.get("enabled") == "on" or not form.get("enabled_shown")
    errors: dict[str, str] = {}
    try:
        match = Match(values["match"])
    except ValueError:
        match, errors["match"] = Match.ANY, "Choose how the words are matched."
    words = ((values["words"],) if match is Match.REGEX and values["words"]
             else keyword_rules.split_words(values["words"]))
    assignee = values["assignee_id"]
    if assignee and not assignee.isdigit():
        errors["assignee_id"] = "Choose one of the store's people."
    rule = Rule(match=match, words=words, reply=values["reply"],
                buttons=tuple(b.strip() for b in values["buttons"].splitlines() if b.strip()),
                tags=tuple(dict.fromkeys(t.strip().lower() for t in values["tags"].split(",")
                                         if t.strip())),
                assignee_id=int(assignee) if assignee.isdigit() else None,
                hand_over=values["hand_over"], enabled=values["enabled"])
    return values, rule, errors


def _save(row: KeywordRule, rule: Rule) -> None:
    row.match, row.words, row.reply = rule.match.value, list(rule.words), rule.reply
    row.buttons, row.tags, row.assignee_id = list(rule.buttons), list(rule.tags), rule.assignee_id
    row.hand_over, row.enabled = rule.hand_over, rule.enabled


def _render(store: Store, *, values: dict[str, Any], errors: dict[str, str],
            editing: KeywordRule | None = None, sample: str = "",
            tested: dict[str, Any] | None = None) -> ResponseReturnValue:
    session = db.session()
    rows = rules_of(session, store.id)
    persons = people.assignable_people(session, store)
    names = {p.id: p.label for p in persons}
    listed = [{"row": row, "rule": row.rule(), "does": keyword_rules.describe(row.rule(), names)}
              for row in rows]
    status = 422 if errors else 200
    return render_template(
        "journeys/keyword_rules.html", store=store, rules=listed, editing=editing,
        people=persons, matches=MATCH_LABELS, form={"values": values, "errors": errors},
        sample=sample, tested=tested,
        full=len(rows) >= keyword_rules.RULES_MAX and editing is None,
        limits={"rules_max": keyword_rules.RULES_MAX, "text_max": keyword_rules.TEXT_MAX,
                "buttons_max": keyword_rules.BUTTONS_MAX,
                "choices_max": keyword_rules.CHOICES_MAX}), status


@blueprint.route("/stores/<int:store_id>/automations/keywords", methods=["GET", "POST"])
def page(store_id: int) -> ResponseReturnValue:
    """The store's rules in order; a POST adds one at the end."""
    store = tenancy.get_or_404(Store, store_id)
    if request.method == "GET":
        return _render(store, values=_empty_values(), errors={})
    session = db.session()
    values, rule, errors = _read(request.form)
    rows = rules_of(session, store.id)
    assignable = [p.id for p in people.assignable_people(session, store)]
    errors = {**keyword_rules.check(rule, assignable=assignable, count=len(rows) + 1), **errors}
    if errors:
        return _render(store, values=values, errors=errors)
    row = KeywordRule(store_id=store.id, position=(rows[-1].position + 1) if rows else 0)
    _save(row, rule)
    session.add(row)
    session.commit()
    flash("Keyword rule added.")
    return redirect(url_for("keyword_rules.page", store_id=store.id))


@blueprint.route("/stores/<int:store_id>/automations/keywords/<int:rule_id>",
                 methods=["GET", "POST"])
def edit(store_id: int, rule_id: int) -> ResponseReturnValue:
    """Read or change one rule."""
    store = tenancy.get_or_404(Store, store_id)
    row = _rule_of(store, rule_id)
    if request.method == "GET":
        return _render(store, values=_values_of(row.rule()), errors={}, editing=row)
    session = db.session()
    values, rule, errors = _read(request.form)
    assignable = [p.id for p in people.assignable_people(session, store)]
    count = len(rules_of(session, store.id))
    errors = {**keyword_rules.check(rule, assignable=assignable, count=count), **errors}
    if errors:
        return _render(store, values=values, errors=errors, editing=row)
    _save(row, rule)
    session.commit()
    flash("Keyword rule saved.")
    return redirect(url_for("keyword_rules.page", store_id=store.id))


@blueprint.route("/stores/<int:store_id>/automations/keywords/<int:rule_id>/<action>",
                 methods=["POST"])
def act(store_id: int, rule_id: int, action: str) -> ResponseReturnValue:
    """Move a rule up or down, turn it on or off, or delete it."""
    store = tenancy.get_or_404(Store, store_id)
    if action not in ACTIONS:
        abort(404)
    row = _rule_of(store, rule_id)
    session = db.session()
    if action == "toggle":
        row.enabled = not row.enabled
    elif action == "delete":
        session.delete(row)
    else:
        rows = rules_of(session, store.id)
        at = rows.index(row)
        other = at - 1 if action == "up" else at + 1
        if 0 <= other < len(rows):
            rows[at], rows[other] = rows[other], rows[at]
        for position, each in enumerate(rows):  # renumbered: equal positions cannot tie
            each.position = position
    session.commit()
    return redirect(url_for("keyword_rules.page", store_id=store.id) + f"#rule-{rule_id}"
                    if action != "delete" else url_for("keyword_rules.page", store_id=store.id))


@blueprint.route("/stores/<int:store_id>/automations/keywords/test", methods=["POST"])
def test(store_id: int) -> ResponseReturnValue:
    """Which rule a sample message matches and what it would do."""
    store = tenancy.get_or_404(Store, store_id)
    session = db.session()
    sample = request.form.get("sample", "")[:keyword_rules.TEXT_MAX]
    rule = matching_rule(session, store.id, sample)
    names = {p.id: p.label for p in people.assignable_people(session, store)}
    position = next((i for i, row in enumerate(rules_of(session, store.id), 1)
                     if rule is not None and row.id == rule.id), None)
    tested = {"matched": rule is not None, "rule_id": rule.id if rule else None,
              "position": position,
              "does": keyword_rules.describe(rule, names) if rule else [],
              "summary": (f"Rule {position} matches." if rule else
                          "No rule matches: the greeting or away message would answer, "
                          "if they are on.")}
    if request.accept_mimetypes.best == "application/json":
        return jsonify(tested)
    return _render(store, values=_empty_values(), errors={}, sample=sample, tested=tested)


def init_app(app: Flask) -> None:
    """Register the keyword rules page."""
    app.register_blueprint(blueprint)

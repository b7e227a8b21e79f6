"""The keyword rules page: add, edit, reorder, turn off and delete rules; bad input refused
with the field named (an empty rule, a regex RE2 refuses, a 101st rule, a reply over 4,096
characters, a fourth button, a stranger as assignee); the tester with and without script;
another store's rules 404."""
from __future__ import annotations

import html

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from plugin.infra import db
from plugin.models import KeywordRule
from tests.admin.test_customers import page_of
from tests.admin.test_journeys import make_store
from tests.conftest import create_owner, csrf_token, sign_in
from tests.worlds.keyword_rules import add_rule


def form(csrf: str, **changes: str) -> dict[str, str]:
    values = {"csrf_token": csrf, "match": "any", "words": "shipping, envío\ndelivery",
              "reply": "We ship in 2 days.", "buttons": "", "tags": "Shipping, pre-sale",
              "assignee_id": "", "enabled": "on", "enabled_shown": "1"}
    return {**values, **changes}


def rules(app: Flask) -> list[tuple[str, list[str], bool]]:
    with app.app_context():
        return [(row.reply, row.words, row.enabled) for row in db.session().scalars(
            select(KeywordRule).order_by(KeywordRule.position, KeywordRule.id))]


def test_the_owner_adds_edits_reorders_turns_off_and_deletes(app: Flask,
                                                            owner: FlaskClient) -> None:
    store_id = make_store(app)
    url = f"/stores/{store_id}/automations/keywords"
    assert "No rules yet" in page_of(owner, url)
    csrf = csrf_token(owner, url)
    assert owner.post(url, data=form(csrf)).status_code == 302
    assert owner.post(url, data=form(csrf, match="regex", words=r"order\s*#?\d+",
                                     reply="Looking it up.", tags="")).status_code == 302
    assert rules(app) == [("We ship in 2 days.", ["shipping", "envío", "delivery"], True),
                          ("Looking it up.", [r"order\s*#?\d+"], True)]
    with app.app_context():
        first, second = db.session().scalars(select(KeywordRule.id).order_by(
            KeywordRule.position)).all()
        assert db.session().get(KeywordRule, first).tags == ["shipping", "pre-sale"]
    page = page_of(owner, url)
    assert "Any of these words:</strong> shipping, envío, delivery" in page
    assert "Tag the customer and conversation: shipping, pre-sale" in page
    owner.post(f"{url}/{second}/up", data={"csrf_token": csrf})
    assert [r[0] for r in rules(app)] == ["Looking it up.", "We ship in 2 days."]
    owner.post(f"{url}/{second}/down", data={"csrf_token": csrf})
    assert [r[0] for r in rules(app)] == ["We ship in 2 days.", "Looking it up."]
    owner.post(f"{url}/{first}/toggle", data={"csrf_token": csrf})
    assert rules(app)[0][2] is False
    edit = f"{url}/{second}"
    assert r"order\s*#?\d+" in page_of(owner, edit)
    assert owner.post(edit, data=form(csrf, match="exact", words="where is my order",
                                      reply="Send your order number.")).status_code == 302
    assert rules(app)[1] == ("Send your order number.", ["where is my order"], True)
    owner.post(f"{url}/{first}/delete", data={"csrf_token": csrf})
    assert [r[0] for r in rules(app)] == ["Send your order number."]


def test_bad_input_is_refused_and_nothing_saved(app: Flask, owner: FlaskClient) -> None:
    store_id = make_store(app)
    stranger = create_owner(app, "stranger@example.com")
    url = f"/stores/{store_id}/automations/keywords"
    csrf = csrf_token(owner, url)
    for changes, words in (
            ({"words": " , \n"}, "Write at least one word"),
            ({"words": "😀"}, "Write at least one word"),
            ({"reply": "", "tags": ""}, "A rule must do something"),
            ({"match": "regex", "words": r"(a)\1"}, "This regular expression cannot be used"),
            ({"match": "regex", "words": "(?=lookahead)"}, "no back-references or look"),
            ({"match": "regex", "words": "(unclosed"}, "missing )"),
            ({"reply": "x" * 4097}, "The reply is 4,097 characters long"),
            ({"buttons": "\n".join("ABCDEFGHIJK")}, "At most 10 choices"),
            ({"buttons": "A title far too long for WhatsApp"}, "at most 20 characters"),
            ({"tags": "bad!tag"}, "Tag 'bad!tag'"),
            ({"assignee_id": str(stranger)}, "Choose one of the store's people"),
            ({"match": "fuzzy"}, "Choose how the words are matched")):
        response = owner.post(url, data=form(csrf, **changes))
        assert response.status_code == 422, changes
        assert words in html.unescape(response.get_data(as_text=True)), changes
    assert rules(app) == []


def test_a_store_holds_at_most_100_rules(app: Flask, owner: FlaskClient) -> None:
    store_id = make_store(app)
    for n in range(100):
        add_rule(app, store_id, [f"w{n}"], reply=f"r{n}")
    url = f"/stores/{store_id}/automations/keywords"
    page = page_of(owner, url)
    assert "the most it can have" in page and 'id="rule-form"' not in page
    response = owner.post(url, data=form(csrf_token(owner, url)))
    assert response.status_code == 422
    assert "at most 100 keyword rules" in response.get_data(as_text=True)
    assert len(rules(app)) == 100


def test_the_tester_names_the_first_matching_rule(app: Flask, owner: FlaskClient) -> None:
    store_id = make_store(app)
    add_rule(app, store_id, ["refund"], reply="Refunds take 5 days.")
    rule_id = add_rule(app, store_id, ["envío"], reply="Enviamos en 2 días.", tags=["shipping"],
                       hand_over=True)
    add_rule(app, store_id, ["envio"], reply="Never reached.")
    url = f"/stores/{store_id}/automations/keywords"
    csrf = csrf_token(owner, url)
    answer = owner.post(f"{url}/test", data={"csrf_token": csrf, "sample": "¿ENVIO gratis?"},
                        headers={"Accept": "application/json"})
    assert answer.status_code == 200
    assert answer.get_json() == {
        "matched": True, "rule_id": rule_id, "position": 2, "summary": "Rule 2 matches.",
        "does": ["Reply: Enviamos en 2 días.", "Tag the customer and conversation: shipping",
                 "Hand over to a person (automatic answers go quiet)"]}
    # Without script the form posts and the page answers.
    page = html.unescape(owner.post(f"{url}/test", data={
        "csrf_token": csrf, "sample": "hello"}).get_data(as_text=True))
    assert "No rule matches" in page
    assert 'id="tester-result" aria-live="polite">' in page


def test_another_stores_rules_are_not_found(app: Flask, client: FlaskClient) -> None:
    create_owner(app, "owner@example.com")
    create_owner(app, "other@example.com")
    mine = make_store(app)
    theirs = make_store(app, email="other@example.com")
    rule_id = add_rule(app, theirs, ["secret"], reply="Theirs.")
    sign_in(client, "owner@example.com")
    url = f"/stores/{mine}/automations/keywords"
    csrf = csrf_token(client, url)
    assert client.get(f"/stores/{theirs}/automations/keywords").status_code == 404
    assert client.get(f"{url}/{rule_id}").status_code == 404
    for action in ("up", "toggle", "delete"):
        assert client.post(f"{url}/{rule_id}/{action}",
                           data={"csrf_token": csrf}).status_code == 404
    assert rules(app) == [("Theirs.", ["secret"], True)]

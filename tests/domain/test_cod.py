"""The pure COD rules: payloads, the first answer winning, actions, statuses and words."""
from __future__ import annotations

import pytest

from plugin.domain import cod
from plugin.domain.cod import Action, Answer


def test_payloads_round_trip_and_strangers_are_not_ours() -> None:
    payload = cod.payload_for(Answer.CONFIRM, "450789469")
    assert payload == "storechat:cod:confirm:450789469"
    assert cod.parse_payload(payload) == cod.CodReply(answer=Answer.CONFIRM, order_id="450789469")
    assert cod.parse_payload("storechat:cod:cancel:101") == cod.CodReply(
        answer=Answer.CANCEL, order_id="101")
    for other in ("", "STOP", "storechat:cod:maybe:1", "storechat:cod:confirm:",
                  "storechat:cod:confirm", "other:cod:confirm:1",
                  "storechat:cod:confirm:" + "9" * 65):
        assert cod.parse_payload(other) is None, other


def test_only_an_asked_order_takes_an_answer_and_only_the_first() -> None:
    assert cod.answered_state("asked", Answer.CONFIRM) == "confirmed"
    assert cod.answered_state("asked", Answer.CANCEL) == "cancelled"
    for state in (None, "confirmed", "cancelled"):
        assert cod.answered_state(state, Answer.CONFIRM) is None
        assert cod.answered_state(state, Answer.CANCEL) is None


@pytest.mark.parametrize(("state", "on_cancel", "action"), [
    ("confirmed", None, Action.CONFIRM),
    ("confirmed", "cancel", Action.CONFIRM),
    ("cancelled", None, Action.MARK_CANCELLED),
    ("cancelled", "tag", Action.MARK_CANCELLED),
    ("cancelled", "something new", Action.MARK_CANCELLED),  # the reversible choice
    ("cancelled", "cancel", Action.CANCEL),
    ("asked", "cancel", None),
    (None, None, None),
])
def test_the_action_follows_the_answer_and_the_owners_choice(
        state: str | None, on_cancel: str | None, action: Action | None) -> None:
    assert cod.action_for(state, on_cancel) is action


def test_tags_notes_and_steps() -> None:
    assert cod.tag_for(Action.CONFIRM) == "storechat-cod-confirmed"
    assert cod.tag_for(Action.CANCEL) == cod.tag_for(Action.MARK_CANCELLED) == \
        "storechat-cod-cancelled"
    assert cod.owner_note(Action.CONFIRM).startswith("[storechat-cod-confirmed] ")
    assert "StoreChat cancelled it" in cod.owner_note(Action.CANCEL)
    assert "Cancel it when you are ready" in cod.owner_note(Action.MARK_CANCELLED)
    assert cod.reply_step(Answer.CONFIRM) == "cod_confirmed_reply"
    assert cod.reply_step(Answer.CANCEL) == "cod_cancelled_reply"


@pytest.mark.parametrize(("locales", "language"), [
    (("es_MX", "en"), "es"),
    (("pt-PT",), "pt_BR"),
    (("pt_BR",), "pt_BR"),
    ((None, "hi-IN"), "hi"),
    (("in",), "id"),
    (("ar_EG",), "ar"),
    (("nl", "id_ID"), "id"),  # no Dutch words: the store's language next
    (("nl", None), "en"),
    ((), "en"),
])
def test_the_reply_language(locales: tuple[str | None, ...], language: str) -> None:
    assert cod.reply_language(*locales) == language


def test_every_language_has_both_replies_with_the_order_number() -> None:
    assert set(cod.THANK_YOU) == {"en", "es", "pt_BR", "hi", "id", "ar"}
    for language in cod.THANK_YOU:
        for answer in Answer:
            text = cod.thank_you(answer, language, "1001")
            assert "#1001" in text and "{" not in text
    assert cod.thank_you(Answer.CONFIRM, "en", "#1001").count("#") == 1
    assert cod.thank_you(Answer.CANCEL, "fr", "7") == cod.thank_you(Answer.CANCEL, "en", "7")
    assert "confirmado" in cod.thank_you(Answer.CONFIRM, "es", "1")
    assert "cancelado" in cod.thank_you(Answer.CANCEL, "pt_BR", "1")


"""Keyword matching on its own: whole words only, all/any/exact, case and accents folded,
only the first 4,096 characters read, RE2 refusing what would backtrack."""
from __future__ import annotations

from plugin.domain import keyword_rules
from plugin.domain.keyword_rules import Match, Rule


def first(text: str, *rules: Rule) -> int | None:
    found = keyword_rules.first_match([keyword_rules.prepare(r) for r in rules], text)
    return found.id if found else None


def test_words_match_whole_words_in_any_case_and_accent() -> None:
    hi = Rule(id=1, words=("hi", "olá"), reply="x")
    assert first("Hi!", hi) == 1
    assert first("OLA, tudo bem?", hi) == 1
    assert first("this and that", hi) is None  # "hi" inside "this" is not the word


def test_all_exact_and_phrases() -> None:
    both = Rule(id=1, match=Match.ALL, words=("size", "blue"), reply="x")
    exact = Rule(id=2, match=Match.EXACT, words=("Where is my order",), reply="x")
    phrase = Rule(id=3, words=("free shipping",), reply="x")
    assert first("Blue in SIZE M?", both) == 1 and first("size M?", both) is None
    assert first("where is my order?!", exact) == 2
    assert first("so where is my order", exact) is None
    assert first("Is there FREE   shipping", phrase) == 3
    assert first("free, fast shipping", phrase) is None


def test_an_off_rule_is_skipped_and_the_first_on_rule_wins() -> None:
    off = Rule(id=1, enabled=False, words=("hello",), reply="x")
    rules = [Rule(id=n, words=("hello",), reply="x") for n in range(2, 52)]
    assert first("hello", off, *rules) == 2


def test_only_the_first_4096_characters_are_read() -> None:
    late = Rule(id=1, words=("refund",), reply="x")
    assert first("a " * 2048 + "refund", late) is None
    assert first("refund " + "a" * 5000, late) == 1


def test_re2_refuses_backtracking_patterns_on_save() -> None:
    for pattern in (r"(a)\1", r"(?=a)b", r"(?<!a)b"):
        errors = keyword_rules.check(Rule(match=Match.REGEX, words=(pattern,), reply="x"),
                                     assignable=[], count=1)
        assert "cannot be used" in errors["words"], pattern
    fine = Rule(id=1, match=Match.REGEX, words=(r"(a+)+$",), reply="x")
    assert keyword_rules.check(fine, assignable=[], count=1) == {}
    assert first("a" * 4096, fine) == 1
    assert first("a" * 4095 + "b", fine) is None


def test_limits_are_refused_by_field() -> None:
    rule = Rule(words=("x",), reply="y" * 4097, buttons=tuple("ABCDEFGHIJK"),
                tags=("Bad!",), assignee_id=9)
    errors = keyword_rules.check(rule, assignable=[1], count=101)
    assert set(errors) == {"words", "reply", "buttons", "tags", "assignee_id"}


def test_more_than_three_choices_make_a_list_with_its_own_limits() -> None:
    rule = Rule(words=("size",), reply="Which size?", buttons=("XS", "S", "M", "L", "XL"))
    assert keyword_rules.check(rule, assignable=[], count=1) == {}
    long_row = Rule(words=("size",), reply="Which size?",
                    buttons=("S", "M", "L", "A row title of 25 letters"))
    assert keyword_rules.check(long_row, assignable=[], count=1) == {
        "buttons": "A choice's title is at most 24 characters (in a list)."}
    long_body = Rule(words=("size",), reply="x" * 1025, buttons=("S", "M"))
    assert keyword_rules.check(long_body, assignable=[], count=1) == {
        "reply": "With choices, the reply is at most 1,024 characters (this one has 1,025)."}


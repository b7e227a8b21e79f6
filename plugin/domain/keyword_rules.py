"""Keyword rules: when a shopper's text matches a rule's words, the rule answers (a text or
reply buttons), tags, assigns or hands over. Only the first matching rule, in the owner's
order, acts.

Matching is case- and accent-insensitive ("É" matches "e"): the message and the rule's words
are both folded the same way before they are compared, whatever the language. A regular
expression runs on RE2 (google-re2), which matches in time linear in the text and refuses
what needs backtracking (back-references, look-arounds), so `(a+)+$` cannot hang a worker;
the text matched is capped at WhatsApp's 4,096 characters besides.
"""
from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import re2

# A store's rules, at most: each inbound text is matched against all of them.
RULES_MAX = 100
# WhatsApp's text body limit: a reply is at most this long, and an inbound text is matched
# on at most this many characters.
TEXT_MAX = 4096
BUTTONS_MAX = 3  # WhatsApp's reply-buttons message
BUTTON_TITLE_MAX = 20
# More choices than buttons go out as a list message: up to 10 rows of 24 characters, under
# a body of at most 1,024 characters (any interactive message's).
CHOICES_MAX = 10
ROW_TITLE_MAX = 24
INTERACTIVE_BODY_MAX = 1024
WORDS_MAX = 50
WORD_MAX = 100
PATTERN_MAX = 500
# RE2's memory budget for one compiled pattern: a pattern that needs more is refused on save.
PATTERN_MEMORY = 1 << 20
TAG = re.compile(r"[a-z0-9][a-z0-9 _-]{0,29}")  # as the inbox's conversation tags
TAGS_MAX = 5
WORD = re.compile(r"\w+")


class Match(str, enum.Enum):
    """How a rule's words are compared with the message."""

    ANY = "any"  # any of these words (or phrases)
    ALL = "all"  # all of these words, in any order
    EXACT = "exact"  # the whole message is one of these phrases
    REGEX = "regex"  # a regular expression (RE2) anywhere in the message


MATCH_LABELS = {Match.ANY: "Any of these words", Match.ALL: "All of these words",
                Match.EXACT: "Exactly this message", Match.REGEX: "Regular expression"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule:
    """One rule as the owner saved it (id 0 for one not saved yet)."""

    id: int = 0
    enabled: bool = True
    match: Match = Match.ANY
    words: tuple[str, ...] = ()  # the words or phrases; for REGEX, one pattern
    reply: str = ""
    buttons: tuple[str, ...] = ()  # reply button titles under `reply`
    tags: tuple[str, ...] = ()
    assignee_id: int | None = None
    hand_over: bool = False

    @property
    def pattern(self) -> str:
        """The regular expression of a REGEX rule ('' for the others)."""
        return self.words[0] if self.match is Match.REGEX and self.words else ""


@dataclass(frozen=True, slots=True)
class Matcher:
    """A rule made ready to match: its words folded, its pattern compiled once."""

    rule: Rule
    phrases: tuple[str, ...] = ()
    regex: object | None = field(default=None)

    def matches(self, folded: str, padded: str) -> bool:
        """Whether the message (folded whole, and as " word word ") matches the rule."""
        rule = self.rule
        if rule.match is Match.REGEX:
            return self.regex is not None and self.regex.search(folded) is not None  # type: ignore[attr-defined]
        if rule.match is Match.EXACT:
            return padded.strip() in self.phrases
        found = (f" {phrase} " in padded for phrase in self.phrases)
        return any(found) if rule.match is Match.ANY else all(found)


def fold(text: str) -> str:
    """`text` without case or accents ("Éxito" → "exito"), for comparing."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if unicodedata.category(c) != "Mn"))


def words_of(text: str) -> str:
    """A text folded to its words, one space between and around them (" where is it ")."""
    return " " + " ".join(WORD.findall(fold(text))) + " "


def _compile(pattern: str) -> object:
    """The RE2 program of `pattern`, case- and accent-insensitive; re2.error if refused."""
    options = re2.Options()
    options.case_sensitive = False
    options.max_mem = PATTERN_MEMORY
    options.log_errors = False  # a refused pattern is the owner's to fix, not a log line
    # Accents are folded away from the text, so from the pattern too ("café" finds "cafe").
    return re2.compile(_strip_accents(pattern), options)


def _why(refused: Exception) -> str:
    """RE2's reason for refusing a pattern, as text (it gives bytes)."""
    reason = refused.args[0] if refused.args else "not a valid pattern"
    return reason.decode(errors="replace") if isinstance(reason, bytes) else str(reason)


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if unicodedata.category(c) != "Mn"))


# Rules are frozen values: a rule unchanged since the last message is not compiled again.
@lru_cache(maxsize=4096)
def prepare(rule: Rule) -> Matcher:
    """The rule ready to match; a pattern RE2 refuses never matches (it was refused on save)."""
    if rule.match is Match.REGEX:
        try:
            return Matcher(rule, regex=_compile(rule.pattern))
        except re2.error:
            return Matcher(rule)
    phrases = tuple(p for p in (words_of(w).strip() for w in rule.words) if p)
    return Matcher(rule, phrases=phrases)


def first_match(matchers: Iterable[Matcher], text: str) -> Rule | None:
    """The first enabled rule `text` matches (only its first TEXT_MAX characters count)."""
    capped = text[:TEXT_MAX]
    folded, padded = _strip_accents(capped), words_of(capped)
    if not padded.strip() and not folded.strip():
        return None
    for matcher in matchers:
        if matcher.rule.enabled and matcher.matches(folded, padded):
            return matcher.rule
    return None


def split_words(raw: str) -> tuple[str, ...]:
    """The words or phrases an owner typed, one per line or separated by commas."""
    return tuple(w.strip() for w in re.split(r"[\n,]", raw) if w.strip())


def check(rule: Rule, *, assignable: Sequence[int], count: int) -> dict[str, str]:
    """What is wrong with `rule`, by form field (empty when it can be saved); `count` is how
    many rules the store would have with it."""
    errors: dict[str, str] = {}
    if count > RULES_MAX:
        errors["words"] = f"A store has at most {RULES_MAX} keyword rules: delete one first."
    if rule.match is Match.REGEX:
        if len(rule.words) != 1 or not rule.pattern.strip():
            errors["words"] = "Write one regular expression."
        elif len(rule.pattern) > PATTERN_MAX:
            errors["words"] = f"A regular expression is at most {PATTERN_MAX} characters."
        else:
            try:
                _compile(rule.pattern)
            except re2.error as refused:
                errors["words"] = (f"This regular expression cannot be used: {_why(refused)}. "
                                   "Keyword rules run RE2, which has no back-references or "
                                   "look-arounds (they can take forever on a long message).")
    elif not any(words_of(w).strip() for w in rule.words):
        errors["words"] = ("Write at least one word with a letter or digit (one per line or "
                           "separated by commas).")
    elif len(rule.words) > WORDS_MAX or any(len(w) > WORD_MAX for w in rule.words):
        errors["words"] = f"At most {WORDS_MAX} words or phrases of {WORD_MAX} characters each."
    if len(rule.reply) > TEXT_MAX:
        errors["reply"] = (f"The reply is {len(rule.reply):,} characters long; WhatsApp takes "
                           f"at most {TEXT_MAX:,}.")
    title_max = BUTTON_TITLE_MAX if len(rule.buttons) <= BUTTONS_MAX else ROW_TITLE_MAX
    if len(rule.buttons) > CHOICES_MAX:
        errors["buttons"] = (f"At most {CHOICES_MAX} choices: up to {BUTTONS_MAX} show as "
                             "buttons, more as a list.")
    elif any(len(b) > title_max for b in rule.buttons):
        shown = "as buttons" if title_max == BUTTON_TITLE_MAX else "in a list"
        errors["buttons"] = f"A choice's title is at most {title_max} characters ({shown})."
    elif len(set(b.casefold() for b in rule.buttons)) != len(rule.buttons):
        errors["buttons"] = "Give each choice a different title."
    elif rule.buttons and not rule.reply.strip():
        errors["reply"] = "Choices need a reply text above them."
    elif rule.buttons and len(rule.reply) > INTERACTIVE_BODY_MAX:
        errors["reply"] = (f"With choices, the reply is at most {INTERACTIVE_BODY_MAX:,} "
                           f"characters (this one has {len(rule.reply):,}).")
    bad = [t for t in rule.tags if not TAG.fullmatch(t)]
    if bad:
        errors["tags"] = (f"Tag {bad[0][:40]!r}: use lower-case letters, digits, spaces, - or _ "
                          "(30 at most).")
    elif len(rule.tags) > TAGS_MAX:
        errors["tags"] = f"A rule adds at most {TAGS_MAX} tags."
    if rule.assignee_id is not None and rule.assignee_id not in assignable:
        errors["assignee_id"] = "Choose one of the store's people."
    if not (rule.reply.strip() or rule.tags or rule.assignee_id or rule.hand_over):
        errors.setdefault("reply", "A rule must do something: reply, tag, assign or hand over.")
    return errors


def describe(rule: Rule, people: dict[int, str]) -> list[str]:
    """What the rule does, in words the owner reads (the tester's answer)."""
    actions = []
    if rule.reply.strip():
        actions.append(f"Reply: {rule.reply}" + (f" [buttons: {', '.join(rule.buttons)}]"
                                                  if rule.buttons else ""))
    if rule.tags:
        actions.append(f"Tag the customer and conversation: {', '.join(rule.tags)}")
    if rule.assignee_id is not None:
        actions.append(f"Assign to {people.get(rule.assignee_id, 'a person no longer here')}")
    if rule.hand_over:
        actions.append("Hand over to a person (automatic answers go quiet)")
    return actions

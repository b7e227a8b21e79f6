"""Local stand-ins for a plugged intent detector (a language model, later), loaded through
STORECHAT_INTENT_DETECTOR="tests.worlds.intent_detectors:<factory>". No network: each reads
a few phrases the keyword detector does not know, and remembers what it was asked."""
from __future__ import annotations

from plugin.config import Settings
from plugin.domain.assistant import Action, Intent, Reading

# Phrases this "model" understands (German: not one of the starter languages' keywords).
PHRASES = {"wo ist meine bestellung": Intent.WISMO, "ich möchte stornieren": Intent.CANCEL}


class PhraseDetector:
    """Reads PHRASES; "boom" makes it fail; "ja" makes it claim a confirmed cancellation
    (what a careless model might say), which the seam must not believe."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str]] = []

    def detect(self, text: str, payload: str) -> Reading | None:
        """The intent of a message with this text (or button/list payload)."""
        self.asked.append((text, payload))
        words = text.strip().lower().rstrip("?!. ")
        if "boom" in words:
            raise RuntimeError("the model is down")
        if words == "ja":
            return Reading(Intent.CANCEL, Action.CANCEL_YES, "1001", "de")
        intent = PHRASES.get(words)
        return Reading(intent, Action.ASK, "", "de") if intent else None


def phrases(settings: Settings) -> PhraseDetector:
    """The factory STORECHAT_INTENT_DETECTOR names."""
    return PhraseDetector()


def nothing(settings: Settings) -> object:
    """A factory that gives no detector at all."""
    return object()

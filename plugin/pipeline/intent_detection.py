"""The seam where the shop assistant's intent detection can be extended, for example by a
language model: off by default, when keywords and the assistant's own button payloads are
all there is (plugin.domain.assistant.KeywordDetector).

`STORECHAT_INTENT_DETECTOR=package.module:factory` names a callable that takes the
settings and returns a detector (anything with `detect(text, payload) -> Reading | None`).
It is imported once, when the app starts, so a wrong path fails at boot, not at the first
message. It is then asked about typed text only, and never trusted further than keywords:

- taps on the assistant's own buttons and rows are always read by the keyword detector
  (their payloads are ours: a model has nothing to add, and must not forge "yes, cancel");
- a plugged reading is an intent's first step only (Action.ASK), with an order number at
  most, so a model can ask the assistant a question but never confirm anything;
- when it finds nothing or fails (raises), the keywords answer as they would without it: a
  model outage never silences the assistant.

The detector runs inside the job that stores the shopper's message: an adapter that calls
a model must bound its own time (a few seconds) and raise past it.
"""
from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import cast

from flask import Flask, current_app

from plugin.config import Settings
from plugin.domain import assistant
from plugin.domain.assistant import Action, Detector, Reading
from plugin.domain.errors import ConfigError

log = logging.getLogger(__name__)

EXTENSION = "storechat.intent_detector"
# The longest order number a plugged reading may carry (the assistant looks it up among
# the shopper's own orders only).
ARGUMENT_MAX = 32
KEYWORDS: Detector = assistant.KeywordDetector()


class PluggedDetector:
    """A plugged detector for typed text, with the keywords behind it (see the module)."""

    def __init__(self, plugged: Detector) -> None:
        self.plugged = plugged

    def detect(self, text: str, payload: str) -> Reading | None:
        """The intent of a message with this text (or button/list payload)."""
        if payload:
            return KEYWORDS.detect(text, payload)
        try:
            reading = self.plugged.detect(text[:assistant.READ_MAX], "")
        except Exception:  # noqa: BLE001 - any failure of a plugged detector: keywords answer
            log.warning("the plugged intent detector failed; keywords answer", exc_info=True)
            reading = None
        if not isinstance(reading, Reading) or not isinstance(reading.intent,
                                                              assistant.Intent):
            return KEYWORDS.detect(text, payload)
        language = reading.language if reading.language in assistant.LANGUAGES else None
        return Reading(reading.intent, Action.ASK, str(reading.argument or "")[:ARGUMENT_MAX],
                       language)


def init_app(app: Flask) -> None:
    """Load the configured detector once (ConfigError when it cannot be), or the keywords."""
    app.extensions[EXTENSION] = load(app.config["STORECHAT"])


def load(settings: Settings) -> Detector:
    """The detector the settings name (wrapped as PluggedDetector), or the keywords."""
    path = settings.intent_detector
    if not path:
        return KEYWORDS
    module_name, _, name = path.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError) as error:
        raise ConfigError(f"STORECHAT_INTENT_DETECTOR {path!r} cannot be loaded: "
                          f"{error}") from None
    plugged = cast(Callable[[Settings], object], factory)(settings)
    if not callable(getattr(plugged, "detect", None)):
        raise ConfigError(f"STORECHAT_INTENT_DETECTOR {path!r} gave no detector (an object "
                          "with detect(text, payload))")
    return PluggedDetector(cast(Detector, plugged))


def detector() -> Detector:
    """The current app's detector."""
    found = current_app.extensions.get(EXTENSION)
    return cast(Detector, found) if found is not None else KEYWORDS

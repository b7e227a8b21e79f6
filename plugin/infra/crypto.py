"""Secrets at rest: Fernet encryption for tokens and keys stored in the database."""
from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import Flask, current_app
from sqlalchemy import Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from plugin.domain.errors import ConfigError


class DecryptionError(ConfigError):
    """A stored secret could not be decrypted with any configured key (the message names
    STORECHAT_ENCRYPTION_KEY: the key was changed without keeping the old one)."""


def make_vault(keys: tuple[str, ...]) -> MultiFernet:
    """A MultiFernet: encrypts with the first key, decrypts with any (for key rotation)."""
    return MultiFernet([Fernet(k.encode()) for k in keys])


def init_app(app: Flask) -> None:
    """Attach the app's vault, built from STORECHAT_ENCRYPTION_KEY."""
    app.extensions["storechat.vault"] = make_vault(app.config["STORECHAT"].encryption_keys)


def _vault() -> MultiFernet:
    return current_app.extensions["storechat.vault"]


class EncryptedText(TypeDecorator[str]):
    """A text column stored as a Fernet token; reads and writes need an app context."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return _vault().encrypt(value.encode()).decode()

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        try:
            return _vault().decrypt(value.encode()).decode()
        except InvalidToken:
            raise DecryptionError(
                "a stored secret does not decrypt: was STORECHAT_ENCRYPTION_KEY changed?"
            ) from None

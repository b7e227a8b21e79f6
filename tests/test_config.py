"""Configuration: defaults for a laptop, loud failures for production."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from plugin.config import ConfigError, load_settings

GOOD_KEY = Fernet.generate_key().decode()


def test_development_defaults_need_nothing(tmp_path: Path) -> None:
    settings = load_settings({"STORECHAT_INSTANCE_PATH": str(tmp_path)})
    assert settings.env == "development"
    assert settings.database_url == f"sqlite:///{tmp_path / 'storechat.db'}"
    assert settings.embedded
    assert settings.whatsapp_access_token == ""  # sandbox transport


def test_development_secrets_are_generated_once_and_private(tmp_path: Path) -> None:
    first = load_settings({"STORECHAT_INSTANCE_PATH": str(tmp_path)})
    second = load_settings({"STORECHAT_INSTANCE_PATH": str(tmp_path)})
    assert first.secret_key and first.secret_key == second.secret_key
    assert first.encryption_keys == second.encryption_keys
    Fernet(first.encryption_keys[0].encode())  # a usable key
    for name in ("secret_key", "encryption_key"):
        mode = stat.S_IMODE(os.stat(tmp_path / name).st_mode)
        assert mode == 0o600


def test_production_names_every_missing_secret(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as error:
        load_settings({"STORECHAT_ENV": "production", "STORECHAT_INSTANCE_PATH": str(tmp_path),
                       "STORECHAT_SECRET_KEY": "s"})
    message = str(error.value)
    assert "STORECHAT_ENCRYPTION_KEY" in message
    assert "STORECHAT_DATABASE_URL" in message
    assert "STORECHAT_PUBLIC_URL" in message
    assert "STORECHAT_SECRET_KEY" not in message
    assert not (tmp_path / "secret_key").exists()  # production never generates secrets


def test_production_with_everything_set(tmp_path: Path) -> None:
    settings = load_settings({
        "STORECHAT_ENV": "production", "STORECHAT_SECRET_KEY": "s" * 40,
        "STORECHAT_ENCRYPTION_KEY": GOOD_KEY, "STORECHAT_PUBLIC_URL": "https://chat.example.com",
        "STORECHAT_DATABASE_URL": "postgresql+psycopg://u:p@db/storechat",
        "STORECHAT_INSTANCE_PATH": str(tmp_path),
    })
    assert settings.env == "production"
    assert not settings.database_url.startswith("sqlite")


def test_production_refuses_plain_http_public_url(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="https"):
        load_settings({
            "STORECHAT_ENV": "production", "STORECHAT_SECRET_KEY": "s",
            "STORECHAT_ENCRYPTION_KEY": GOOD_KEY, "STORECHAT_PUBLIC_URL": "http://chat.example.com",
            "STORECHAT_DATABASE_URL": "postgresql+psycopg://u:p@db/storechat",
            "STORECHAT_INSTANCE_PATH": str(tmp_path),
        })


@pytest.mark.parametrize(("variable", "value", "fragment"), [
    ("STORECHAT_ENCRYPTION_KEY", "not-a-key", "STORECHAT_ENCRYPTION_KEY"),
    ("STORECHAT_LEASE_SECONDS", "ten", "STORECHAT_LEASE_SECONDS"),
    ("STORECHAT_ALLOW_HTTP_STORES", "maybe", "STORECHAT_ALLOW_HTTP_STORES"),
    ("STORECHAT_DATABASE_URL", "mysql://x", "STORECHAT_DATABASE_URL"),
    ("STORECHAT_REDIS_URL", "localhost:6379", "STORECHAT_REDIS_URL"),
    ("STORECHAT_ENV", "staging", "STORECHAT_ENV"),
])
def test_malformed_values_are_named(tmp_path: Path, variable: str, value: str,
                                    fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        load_settings({"STORECHAT_INSTANCE_PATH": str(tmp_path), variable: value})


def test_key_rotation_accepts_several_keys(tmp_path: Path) -> None:
    other = Fernet.generate_key().decode()
    settings = load_settings({"STORECHAT_INSTANCE_PATH": str(tmp_path),
                              "STORECHAT_ENCRYPTION_KEY": f"{GOOD_KEY}, {other}"})
    assert settings.encryption_keys == (GOOD_KEY, other)


def test_cli_fails_at_boot_naming_the_missing_secret(tmp_path: Path) -> None:
    environ = {"PATH": os.environ["PATH"], "STORECHAT_ENV": "production",
               "STORECHAT_INSTANCE_PATH": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "plugin.cli", "db", "upgrade"],
                            env=environ, capture_output=True, text=True, timeout=60,
                            cwd=tmp_path)
    assert result.returncode == 2
    assert "configuration error" in result.stderr
    assert "STORECHAT_SECRET_KEY" in result.stderr
    assert "Traceback" not in result.stderr


def test_behind_a_trusted_proxy_the_client_address_is_the_forwarded_one(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from flask import request

    from tests.conftest import make_app

    seen: list[str | None] = []
    for proxies in (0, 1):
        app = make_app(tmp_path / f"instance-{proxies}", trusted_proxies=proxies)
        app.add_url_rule("/whoami", "whoami", lambda: seen.append(request.remote_addr) or "")
        app.test_client().get("/whoami", headers={"X-Forwarded-For": "203.0.113.7"},
                              environ_base={"REMOTE_ADDR": "10.0.0.2"})
        app.extensions["storechat.engine"].dispose()
    # Not trusted: the proxy's own address; trusted: the shopper's, so limits stay per shopper.
    assert seen == ["10.0.0.2", "203.0.113.7"]


def test_trusted_proxies_cannot_be_negative() -> None:
    with pytest.raises(ConfigError, match="TRUSTED_PROXIES"):
        load_settings({"STORECHAT_TRUSTED_PROXIES": "-1", "STORECHAT_ENV": "test"})


def test_the_public_url_follows_the_port_served_on(tmp_path: Path) -> None:
    """Unset, the public URL names the port `storechat serve` listens on (issue 21: a
    snippet for :8000 from a server on :18100 pointed nowhere)."""
    from plugin.infra.serve import child_environment

    base = {"STORECHAT_INSTANCE_PATH": str(tmp_path)}
    assert load_settings(base).public_url == "http://127.0.0.1:8000"
    served = child_environment(base, "127.0.0.1", 18100)
    assert load_settings(served).public_url == "http://127.0.0.1:18100"
    # Every interface is not an address a browser can open: loopback stands in.
    assert load_settings(child_environment(base, "0.0.0.0", 8080)).public_url == \
        "http://127.0.0.1:8080"
    assert load_settings({**base, "STORECHAT_HOST": "::1", "STORECHAT_PORT": "9000"}
                         ).public_url == "http://[::1]:9000"


def test_an_explicit_public_url_wins_over_the_port(tmp_path: Path) -> None:
    from plugin.infra.serve import child_environment

    environ = child_environment({"STORECHAT_INSTANCE_PATH": str(tmp_path),
                                 "STORECHAT_PUBLIC_URL": "https://chat.example.com"},
                                "127.0.0.1", 18100)
    assert load_settings(environ).public_url == "https://chat.example.com"


def test_production_still_needs_its_public_url_with_a_port(tmp_path: Path) -> None:
    environ = {"STORECHAT_ENV": "production", "STORECHAT_INSTANCE_PATH": str(tmp_path),
               "STORECHAT_SECRET_KEY": "s", "STORECHAT_ENCRYPTION_KEY": GOOD_KEY,
               "STORECHAT_DATABASE_URL": "sqlite:///x.db", "STORECHAT_PORT": "8443"}
    with pytest.raises(ConfigError, match="STORECHAT_PUBLIC_URL"):
        load_settings(environ)


@pytest.mark.parametrize("port", ["http", "0", "70000"])
def test_a_bad_port_is_named(tmp_path: Path, port: str) -> None:
    with pytest.raises(ConfigError, match="STORECHAT_PORT"):
        load_settings({"STORECHAT_INSTANCE_PATH": str(tmp_path), "STORECHAT_PORT": port})


def test_open_signup_is_off_unless_the_instance_turns_it_on(tmp_path: Path) -> None:
    base = {"STORECHAT_INSTANCE_PATH": str(tmp_path)}
    assert load_settings(base).open_signup is False
    assert load_settings({**base, "STORECHAT_OPEN_SIGNUP": "1"}).open_signup is True
    assert load_settings({**base, "STORECHAT_OPEN_SIGNUP": "0"}).open_signup is False
    with pytest.raises(ConfigError, match="STORECHAT_OPEN_SIGNUP"):
        load_settings({**base, "STORECHAT_OPEN_SIGNUP": "perhaps"})

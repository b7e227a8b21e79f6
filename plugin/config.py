"""StoreChat configuration: every setting, its default, and its validation, in one place.

Values come from the environment (and a `.env` file for local runs, loaded by the CLI).
`load_settings` never reads anything at import time; `create_app` calls it once and the
result is frozen, so no code reads `os.environ` behind this module's back.
"""
from __future__ import annotations

import os
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from cryptography.fernet import Fernet

from plugin.domain.errors import ConfigError

ENVIRONMENTS = ("development", "production", "test")

# 1 MiB is far above any Shopify, WooCommerce or Meta webhook body we have seen (the
# largest order payloads are ~100 KB) and small enough that a flood cannot fill memory.
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
# The largest inbound WhatsApp media file the inbox downloads: Meta's own cap for video and
# audio (16 MB); a larger one (a 100 MB document) is refused and its note says so.
DEFAULT_INBOX_MEDIA_MAX_BYTES = 16 * 1024 * 1024

# A send lease must outlast one Cloud API call with its retries (httpx timeout 10 s × 2).
DEFAULT_LEASE_SECONDS = 60

# How long a row may wait in the queue before the sweeper assumes its job was lost.
DEFAULT_SWEEP_GRACE_SECONDS = 120

# How long a message whose send lease lapsed is held for Meta's status webhook before it
# is sent again: a worker that died mid-send may have sent it, and Meta takes no
# idempotency key, so only its `sent` status (echoing our id) can tell. Meta reports
# `sent` within seconds; a minute leaves room for its retries and our queue.
DEFAULT_RECONCILE_GRACE_SECONDS = 60

# How often each worker sweeps; sweeping is idempotent, so several workers may overlap.
DEFAULT_SWEEP_INTERVAL_SECONDS = 30


# How long a stored webhook body (personal data) is kept after it was processed.
DEFAULT_WEBHOOK_RETENTION_DAYS = 30

# /healthz fails when no worker has beaten for this long (workers beat every 10 s).
DEFAULT_WORKER_STALE_SECONDS = 60

# Sign-in failures are counted over this window (see plugin.auth.throttle).
DEFAULT_LOGIN_WINDOW_SECONDS = 15 * 60

# Where `storechat serve` listens unless told otherwise (also STORECHAT_HOST/STORECHAT_PORT).
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
# Hosts that mean "every interface": a browser cannot open them, so the public URL names
# this machine's loopback address instead.
_ANY_INTERFACE = frozenset({"0.0.0.0", "::", "[::]", ""})
# Calls per minute one caller of the public API (/api/v1) may make: two a second on
# average, plenty for a sync script, and a runaway loop stops within a minute.
DEFAULT_API_RATE_LIMIT_PER_MINUTE = 120


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Validated settings of one StoreChat process."""

    env: str = "development"
    instance_path: Path = field(default_factory=lambda: Path.cwd() / "instance")
    database_url: str = ""
    redis_url: str = ""
    secret_key: str = ""
    encryption_keys: tuple[str, ...] = ()
    # Unset, it follows the address `storechat serve` listens on (default_public_url).
    public_url: str = f"http://{DEFAULT_HOST}:{DEFAULT_PORT}"
    # True when the public URL was told (STORECHAT_PUBLIC_URL, or the port it follows), not
    # the default: commands that print links then trust it over a running serve's address.
    public_url_configured: bool = False
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    lease_seconds: int = DEFAULT_LEASE_SECONDS
    sweep_grace_seconds: int = DEFAULT_SWEEP_GRACE_SECONDS
    reconcile_grace_seconds: int = DEFAULT_RECONCILE_GRACE_SECONDS
    sweep_interval_seconds: int = DEFAULT_SWEEP_INTERVAL_SECONDS
    queue_immediate: bool = False
    login_window_seconds: int = DEFAULT_LOGIN_WINDOW_SECONDS
    webhook_retention_days: int = DEFAULT_WEBHOOK_RETENTION_DAYS
    worker_stale_seconds: int = DEFAULT_WORKER_STALE_SECONDS
    api_rate_limit_per_minute: int = DEFAULT_API_RATE_LIMIT_PER_MINUTE
    # Reverse proxies in front of StoreChat whose X-Forwarded-For/-Proto/-Host to believe:
    # behind a load balancer, every shopper would otherwise share its address (and its limits).
    trusted_proxies: int = 0
    shopify_api_key: str = ""
    shopify_api_secret: str = ""
    shopify_old_api_secret: str = ""
    # The same list as shopify.app.toml (see its comments and the README for why each).
    shopify_scopes: str = ("write_orders,read_fulfillments,read_customers,read_products,"
                           "read_inventory,read_locales,write_draft_orders,write_discounts")
    shopify_api_version: str = "2025-10"
    shopify_admin_url: str = "https://{shop}"
    whatsapp_app_secret: str = ""
    whatsapp_verify_token: str = ""
    whatsapp_api_version: str = "v23.0"
    whatsapp_graph_url: str = "https://graph.facebook.com"
    whatsapp_phone_number_id: str = ""
    whatsapp_waba_id: str = ""
    whatsapp_access_token: str = ""
    # The Meta app's id: media-header template samples are uploaded to it (Resumable Upload).
    whatsapp_app_id: str = ""
    allow_http_stores: bool = False
    # Anyone may create an owner account at /signup (each owner has their own stores);
    # off by default: owners are then only made by the set-up link and invitations.
    open_signup: bool = False
    # The team inbox's media: the cap per downloaded file, and the folder files are kept in
    # (empty: <instance>/inbox_media). Object storage is a seam in plugin.pipeline.inbox.
    inbox_media_max_bytes: int = DEFAULT_INBOX_MEDIA_MAX_BYTES
    inbox_media_dir: str = ""
    # S3-compatible object storage for the inbox's media instead of the folder: used when a
    # bucket is set (path-style URLs at the endpoint, signed with AWS Signature V4).
    inbox_media_s3_endpoint: str = ""
    inbox_media_s3_bucket: str = ""
    inbox_media_s3_region: str = "us-east-1"
    inbox_media_s3_access_key_id: str = ""
    inbox_media_s3_secret_access_key: str = ""
    # The shop assistant's intent detector beside keywords and button payloads: empty (off,
    # the default) or "package.module:factory", a callable returning a detector
    # (plugin.pipeline.intent_detection), such as an adapter to a language model.
    intent_detector: str = ""

    @property
    def embedded(self) -> bool:
        """True when the queue and limiter live on this machine (no Redis)."""
        return not self.redis_url

    def with_overrides(self, **changes: object) -> Settings:
        """A copy with some fields replaced (used by tests and the CLI)."""
        return replace(self, **changes)


# Environment variable -> Settings field, for the plain string settings.
_STRING_VARS = {
    "STORECHAT_DATABASE_URL": "database_url",
    "STORECHAT_REDIS_URL": "redis_url",
    "STORECHAT_SECRET_KEY": "secret_key",
    "STORECHAT_PUBLIC_URL": "public_url",
    "SHOPIFY_API_KEY": "shopify_api_key",
    "SHOPIFY_API_SECRET": "shopify_api_secret",
    "SHOPIFY_OLD_API_SECRET": "shopify_old_api_secret",
    "SHOPIFY_SCOPES": "shopify_scopes",
    "SHOPIFY_API_VERSION": "shopify_api_version",
    "STORECHAT_SHOPIFY_ADMIN_URL": "shopify_admin_url",
    "WHATSAPP_APP_SECRET": "whatsapp_app_secret",
    "WHATSAPP_VERIFY_TOKEN": "whatsapp_verify_token",
    "WHATSAPP_API_VERSION": "whatsapp_api_version",
    "WHATSAPP_GRAPH_URL": "whatsapp_graph_url",
    "WHATSAPP_PHONE_NUMBER_ID": "whatsapp_phone_number_id",
    "WHATSAPP_WABA_ID": "whatsapp_waba_id",
    "WHATSAPP_ACCESS_TOKEN": "whatsapp_access_token",
    "WHATSAPP_APP_ID": "whatsapp_app_id",
    "STORECHAT_INBOX_MEDIA_DIR": "inbox_media_dir",
    "STORECHAT_INBOX_MEDIA_S3_ENDPOINT": "inbox_media_s3_endpoint",
    "STORECHAT_INBOX_MEDIA_S3_BUCKET": "inbox_media_s3_bucket",
    "STORECHAT_INBOX_MEDIA_S3_REGION": "inbox_media_s3_region",
    "STORECHAT_INBOX_MEDIA_S3_ACCESS_KEY_ID": "inbox_media_s3_access_key_id",
    "STORECHAT_INBOX_MEDIA_S3_SECRET_ACCESS_KEY": "inbox_media_s3_secret_access_key",
    "STORECHAT_INTENT_DETECTOR": "intent_detector",
}

_INT_VARS = {
    "STORECHAT_MAX_BODY_BYTES": "max_body_bytes",
    "STORECHAT_LEASE_SECONDS": "lease_seconds",
    "STORECHAT_SWEEP_GRACE_SECONDS": "sweep_grace_seconds",
    "STORECHAT_RECONCILE_GRACE_SECONDS": "reconcile_grace_seconds",
    "STORECHAT_SWEEP_INTERVAL_SECONDS": "sweep_interval_seconds",
    "STORECHAT_LOGIN_WINDOW_SECONDS": "login_window_seconds",
    "STORECHAT_WORKER_STALE_SECONDS": "worker_stale_seconds",
    "STORECHAT_TRUSTED_PROXIES": "trusted_proxies",
    "STORECHAT_WEBHOOK_RETENTION_DAYS": "webhook_retention_days",
    "STORECHAT_API_RATE_LIMIT": "api_rate_limit_per_minute",
    "STORECHAT_INBOX_MEDIA_MAX_BYTES": "inbox_media_max_bytes",
}

_BOOL_VARS = {
    "STORECHAT_ALLOW_HTTP_STORES": "allow_http_stores",
    "STORECHAT_QUEUE_IMMEDIATE": "queue_immediate",
    "STORECHAT_OPEN_SIGNUP": "open_signup",
}

# Secrets that a production process must be given; development generates them.
_PRODUCTION_REQUIRED = (
    ("STORECHAT_SECRET_KEY", "secret_key"),
    ("STORECHAT_ENCRYPTION_KEY", "encryption_keys"),
    ("STORECHAT_DATABASE_URL", "database_url"),
    ("STORECHAT_PUBLIC_URL", "public_url"),
)


def load_settings(environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
    """Read, default and validate settings; raise ConfigError naming the bad variable."""
    env_vars = dict(os.environ if environ is None else environ)
    values: dict[str, object] = {}
    env = env_vars.get("STORECHAT_ENV", "development").strip().lower()
    if env not in ENVIRONMENTS:
        raise ConfigError(f"STORECHAT_ENV must be one of {', '.join(ENVIRONMENTS)}, not {env!r}")
    values["env"] = env
    if env_vars.get("STORECHAT_INSTANCE_PATH"):
        values["instance_path"] = Path(env_vars["STORECHAT_INSTANCE_PATH"]).resolve()
    for var, name in _STRING_VARS.items():
        if env_vars.get(var, "").strip():
            values[name] = env_vars[var].strip()
    for var, name in _INT_VARS.items():
        if env_vars.get(var, "").strip():
            values[name] = _parse_int(var, env_vars[var])
    for var, name in _BOOL_VARS.items():
        if var in env_vars:
            values[name] = _parse_bool(var, env_vars[var])
    if env_vars.get("STORECHAT_ENCRYPTION_KEY", "").strip():
        values["encryption_keys"] = tuple(
            k.strip() for k in env_vars["STORECHAT_ENCRYPTION_KEY"].split(",") if k.strip()
        )
    values.update(overrides)
    if env == "production":
        _require_production_secrets(values)
    # An explicit STORECHAT_PUBLIC_URL (a proxy, a tunnel, a domain) always wins.
    values["public_url_configured"] = "public_url" in values or bool(
        env_vars.get("STORECHAT_PORT", "").strip())
    if "public_url" not in values:
        values["public_url"] = default_public_url(env_vars)
    settings = Settings(**values)  # type: ignore[arg-type]
    settings = _fill_development_defaults(settings)
    _validate(settings)
    return settings


def default_public_url(env_vars: Mapping[str, str]) -> str:
    """The public URL when STORECHAT_PUBLIC_URL is unset: where `storechat serve` listens
    (STORECHAT_HOST and STORECHAT_PORT, which `serve` hands its web and worker processes),
    so the widget snippet, tracking links and connection keys name the port in use."""
    host = env_vars.get("STORECHAT_HOST", "").strip()
    if host in _ANY_INTERFACE:
        host = DEFAULT_HOST
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 address in a URL
    port = _parse_int("STORECHAT_PORT", env_vars["STORECHAT_PORT"]) \
        if env_vars.get("STORECHAT_PORT", "").strip() else DEFAULT_PORT
    if not 0 < port < 65536:
        raise ConfigError(f"STORECHAT_PORT must be a port number (1-65535), not {port}")
    return f"http://{host}:{port}"


def _require_production_secrets(values: Mapping[str, object]) -> None:
    missing = [var for var, name in _PRODUCTION_REQUIRED if not values.get(name)]
    if missing:
        raise ConfigError(
            "production needs these settings, which are not set: " + ", ".join(missing)
        )


def _fill_development_defaults(settings: Settings) -> Settings:
    """Embedded defaults: SQLite under instance/, secrets generated once into instance/."""
    changes: dict[str, object] = {}
    if not settings.database_url:
        changes["database_url"] = f"sqlite:///{settings.instance_path / 'storechat.db'}"
    if not settings.secret_key:
        changes["secret_key"] = _instance_secret(settings.instance_path, "secret_key",
                                                 lambda: secrets.token_urlsafe(48))
    if not settings.encryption_keys:
        changes["encryption_keys"] = (
            _instance_secret(settings.instance_path, "encryption_key",
                             lambda: Fernet.generate_key().decode()),
        )
    return replace(settings, **changes) if changes else settings


def _instance_secret(instance_path: Path, name: str, make: Callable[[], str]) -> str:
    """Return the secret stored in instance/<name>, creating it (mode 600) if absent."""
    path = instance_path / name
    if path.exists():
        return path.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    value = make()
    # O_EXCL: two processes starting together must agree on one secret.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value


def _validate(settings: Settings) -> None:
    for key in settings.encryption_keys:
        try:
            Fernet(key.encode())
        except (ValueError, TypeError):
            raise ConfigError(
                "STORECHAT_ENCRYPTION_KEY must be Fernet keys (32 url-safe base64 bytes),"
                " comma-separated; generate one with"
                " python -c 'from cryptography.fernet import Fernet;"
                " print(Fernet.generate_key().decode())'"
            ) from None
    if not settings.database_url.startswith(("sqlite", "postgresql")):
        raise ConfigError("STORECHAT_DATABASE_URL must be an sqlite:// or postgresql:// URL")
    if settings.inbox_media_s3_bucket:
        _validate_s3(settings)
    if settings.intent_detector and not _IMPORT_PATH.fullmatch(settings.intent_detector):
        raise ConfigError("STORECHAT_INTENT_DETECTOR must be empty (off) or "
                          f"package.module:factory, not {settings.intent_detector!r}")
    if settings.redis_url and not settings.redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise ConfigError("STORECHAT_REDIS_URL must be a redis:// URL")
    if not settings.public_url.startswith(("http://", "https://")):
        raise ConfigError("STORECHAT_PUBLIC_URL must start with http:// or https://")
    if settings.env == "production" and not settings.public_url.startswith("https://"):
        raise ConfigError("STORECHAT_PUBLIC_URL must be https:// in production")
    for name in ("lease_seconds", "sweep_grace_seconds", "sweep_interval_seconds",
                 "max_body_bytes", "login_window_seconds", "webhook_retention_days",
                 "worker_stale_seconds", "api_rate_limit_per_minute"):
        if getattr(settings, name) <= 0:
            raise ConfigError(f"{name} must be positive")
    if settings.trusted_proxies < 0:
        raise ConfigError("STORECHAT_TRUSTED_PROXIES must be 0 or more")
    if settings.reconcile_grace_seconds < 0:
        raise ConfigError("STORECHAT_RECONCILE_GRACE_SECONDS must be 0 or more")


# "package.module:factory", as entry points are written.
_IMPORT_PATH = re.compile(r"[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*:[A-Za-z_][\w]*")


def _parse_int(var: str, raw: str) -> int:
    try:
        return int(raw.strip())
    except ValueError:
        raise ConfigError(f"{var} must be a whole number, not {raw!r}") from None


def _parse_bool(var: str, raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"{var} must be 1 or 0, not {raw!r}")


def setting_names() -> list[str]:
    """All Settings field names (for documentation and tests)."""
    return [f.name for f in fields(Settings)]


def _validate_s3(settings: Settings) -> None:
    """Object storage for the inbox's media needs its endpoint URL and a key pair."""
    if not settings.inbox_media_s3_endpoint.startswith(("https://", "http://")):
        raise ConfigError("STORECHAT_INBOX_MEDIA_S3_ENDPOINT must be the storage's URL, e.g. "
                          "https://s3.eu-west-1.amazonaws.com, when "
                          "STORECHAT_INBOX_MEDIA_S3_BUCKET is set")
    if not (settings.inbox_media_s3_access_key_id
            and settings.inbox_media_s3_secret_access_key):
        raise ConfigError("STORECHAT_INBOX_MEDIA_S3_ACCESS_KEY_ID and "
                          "STORECHAT_INBOX_MEDIA_S3_SECRET_ACCESS_KEY are needed when "
                          "STORECHAT_INBOX_MEDIA_S3_BUCKET is set")

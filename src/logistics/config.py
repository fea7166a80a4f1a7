"""The service's settings: read once from ``LOGISTICS_*`` variables into one frozen object.

Every setting is listed in ``config/example.env``. A bad value stops start-up with a
``ConfigError`` naming the variable.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from logistics.export_signing import parse_seed
from logistics.secrets_box import Keyring

T = TypeVar("T")


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


def _port(raw: str) -> int:
    value = int(raw)
    if not 0 <= value <= 65535:
        raise ValueError("must be a port number between 0 and 65535")
    return value


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value <= 0:
        raise ValueError("must be a positive integer")
    return value


def _positive_float(raw: str) -> float:
    value = float(raw)
    if not value > 0:
        raise ValueError("must be a positive number")
    return value


def _url(*schemes: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        parts = urlsplit(raw)
        if parts.scheme not in schemes:
            raise ValueError(f"must be a URL with scheme {' or '.join(schemes)}")
        if parts.scheme in ("unix", "file"):
            if not parts.path:
                raise ValueError("must name a path")
        elif not parts.hostname and "host=" not in parts.query:
            raise ValueError("must name a host")
        return raw

    return parse


def _choice(*allowed: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = raw.strip().lower()
        if value not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}")
        return value

    return parse


def _log_level(raw: str) -> str:
    value = raw.strip().upper()
    if value not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
        raise ValueError("must be DEBUG, INFO, WARNING, ERROR or CRITICAL")
    return value


def _h3_resolution(raw: str) -> int:
    value = int(raw)
    if not 5 <= value <= 12:
        raise ValueError("must be an H3 resolution between 5 and 12")
    return value


def _osrm_profile(raw: str) -> str:
    if not raw.replace("-", "").replace("_", "").isalnum():
        raise ValueError("must be an OSRM profile name (letters, digits, - and _)")
    return raw


def _countries(raw: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``ke,ug`` (every tenant) or ``acme=ke,ug;*=tz`` (per tenant slug, ``*`` the others)."""
    table: dict[str, tuple[str, ...]] = {}
    for part in raw.split(";"):
        tenant, _, codes = part.rpartition("=")
        listed = tuple(c.strip().lower() for c in codes.split(",") if c.strip())
        if not listed or any(len(c) != 2 or not c.isalpha() for c in listed):
            raise ValueError("must list ISO 3166-1 alpha-2 country codes (ke,ug or acme=ke;*=ug)")
        table[tenant.strip() or "*"] = listed
    return tuple(table.items())


def _confidence(raw: str) -> float:
    value = float(raw)
    if not 0 <= value <= 1:
        raise ValueError("must be between 0 and 1")
    return value


def _osrm_table_size(raw: str) -> int:
    value = int(raw)
    if value < 2:
        raise ValueError("must be at least 2 (one source and one destination)")
    return value


def _secrets(raw: str) -> tuple[str, ...]:
    values = tuple(s.strip() for s in raw.split(",") if s.strip())
    for value in values:
        if not value.startswith("whsec_") or len(value) < 20:
            raise ValueError("must be comma-separated whsec_ secrets")
    return values


def _origins(raw: str) -> tuple[str, ...]:
    """Browser origins as a browser sends them (``scheme://host[:port]``), or ``*``."""
    values = tuple(o.strip() for o in raw.split(",") if o.strip())
    for value in values:
        if value == "*":
            continue
        parts = urlsplit(value)
        if (
            parts.scheme not in ("http", "https")
            or not parts.hostname
            or parts.path
            or parts.query
            or parts.fragment
            or parts.username
            or value != value.lower()
        ):
            raise ValueError(
                "must be comma-separated origins, scheme://host[:port] in lower case with no "
                "path (such as https://dash.example.com), or *"
            )
    return values


def _bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value not in {"true", "false", "1", "0", "yes", "no", "on", "off"}:
        raise ValueError("must be true or false")
    return value in {"true", "1", "yes", "on"}


def _role(raw: str) -> str:
    if raw and not raw.replace("_", "").isalnum():
        raise ValueError("must be a plain PostgreSQL role name (letters, digits, _)")
    return raw


def _stream_name(raw: str) -> str:
    if not all(c.isalnum() or c in "-_" for c in raw):
        raise ValueError("must be a JetStream stream name (letters, digits, - and _)")
    return raw


def _signing_seed(raw: str) -> str:
    parse_seed(raw)
    return raw


def _redacted(name: str, raw: str) -> str:
    """The value as it may appear in a log: no secrets, no URL passwords."""
    if "secret" in name:
        return "***"
    try:
        parts = urlsplit(raw)
        if parts.password:
            netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
            return parts._replace(netloc=netloc).geturl()
    except ValueError:
        return "***"
    return raw


@dataclass(frozen=True)
class Settings:
    """Typed configuration; build it with ``Settings.from_env(os.environ)``."""

    bind_host: str = "0.0.0.0"
    grpc_port: int = 4104
    http_port: int = 4103
    database_url: str | None = None
    database_role: str = "logistics_app"
    database_pool_min: int = 2
    database_pool_max: int = 20
    redis_url: str | None = None
    nats_url: str | None = None
    data_dir: Path = Path(".logistics")
    jwt_secret: str | None = None
    secrets_keys: Keyring | None = None
    jwks_url: str | None = None
    jwks_refresh_seconds: float = 300.0
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    shutdown_grace_seconds: float = 10.0
    max_message_bytes: int = 4 * 1024 * 1024
    log_level: str = "INFO"
    log_format: str = "json"
    otlp_endpoint: str | None = None
    service_name: str = "bengobox-logistics"
    blob_store_url: str | None = None
    # Base64 of the Ed25519 seed that signs dispute bundles (logistics.export_signing).
    export_signing_secret: str | None = field(default=None, repr=False)
    max_document_bytes: int = 10 * 1024 * 1024
    discovery_url: str | None = None
    discovery_secrets: tuple[str, ...] = ()
    timer_interval_seconds: float = 1.0
    h3_resolution: int = 9
    rider_stale_seconds: float = 60.0
    rider_offline_seconds: float = 120.0
    ping_max_accuracy_m: float = 150.0
    ping_max_future_seconds: float = 60.0
    stream_max_pings: int = 1000
    stream_max_message_bytes: int = 256 * 1024
    stream_batches_per_second: float = 20.0
    stream_burst: int = 40
    stream_keepalive_seconds: float = 20.0
    serve_processes: int = 1
    event_loop: str = "uvloop"
    live_interval_seconds: float = 0.5
    live_cell_resolution: int = 6
    live_stall_seconds: float = 10.0
    live_max_riders: int = 20_000
    redis_pool_size: int = 64
    max_active_tasks: int = 3
    dispatch_mode: str = "sequential"
    offer_timeout_seconds: float = 20.0
    broadcast_size: int = 3
    dispatch_radius_m: float = 3000.0
    dispatch_candidates: int = 5
    osrm_url: str | None = None
    map_style_url: str | None = None
    cors_origins: tuple[str, ...] = ()
    osrm_profile: str = "driving"
    osrm_timeout_seconds: float = 2.0
    osrm_cache_size: int = 100_000
    osrm_max_table_size: int = 100
    eta_wait_seconds: float = 0.5
    eta_refresh_seconds: float = 15.0
    delay_check_seconds: float = 30.0
    geocoder: str = "none"
    geocoder_url: str | None = None
    geocoder_secret: str | None = field(default=None, repr=False)  # Mapbox token, Google key
    geocoder_timeout_seconds: float = 3.0
    geocoder_attempts: int = 3
    geocoder_cache_size: int = 10_000
    geocoder_min_confidence: float = 0.9
    # (tenant slug or "*", country codes) pairs: see ``_countries``.
    geocoder_countries: tuple[tuple[str, tuple[str, ...]], ...] = ()
    allow_private_targets: bool = False
    webhook_timeout_seconds: float = 10.0
    webhook_backoff_base_seconds: float = 5.0
    webhook_backoff_cap_seconds: float = 3600.0
    webhook_max_in_flight: int = 32
    webhook_max_per_webhook: int = 4
    webhook_poll_seconds: float = 1.0
    notification_rate_limit: int = 5
    notification_rate_window_seconds: float = 600.0
    notification_watch_seconds: float = 2.0
    tracking_url: str | None = None
    tracking_link_hours: float = 48.0
    events_stream: str = "LOGISTICS"
    events_stream_replicas: int = 1
    events_duplicate_window_seconds: float = 600.0
    events_max_age_hours: float = 7 * 24.0
    outbox_batch_size: int = 500
    outbox_poll_seconds: float = 0.2
    outbox_retention_hours: float = 7 * 24.0
    routing_max_time_limit_seconds: float = 60.0
    routing_solvers: int = 2
    routing_matrix_cache_size: int = 64
    eta_calibration_refresh_seconds: float = 300.0
    eta_calibration_window_days: int = 28
    eta_calibration_max_observations: int = 50_000
    eta_calibration_keep_days: int = 56
    carrier_callback_url: str | None = None
    carrier_timeout_seconds: float = 5.0
    carrier_attempts: int = 3
    carrier_breaker_threshold: int = 5
    carrier_breaker_open_seconds: float = 30.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Reads ``LOGISTICS_<FIELD>`` for every field; unset or empty keeps the default."""
        parsers: dict[str, Callable[[str], Any]] = {
            "bind_host": str,
            "grpc_port": _port,
            "http_port": _port,
            "database_url": _url("postgresql", "postgres"),
            "database_role": _role,
            "database_pool_min": _positive_int,
            "database_pool_max": _positive_int,
            "redis_url": _url("redis", "rediss", "unix"),
            "nats_url": _url("nats", "tls"),
            "data_dir": Path,
            "jwt_secret": str,
            "secrets_keys": Keyring.parse,
            "jwks_url": _url("http", "https"),
            "jwks_refresh_seconds": _positive_float,
            "jwt_issuer": str,
            "jwt_audience": str,
            "shutdown_grace_seconds": _positive_float,
            "max_message_bytes": _positive_int,
            "log_level": _log_level,
            "log_format": _choice("json", "text"),
            "otlp_endpoint": _url("http", "https"),
            "service_name": str,
            "blob_store_url": _url("file", "s3"),
            "export_signing_secret": _signing_seed,
            "max_document_bytes": _positive_int,
            "discovery_url": _url("http", "https"),
            "discovery_secrets": _secrets,
            "timer_interval_seconds": _positive_float,
            "h3_resolution": _h3_resolution,
            "rider_stale_seconds": _positive_float,
            "rider_offline_seconds": _positive_float,
            "ping_max_accuracy_m": _positive_float,
            "ping_max_future_seconds": _positive_float,
            "stream_max_pings": _positive_int,
            "stream_max_message_bytes": _positive_int,
            "stream_batches_per_second": _positive_float,
            "stream_burst": _positive_int,
            "stream_keepalive_seconds": _positive_float,
            "serve_processes": _positive_int,
            "event_loop": _choice("uvloop", "asyncio"),
            "live_interval_seconds": _positive_float,
            "live_cell_resolution": _h3_resolution,
            "live_stall_seconds": _positive_float,
            "live_max_riders": _positive_int,
            "redis_pool_size": _positive_int,
            "max_active_tasks": _positive_int,
            "dispatch_mode": _choice("sequential", "broadcast"),
            "offer_timeout_seconds": _positive_float,
            "broadcast_size": _positive_int,
            "dispatch_radius_m": _positive_float,
            "dispatch_candidates": _positive_int,
            "osrm_url": _url("http", "https"),
            "map_style_url": _url("http", "https"),
            "cors_origins": _origins,
            "osrm_profile": _osrm_profile,
            "osrm_timeout_seconds": _positive_float,
            "osrm_cache_size": _positive_int,
            "osrm_max_table_size": _osrm_table_size,
            "eta_wait_seconds": _positive_float,
            "eta_refresh_seconds": _positive_float,
            "delay_check_seconds": _positive_float,
            "geocoder": _choice("none", "nominatim", "pelias", "mapbox", "google"),
            "geocoder_secret": str,
            "geocoder_url": _url("http", "https"),
            "geocoder_timeout_seconds": _positive_float,
            "geocoder_attempts": _positive_int,
            "geocoder_cache_size": _positive_int,
            "geocoder_min_confidence": _confidence,
            "geocoder_countries": _countries,
            "allow_private_targets": _bool,
            "webhook_timeout_seconds": _positive_float,
            "webhook_backoff_base_seconds": _positive_float,
            "webhook_backoff_cap_seconds": _positive_float,
            "webhook_max_in_flight": _positive_int,
            "webhook_max_per_webhook": _positive_int,
            "webhook_poll_seconds": _positive_float,
            "notification_rate_limit": _positive_int,
            "notification_rate_window_seconds": _positive_float,
            "notification_watch_seconds": _positive_float,
            "tracking_url": _url("http", "https"),
            "tracking_link_hours": _positive_float,
            "events_stream": _stream_name,
            "events_stream_replicas": _positive_int,
            "events_duplicate_window_seconds": _positive_float,
            "events_max_age_hours": _positive_float,
            "outbox_batch_size": _positive_int,
            "outbox_poll_seconds": _positive_float,
            "outbox_retention_hours": _positive_float,
            "routing_max_time_limit_seconds": _positive_float,
            "routing_solvers": _positive_int,
            "routing_matrix_cache_size": _positive_int,
            "eta_calibration_refresh_seconds": _positive_float,
            "eta_calibration_window_days": _positive_int,
            "eta_calibration_max_observations": _positive_int,
            "eta_calibration_keep_days": _positive_int,
            "carrier_callback_url": _url("http", "https"),
            "carrier_timeout_seconds": _positive_float,
            "carrier_attempts": _positive_int,
            "carrier_breaker_threshold": _positive_int,
            "carrier_breaker_open_seconds": _positive_float,
        }
        values: dict[str, Any] = {}
        for f in fields(cls):
            var = f"LOGISTICS_{f.name.upper()}"
            raw = env.get(var, "").strip()
            if not raw:
                continue
            try:
                values[f.name] = parsers[f.name](raw)
            except ValueError as exc:
                raise ConfigError(f"{var}={_redacted(f.name, raw)!r}: {exc}") from None
        settings = cls(**values)
        settings._check()
        return settings

    def _check(self) -> None:
        if self.geocoder != "none" and self.geocoder_url is None:
            raise ConfigError(f"LOGISTICS_GEOCODER={self.geocoder} needs LOGISTICS_GEOCODER_URL")
        if self.geocoder in ("mapbox", "google") and not self.geocoder_secret:
            raise ConfigError(
                f"LOGISTICS_GEOCODER={self.geocoder} needs LOGISTICS_GEOCODER_SECRET (its key)"
            )
        if self.database_pool_min > self.database_pool_max:
            raise ConfigError(
                "LOGISTICS_DATABASE_POOL_MIN must not exceed LOGISTICS_DATABASE_POOL_MAX"
            )
        if self.jwt_secret is not None and len(self.jwt_secret) < 32:
            raise ConfigError("LOGISTICS_JWT_SECRET must be at least 32 characters")
        if self.jwt_secret is not None and self.jwks_url is not None:
            # Either alone is a complete verifier: beside a JWKS, a development secret would
            # let anyone who holds it mint tokens with every scope.
            raise ConfigError(
                "LOGISTICS_JWKS_URL and LOGISTICS_JWT_SECRET are both set: keep one "
                "(the JWKS in production, the secret for development only)"
            )
        if self.grpc_port and self.grpc_port == self.http_port:
            raise ConfigError("LOGISTICS_GRPC_PORT and LOGISTICS_HTTP_PORT must differ")
        if self.webhook_backoff_base_seconds > self.webhook_backoff_cap_seconds:
            raise ConfigError(
                "LOGISTICS_WEBHOOK_BACKOFF_BASE_SECONDS must not exceed "
                "LOGISTICS_WEBHOOK_BACKOFF_CAP_SECONDS"
            )
        if self.webhook_max_per_webhook > self.webhook_max_in_flight:
            raise ConfigError(
                "LOGISTICS_WEBHOOK_MAX_PER_WEBHOOK must not exceed LOGISTICS_WEBHOOK_MAX_IN_FLIGHT"
            )
        if self.events_duplicate_window_seconds > self.events_max_age_hours * 3600:
            raise ConfigError(
                "LOGISTICS_EVENTS_DUPLICATE_WINDOW_SECONDS must not exceed "
                "LOGISTICS_EVENTS_MAX_AGE_HOURS"
            )
        if self.discovery_url and not self.discovery_secrets:
            raise ConfigError(
                "LOGISTICS_DISCOVERY_URL needs LOGISTICS_DISCOVERY_SECRETS to sign with"
            )

    def require_servers(self) -> None:
        """``serve`` and ``worker`` need real servers; only ``dev`` starts embedded ones."""
        for name in ("database_url", "redis_url", "nats_url"):
            if getattr(self, name) is None:
                raise ConfigError(
                    f"LOGISTICS_{name.upper()} is not set (use `logistics dev` to start "
                    "embedded servers)"
                )

    def require_keyring(self) -> Keyring:
        """The keys secrets at rest are sealed with: ``serve``, ``worker`` and ``migrate``
        refuse to start without them (``dev`` makes one under its data directory)."""
        if self.secrets_keys is None:
            raise ConfigError(
                "LOGISTICS_SECRETS_KEYS is not set: webhook signing secrets are stored "
                "encrypted with it (entries <id>:<base64 of 32 random bytes>, the current key "
                "first; see docs/operations.md, 'Secrets at rest')"
            )
        return self.secrets_keys

    def require_auth(self) -> None:
        if self.jwt_secret is None and self.jwks_url is None:
            raise ConfigError(
                "set LOGISTICS_JWKS_URL (production) or LOGISTICS_JWT_SECRET (development)"
            )

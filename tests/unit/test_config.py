"""Settings read from LOGISTICS_* variables: defaults, every kind of bad value, example.env."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from logistics.cli import dev_defaults
from logistics.config import ConfigError, Settings

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_ENV = REPO / "config" / "example.env"
GOOD_SECRET = "s" * 32
GOOD_KEY = "k1:" + "a" * 43 + "="  # 32 bytes of base64


def test_empty_environment_gives_documented_defaults() -> None:
    settings = Settings.from_env({})

    assert settings.grpc_port == 4104
    assert settings.http_port == 4103
    assert settings.database_url is None
    assert settings.log_level == "INFO"
    assert settings.log_format == "json"
    assert settings.jwt_secret is None


def test_values_are_parsed_to_their_types() -> None:
    settings = Settings.from_env(
        {
            "LOGISTICS_GRPC_PORT": " 5000 ",
            "LOGISTICS_HTTP_PORT": "5001",
            "LOGISTICS_DATABASE_URL": "postgresql://app:pw@db.internal:5432/logistics",
            "LOGISTICS_REDIS_URL": "redis://cache:6379/0",
            "LOGISTICS_NATS_URL": "nats://bus:4222",
            "LOGISTICS_DATABASE_POOL_MIN": "3",
            "LOGISTICS_DATABASE_POOL_MAX": "7",
            "LOGISTICS_JWT_SECRET": GOOD_SECRET,
            "LOGISTICS_JWKS_REFRESH_SECONDS": "60.5",
            "LOGISTICS_LOG_LEVEL": "debug",
            "LOGISTICS_LOG_FORMAT": "TEXT",
            "LOGISTICS_DATA_DIR": "/var/lib/logistics",
        }
    )

    assert (settings.grpc_port, settings.http_port) == (5000, 5001)
    assert settings.database_url == "postgresql://app:pw@db.internal:5432/logistics"
    assert (settings.database_pool_min, settings.database_pool_max) == (3, 7)
    assert settings.jwks_refresh_seconds == 60.5
    assert settings.log_level == "DEBUG"
    assert settings.log_format == "text"
    assert settings.data_dir == Path("/var/lib/logistics")


def test_postgres_url_with_socket_directory_in_query_is_accepted() -> None:
    url = "postgresql:///logistics?host=/var/run/postgresql"
    assert Settings.from_env({"LOGISTICS_DATABASE_URL": url}).database_url == url


@pytest.mark.parametrize("blank", ["", "   "])
def test_empty_value_keeps_the_default(blank: str) -> None:
    settings = Settings.from_env(
        {
            "LOGISTICS_GRPC_PORT": blank,
            "LOGISTICS_LOG_LEVEL": blank,
            "LOGISTICS_DATABASE_URL": blank,
        }
    )

    assert settings.grpc_port == 4104
    assert settings.log_level == "INFO"
    assert settings.database_url is None


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"LOGISTICS_GRPC_PORT": "abc"}, "LOGISTICS_GRPC_PORT"),
        ({"LOGISTICS_HTTP_PORT": "70000"}, "LOGISTICS_HTTP_PORT"),
        ({"LOGISTICS_GRPC_PORT": "-1"}, "LOGISTICS_GRPC_PORT"),
        ({"LOGISTICS_DATABASE_URL": "mysql://x"}, "LOGISTICS_DATABASE_URL"),
        ({"LOGISTICS_DATABASE_URL": "postgresql://"}, "LOGISTICS_DATABASE_URL"),
        ({"LOGISTICS_REDIS_URL": "http://cache:6379"}, "LOGISTICS_REDIS_URL"),
        ({"LOGISTICS_NATS_URL": "redis://bus"}, "LOGISTICS_NATS_URL"),
        ({"LOGISTICS_JWKS_URL": "ftp://keys.example.com/jwks"}, "LOGISTICS_JWKS_URL"),
        ({"LOGISTICS_LOG_LEVEL": "LOUD"}, "LOGISTICS_LOG_LEVEL"),
        ({"LOGISTICS_LOG_FORMAT": "xml"}, "LOGISTICS_LOG_FORMAT"),
        ({"LOGISTICS_DATABASE_POOL_MAX": "0"}, "LOGISTICS_DATABASE_POOL_MAX"),
        ({"LOGISTICS_DATABASE_POOL_MIN": "two"}, "LOGISTICS_DATABASE_POOL_MIN"),
        ({"LOGISTICS_SHUTDOWN_GRACE_SECONDS": "-3"}, "LOGISTICS_SHUTDOWN_GRACE_SECONDS"),
        ({"LOGISTICS_JWKS_REFRESH_SECONDS": "nan"}, "LOGISTICS_JWKS_REFRESH_SECONDS"),
        ({"LOGISTICS_MAX_MESSAGE_BYTES": "1.5"}, "LOGISTICS_MAX_MESSAGE_BYTES"),
        ({"LOGISTICS_DATABASE_ROLE": 'app"; DROP'}, "LOGISTICS_DATABASE_ROLE"),
        (
            {"LOGISTICS_DATABASE_POOL_MIN": "10", "LOGISTICS_DATABASE_POOL_MAX": "5"},
            "LOGISTICS_DATABASE_POOL_MIN",
        ),
        ({"LOGISTICS_JWT_SECRET": "s" * 31}, "LOGISTICS_JWT_SECRET"),
        ({"LOGISTICS_SECRETS_KEYS": "k1:c2hvcnQ="}, "LOGISTICS_SECRETS_KEYS"),
        ({"LOGISTICS_SECRETS_KEYS": f"{GOOD_KEY},{GOOD_KEY}"}, "LOGISTICS_SECRETS_KEYS"),
        ({"LOGISTICS_SECRETS_KEYS": "k1"}, "LOGISTICS_SECRETS_KEYS"),
        ({"LOGISTICS_GRPC_PORT": "5000", "LOGISTICS_HTTP_PORT": "5000"}, "LOGISTICS_GRPC_PORT"),
        ({"LOGISTICS_ALLOW_PRIVATE_TARGETS": "maybe"}, "LOGISTICS_ALLOW_PRIVATE_TARGETS"),
        ({"LOGISTICS_CORS_ORIGINS": "https://dash.example.com/"}, "LOGISTICS_CORS_ORIGINS"),
        ({"LOGISTICS_CORS_ORIGINS": "dash.example.com"}, "LOGISTICS_CORS_ORIGINS"),
        ({"LOGISTICS_CORS_ORIGINS": "https://Dash.example.com"}, "LOGISTICS_CORS_ORIGINS"),
        ({"LOGISTICS_CORS_ORIGINS": "ftp://files.example.com"}, "LOGISTICS_CORS_ORIGINS"),
    ],
)
def test_bad_value_is_a_config_error_naming_the_variable(
    env: dict[str, str], variable: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(env)

    assert re.search(rf"\b{variable}\b", str(caught.value))


@pytest.mark.parametrize(
    ("raw", "allowed"),
    [("true", True), ("1", True), ("YES", True), ("on", True), ("false", False), ("0", False)],
)
def test_private_targets_are_refused_unless_allowed(raw: str, allowed: bool) -> None:
    assert Settings.from_env({}).allow_private_targets is False
    env = {"LOGISTICS_ALLOW_PRIVATE_TARGETS": raw}
    assert Settings.from_env(env).allow_private_targets is allowed


@pytest.mark.parametrize(
    ("raw", "allowed"), [(None, True), ("", True), ("false", False), ("true", True)]
)
def test_logistics_dev_allows_private_targets_unless_the_setting_is_given(
    raw: str | None, allowed: bool
) -> None:
    env = {} if raw is None else {"LOGISTICS_ALLOW_PRIVATE_TARGETS": raw}
    settings = Settings.from_env(env)

    assert dev_defaults(settings, env).allow_private_targets is allowed


@pytest.mark.parametrize(
    ("env", "flag", "bound"),
    [
        ({}, None, "127.0.0.1"),
        ({"LOGISTICS_BIND_HOST": "0.0.0.0"}, None, "0.0.0.0"),
        ({}, "0.0.0.0", "0.0.0.0"),
        ({"LOGISTICS_BIND_HOST": "::"}, "127.0.0.1", "127.0.0.1"),
    ],
)
def test_logistics_dev_listens_on_loopback_unless_told_otherwise(
    env: dict[str, str], flag: str | None, bound: str
) -> None:
    assert Settings.from_env({}).bind_host == "0.0.0.0"  # serve: a container's default

    assert dev_defaults(Settings.from_env(env), env, flag).bind_host == bound


def test_cors_origins_are_none_by_default_and_read_as_a_list() -> None:
    assert Settings.from_env({}).cors_origins == ()
    env = {"LOGISTICS_CORS_ORIGINS": "https://dash.example.com, http://127.0.0.1:5173"}
    assert Settings.from_env(env).cors_origins == (
        "https://dash.example.com",
        "http://127.0.0.1:5173",
    )
    assert Settings.from_env({"LOGISTICS_CORS_ORIGINS": "*"}).cors_origins == ("*",)


def test_config_error_is_a_value_error_so_callers_can_catch_either() -> None:
    with pytest.raises(ValueError, match="LOGISTICS_GRPC_PORT"):
        Settings.from_env({"LOGISTICS_GRPC_PORT": "abc"})


def test_equal_ports_error_names_both_variables() -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({"LOGISTICS_GRPC_PORT": "4103"})  # http_port defaults to 4103

    assert "LOGISTICS_GRPC_PORT" in str(caught.value)
    assert "LOGISTICS_HTTP_PORT" in str(caught.value)


def test_jwt_secret_of_exactly_32_characters_is_accepted() -> None:
    assert Settings.from_env({"LOGISTICS_JWT_SECRET": GOOD_SECRET}).jwt_secret == GOOD_SECRET


def test_pool_min_equal_to_max_is_accepted() -> None:
    settings = Settings.from_env(
        {"LOGISTICS_DATABASE_POOL_MIN": "4", "LOGISTICS_DATABASE_POOL_MAX": "4"}
    )
    assert settings.database_pool_min == settings.database_pool_max == 4


def test_settings_are_frozen() -> None:
    settings = Settings.from_env({})
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.grpc_port = 1  # type: ignore[misc]


def test_redis_unix_socket_url_is_accepted() -> None:
    url = "unix:///run/redis/redis.sock?db=0"
    assert Settings.from_env({"LOGISTICS_REDIS_URL": url}).redis_url == url


def test_config_error_does_not_repeat_the_database_password() -> None:
    with pytest.raises(ConfigError, match="LOGISTICS_DATABASE_URL") as caught:
        Settings.from_env({"LOGISTICS_DATABASE_URL": "postgresql://app:hunter2-secret@/db"})

    assert "hunter2-secret" not in str(caught.value)


@pytest.mark.parametrize(
    ("present", "missing"),
    [
        ({}, "LOGISTICS_DATABASE_URL"),
        ({"LOGISTICS_DATABASE_URL": "postgresql://db/x"}, "LOGISTICS_REDIS_URL"),
        (
            {"LOGISTICS_DATABASE_URL": "postgresql://db/x", "LOGISTICS_REDIS_URL": "redis://r"},
            "LOGISTICS_NATS_URL",
        ),
    ],
)
def test_require_servers_names_the_missing_variable(present: dict[str, str], missing: str) -> None:
    settings = Settings.from_env(present)

    with pytest.raises(ConfigError) as caught:
        settings.require_servers()

    assert re.search(rf"\b{missing}\b", str(caught.value))


def test_require_servers_passes_when_all_three_are_set() -> None:
    Settings.from_env(
        {
            "LOGISTICS_DATABASE_URL": "postgresql://db/x",
            "LOGISTICS_REDIS_URL": "redis://r",
            "LOGISTICS_NATS_URL": "nats://n",
        }
    ).require_servers()


def test_require_auth_fails_without_secret_or_jwks_and_names_both_options() -> None:
    with pytest.raises(ConfigError) as caught:
        Settings.from_env({}).require_auth()

    assert "LOGISTICS_JWKS_URL" in str(caught.value)
    assert "LOGISTICS_JWT_SECRET" in str(caught.value)


@pytest.mark.parametrize(
    "env",
    [
        {"LOGISTICS_JWT_SECRET": GOOD_SECRET},
        {"LOGISTICS_JWKS_URL": "https://auth.example.com/.well-known/jwks.json"},
    ],
)
def test_require_auth_passes_with_a_secret_or_a_jwks_url(env: dict[str, str]) -> None:
    Settings.from_env(env).require_auth()


def test_jwks_url_and_jwt_secret_together_stop_start_up_naming_both() -> None:
    env = {
        "LOGISTICS_JWKS_URL": "https://auth.example.com/.well-known/jwks.json",
        "LOGISTICS_JWT_SECRET": GOOD_SECRET,
    }
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(env)

    assert "LOGISTICS_JWKS_URL" in str(caught.value)
    assert "LOGISTICS_JWT_SECRET" in str(caught.value)
    assert GOOD_SECRET not in str(caught.value)


@pytest.mark.parametrize("command", ["serve", "worker", "dev"])
def test_every_process_refuses_a_jwks_url_beside_a_jwt_secret(
    command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from logistics.cli import main

    monkeypatch.setenv("LOGISTICS_JWKS_URL", "https://auth.example.com/.well-known/jwks.json")
    monkeypatch.setenv("LOGISTICS_JWT_SECRET", GOOD_SECRET)

    assert main([command]) == 2
    err = capsys.readouterr().err
    assert "LOGISTICS_JWKS_URL and LOGISTICS_JWT_SECRET" in err


def test_secrets_keys_are_read_current_first() -> None:
    other = "k0:" + "b" * 43 + "="
    keyring = Settings.from_env({"LOGISTICS_SECRETS_KEYS": f"{GOOD_KEY}, {other}"}).secrets_keys

    assert keyring is not None
    assert keyring.ids == ("k1", "k0")


def test_a_bad_key_is_refused_without_repeating_it() -> None:
    with pytest.raises(ConfigError, match="must be 32 bytes") as caught:
        Settings.from_env({"LOGISTICS_SECRETS_KEYS": "k1:" + "a" * 40})

    assert "aaaa" not in str(caught.value)


def test_require_keyring_names_the_variable_when_it_is_unset() -> None:
    with pytest.raises(ConfigError, match="LOGISTICS_SECRETS_KEYS is not set"):
        Settings.from_env({}).require_keyring()

    assert Settings.from_env({"LOGISTICS_SECRETS_KEYS": GOOD_KEY}).require_keyring().ids == ("k1",)


def _example_variables() -> dict[str, str]:
    """``LOGISTICS_X=value`` lines of example.env, commented-out ones included (value '')."""
    found: dict[str, str] = {}
    for line in EXAMPLE_ENV.read_text().splitlines():
        match = re.match(r"^\s*(#)?\s*(?:export\s+)?(LOGISTICS_[A-Z0-9_]+)\s*=(.*)$", line)
        if match:
            commented, name, value = match.groups()
            found[name] = "" if commented else value.strip().strip("'\"")
    return found


def test_example_env_lists_every_setting() -> None:
    assert EXAMPLE_ENV.is_file(), f"{EXAMPLE_ENV} is missing"
    listed = set(_example_variables())

    expected = {f"LOGISTICS_{f.name.upper()}" for f in dataclasses.fields(Settings)}

    assert sorted(expected - listed) == []


def test_example_env_values_load_as_settings() -> None:
    """A user who copies example.env as it is gets a configuration that starts."""
    assert EXAMPLE_ENV.is_file(), f"{EXAMPLE_ENV} is missing"

    Settings.from_env(_example_variables())

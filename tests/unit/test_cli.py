"""The ``logistics`` command refuses to run long-lived processes without the secrets keys, and
``logistics dev`` keeps a keyring of its own."""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path

import pytest

from logistics import cli
from logistics.cli import _dev_keyring, main

SERVING_ENV = {
    "LOGISTICS_DATABASE_URL": "postgresql://app@127.0.0.1:1/none",
    "LOGISTICS_REDIS_URL": "redis://127.0.0.1:1/0",
    "LOGISTICS_NATS_URL": "nats://127.0.0.1:1",
    "LOGISTICS_JWT_SECRET": "s" * 32,
}


@pytest.fixture(autouse=True)
def _keep_test_logging(monkeypatch: pytest.MonkeyPatch) -> None:
    """``main`` configures the root logger for a process; the test run keeps its own."""
    monkeypatch.setattr(cli, "configure_logging", lambda level, fmt: None)


@pytest.mark.parametrize("command", ["serve", "worker", "migrate", "rotate-secrets"])
def test_commands_that_store_secrets_refuse_to_start_without_the_keys(
    command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in SERVING_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("LOGISTICS_SECRETS_KEYS", raising=False)

    assert main([command]) == 2
    assert "LOGISTICS_SECRETS_KEYS is not set" in capsys.readouterr().err


def test_a_malformed_key_stops_start_up_without_showing_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name, value in SERVING_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("LOGISTICS_SECRETS_KEYS", "k1:c2hvcnQta2V5")

    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    assert "LOGISTICS_SECRETS_KEYS" in err
    assert "c2hvcnQta2V5" not in err


def test_dev_makes_one_keyring_under_its_data_dir_readable_by_its_owner_only(
    tmp_path: Path,
) -> None:
    first = _dev_keyring(tmp_path / "data")
    again = _dev_keyring(tmp_path / "data")

    assert first.ids == again.ids == ("dev",)
    assert again.open(first.seal("whsec_x", "here"), "here") == "whsec_x"
    mode = (tmp_path / "data" / "dev-secrets-keys").stat().st_mode
    assert stat.S_IMODE(mode) == 0o600


RIDER_ID = "0b8f6c39-4c1e-4f57-9a53-6d3c2f1e7a10"


def _claims(capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    token = capsys.readouterr().out.strip()
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


@pytest.mark.parametrize("rider", [RIDER_ID, f"tenants/acme/riders/{RIDER_ID}"])
def test_token_takes_the_rider_as_the_rpcs_name_it_or_by_its_bare_id(
    rider: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LOGISTICS_JWT_SECRET", "s" * 32)
    scope = "logistics:telemetry"
    assert main(["token", "--tenant", "acme", "--scope", scope, "--rider", rider]) == 0
    assert _claims(capsys)["rider_id"] == RIDER_ID


def test_token_refuses_a_rider_of_another_tenant_or_of_another_collection(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LOGISTICS_JWT_SECRET", "s" * 32)
    base = ["token", "--tenant", "acme", "--scope", "logistics:telemetry", "--rider"]
    assert main([*base, f"tenants/other/riders/{RIDER_ID}"]) == 2
    assert "of tenant other" in capsys.readouterr().err
    assert main([*base, f"tenants/acme/tasks/{RIDER_ID}"]) == 2
    assert "tenants/{tenant}/riders/{id}" in capsys.readouterr().err

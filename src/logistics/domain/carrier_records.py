"""Carrier accounts and carrier jobs as records: a tenant's account with a carrier (its
adapter, credentials, mode, capabilities, area and priority) and the job one account carries
for one task, with what the carrier reported. Values and validation; no I/O."""

from __future__ import annotations

import enum
import math
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from logistics.domain.carriers import CarrierStatus
from logistics.domain.errors import FieldViolation, InvalidArgument

__all__ = [
    "ACCOUNT_UPDATABLE",
    "Adapter",
    "CarrierAccount",
    "CarrierJob",
    "Credentials",
    "JobEvent",
    "Mode",
    "ServiceKind",
    "validate_account",
]

MAX_TEXT = 200
MAX_LIST = 50
ACCOUNT_UPDATABLE = frozenset(
    {
        "display_name",
        "base_url",
        "mode",
        "credentials",
        "kind",
        "vehicle_types",
        "max_weight_kg",
        "max_length_cm",
        "zones",
        "priority",
        "disabled",
    }
)


class Adapter(enum.StrEnum):
    """Which connector speaks to the carrier."""

    ON_DEMAND = "on_demand"  # on-demand courier APIs, and the sandbox carrier


class Mode(enum.StrEnum):
    TEST = "test"
    LIVE = "live"


class ServiceKind(enum.StrEnum):
    ON_DEMAND = "on_demand"
    PARCEL = "parcel"


@dataclass(frozen=True)
class Credentials:
    """What the account signs in and verifies callbacks with; secret: sealed at rest, never
    shown in answers, events or audit rows."""

    api_key: str = field(repr=False)
    signing_secret: str = field(repr=False)


@dataclass(frozen=True)
class CarrierAccount:
    id: uuid.UUID
    display_name: str
    adapter: Adapter
    base_url: str
    mode: Mode
    credentials: Credentials = field(metadata={"secret": True})
    kind: ServiceKind = ServiceKind.ON_DEMAND
    vehicle_types: tuple[str, ...] = ()
    max_weight_kg: float = 0.0  # 0: no limit
    max_length_cm: float = 0.0
    zones: tuple[str, ...] = ()  # zone names; empty: anywhere
    priority: int = 0
    disabled: bool = False
    create_time: datetime | None = None
    update_time: datetime | None = None
    version: int = 0


@dataclass(frozen=True)
class CarrierJob:
    """One account's job for one task: the carrier's id for it, where it is, what it costs
    (minor units of ``currency``: quoted, final once delivered, fees such as cancellation)."""

    id: uuid.UUID
    task_id: uuid.UUID
    account_id: uuid.UUID
    carrier_ref: str
    status: CarrierStatus
    carrier_status: str
    quote_id: str
    currency: str
    quoted_amount: int
    status_time: datetime
    final_amount: int | None = None
    fee_amount: int = 0
    tracking_url: str | None = None
    courier: dict[str, Any] | None = None
    failure_reason: str | None = None
    create_time: datetime | None = None
    update_time: datetime | None = None
    version: int = 0


@dataclass(frozen=True)
class JobEvent:
    """One status the carrier reported; ``applied`` is False for a status that arrived behind
    the job (out of order), kept for the record."""

    event_id: str
    status: CarrierStatus
    carrier_status: str
    occurred_time: datetime
    applied: bool
    receive_time: datetime | None = None
    detail: dict[str, Any] = field(default_factory=dict)


def validate_account(account: CarrierAccount, prefix: str = "carrier_account") -> None:
    """Raises InvalidArgument naming each bad field."""
    out: list[FieldViolation] = []

    def bad(name: str, problem: str) -> None:
        out.append(FieldViolation(f"{prefix}.{name}", problem))

    if not account.display_name.strip() or len(account.display_name) > MAX_TEXT:
        bad("display_name", f"is required, at most {MAX_TEXT} characters")
    parts = urlsplit(account.base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(account.base_url) > 2048:
        bad("base_url", "must be an http(s) URL")
    elif account.mode is Mode.LIVE and parts.scheme != "https":
        bad("base_url", "must use https in live mode")
    if not account.credentials.api_key or len(account.credentials.api_key) > 1000:
        bad("credentials.api_key", "is required, at most 1000 characters")
    if not account.credentials.signing_secret or len(account.credentials.signing_secret) > 1000:
        bad("credentials.signing_secret", "is required, at most 1000 characters")
    for name, values in (("vehicle_types", account.vehicle_types), ("zones", account.zones)):
        if len(values) > MAX_LIST or any(not v.strip() or len(v) > MAX_TEXT for v in values):
            bad(name, f"at most {MAX_LIST} non-empty values of at most {MAX_TEXT} characters")
    for name, value in (
        ("max_weight_kg", account.max_weight_kg),
        ("max_length_cm", account.max_length_cm),
    ):
        if not math.isfinite(value) or value < 0:
            bad(name, "must be a finite number, 0 or more (0: no limit)")
    if not -1000 <= account.priority <= 1000:
        bad("priority", "must be from -1000 to 1000")
    if out:
        raise InvalidArgument(out)

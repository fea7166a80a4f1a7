"""CarrierService messages <-> carrier accounts and jobs."""

from __future__ import annotations

import uuid
from typing import Any

from bengobox.logistics.v1 import carrier_pb2, common_pb2

from logistics.api.convert_common import enum_from_proto, enum_to_proto, timestamp, update_paths
from logistics.domain.carrier_records import (
    Adapter,
    CarrierAccount,
    CarrierJob,
    Credentials,
    JobEvent,
    Mode,
    ServiceKind,
)
from logistics.domain.carriers import CarrierStatus
from logistics.domain.ids import TenantSlug
from logistics.domain.names import CARRIER_ACCOUNTS, CARRIER_JOBS
from logistics.domain.versioning import etag_for
from logistics.services.carriers import JobRecord
from logistics.services.carriers.tendering import Strategy

__all__ = [
    "account_changes",
    "account_from_proto",
    "account_to_proto",
    "job_to_proto",
    "strategy_from_proto",
]

_A = carrier_pb2.CarrierAccount
ADAPTERS: dict[int, Adapter] = {_A.ADAPTER_ON_DEMAND: Adapter.ON_DEMAND}
MODES: dict[int, Mode] = {_A.MODE_TEST: Mode.TEST, _A.MODE_LIVE: Mode.LIVE}
KINDS: dict[int, ServiceKind] = {
    _A.KIND_ON_DEMAND: ServiceKind.ON_DEMAND,
    _A.KIND_PARCEL: ServiceKind.PARCEL,
}
STATUSES: dict[int, CarrierStatus] = {
    carrier_pb2.CarrierJobStatus.Value(f"CARRIER_JOB_STATUS_{s.name}"): s for s in CarrierStatus
}
_PREFIX = "carrier_account"
_T = carrier_pb2.TenderStrategy
STRATEGIES: dict[int, Strategy] = {
    _T.TENDER_STRATEGY_CHEAPEST: Strategy.CHEAPEST,
    _T.TENDER_STRATEGY_FASTEST: Strategy.FASTEST,
    _T.TENDER_STRATEGY_PREFERRED: Strategy.PREFERRED,
}


def strategy_from_proto(value: int) -> Strategy:
    return enum_from_proto(value, STRATEGIES, "strategy") or Strategy.CHEAPEST


def _credentials(msg: carrier_pb2.CarrierAccount) -> Credentials:
    given = msg.credentials
    return Credentials(given.api_key, given.signing_secret)


def account_from_proto(msg: carrier_pb2.CarrierAccount) -> CarrierAccount:
    return CarrierAccount(
        id=uuid.uuid4(),
        display_name=msg.display_name,
        adapter=enum_from_proto(msg.adapter, ADAPTERS, f"{_PREFIX}.adapter", required=True)
        or Adapter.ON_DEMAND,
        base_url=msg.base_url,
        mode=enum_from_proto(msg.mode, MODES, f"{_PREFIX}.mode") or Mode.TEST,
        credentials=_credentials(msg),
        kind=enum_from_proto(msg.kind, KINDS, f"{_PREFIX}.kind") or ServiceKind.ON_DEMAND,
        vehicle_types=tuple(msg.vehicle_types),
        max_weight_kg=msg.max_weight_kg,
        max_length_cm=msg.max_length_cm,
        zones=tuple(msg.zones),
        priority=msg.priority,
        disabled=msg.disabled,
    )


def account_changes(msg: carrier_pb2.CarrierAccount, mask: list[str]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for path in update_paths(msg, mask, _PREFIX, immutable=frozenset({"adapter"})):
        if path == "credentials":
            changes[path] = _credentials(msg)
        elif path == "mode":
            changes[path] = enum_from_proto(msg.mode, MODES, f"{_PREFIX}.mode") or Mode.TEST
        elif path == "kind":
            changes[path] = (
                enum_from_proto(msg.kind, KINDS, f"{_PREFIX}.kind") or ServiceKind.ON_DEMAND
            )
        elif path in ("vehicle_types", "zones"):
            changes[path] = tuple(getattr(msg, path))
        else:
            changes[path] = getattr(msg, path)
    return changes


def account_to_proto(tenant: TenantSlug, a: CarrierAccount) -> carrier_pb2.CarrierAccount:
    """The account without its credentials, which are never returned."""
    return carrier_pb2.CarrierAccount(
        name=CARRIER_ACCOUNTS.name(tenant, a.id),
        display_name=a.display_name,
        adapter=enum_to_proto(a.adapter, ADAPTERS),  # type: ignore[arg-type]
        base_url=a.base_url,
        mode=enum_to_proto(a.mode, MODES),  # type: ignore[arg-type]
        kind=enum_to_proto(a.kind, KINDS),  # type: ignore[arg-type]
        vehicle_types=list(a.vehicle_types),
        max_weight_kg=a.max_weight_kg,
        max_length_cm=a.max_length_cm,
        zones=list(a.zones),
        priority=a.priority,
        disabled=a.disabled,
        etag=etag_for(a.version),
        create_time=timestamp(a.create_time),
        update_time=timestamp(a.update_time),
    )


def _amount(amount: int | None, currency: str) -> carrier_pb2.CarrierAmount | None:
    return (
        None if amount is None else carrier_pb2.CarrierAmount(amount=amount, currency_code=currency)
    )


def _courier(job: CarrierJob) -> carrier_pb2.CarrierCourier | None:
    c = job.courier
    if not c:
        return None
    location = None
    if c.get("latitude") is not None and c.get("longitude") is not None:
        location = common_pb2.GeoPoint(latitude=c["latitude"], longitude=c["longitude"])
    return carrier_pb2.CarrierCourier(
        display_name=c.get("name") or "",
        phone=c.get("phone") or "",
        vehicle_type=c.get("vehicle_type") or "",
        location=location,
    )


def _event(e: JobEvent) -> carrier_pb2.CarrierJobEvent:
    return carrier_pb2.CarrierJobEvent(
        status=enum_to_proto(e.status, STATUSES),  # type: ignore[arg-type]
        carrier_status=e.carrier_status,
        event_id=e.event_id,
        occur_time=timestamp(e.occurred_time),
        receive_time=timestamp(e.receive_time),
        applied=e.applied,
    )


def job_to_proto(tenant: TenantSlug, found: JobRecord) -> carrier_pb2.CarrierJob:
    job = found.job
    return carrier_pb2.CarrierJob(
        name=CARRIER_JOBS.name(tenant, job.task_id, job.id),
        carrier_account=CARRIER_ACCOUNTS.name(tenant, job.account_id),
        carrier_ref=job.carrier_ref,
        status=enum_to_proto(job.status, STATUSES),  # type: ignore[arg-type]
        carrier_status=job.carrier_status,
        quoted_price=_amount(job.quoted_amount, job.currency),
        final_price=_amount(job.final_amount, job.currency),
        fees=_amount(job.fee_amount, job.currency),
        tracking_url=job.tracking_url or "",
        courier=_courier(job),
        failure_reason=job.failure_reason or "",
        history=[_event(e) for e in found.history],
        create_time=timestamp(job.create_time),
        update_time=timestamp(job.update_time),
    )

"""A task's public view (what its audit rows and events show) made field by field for orjson,
and the request fingerprint derived from that same view: the bulk create paths' one snapshot.

``public_view(task)`` holds the values themselves (UUIDs, enums, datetimes, dataclasses), which
orjson encodes as ``snapshot`` does; encoded, it is ``snapshot(task, public=True)`` (a test holds
the two equal, field for field). It is several times cheaper than the generic ``snapshot``,
which decides per value; an import makes one per row.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import orjson

from logistics.domain.returns import ItemCondition
from logistics.domain.tasks import Item, Step, Task

# A task's fields the server assigns (a step's too: ``id``); a fingerprint leaves them out.
# The cold chain fields are kept by temperature readings, never sent with a create.
VOLATILE = frozenset(
    {
        "id",
        "create_time",
        "update_time",
        "version",
        "temperature_excursion",
        "temperature_excursion_active",
        "last_temperature",
    }
)
# Marks a fingerprint made by ``view_fingerprint``: a stored hash without it was made by the
# generic ``request_fingerprint`` before (see ``services.idempotency.same_request``).
FINGERPRINT_SCHEME = "v2:"
# Fields added to the view after its fingerprints were first stored (returns, migration 0017;
# flows, 0018): left out of a fingerprint while at their defaults, so a create sent before them
# and retried after an upgrade is still the same request.
_LATER_TASK_FIELDS = (
    ("origin_task_id", None),
    ("purpose", "unspecified"),
    ("flow_id", None),
    ("attempt", 1),
)


@dataclass(frozen=True)
class _EarlierItem:
    """An item as fingerprints saw it before returns (orjson encodes a dataclass's fields in
    order, unsorted)."""

    sku: str | None
    description: str | None
    quantity: int
    weight_kg: float
    volume_l: float
    min_temperature_c: float
    max_temperature_c: float


def _step_view(s: Step) -> dict[str, Any]:
    # dataclasses.fields(Step) in order, less the secret code_hash. Enums by ``_value_``: orjson
    # reads an enum's ``value`` through its descriptor, several times slower.
    return {
        "id": s.id,
        "kind": s.kind._value_,
        "latitude": s.latitude,
        "longitude": s.longitude,
        "address": s.address,
        "outlet_id": s.outlet_id,
        "window": s.window,
        "contact_name": s.contact_name,
        "contact_phone": s.contact_phone,
        "required_proofs": sorted(p._value_ for p in s.required_proofs),
        "service_seconds": s.service_seconds,
        "state": s.state._value_,
        "code_attempts": s.code_attempts,
        "arrive_time": s.arrive_time,
        "complete_time": s.complete_time,
        "address_state": s.address_state._value_,
        "candidates": s.candidates,
        "geocode_attempts": s.geocode_attempts,
        "instructions": s.instructions,
        "curbside": s.curbside,
        "wait_seconds": s.wait_seconds,
        "arrival_check": s.arrival_check,
        "completion_check": s.completion_check,
        "findings": s.findings,
    }


def public_view(task: Task) -> dict[str, Any]:
    """``snapshot(task, public=True)`` before encoding: orjson encodes the values."""
    metadata = task.metadata
    return {
        "id": task.id,
        "kind": task.kind._value_,
        "steps": [_step_view(s) for s in task.steps],
        "state": task.state._value_,
        "order_id": task.order_id,
        "outlet_id": task.outlet_id,
        "priority": task.priority,
        "items": task.items,
        "current_step": task.current_step,
        "rider_id": task.rider_id,
        "pickup_deadline": task.pickup_deadline,
        "delivery_deadline": task.delivery_deadline,
        "sla_state": task.sla_state._value_,
        "manual_dispatch": task.manual_dispatch,
        "notes": task.notes,
        "metadata": metadata if type(metadata) is dict else dict(metadata),
        "ready_time": task.ready_time,
        "mark_ready_time": task.mark_ready_time,
        "create_time": task.create_time,
        "update_time": task.update_time,
        "version": task.version,
        "origin_task_id": task.origin_task_id,
        "purpose": task.purpose._value_,
        "flow_id": task.flow_id,
        "attempt": task.attempt,
        "temperature_excursion": task.temperature_excursion,
        "temperature_excursion_active": task.temperature_excursion_active,
        "last_temperature": task.last_temperature,
    }


def encode(view: dict[str, Any]) -> str:
    """The view as JSON text (for a jsonb parameter)."""
    return orjson.dumps(view).decode()


def view_fingerprint(view: dict[str, Any]) -> str:
    """What a create's request_id stands for: SHA-256 of the view without the fields the
    server assigns, keys sorted (the codes are never in a view: a retry with other one-time
    codes counts as the same request)."""
    content = view.copy()  # copies and deletions: cheaper than comprehensions here
    for key in VOLATILE:
        del content[key]
    for key, default in _LATER_TASK_FIELDS:
        if content[key] == default:
            del content[key]
    content["items"] = _earlier_items(view["items"])
    steps = content["steps"] = [s.copy() for s in view["steps"]]
    for step in steps:
        del step["id"]
        if not step["findings"]:
            del step["findings"]
    digest = hashlib.sha256(orjson.dumps(content, option=orjson.OPT_SORT_KEYS)).hexdigest()
    return FINGERPRINT_SCHEME + digest


def _earlier_items(items: tuple[Item, ...]) -> list[_EarlierItem] | tuple[Item, ...]:
    """``items`` as fingerprints saw them before returns, when none has a condition or is
    collected (a request of then); else as they are (a request of now)."""
    if any(i.condition is not ItemCondition.UNSPECIFIED or i.collect for i in items):
        return items
    return [
        _EarlierItem(
            i.sku,
            i.description,
            i.quantity,
            i.weight_kg,
            i.volume_l,
            i.min_temperature_c,
            i.max_temperature_c,
        )
        for i in items
    ]

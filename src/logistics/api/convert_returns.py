"""Translation of the returns and exchanges fields of a task (its forward task, purpose and the
items' condition) between TaskService messages and domain values."""

from __future__ import annotations

import uuid

from bengobox.logistics.v1 import task_pb2

from logistics.api.convert_common import enum_from_proto, enum_to_proto
from logistics.api.convert_fleet import reference
from logistics.domain.ids import TenantSlug
from logistics.domain.names import TASKS
from logistics.domain.returns import ItemCondition, ItemFinding, TaskPurpose

# UNSPECIFIED included, so a task's value always has a number (a request's 0 is still None
# for ``enum_from_proto``: no filter, or the default).
PURPOSES: dict[int, TaskPurpose] = {
    task_pb2.TASK_PURPOSE_UNSPECIFIED: TaskPurpose.UNSPECIFIED,
    task_pb2.TASK_PURPOSE_CUSTOMER_RETURN: TaskPurpose.CUSTOMER_RETURN,
    task_pb2.TASK_PURPOSE_EXCHANGE: TaskPurpose.EXCHANGE,
    task_pb2.TASK_PURPOSE_EXPIRED_GOODS: TaskPurpose.EXPIRED_GOODS,
    task_pb2.TASK_PURPOSE_WASTE_PICKUP: TaskPurpose.WASTE_PICKUP,
    task_pb2.TASK_PURPOSE_FAILED_DELIVERY: TaskPurpose.FAILED_DELIVERY,
    task_pb2.TASK_PURPOSE_TRANSFER: TaskPurpose.TRANSFER,
}
CONDITIONS: dict[int, ItemCondition] = {
    task_pb2.ITEM_CONDITION_UNSPECIFIED: ItemCondition.UNSPECIFIED,
    task_pb2.ITEM_CONDITION_NEW: ItemCondition.NEW,
    task_pb2.ITEM_CONDITION_GOOD: ItemCondition.GOOD,
    task_pb2.ITEM_CONDITION_DAMAGED: ItemCondition.DAMAGED,
    task_pb2.ITEM_CONDITION_EXPIRED: ItemCondition.EXPIRED,
    task_pb2.ITEM_CONDITION_WASTE: ItemCondition.WASTE,
    task_pb2.ITEM_CONDITION_OPENED: ItemCondition.OPENED,
}


def origin_from_proto(tenant: TenantSlug, value: str, field: str) -> uuid.UUID | None:
    """A forward task's name: a task of ``tenant`` (INVALID_ARGUMENT on ``field`` for a name
    that is not a task's, or one of another tenant); empty is None."""
    return reference(tenant, value, TASKS, field)


def origin_to_proto(tenant: TenantSlug, origin: uuid.UUID | None) -> str:
    return TASKS.name(tenant, origin) if origin else ""


def purpose_from_proto(value: int, field: str) -> TaskPurpose:
    return enum_from_proto(value, PURPOSES, field) or TaskPurpose.UNSPECIFIED


def condition_from_proto(value: int, field: str) -> ItemCondition:
    return enum_from_proto(value, CONDITIONS, field) or ItemCondition.UNSPECIFIED


def findings_from_proto(proof: task_pb2.Proof, field: str) -> tuple[ItemFinding, ...]:
    """The items a proof shows (their indexes are checked against the task's items later)."""
    return tuple(
        ItemFinding(f.item, condition_from_proto(f.condition, f"{field}.items[{j}].condition"))
        for j, f in enumerate(proof.items)
    )


def findings_to_proto(findings: tuple[ItemFinding, ...]) -> list[task_pb2.ReturnItemFinding]:
    return [
        task_pb2.ReturnItemFinding(
            item=f.item,
            condition=enum_to_proto(f.condition, CONDITIONS),  # type: ignore[arg-type]
        )
        for f in findings
    ]

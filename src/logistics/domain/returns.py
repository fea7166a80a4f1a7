"""Returns, exchanges and other linked tasks: why a task exists (its purpose), the condition of
its items, and the rules tying a purpose to the task's kind and to its forward task. Pure.

A task may name the forward task it belongs to (``origin_task_id``): the delivery a customer
return, an exchange or a re-attempt is about. The rules here need only the task itself; the
origin's existence and state are checked where the store is (``services.tasks.origins``).
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from logistics.domain.errors import FieldViolation


class TaskPurpose(enum.StrEnum):
    UNSPECIFIED = "unspecified"
    CUSTOMER_RETURN = "customer_return"
    EXCHANGE = "exchange"
    EXPIRED_GOODS = "expired_goods"
    WASTE_PICKUP = "waste_pickup"
    FAILED_DELIVERY = "failed_delivery"
    TRANSFER = "transfer"


class ItemCondition(enum.StrEnum):
    UNSPECIFIED = "unspecified"
    NEW = "new"
    GOOD = "good"
    DAMAGED = "damaged"
    EXPIRED = "expired"
    WASTE = "waste"
    OPENED = "opened"


@dataclass(frozen=True)
class ItemFinding:
    """An item a proof shows (its index in the task's items) and the condition the rider found
    it in (UNSPECIFIED: shown, not judged); ``proof_id``: that proof, once stored."""

    item: int
    condition: ItemCondition
    proof_id: uuid.UUID | None = None


# The task kinds (``TaskKind`` values) each purpose allows; UNSPECIFIED allows every kind. A
# waste pickup may be a PICKUP: collecting empties or waste is often booked as a plain pickup
# (nothing was delivered before), and it carries goods away like a return.
PURPOSE_KINDS: Mapping[TaskPurpose, frozenset[str]] = {
    TaskPurpose.CUSTOMER_RETURN: frozenset({"return"}),
    TaskPurpose.EXCHANGE: frozenset({"delivery"}),
    TaskPurpose.EXPIRED_GOODS: frozenset({"return"}),
    TaskPurpose.WASTE_PICKUP: frozenset({"return", "pickup"}),
    TaskPurpose.FAILED_DELIVERY: frozenset({"delivery", "return"}),
    TaskPurpose.TRANSFER: frozenset({"transfer", "shuttle"}),
}

# Purposes that need their forward task: a re-attempt or return leg of nothing is meaningless.
NEEDS_ORIGIN = frozenset({TaskPurpose.FAILED_DELIVERY})

# The state (``TaskState`` value) the forward task must have reached for a task of this purpose
# to name it: goods come back from a delivery that was made; a failed delivery's leg follows a
# failure. Purposes not listed may name a forward task in any state.
ORIGIN_STATE: Mapping[TaskPurpose, str] = {
    TaskPurpose.CUSTOMER_RETURN: "completed",
    TaskPurpose.EXCHANGE: "completed",
    TaskPurpose.EXPIRED_GOODS: "completed",
    TaskPurpose.FAILED_DELIVERY: "failed",
}

# The type of the entry a linked task's creation adds to its forward task's trail.
RETURN_PURPOSES = frozenset(
    {TaskPurpose.CUSTOMER_RETURN, TaskPurpose.EXPIRED_GOODS, TaskPurpose.WASTE_PICKUP}
)


def origin_trail_type(kind: str, purpose: TaskPurpose) -> str:
    """``return_created`` for a return (kind RETURN or a return's purpose), ``exchange_created``
    for an exchange, ``linked_task_created`` for anything else (a re-attempt, a transfer)."""
    if purpose is TaskPurpose.EXCHANGE:
        return "exchange_created"
    if kind == "return" or purpose in RETURN_PURPOSES:
        return "return_created"
    return "linked_task_created"


def exchange_visit(step_kinds: Sequence[str]) -> int | None:
    """The index of an exchange's visit to the customer: its first drop-off step, where the
    new items are delivered and the old ones collected; the steps after it bring the collected
    items back (the return leg)."""
    return next((i for i, k in enumerate(step_kinds) if k == "drop_off"), None)


def link_violations(
    kind: str,
    purpose: TaskPurpose,
    has_origin: bool,
    collects: Sequence[bool],
    step_kinds: Sequence[str] = (),
) -> list[FieldViolation]:
    """What is wrong with a task's purpose given its kind (a ``TaskKind`` value), whether it
    names a forward task, its items' ``collect`` flags and its steps' kinds (``StepKind``
    values)."""
    out: list[FieldViolation] = []
    allowed = PURPOSE_KINDS.get(purpose)
    if allowed is not None and kind not in allowed:
        kinds = " or ".join(k.upper() for k in sorted(allowed))
        out.append(FieldViolation("task.purpose", f"{purpose.value} needs kind {kinds}"))
    if purpose in NEEDS_ORIGIN and not has_origin:
        out.append(FieldViolation("task.origin_task", f"is required for {purpose.value}"))
    if purpose is TaskPurpose.EXCHANGE and (all(collects) or not any(collects)):
        out.append(
            FieldViolation(
                "task.items",
                "an exchange needs items to deliver and items to collect (collect: true)",
            )
        )
    if purpose is TaskPurpose.EXCHANGE:
        visit = exchange_visit(step_kinds)
        if visit is None or visit == len(step_kinds) - 1:
            out.append(
                FieldViolation(
                    "task.steps",
                    "an exchange needs a drop-off step (the visit) and a step after it that "
                    "brings the collected items back",
                )
            )
    return out

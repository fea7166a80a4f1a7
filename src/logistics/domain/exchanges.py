"""What completing a step of an exchange or a return needs beyond the step's required proofs:
the proofs' items checked, proof of both sides of an exchange's visit, the condition of a
return's goods at pickup; and the findings kept on the step. Pure.

- An exchange's visit (its first drop-off, ``returns.exchange_visit``) needs proof of the
  delivered side (a one-time code, signature or recipient name, which acknowledge the whole
  delivery, or any proof showing a delivered item) and of the collected side (a photo showing
  each collected item, and each one's condition as the rider found it).
- A return's pickup (the first pickup of a customer return, expired goods or waste pickup)
  needs the condition of each of its items as the rider found it.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from logistics.domain.errors import FailedPrecondition, FieldViolation, InvalidArgument
from logistics.domain.returns import (
    ItemCondition,
    ItemFinding,
    TaskPurpose,
    exchange_visit,
)
from logistics.domain.tasks import ProofKind, Step, StepKind, Task

# Proofs by which the customer acknowledges the whole delivery, not one item.
ACKNOWLEDGING = frozenset({ProofKind.ONE_TIME_CODE, ProofKind.SIGNATURE, ProofKind.RECIPIENT_NAME})
# Purposes whose first pickup takes the goods from the customer or the shop.
CONDITION_AT_PICKUP = frozenset(
    {TaskPurpose.CUSTOMER_RETURN, TaskPurpose.EXPIRED_GOODS, TaskPurpose.WASTE_PICKUP}
)


@dataclass(frozen=True)
class GivenProof:
    """A proof given with a completion, as far as these rules look at it."""

    kind: ProofKind
    items: tuple[ItemFinding, ...] = ()


def check_items(task: Task, proofs: Sequence[GivenProof]) -> None:
    """INVALID_ARGUMENT for a proof showing an item the task does not have, or an item two
    proofs find in different conditions."""
    out: list[FieldViolation] = []
    found: dict[int, tuple[str, ItemCondition]] = {}
    for i, proof in enumerate(proofs):
        for j, f in enumerate(proof.items):
            field = f"proofs[{i}].items[{j}]"
            if not 0 <= f.item < len(task.items):
                out.append(
                    FieldViolation(
                        f"{field}.item", f"names no item of the task (it has {len(task.items)})"
                    )
                )
                continue
            if f.condition is ItemCondition.UNSPECIFIED:
                continue
            earlier = found.setdefault(f.item, (field, f.condition))
            if earlier[1] is not f.condition:
                out.append(
                    FieldViolation(
                        f"{field}.condition",
                        f"{f.condition.value} differs from {earlier[1].value} in {earlier[0]}",
                    )
                )
    if out:
        raise InvalidArgument(out)


def require_findings(task: Task, step: Step, proofs: Sequence[GivenProof]) -> None:
    """FAILED_PRECONDITION naming everything missing when ``step`` is an exchange's visit
    (``EXCHANGE_PROOF_REQUIRED``) or a return's pickup (``ITEM_CONDITION_REQUIRED``)."""
    judged = {
        f.item for p in proofs for f in p.items if f.condition is not ItemCondition.UNSPECIFIED
    }
    index = next(i for i, s in enumerate(task.steps) if s.id == step.id)
    if task.purpose is TaskPurpose.EXCHANGE and index == _visit(task):
        missing = _exchange_missing(task, proofs, judged)
        if missing:
            raise FailedPrecondition(
                f"step {step.id} is an exchange's visit: {'; '.join(missing)}",
                reason="EXCHANGE_PROOF_REQUIRED",
                details={"step_id": step.id},
            )
    if task.purpose in CONDITION_AT_PICKUP and index == _first_pickup(task):
        unjudged = [_item(task, i) for i in range(len(task.items)) if i not in judged]
        if unjudged:
            raise FailedPrecondition(
                f"step {step.id} picks up returned goods: record the condition found of "
                + ", ".join(unjudged),
                reason="ITEM_CONDITION_REQUIRED",
                details={"step_id": step.id},
            )


def _exchange_missing(task: Task, proofs: Sequence[GivenProof], judged: set[int]) -> list[str]:
    delivered = {i for i, item in enumerate(task.items) if not item.collect}
    collected = [i for i, item in enumerate(task.items) if item.collect]
    shown = {f.item for p in proofs for f in p.items}
    photographed = {f.item for p in proofs if p.kind is ProofKind.PHOTO for f in p.items}
    missing = []
    if not (any(p.kind in ACKNOWLEDGING for p in proofs) or shown & delivered):
        first = _item(task, min(delivered)) if delivered else "a delivered item"
        missing.append(
            "no proof of the delivered items (a one-time code, signature or recipient name, "
            f"or a proof showing {first})"
        )
    missing += [
        f"no photo of collected {_item(task, i)}" for i in collected if i not in photographed
    ]
    missing += [
        f"no condition recorded for collected {_item(task, i)}"
        for i in collected
        if i not in judged
    ]
    return missing


def with_findings(
    task: Task, step_id: str, proofs: Sequence[GivenProof], proof_ids: Sequence[uuid.UUID]
) -> Task:
    """``task`` with the step's findings: each proof's items, with that proof's id."""
    findings = tuple(
        dataclasses.replace(f, proof_id=proof_id)
        for proof, proof_id in zip(proofs, proof_ids, strict=True)
        for f in proof.items
    )
    if not findings:
        return task
    steps = tuple(
        dataclasses.replace(s, findings=findings) if s.id == step_id else s for s in task.steps
    )
    return dataclasses.replace(task, steps=steps)


def _visit(task: Task) -> int | None:
    return exchange_visit([s.kind._value_ for s in task.steps])


def _first_pickup(task: Task) -> int | None:
    return next((i for i, s in enumerate(task.steps) if s.kind is StepKind.PICKUP), None)


def _item(task: Task, index: int) -> str:
    sku = task.items[index].sku
    return f"items[{index}] ({sku})" if sku else f"items[{index}]"

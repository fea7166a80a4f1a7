"""Completing an exchange's visit or a return's pickup: proofs of both sides of an exchange,
the condition of returned goods, the items a proof names; checked for every combination of
the proofs a rider can give."""

from __future__ import annotations

import itertools
import uuid

import pytest

from logistics.domain.errors import FailedPrecondition, InvalidArgument
from logistics.domain.exchanges import GivenProof, check_items, require_findings, with_findings
from logistics.domain.returns import ItemCondition, ItemFinding, TaskPurpose
from logistics.domain.tasks import Item, ProofKind, Step, StepKind, Task, TaskKind

NEW_PHONE, OLD_PHONE = Item("phone-new"), Item("phone-old", collect=True)
STEPS = (
    Step("0", StepKind.PICKUP, -1.28, 36.81),
    Step("1", StepKind.DROP_OFF, -1.30, 36.78),
    Step("2", StepKind.DROP_OFF, -1.28, 36.81),
)
GOOD, DAMAGED, UNJUDGED = ItemCondition.GOOD, ItemCondition.DAMAGED, ItemCondition.UNSPECIFIED


def exchange() -> Task:
    return Task(
        uuid.uuid4(),
        TaskKind.DELIVERY,
        STEPS,
        purpose=TaskPurpose.EXCHANGE,
        items=(NEW_PHONE, OLD_PHONE),
    )


def shows(kind: ProofKind, *findings: tuple[int, ItemCondition]) -> GivenProof:
    return GivenProof(kind, tuple(ItemFinding(i, c) for i, c in findings))


def missing(task: Task, step: int, *proofs: GivenProof) -> str | None:
    try:
        require_findings(task, task.steps[step], proofs)
    except FailedPrecondition as exc:
        return exc.reason
    return None


# Every way a rider may prove each side, and ways that prove nothing.
DELIVERED_SIDE = {
    "code": [shows(ProofKind.ONE_TIME_CODE)],
    "signature": [shows(ProofKind.SIGNATURE)],
    "recipient": [shows(ProofKind.RECIPIENT_NAME)],
    "photo of the new item": [shows(ProofKind.PHOTO, (0, UNJUDGED))],
    "nfc tag of the new item": [shows(ProofKind.NFC_TAG, (0, GOOD))],
    "photo of nothing": [shows(ProofKind.PHOTO)],
    "nothing": [],
}
PROVES_DELIVERY = {
    "code",
    "signature",
    "recipient",
    "photo of the new item",
    "nfc tag of the new item",
}
COLLECTED_SIDE = {
    "photo with condition": [shows(ProofKind.PHOTO, (1, DAMAGED))],
    "photo, condition on a tag": [
        shows(ProofKind.PHOTO, (1, UNJUDGED)),
        shows(ProofKind.NFC_TAG, (1, DAMAGED)),
    ],
    "photo without condition": [shows(ProofKind.PHOTO, (1, UNJUDGED))],
    "condition without photo": [shows(ProofKind.SIGNATURE, (1, DAMAGED))],
    "nothing": [],
}
PROVES_COLLECTION = {"photo with condition", "photo, condition on a tag"}


@pytest.mark.parametrize(
    ("delivered", "collected"), list(itertools.product(DELIVERED_SIDE, COLLECTED_SIDE))
)
def test_an_exchange_visit_needs_proof_of_both_sides(delivered: str, collected: str) -> None:
    proofs = DELIVERED_SIDE[delivered] + COLLECTED_SIDE[collected]
    kinds = [p.kind for p in proofs if p.kind is not ProofKind.PHOTO]
    if len(kinds) != len(set(kinds)):
        pytest.skip("a kind of proof given twice is refused before these rules")
    fits = delivered in PROVES_DELIVERY and collected in PROVES_COLLECTION
    assert missing(exchange(), 1, *proofs) == (None if fits else "EXCHANGE_PROOF_REQUIRED")


def test_the_refusal_says_what_is_missing() -> None:
    with pytest.raises(FailedPrecondition) as caught:
        require_findings(exchange(), STEPS[1], [shows(ProofKind.PHOTO, (1, UNJUDGED))])
    assert caught.value.message == (
        "step 1 is an exchange's visit: no proof of the delivered items (a one-time code, "
        "signature or recipient name, or a proof showing items[0] (phone-new)); "
        "no condition recorded for collected items[1] (phone-old)"
    )
    assert caught.value.details == {"step_id": "1"}


def test_only_the_visit_of_an_exchange_needs_both_sides() -> None:
    assert missing(exchange(), 0) is None  # the pickup of the new item
    assert missing(exchange(), 2) is None  # the return leg


@pytest.mark.parametrize("purpose", [p for p in TaskPurpose if p is not TaskPurpose.EXCHANGE])
def test_a_returns_pickup_needs_the_condition_of_every_item(purpose: TaskPurpose) -> None:
    task = Task(
        uuid.uuid4(),
        TaskKind.RETURN,
        STEPS[:2],
        purpose=purpose,
        items=(Item("kettle"), Item("toaster")),
    )
    one = shows(ProofKind.PHOTO, (0, DAMAGED))
    both = shows(ProofKind.PHOTO, (0, DAMAGED), (1, ItemCondition.OPENED))
    needs = purpose in {
        TaskPurpose.CUSTOMER_RETURN,
        TaskPurpose.EXPIRED_GOODS,
        TaskPurpose.WASTE_PICKUP,
    }
    assert missing(task, 0, one) == ("ITEM_CONDITION_REQUIRED" if needs else None)
    assert missing(task, 0, both) is None
    assert missing(task, 1) is None  # the drop-off at the warehouse


def test_a_proof_names_only_items_of_the_task_and_one_condition_each() -> None:
    check_items(exchange(), [shows(ProofKind.PHOTO, (0, GOOD), (1, DAMAGED))])
    with pytest.raises(InvalidArgument) as caught:
        check_items(
            exchange(),
            [
                shows(ProofKind.PHOTO, (2, GOOD), (-1, GOOD), (1, DAMAGED)),
                shows(ProofKind.PHOTO, (1, GOOD), (1, UNJUDGED)),
            ],
        )
    assert [(v.field, v.description) for v in caught.value.violations] == [
        ("proofs[0].items[0].item", "names no item of the task (it has 2)"),
        ("proofs[0].items[1].item", "names no item of the task (it has 2)"),
        ("proofs[1].items[0].condition", "good differs from damaged in proofs[0].items[2]"),
    ]


def test_the_findings_are_kept_on_the_step_with_their_proof() -> None:
    proofs = [shows(ProofKind.SIGNATURE), shows(ProofKind.PHOTO, (1, DAMAGED))]
    ids = [uuid.uuid4(), uuid.uuid4()]
    kept = with_findings(exchange(), "1", proofs, ids)
    assert kept.steps[1].findings == (ItemFinding(1, DAMAGED, ids[1]),)
    assert [s.findings for s in (kept.steps[0], kept.steps[2])] == [(), ()]

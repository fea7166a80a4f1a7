"""A task's public view made field by field (the bulk creates' one snapshot) is the generic
snapshot's, field for field, and the request fingerprint made from it covers what the caller
sent and nothing the server assigns."""

from __future__ import annotations

import dataclasses
import json
import uuid
from datetime import UTC, datetime, timedelta, timezone

from logistics.domain.addresses import AddressState, Candidate
from logistics.domain.coldchain import Reading
from logistics.domain.compliance import Window
from logistics.domain.returns import ItemCondition, TaskPurpose
from logistics.domain.tasks import Item, ProofKind, Step, StepKind, Task, TaskKind, TaskState
from logistics.services.idempotency import request_fingerprint, same_request
from logistics.services.tasks.intake import fingerprinted, task_fingerprint
from logistics.store.snapshot import snapshot
from logistics.store.task_view import encode, public_view

NAIROBI = timezone(timedelta(hours=3))
AT = datetime(2026, 12, 4, 12, 0, 0, 120000, tzinfo=UTC)


def busy_task() -> Task:
    """Every field of a task and of its steps set to something other than its default."""
    pickup = Step(
        "p",
        StepKind.PICKUP,
        -1.2648,
        36.8045,
        address="Kitchen 4",
        outlet_id="outlet-9",
        window=Window(AT, AT + timedelta(minutes=20)),
        contact_name="Mama Oliech",
        contact_phone="+254712345678",
        required_proofs=frozenset({ProofKind.SIGNATURE, ProofKind.PHOTO, ProofKind.ONE_TIME_CODE}),
        service_seconds=120,
        code_hash="scrypt$secret",
        code_attempts=2,
        arrive_time=AT.astimezone(NAIROBI),
        complete_time=AT + timedelta(minutes=3),
        address_state=AddressState.RESOLVED,
        candidates=(Candidate("Kitchen 4, Westlands", -1.26, 36.80, 0.9),),
        geocode_attempts=1,
        instructions="ring twice",
        curbside=True,
        wait_seconds=95,
    )
    drop = Step("d", StepKind.DROP_OFF, -1.29, 36.79e0, address="House 7")
    return Task(
        id=uuid.uuid4(),
        kind=TaskKind.RETURN,
        steps=(pickup, drop),
        state=TaskState.ASSIGNED,
        order_id="ORD-1",
        outlet_id="outlet-9",
        priority=3,
        items=(Item("sku-1", "soup", 2, 1.5, 0.7, 2.0, 8.0, ItemCondition.DAMAGED, True),),
        current_step=1,
        rider_id=uuid.uuid4(),
        pickup_deadline=AT,
        delivery_deadline=AT.astimezone(NAIROBI),
        manual_dispatch=True,
        notes='a "quoted" note',
        metadata={"source": "pos", "nested": {"n": [1, 2.5, None]}},
        ready_time=AT,
        mark_ready_time=AT + timedelta(seconds=1),
        create_time=AT,
        update_time=AT + timedelta(microseconds=1),
        version=4,
        origin_task_id=uuid.uuid4(),
        purpose=TaskPurpose.CUSTOMER_RETURN,
        temperature_excursion=True,
        temperature_excursion_active=True,
        last_temperature=Reading("probe-1", AT, 9.5),
    )


def test_the_view_is_the_generic_public_snapshot_field_for_field() -> None:
    plain = Task(uuid.uuid4(), TaskKind.DELIVERY, (Step("0", StepKind.PICKUP, 1.0, 2.0),))
    for task in (busy_task(), plain):
        view = json.loads(encode(public_view(task)))
        generic = snapshot(task, public=True)
        assert view == generic
        assert list(view) == list(generic)  # the same order of keys, too
        assert [list(s) for s in view["steps"]] == [list(s) for s in generic["steps"]]
    assert "code_hash" not in json.dumps(public_view(busy_task()), default=str)


def test_every_field_of_a_task_and_a_step_is_in_the_view() -> None:
    """A field added to Task or Step must be added to public_view (or marked secret)."""
    view = public_view(busy_task())
    assert list(view) == [f.name for f in dataclasses.fields(Task)]
    shown = [f.name for f in dataclasses.fields(Step) if not f.metadata.get("secret")]
    assert list(view["steps"][0]) == shown


def test_a_set_is_snapshot_in_one_order_whatever_the_process() -> None:
    """An enum hashes by its name's string hash, which changes from one process to the next:
    a set of proofs must not carry that order into a fingerprint."""
    proofs = frozenset({ProofKind.SIGNATURE, ProofKind.PHOTO})
    assert snapshot(proofs) == ["photo", "signature"]


def test_the_fingerprint_covers_the_content_not_what_the_server_assigns() -> None:
    task = busy_task()
    fingerprint = task_fingerprint(task)
    assigned = dataclasses.replace(
        task,
        id=uuid.uuid4(),
        create_time=None,
        update_time=AT + timedelta(days=1),
        version=9,
        temperature_excursion=False,
        temperature_excursion_active=False,
        last_temperature=None,
        steps=tuple(
            dataclasses.replace(s, id=str(i), code_hash=None) for i, s in enumerate(task.steps)
        ),
    )
    assert task_fingerprint(assigned) == fingerprint
    assert task_fingerprint(dataclasses.replace(task, priority=4)) != fingerprint
    assert task_fingerprint(dataclasses.replace(task, metadata={"source": "web"})) != fingerprint
    reordered = dataclasses.replace(
        task, metadata={"nested": {"n": [1, 2.5, None]}, "source": "pos"}
    )
    assert task_fingerprint(reordered) == fingerprint


def test_a_key_stored_with_the_earlier_fingerprint_still_matches_its_request() -> None:
    task = fingerprinted(busy_task())
    stored = request_fingerprint(task)  # what a create stored before view fingerprints
    other = dataclasses.replace(task, priority=0)
    assert same_request(stored, task_fingerprint(task), lambda: request_fingerprint(task))
    assert not same_request(stored, task_fingerprint(other), lambda: request_fingerprint(other))
    # A hash of the current scheme is never compared with the earlier one.
    assert not same_request(
        task_fingerprint(other), task_fingerprint(task), lambda: task_fingerprint(other)
    )


def test_a_create_fingerprinted_before_returns_keeps_its_fingerprint() -> None:
    """Returns added fields to the view (the link, the purpose, items' condition and collect
    flag, steps' findings): at their defaults they stay out of the fingerprint, so a create
    stored before them and retried after the upgrade is the same request. The hash is the one
    the view made before returns, for this task."""
    task = Task(
        id=uuid.UUID(int=1),
        kind=TaskKind.DELIVERY,
        steps=(
            Step("0", StepKind.PICKUP, -1.2648, 36.8045, outlet_id="kitchen-1"),
            Step(
                "1",
                StepKind.DROP_OFF,
                -1.3,
                36.78,
                required_proofs=frozenset({ProofKind.PHOTO, ProofKind.SIGNATURE}),
            ),
        ),
        order_id="981",
        priority=2,
        items=(Item("pilau-l", "Pilau, large", 2, 0.8),),
        delivery_deadline=AT.replace(microsecond=0) + timedelta(minutes=45),
        notes="No cutlery",
        metadata={"source": "pos"},
    )
    before_returns = "v2:4b2d9183004fcd59c5f855c0a973386d25dcf9979533bb913401496b16d4e14c"
    assert task_fingerprint(task) == before_returns
    for changed in (
        dataclasses.replace(task, origin_task_id=uuid.uuid4()),
        dataclasses.replace(task, purpose=TaskPurpose.EXCHANGE),
        dataclasses.replace(task, items=(Item("pilau-l", condition=ItemCondition.NEW),)),
        dataclasses.replace(task, items=(*task.items, Item("old", collect=True))),
    ):
        assert task_fingerprint(changed) != before_returns

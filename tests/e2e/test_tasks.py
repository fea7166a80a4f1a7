"""Tasks end to end: the real server over gRPC (grpcio), a few calls over Connect, and the proof
export over HTTP. Idempotent creates, one-time codes, every legal path with its audit trail and
events, illegal and concurrent transitions, proofs, riders' own tokens, tenants, listing and bad
input."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import uuid
import zipfile
from collections.abc import AsyncIterator
from typing import Any

import grpc
import httpx
import pytest
from bengobox.logistics.v1 import (
    common_pb2,
    task_connect,
    task_pb2,
)
from connectrpc.code import Code
from connectrpc.errors import ConnectError
from google.rpc import error_details_pb2

from logistics.store.db import Database
from logistics.store.unit_of_work import Store
from tests.support.auth import auth, token, unique_tenant
from tests.support.errors import details, fails
from tests.support.servers import RunningServer
from tests.support.tasks import (
    DISPATCHER,
    DROP_OFF,
    Api,
    Step,
    T,
    drop_off,
    last_id,
    pickup,
    point,
)

pytestmark = pytest.mark.e2e

CODE, PHOTO, SIGNATURE = (
    Step.PROOF_KIND_ONE_TIME_CODE,
    Step.PROOF_KIND_PHOTO,
    Step.PROOF_KIND_SIGNATURE,
)
NFC, TEMPERATURES, RECIPIENT = (
    Step.PROOF_KIND_NFC_TAG,
    Step.PROOF_KIND_TEMPERATURE_LOG,
    Step.PROOF_KIND_RECIPIENT_NAME,
)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
FAILED_PRECONDITION, ABORTED = grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.ABORTED
DENIED, INVALID = grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.INVALID_ARGUMENT


@pytest.fixture
def api(grpc_channel: grpc.aio.Channel, store: Store, database: Database) -> Api:
    return Api(grpc_channel, unique_tenant(), store, database)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30, trust_env=False) as client:
        yield client


def code(text: str) -> task_pb2.Proof:
    return task_pb2.Proof(kind=CODE, text=text)


# --- creating ---------------------------------------------------------------------------------


async def test_the_same_create_sent_twice_makes_one_task(api: Api) -> None:
    request = api.create_request(pickup(), drop_off(), request_id="order-77", order_id="order-77")
    first = await api.tasks.CreateTask(request, metadata=api.md)
    again = await api.tasks.CreateTask(request, metadata=api.md)
    assert again.name == first.name
    assert again.etag == first.etag
    assert first.state == T.STATE_CREATED
    assert [s.id for s in first.steps] == ["0", "1"]
    assert await api.listed(order_id="order-77") == [first.name]
    assert [e.type for e in await api.events(first.name)] == ["created"]


async def test_a_request_id_reused_for_another_task_is_already_exists(api: Api) -> None:
    await api.create(pickup(), drop_off(), request_id="r-1", order_id="A")
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await api.create(pickup(), drop_off(), request_id="r-1", order_id="B")
    assert caught.value.code() == grpc.StatusCode.ALREADY_EXISTS
    assert details(caught.value)[0] == "REQUEST_ID_REUSED"
    assert await api.listed(order_id="B") == []


async def test_concurrent_creates_with_one_request_id_make_one_task(api: Api) -> None:
    request = api.create_request(pickup(), drop_off(CODE), request_id="burst", order_id="burst")
    made = await asyncio.gather(
        *(api.tasks.CreateTask(request, metadata=api.md) for _ in range(10))
    )
    assert len({t.name for t in made}) == 1
    assert await api.listed(order_id="burst") == [made[0].name]
    # Exactly one of the ten responses carries the code the service made.
    assert sum(1 for t in made if t.steps[1].issued_code) == 1


async def test_a_code_the_service_makes_is_returned_once_and_never_again(api: Api) -> None:
    request = api.create_request(pickup(), drop_off(CODE, PHOTO), request_id="once")
    created = await api.tasks.CreateTask(request, metadata=api.md)
    issued = created.steps[1].issued_code
    assert len(issued) == 6
    assert issued.isdigit()
    assert created.steps[0].issued_code == ""  # the pickup needs no code

    retried = await api.tasks.CreateTask(request, metadata=api.md)
    assert [s.issued_code for s in retried.steps] == ["", ""]
    assert [s.issued_code for s in (await api.get(created.name)).steps] == ["", ""]
    listed = await api.tasks.ListTasks(
        task_pb2.ListTasksRequest(parent=api.parent), metadata=api.md
    )
    assert [s.issued_code for t in listed.tasks for s in t.steps] == ["", ""]
    # The code works, which is the point of returning it.
    await api.assign(created.name, await api.rider())
    await api.start(created.name)
    await api.arrive(created.name, "0")
    await api.complete(created.name, "0")
    await api.arrive(created.name, "1")
    done = await api.complete(
        created.name, "1", code(issued), task_pb2.Proof(kind=PHOTO, content=PNG)
    )
    assert done.state == T.STATE_COMPLETED


async def test_a_code_given_by_the_caller_is_kept_only_as_a_hash(api: Api) -> None:
    secret = "90210385746"
    created = await api.create(pickup(), drop_off(CODE, code=secret))
    assert [s.issued_code for s in created.steps] == ["", ""]
    assert secret not in str(created)
    rows = await api.sql(
        "SELECT steps::text AS steps FROM tasks WHERE id = $1", uuid.UUID(last_id(created.name))
    )
    assert secret not in rows[0]["steps"]
    assert "scrypt$" in rows[0]["steps"]
    events = await api.outbox(created.name)
    audit = await api.sql(
        "SELECT after::text AS after FROM audit_log WHERE resource = $1", created.name
    )
    assert [s for s, _ in events] == ["logistics.task.created"]
    assert len(audit) == 1
    for text in [json.dumps(data) for _, data in events] + [a["after"] for a in audit]:
        assert secret not in text
        assert "code_hash" not in text
        assert "scrypt$" not in text


async def test_a_caller_given_code_cannot_be_recovered_from_the_request_fingerprint(
    api: Api,
) -> None:
    """What the database keeps for a create's idempotency must not give the code away: the
    code itself is kept as a salted scrypt hash precisely so that it cannot be guessed."""
    from logistics.api.convert_tasks import task_from_proto
    from logistics.services.tasks.intake import task_fingerprint

    request = api.create_request(pickup(), drop_off(CODE, code="4821"), request_id="fp")
    await api.tasks.CreateTask(request, metadata=api.md)
    [row] = await api.sql("SELECT request_hash FROM idempotency_keys WHERE request_id = 'fp'")
    # The stored fingerprint is that of the task alone: no guess of the code can be checked
    # against it.
    sent, codes = task_from_proto(request.task, "acme")
    assert codes == {"1": "4821"}
    assert row["request_hash"] == task_fingerprint(sent)


# --- the legal paths --------------------------------------------------------------------------


async def test_a_delivery_with_two_drop_offs_runs_end_to_end_with_its_audit_trail(
    api: Api,
) -> None:
    task = await api.create(
        pickup(address="Sarit Centre"),
        drop_off(RECIPIENT, address="Kilimani"),
        drop_off(CODE, code="2468", address="Lavington"),
        order_id="o-2",
        priority=7,
    )
    rider = await api.rider()
    name = task.name
    assigned = await api.assign(name, rider, reason="closest rider")
    assert (assigned.task.name, assigned.task.rider) == (name, rider)
    seen = [(await api.get(name)).state]
    moved = [await api.start(name, location=point(-1.28, 36.81))]
    moved.append(await api.arrive(name, "0", location=point(-1.2833, 36.8167)))
    moved.append(await api.complete(name, "0"))
    moved.append(await api.arrive(name, "1"))
    moved.append(await api.complete(name, "1", task_pb2.Proof(kind=RECIPIENT, text="Achieng")))
    moved.append(await api.arrive(name, "2"))
    moved.append(await api.complete(name, "2", code("2468")))
    seen += [t.state for t in moved]
    assert seen == [
        T.STATE_ASSIGNED,
        T.STATE_EN_ROUTE,
        T.STATE_ARRIVED,
        T.STATE_EN_ROUTE,
        T.STATE_ARRIVED,
        T.STATE_EN_ROUTE,
        T.STATE_ARRIVED,
        T.STATE_COMPLETED,
    ]
    assert [t.current_step for t in moved] == [0, 0, 1, 1, 2, 2, 2]
    done = await api.get(name)
    assert done.rider == rider
    assert [s.state for s in done.steps] == [Step.STATE_COMPLETED] * 3
    assert all(s.HasField("arrive_time") and s.HasField("complete_time") for s in done.steps)
    assert len({m.etag for m in moved}) == len(moved)  # every move changes the etag

    trail = await api.events(name)
    assert [(e.type, e.from_state, e.to_state, e.step_id) for e in trail] == [
        ("created", T.STATE_UNSPECIFIED, T.STATE_CREATED, ""),
        ("assigned", T.STATE_CREATED, T.STATE_ASSIGNED, ""),
        ("en_route", T.STATE_ASSIGNED, T.STATE_EN_ROUTE, ""),
        ("arrived", T.STATE_EN_ROUTE, T.STATE_ARRIVED, "0"),
        ("step_completed", T.STATE_ARRIVED, T.STATE_EN_ROUTE, "0"),
        ("arrived", T.STATE_EN_ROUTE, T.STATE_ARRIVED, "1"),
        ("step_completed", T.STATE_ARRIVED, T.STATE_EN_ROUTE, "1"),
        ("arrived", T.STATE_EN_ROUTE, T.STATE_ARRIVED, "2"),
        ("completed", T.STATE_ARRIVED, T.STATE_COMPLETED, "2"),
    ]
    assert {e.actor for e in trail} == {DISPATCHER}
    assert trail[1].reason == "closest rider"
    assert (trail[2].location.latitude, trail[2].location.longitude) == (-1.28, 36.81)
    times = [e.event_time.ToDatetime() for e in trail]
    assert times == sorted(times)
    assert len({e.id for e in trail}) == len(trail)
    # The same trail a page at a time.
    assert await api.events(name, page_size=2) == trail
    first_page = await api.tasks.ListTaskEvents(
        task_pb2.ListTaskEventsRequest(parent=name, page_size=4), metadata=api.md
    )
    assert list(first_page.events) == trail[:4]
    assert first_page.next_page_token

    outbox = await api.outbox(name)
    assert [subject for subject, _ in outbox] == [
        "logistics.task.created",
        "logistics.task.assigned",
        "logistics.task.en_route",
        "logistics.task.arrived",
        "logistics.task.step_completed",
        "logistics.task.arrived",
        "logistics.task.step_completed",
        "logistics.task.arrived",
        "logistics.task.completed",
    ]
    assert {data["tenant"] for _, data in outbox} == {api.tenant}
    assert [data["task"]["state"] for _, data in outbox][-1] == "completed"
    assert outbox[1][1]["rider"] == rider
    assert outbox[1][1]["reason"] == "closest rider"
    assert outbox[8][1]["step_id"] == "2"


async def test_a_task_may_be_reassigned_before_it_starts_and_cancelled_or_failed_later(
    api: Api,
) -> None:
    task = await api.create()
    first, second = await api.rider("A"), await api.rider("B")
    await api.assign(task.name, first)
    await api.assign(task.name, second, reason="A is stuck in traffic")
    assert (await api.get(task.name)).rider == second
    failed, _ = await api.on_the_way()
    await api.fail(failed.name, reason="customer not home")
    cancelled = await api.create()
    await api.cancel(cancelled.name, reason="order withdrawn")

    assert (await api.get(failed.name)).state == T.STATE_FAILED
    assert [s.state for s in (await api.get(failed.name)).steps] == [
        Step.STATE_FAILED,
        Step.STATE_SKIPPED,
    ]
    assert (await api.get(cancelled.name)).state == T.STATE_CANCELLED
    assert [(e.type, e.reason) for e in (await api.events(failed.name))[-1:]] == [
        ("failed", "customer not home")
    ]
    assert [s for s, _ in await api.outbox(cancelled.name)] == [
        "logistics.task.created",
        "logistics.task.cancelled",
    ]
    await fails(api.fail(task.name, reason=" "), INVALID)


# --- illegal transitions ----------------------------------------------------------------------


async def test_illegal_transitions_are_refused_and_change_nothing(api: Api) -> None:
    rider = await api.rider()
    created = await api.create()
    on_the_way, _ = await api.on_the_way()
    completed = await api.create(pickup())
    await api.assign(completed.name, rider)
    await api.start(completed.name)
    await api.arrive(completed.name, "0")
    await api.complete(completed.name, "0")
    cancelled = await api.create()
    await api.cancel(cancelled.name)

    # Each call is made only once the state before it has been read.
    attempts: list[tuple[str, Any, str]] = [
        (created.name, lambda: api.start(created.name), "ILLEGAL_TRANSITION"),
        (created.name, lambda: api.arrive(created.name, "0"), "ILLEGAL_TRANSITION"),
        (created.name, lambda: api.complete(created.name, "0"), "ILLEGAL_TRANSITION"),
        (created.name, lambda: api.fail(created.name), "ILLEGAL_TRANSITION"),
        (on_the_way.name, lambda: api.start(on_the_way.name), "ILLEGAL_TRANSITION"),
        (on_the_way.name, lambda: api.assign(on_the_way.name, rider), "ILLEGAL_TRANSITION"),
        (on_the_way.name, lambda: api.complete(on_the_way.name, "0"), "ILLEGAL_TRANSITION"),
        (on_the_way.name, lambda: api.arrive(on_the_way.name, "1"), "NOT_CURRENT_STEP"),
        (completed.name, lambda: api.cancel(completed.name), "ILLEGAL_TRANSITION"),
        (completed.name, lambda: api.fail(completed.name), "ILLEGAL_TRANSITION"),
        (completed.name, lambda: api.arrive(completed.name, "0"), "ILLEGAL_TRANSITION"),
        (cancelled.name, lambda: api.assign(cancelled.name, rider), "ILLEGAL_TRANSITION"),
        (cancelled.name, lambda: api.start(cancelled.name), "ILLEGAL_TRANSITION"),
        (cancelled.name, lambda: api.cancel(cancelled.name), "ILLEGAL_TRANSITION"),
    ]
    for name, call, reason in attempts:
        before = (await api.get(name), len(await api.events(name)), len(await api.outbox(name)))
        await fails(call(), FAILED_PRECONDITION, reason)  # sent only now
        after = (await api.get(name), len(await api.events(name)), len(await api.outbox(name)))
        assert after == before, name


async def test_a_wrong_code_on_a_task_that_has_not_arrived_is_illegal_and_changes_nothing(
    api: Api,
) -> None:
    en_route, _ = await api.on_the_way(drop_off(CODE, code="1357"))
    cancelled = await api.create(drop_off(CODE, code="1357"))
    await api.cancel(cancelled.name)
    for task in (en_route, cancelled):
        before = await api.get(task.name)
        await fails(
            api.complete(task.name, "0", code("0000")), FAILED_PRECONDITION, "ILLEGAL_TRANSITION"
        )
        assert (await api.get(task.name)).etag == before.etag


# --- concurrency ------------------------------------------------------------------------------


async def outcomes(calls: list[Any]) -> tuple[list[Any], list[grpc.StatusCode]]:
    results = await asyncio.gather(*calls, return_exceptions=True)
    for r in results:
        if isinstance(r, BaseException) and not isinstance(r, grpc.aio.AioRpcError):
            raise r
    won = [r for r in results if not isinstance(r, BaseException)]
    lost = [r.code() for r in results if isinstance(r, grpc.aio.AioRpcError)]
    return won, lost


async def test_ten_concurrent_starts_move_the_task_once(api: Api) -> None:
    task = await api.create()
    await api.assign(task.name, await api.rider())
    won, lost = await outcomes([api.start(task.name) for _ in range(10)])
    assert len(won) == 1
    assert won[0].state == T.STATE_EN_ROUTE
    assert set(lost) <= {FAILED_PRECONDITION, ABORTED}
    assert len(lost) == 9
    assert [e.type for e in await api.events(task.name)].count("en_route") == 1
    assert [s for s, _ in await api.outbox(task.name)].count("logistics.task.en_route") == 1


async def test_a_cancel_racing_a_start_from_the_same_read_lets_one_win(api: Api) -> None:
    rider = await api.rider()
    for _ in range(4):
        task = await api.create()
        assigned = (await api.assign(task.name, rider)).task
        won, lost = await outcomes(
            [api.cancel(task.name, etag=assigned.etag), api.start(task.name, etag=assigned.etag)]
        )
        assert len(won) == 1
        assert lost == [ABORTED]
        final = await api.get(task.name)
        assert final.state == won[0].state
        kinds = [e.type for e in await api.events(task.name)]
        assert kinds[:2] == ["created", "assigned"]
        assert kinds[2:] in (["cancelled"], ["en_route"])


async def test_a_stale_etag_is_aborted_and_changes_nothing(api: Api) -> None:
    task = await api.create()
    assigned = (await api.assign(task.name, await api.rider())).task
    started = await api.start(task.name, etag=assigned.etag)
    assert started.etag != assigned.etag
    await fails(api.cancel(task.name, etag=assigned.etag), ABORTED, "ETAG_MISMATCH")
    await fails(api.arrive(task.name, "0", etag=assigned.etag), ABORTED, "ETAG_MISMATCH")
    assert await api.get(task.name) == started
    assert (await api.cancel(task.name, etag=started.etag)).state == T.STATE_CANCELLED


# --- proofs -----------------------------------------------------------------------------------


async def test_a_step_is_not_completed_without_its_required_proofs(api: Api) -> None:
    task, _ = await api.at("1", pickup(), drop_off(PHOTO, SIGNATURE))
    before = await api.get(task.name)
    await fails(api.complete(task.name, "1"), FAILED_PRECONDITION, "PROOF_REQUIRED")
    await fails(
        api.complete(task.name, "1", task_pb2.Proof(kind=PHOTO, content=PNG)),
        FAILED_PRECONDITION,
        "PROOF_REQUIRED",
    )
    await fails(api.complete(task.name, "0"), FAILED_PRECONDITION, "NOT_CURRENT_STEP")
    assert await api.get(task.name) == before
    assert await api.proofs(task.name) == []


async def test_wrong_codes_are_counted_and_five_lock_the_code_even_against_the_right_one(
    api: Api,
) -> None:
    almost, _ = await api.at("0", drop_off(CODE, code="7391"))
    locked, _ = await api.at("0", drop_off(CODE, code="7391"))
    for _ in range(4):
        await fails(api.complete(almost.name, "0", code("1111")), FAILED_PRECONDITION, "WRONG_CODE")
    assert (await api.complete(almost.name, "0", code("7391"))).state == T.STATE_COMPLETED

    # Five wrong codes at once are each counted (none lost to a race).
    won, lost = await outcomes([api.complete(locked.name, "0", code("1111")) for _ in range(5)])
    assert (won, lost) == ([], [FAILED_PRECONDITION] * 5)
    await fails(api.complete(locked.name, "0", code("7391")), FAILED_PRECONDITION, "CODE_LOCKED")
    still = await api.get(locked.name)
    assert still.state == T.STATE_ARRIVED
    assert still.steps[0].state == Step.STATE_ARRIVED
    # Wrong codes leave no events behind: the trail is the task's moves only.
    assert [e.type for e in await api.events(locked.name)] == [
        "created",
        "assigned",
        "en_route",
        "arrived",
    ]
    # A dispatcher takes the locked step over without the code, and the trail says why.
    done = await api.complete(locked.name, "0")
    assert done.state == T.STATE_COMPLETED
    last = (await api.events(locked.name))[-1]
    assert (last.type, last.reason) == (
        "completed",
        "one-time code locked; completed by a dispatcher",
    )


async def test_proofs_are_stored_listed_and_exported_but_the_code_is_not(
    api: Api, server: RunningServer, http: httpx.AsyncClient
) -> None:
    task, _ = await api.at(
        "1",
        pickup(),
        drop_off(CODE, PHOTO, TEMPERATURES, RECIPIENT, NFC, code="515093172846"),
    )
    where = point(-1.3, 36.78)
    done = await api.complete(
        task.name,
        "1",
        code("515093172846"),
        task_pb2.Proof(kind=PHOTO, content=PNG, location=where),
        task_pb2.Proof(kind=TEMPERATURES, temperatures_c=[4.0, 5.5, 6.25]),
        task_pb2.Proof(kind=RECIPIENT, text="Njeri Mwangi"),
        task_pb2.Proof(kind=NFC, text="04:A2:2B:9C"),
    )
    assert done.state == T.STATE_COMPLETED

    proofs = {p.kind: p for p in await api.proofs(task.name)}
    assert set(proofs) == {CODE, PHOTO, TEMPERATURES, RECIPIENT, NFC}
    assert {p.step_id for p in proofs.values()} == {"1"}
    assert proofs[CODE].text == ""
    photo = proofs[PHOTO]
    assert photo.file_sha256 == hashlib.sha256(PNG).hexdigest()
    assert (photo.content_type, photo.file_size_bytes) == ("image/png", len(PNG))
    assert photo.content == b""  # files come through the export only
    assert (photo.location.latitude, photo.location.longitude) == (-1.3, 36.78)
    assert list(proofs[TEMPERATURES].temperatures_c) == [4.0, 5.5, 6.25]
    assert proofs[RECIPIENT].text == "Njeri Mwangi"
    assert proofs[NFC].text == "04:A2:2B:9C"
    assert all(p.name.startswith(f"{task.name}/proofs/") for p in proofs.values())

    response = await http.get(
        f"{server.http_url}/v1/{task.name}/proofs:export",
        headers={"authorization": f"Bearer {token(api.tenant)}"},
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    listing = json.loads(archive.read("proofs.json"))
    assert listing["task"]["name"] == task.name
    assert sorted(p["name"] for p in listing["proofs"]) == sorted(p.name for p in proofs.values())
    photo_id = photo.name.rsplit("/", 1)[1]
    assert archive.read(f"files/{photo_id}.png") == PNG
    assert [n for n in archive.namelist() if n.startswith("files/")] == [f"files/{photo_id}.png"]
    # The code is in no file of the archive (file names hold random ids, which may hold its
    # digits by chance: they are not looked at; twelve digits, so that the hashes, ids and
    # times in the bundle's other members do not hold them by chance either).
    assert all(b"515093172846" not in archive.read(n) for n in archive.namelist())


async def test_a_text_file_given_as_a_photo_is_refused_and_nothing_is_kept(api: Api) -> None:
    task, _ = await api.at("0", drop_off(PHOTO))
    fields = await fails(
        api.complete(task.name, "0", task_pb2.Proof(kind=PHOTO, content=b"just some text\n")),
        INVALID,
    )
    assert fields == {"proofs.content"}
    await fails(api.complete(task.name, "0", task_pb2.Proof(kind=PHOTO)), INVALID)
    assert (await api.get(task.name)).state == T.STATE_ARRIVED
    assert await api.proofs(task.name) == []


# --- who may do what --------------------------------------------------------------------------


async def test_a_rider_moves_their_own_task_and_no_one_elses(api: Api) -> None:
    mine, theirs = await api.create(pickup(), drop_off(RECIPIENT)), await api.create()
    me, them = await api.rider("Kip"), await api.rider("Wairimu")
    await api.assign(mine.name, me)
    await api.assign(theirs.name, them)
    md = api.rider_md(me)

    await api.start(mine.name, md=md)
    await api.arrive(mine.name, "0", md=md)
    await api.complete(mine.name, "0", md=md)
    await api.arrive(mine.name, "1", md=md)
    done = await api.complete(
        mine.name, "1", task_pb2.Proof(kind=RECIPIENT, text="Mzee Juma"), md=md
    )
    assert done.state == T.STATE_COMPLETED
    trail = await api.events(mine.name)
    assert [e.actor for e in trail[2:]] == [f"rider-{last_id(me)[:8]}"] * 5

    await fails(api.start(theirs.name, md=md), DENIED, "NOT_YOUR_TASK")
    await fails(api.fail(theirs.name, md=md), DENIED, "NOT_YOUR_TASK")
    await fails(api.cancel(theirs.name, md=md), DENIED)
    await fails(api.assign(theirs.name, me, md=md), DENIED)
    await fails(api.tasks.CreateTask(api.create_request(), metadata=md), DENIED)
    unassigned = await api.create()
    await fails(api.start(unassigned.name, md=md), DENIED, "NOT_YOUR_TASK")
    # A telemetry token without a rider id is nobody's rider.
    anonymous = auth(api.tenant, ["logistics:telemetry"])
    await fails(api.start(theirs.name, md=anonymous), DENIED)
    assert (await api.get(theirs.name)).state == T.STATE_ASSIGNED


async def test_another_tenants_token_is_denied_every_task_call(
    api: Api, server: RunningServer, http: httpx.AsyncClient
) -> None:
    task, rider = await api.on_the_way()
    md = auth(unique_tenant())
    calls = [
        api.tasks.GetTask(task_pb2.GetTaskRequest(name=task.name), metadata=md),
        api.tasks.ListTasks(task_pb2.ListTasksRequest(parent=api.parent), metadata=md),
        api.tasks.CreateTask(api.create_request(), metadata=md),
        api.start(task.name, md=md),
        api.arrive(task.name, "0", md=md),
        api.complete(task.name, "0", md=md),
        api.fail(task.name, md=md),
        api.cancel(task.name, md=md),
        api.assign(task.name, rider, md=md),
        api.tasks.ListTaskEvents(task_pb2.ListTaskEventsRequest(parent=task.name), metadata=md),
        api.tasks.ListProofs(task_pb2.ListProofsRequest(parent=task.name), metadata=md),
    ]
    for call in calls:
        await fails(call, DENIED)
    response = await http.get(
        f"{server.http_url}/v1/{task.name}/proofs:export",
        headers={"authorization": f"Bearer {token(unique_tenant())}"},
    )
    assert response.status_code == 403
    assert (await api.get(task.name)).state == T.STATE_EN_ROUTE


# --- listing ----------------------------------------------------------------------------------


async def test_tasks_are_listed_by_each_filter_a_page_at_a_time(api: Api) -> None:
    first, second = await api.rider("R1"), await api.rider("R2")
    t1 = await api.create(outlet_id="outlet-a")
    await api.assign(t1.name, first)
    t2 = await api.create(kind=T.KIND_PICKUP, outlet_id="outlet-a")
    t3 = await api.create(outlet_id="outlet-b")
    await api.assign(t3.name, second)
    await api.start(t3.name)
    t4 = await api.create(outlet_id="outlet-a")
    t5 = await api.create(kind=T.KIND_RETURN, outlet_id="outlet-b")
    await api.cancel(t5.name)
    # No timer runs in the server under test: put one task at risk behind its back.
    await api.sql(
        "UPDATE tasks SET sla_state = 'at_risk' WHERE id = $1", uuid.UUID(last_id(t4.name))
    )
    everything = {t.name for t in (t1, t2, t3, t4, t5)}

    assert set(await api.listed(state=T.STATE_CREATED)) == {t2.name, t4.name}
    assert set(await api.listed(kind=T.KIND_DELIVERY)) == {t1.name, t3.name, t4.name}
    assert await api.listed(kind=T.KIND_RETURN) == [t5.name]
    assert await api.listed(rider=first) == [t1.name]
    assert set(await api.listed(outlet_id="outlet-a")) == {t1.name, t2.name, t4.name}
    assert await api.listed(sla_state=T.SLA_STATE_AT_RISK) == [t4.name]
    assert set(await api.listed(sla_state=T.SLA_STATE_ON_TRACK)) == everything - {t4.name}
    assert await api.listed(state=T.STATE_EN_ROUTE, rider=second) == [t3.name]
    window = common_pb2.TimeWindow(start_time=t2.create_time, end_time=t4.create_time)
    assert set(await api.listed(create_window=window)) == {t2.name, t3.name}

    paged = await api.listed(page_size=2)
    assert sorted(paged) == sorted(everything)
    first_page = await api.tasks.ListTasks(
        task_pb2.ListTasksRequest(parent=api.parent, page_size=2), metadata=api.md
    )
    assert len(first_page.tasks) == 2
    assert first_page.next_page_token
    assert sorted(await api.listed(page_size=2, outlet_id="outlet-a")) == sorted(
        [t1.name, t2.name, t4.name]
    )
    # A token continues only the listing it came from.
    await fails(
        api.tasks.ListTasks(
            task_pb2.ListTasksRequest(
                parent=api.parent,
                page_size=2,
                page_token=first_page.next_page_token,
                kind=T.KIND_PICKUP,
            ),
            metadata=api.md,
        ),
        INVALID,
    )


# --- bad input --------------------------------------------------------------------------------


def bad(name: str, field: str, **task: Any) -> Any:
    return pytest.param(task, field, id=name)


@pytest.mark.parametrize(
    ("task", "field"),
    [
        bad("no-steps", "task.steps", kind=T.KIND_DELIVERY, steps=[]),
        bad("no-kind", "task.kind", steps=[pickup()]),
        bad("unknown-kind", "task.kind", kind=42, steps=[pickup()]),
        bad(
            "step-without-location",
            "task.steps[1].location",
            kind=T.KIND_DELIVERY,
            steps=[pickup(), Step(kind=DROP_OFF)],
        ),
        bad(
            "step-without-kind",
            "task.steps[0].kind",
            kind=T.KIND_DELIVERY,
            steps=[Step(location=point(0, 0))],
        ),
        bad("priority-11", "task.priority", kind=T.KIND_DELIVERY, priority=11, steps=[pickup()]),
        bad(
            "letters-in-the-code",
            "task.steps[0].one_time_code",
            kind=T.KIND_DELIVERY,
            steps=[drop_off(CODE, code="12ab")],
        ),
        bad(
            "three-digit-code",
            "task.steps[0].one_time_code",
            kind=T.KIND_DELIVERY,
            steps=[drop_off(CODE, code="123")],
        ),
        bad(
            "unknown-proof",
            "task.steps[0].required_proofs[0]",
            kind=T.KIND_DELIVERY,
            steps=[drop_off(99)],
        ),
        bad(
            "latitude",
            "task.steps[0].location",
            kind=T.KIND_DELIVERY,
            steps=[drop_off(location=point(91, 0))],
        ),
    ],
)
async def test_a_bad_task_is_invalid_argument_naming_the_field(
    api: Api, task: dict[str, Any], field: str
) -> None:
    request = task_pb2.CreateTaskRequest(parent=api.parent, task=T(**task))
    assert await fails(api.tasks.CreateTask(request, metadata=api.md), INVALID) == {field}
    assert await api.listed() == []


async def test_other_bad_requests_name_their_field(api: Api) -> None:
    task, _ = await api.on_the_way()
    missing = task_pb2.CreateTaskRequest(parent=api.parent)
    assert await fails(api.tasks.CreateTask(missing, metadata=api.md), INVALID) == {"task"}
    assert await fails(api.arrive(task.name, ""), INVALID) == {"step_id"}
    assert await fails(api.arrive(task.name, "0", location=point(0, 200)), INVALID) == {"location"}
    long_id = api.create_request(request_id="x" * 129)
    assert await fails(api.tasks.CreateTask(long_id, metadata=api.md), INVALID) == {"request_id"}
    await fails(
        api.tasks.GetTask(
            task_pb2.GetTaskRequest(name=f"{api.parent}/tasks/{uuid.uuid4()}"), metadata=api.md
        ),
        grpc.StatusCode.NOT_FOUND,
    )


# --- over Connect -----------------------------------------------------------------------------


async def test_tasks_over_connect_behave_as_over_grpc(api: Api, server: RunningServer) -> None:
    client = task_connect.TaskServiceClient(server.http_url)
    headers = {"authorization": f"Bearer {token(api.tenant, subject=DISPATCHER)}"}
    request = api.create_request(pickup(), drop_off(CODE), request_id="over-connect")
    created = await client.create_task(request, headers=headers)
    assert len(created.steps[1].issued_code) == 6
    again = await client.create_task(request, headers=headers)
    assert again.name == created.name
    assert again.steps[1].issued_code == ""
    assert await client.get_task(task_pb2.GetTaskRequest(name=created.name), headers=headers) == (
        await api.get(created.name)
    )

    with pytest.raises(ConnectError) as caught:
        await client.start_task(task_pb2.StartTaskRequest(name=created.name), headers=headers)
    assert caught.value.code == Code.FAILED_PRECONDITION
    info = error_details_pb2.ErrorInfo()
    assert any(d.Unpack(info) for d in caught.value.details)
    assert info.reason == "ILLEGAL_TRANSITION"

    await api.assign(created.name, await api.rider())
    started = await client.start_task(task_pb2.StartTaskRequest(name=created.name), headers=headers)
    assert started.state == T.STATE_EN_ROUTE
    events = await client.list_task_events(
        task_pb2.ListTaskEventsRequest(parent=created.name), headers=headers
    )
    assert [e.type for e in events.events] == ["created", "assigned", "en_route"]
    with pytest.raises(ConnectError) as caught:
        await client.get_task(
            task_pb2.GetTaskRequest(name=created.name),
            headers={"authorization": f"Bearer {token(unique_tenant())}"},
        )
    assert caught.value.code == Code.PERMISSION_DENIED

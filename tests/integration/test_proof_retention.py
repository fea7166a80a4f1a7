"""The proof retention sweep on the real database and a real blob store (local files, and S3
on moto), with a clock the test sets: files past the tenant's retention are deleted and
recorded purged once, their proofs' metadata (capture hash included) kept; a task on legal
hold keeps its files until released; a worker that dies mid-sweep leaves nothing purged twice
or half-recorded.

The timer queue is shared by every tenant, so each test works in its own few days of the early
1970s (no other test's timers are due there) and removes its unfired timers at the end.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import itertools
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest

from logistics.blobs import BlobStore
from logistics.domain.caller import Caller, Scope
from logistics.domain.errors import EtagMismatch, InvalidArgument
from logistics.domain.fleet import Rider
from logistics.domain.ids import ResourceName, TenantSlug
from logistics.domain.proof_retention import SWEEP_TIMER, ProofHold, ProofRetentionPolicy
from logistics.domain.task_records import ProofRow
from logistics.domain.tasks import ProofKind, Step, StepKind, Task, TaskKind
from logistics.services.directory import Outlets
from logistics.services.fleet import FleetService
from logistics.services.tasks.proofs import ProofInput
from logistics.services.tasks.retention import ProofRetention
from logistics.services.tasks.service import TaskService
from logistics.services.timers import TimerRunner
from logistics.store.db import Database
from logistics.store.timers import TimerQueue
from logistics.store.unit_of_work import Store

# The blob store tests' backends (local files, S3 on moto), as fixtures of this module too.
from tests.integration.test_blobs import Backend, backend, moto_server  # noqa: F401
from tests.support.auth import unique_tenant
from tests.support.clocks import ManualClock
from tests.support.servers import ServerUrls
from tests.support.timers import drop_unfired_timers, new_pool

DAY = timedelta(days=1)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
SIGNED = b"\x89PNG\r\n\x1a\n" + b"signature" * 50
_stretches = itertools.count()


@dataclasses.dataclass
class World:
    tenant: TenantSlug
    caller: Caller
    clock: ManualClock
    tasks: TaskService
    retention: ProofRetention
    fleets: FleetService
    store: Store
    database: Database
    blobs: BlobStore
    stored: Callable[[], Awaitable[list[str]]]  # the keys in the blob store
    start: datetime

    def name(self, task: Task) -> ResourceName:
        return ResourceName(self.tenant, "tasks", task.id)

    def runner(self, database: Database, blobs: BlobStore | None = None) -> TimerRunner:
        retention = ProofRetention(Store(database), blobs or self.blobs, self.clock)
        return TimerRunner(
            TimerQueue(database), self.clock, proof_timers=retention.handle_sweep_timer
        )

    async def delivered(self, stored_days_ago: float, *, signature: bool = True) -> Task:
        """A delivered task with a photo (and a signature) stored that many days ago."""
        task = Task(
            id=uuid.uuid4(),
            kind=TaskKind.DELIVERY,
            steps=(Step(id="0", kind=StepKind.DROP_OFF, latitude=-1.30, longitude=36.80),),
        )
        created = (await self.tasks.create(self.caller, self.tenant, task, {}, None)).task
        name = self.name(created)
        rider = await self.fleets.create_rider(
            self.caller, self.tenant, Rider(id=uuid.uuid4(), display_name="Akinyi"), None
        )
        await self.tasks.assign(
            self.caller, name, ResourceName(self.tenant, "riders", rider.id), None, None
        )
        await self.tasks.start(self.caller, name, None, None)
        await self.tasks.arrive(self.caller, name, "0", None, None)
        proofs = [ProofInput(ProofKind.PHOTO, content=PNG)]
        if signature:
            proofs.append(ProofInput(ProofKind.SIGNATURE, content=SIGNED))
        done = await self.tasks.complete_step(self.caller, name, "0", proofs, None, None)
        tenant_id = await self.store.tenants.find(self.tenant)
        async with self.database.transaction(tenant_id) as conn:
            await conn.execute(
                "UPDATE proofs SET create_time = $2 WHERE task_id = $1",
                created.id,
                self.start - timedelta(days=stored_days_ago),
            )
        return done

    async def proofs(self, task: Task) -> dict[ProofKind, ProofRow]:
        return {p.kind: p for p in await self.tasks.proofs(self.caller, self.name(task))}

    async def every_proof(self, *tasks: Task) -> list[ProofRow]:
        return [p for t in tasks for p in (await self.proofs(t)).values()]

    async def kept(self, proof: ProofRow) -> bool:
        """Whether the proof's file is in the blob store."""
        assert proof.blob_key
        return proof.blob_key in await self.stored()

    async def content(self, proof: ProofRow) -> bytes:
        assert proof.blob_key
        return b"".join([chunk async for chunk in await self.blobs.open(proof.blob_key)])

    async def purge_audits(self) -> list[str]:
        """The proof ids of every ``proof.purge`` audit row, in order."""
        tenant_id = await self.store.tenants.find(self.tenant)
        async with self.database.transaction(tenant_id) as conn:
            rows = await conn.fetch(
                "SELECT after FROM audit_log WHERE action = 'proof.purge' ORDER BY id"
            )
        return [p for r in rows for p in r["after"]["proofs"]]

    async def pending_sweep(self) -> list[datetime]:
        tenant_id = await self.store.tenants.find(self.tenant)
        async with self.database.transaction() as conn:
            rows = await conn.fetch(
                """SELECT due_time FROM timers
                   WHERE kind = $1 AND subject_id = $2 AND fire_time IS NULL""",
                SWEEP_TIMER,
                tenant_id,
            )
        return [r["due_time"] for r in rows]


@pytest.fixture
async def world(
    store: Store,
    database: Database,
    backend: Backend,  # noqa: F811 (the fixture imported above)
) -> AsyncIterator[World]:
    """On the local store and on S3 (moto): ``backend`` of the blob store tests."""
    start = datetime(1972, 1, 1, tzinfo=UTC) + timedelta(days=40 * next(_stretches))
    clock = ManualClock(start)
    tenant = TenantSlug(unique_tenant())
    caller = Caller(tenant, "support@test", frozenset({Scope.ADMIN, Scope.DISPATCH, Scope.READ}))
    blobs = backend.store
    world = World(
        tenant,
        caller,
        clock,
        TaskService(store, Outlets(None), blobs, clock),
        ProofRetention(store, blobs, clock),
        FleetService(store, Outlets(None)),
        store,
        database,
        blobs,
        backend.leftovers,
        start,
    )
    yield world
    await drop_unfired_timers(store, database, tenant)


async def test_files_past_retention_are_purged_once_and_their_proofs_kept(world: World) -> None:
    await world.retention.update_policy(
        world.caller, world.tenant, ProofRetentionPolicy(photo_days=30, signature_days=60), None
    )
    old, held, recent = (
        await world.delivered(45),
        await world.delivered(45),
        await world.delivered(1, signature=False),
    )
    hold = await world.retention.update_hold(
        world.caller, world.name(held), ProofHold(True, "  chargeback CB-118  "), None
    )
    assert (hold.held, hold.reason, hold.version) == (True, "chargeback CB-118", 1)
    before = {t.id: await world.proofs(t) for t in (old, held, recent)}

    runner = world.runner(world.database)
    world.clock.set(world.start + DAY)
    assert await runner.fire_due() == 1

    after = await world.proofs(old)
    photo, signature = after[ProofKind.PHOTO], after[ProofKind.SIGNATURE]
    assert not await world.kept(photo)  # 45 days > 30 for photos
    assert photo.purge_time == world.start + DAY
    # Everything but the file stays: the capture hash, the key, the size, the type.
    assert dataclasses.replace(photo, purge_time=None) == before[old.id][ProofKind.PHOTO]
    assert photo.file_sha256 == hashlib.sha256(PNG).hexdigest()
    assert await world.content(signature) == SIGNED  # 45 days < 60 for signatures
    assert signature.purge_time is None
    for task in (held, recent):  # on hold; too recent
        for proof in (await world.proofs(task)).values():
            assert proof.purge_time is None
            assert await world.kept(proof)
    # The next sweep: the earliest file due (the signature, in 15 days), at most a day away.
    assert await world.pending_sweep() == [world.start + 2 * DAY]

    # The dispute closes: the hold is released, the sweep runs at once and takes the photo.
    with pytest.raises(EtagMismatch):
        await world.retention.update_hold(world.caller, world.name(held), ProofHold(), '"0"')
    await world.retention.update_hold(world.caller, world.name(held), ProofHold(), None)
    assert await world.pending_sweep() == [world.start + DAY]
    assert await runner.fire_due() == 1
    assert (await world.proofs(held))[ProofKind.PHOTO].purge_time == world.start + DAY

    # Weeks later every file past retention is gone; sweeping again finds nothing.
    world.clock.set(world.start + 20 * DAY)
    await runner.fire_due()
    world.clock.set(world.start + 40 * DAY)
    await runner.fire_due()
    await runner.fire_due()
    everything = await world.every_proof(old, held, recent)
    assert all(p.purge_time is not None for p in everything)
    assert await world.stored() == []
    purged = await world.purge_audits()
    assert sorted(purged) == sorted(str(p.id) for p in everything)
    assert (await world.proofs(old))[ProofKind.PHOTO].purge_time == world.start + DAY
    assert await world.pending_sweep() == []  # no file left: nothing to wake up for


async def test_a_worker_dying_mid_sweep_purges_nothing_twice(
    world: World, server_urls: ServerUrls
) -> None:
    tasks = [await world.delivered(400) for _ in range(3)]
    world.clock.set(world.start + DAY)
    inside, never = asyncio.Event(), asyncio.Event()
    deleted: list[str] = []

    class DyingBlobs:
        """The test's blob store, but a delete hangs (once the file is gone) until its process
        is killed."""

        def __init__(self, inner: BlobStore) -> None:
            self.put, self.open, self.close = inner.put, inner.open, inner.close
            self._inner = inner

        async def delete(self, key: str) -> None:
            await self._inner.delete(key)
            deleted.append(key)
            inside.set()
            await never.wait()

    doomed = await new_pool(server_urls)
    firing = asyncio.create_task(world.runner(doomed, DyingBlobs(world.blobs)).fire_due())
    await asyncio.wait_for(inside.wait(), 10)
    doomed.pool.terminate()
    firing.cancel()
    with pytest.raises((asyncio.CancelledError, Exception)):
        await firing
    assert len(deleted) == 1
    assert deleted[0] not in await world.stored()
    assert await world.purge_audits() == []  # the purge records died with the worker
    assert all(p.purge_time is None for p in await world.every_proof(*tasks))

    # Two new workers pick the sweep up (once the server has noticed the dead connection).
    pools = [await new_pool(server_urls), await new_pool(server_urls)]
    try:
        runners = [world.runner(db) for db in pools]
        for _ in range(100):
            await asyncio.gather(*(r.fire_due() for r in runners * 2))
            if await world.purge_audits():
                break
            await asyncio.sleep(0.05)
    finally:
        for db in pools:
            await db.close()

    proofs = await world.every_proof(*tasks)
    assert all(p.purge_time == world.start + DAY for p in proofs)
    assert await world.stored() == []
    purged = await world.purge_audits()
    assert sorted(purged) == sorted(str(p.id) for p in proofs)  # each once


async def test_a_bad_policy_or_hold_is_refused_and_changes_nothing(world: World) -> None:
    with pytest.raises(InvalidArgument) as bad:
        await world.retention.update_policy(
            world.caller,
            world.tenant,
            ProofRetentionPolicy(photo_days=0, signature_days=4000),
            None,
        )
    assert {v.field for v in bad.value.violations} == {
        "policy.photo_retention_days",
        "policy.signature_retention_days",
    }
    assert await world.retention.get_policy(world.caller, world.tenant) == ProofRetentionPolicy()
    task = await world.delivered(0, signature=False)
    with pytest.raises(InvalidArgument):
        await world.retention.update_hold(world.caller, world.name(task), ProofHold(True), None)
    assert await world.retention.get_hold(world.caller, world.name(task)) == ProofHold()

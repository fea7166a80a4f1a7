"""Document expiry timers on the real database with a clock the test sets: a document's expiry
fires one ``rider.compliance_changed`` event, once, whatever the number of runners, and a moved
or deleted document's old timer never fires.

The timer queue is shared by every tenant, so each test works in its own few days of the early
1990s (no other test's timers are due there; each run has a fresh database) and looks only at its
own tenant's events.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from logistics.blobs.local import LocalBlobStore
from logistics.domain.caller import Caller, Scope
from logistics.domain.compliance import (
    CompliancePolicy,
    Document,
    DocumentKind,
    Requirement,
    ReviewOutcome,
    Shift,
    Verification,
    Window,
)
from logistics.domain.fleet import Rider, VehicleType
from logistics.domain.ids import ResourceName, TenantSlug
from logistics.services.compliance import ComplianceService, DocumentRef
from logistics.services.directory import Outlets
from logistics.services.fleet import FleetService
from logistics.services.timers import TimerRunner
from logistics.store.db import Database
from logistics.store.timers import TimerQueue
from logistics.store.unit_of_work import Store
from tests.support.auth import unique_tenant
from tests.support.clocks import ManualClock
from tests.support.servers import ServerUrls

HOUR = timedelta(hours=1)
_stretches = itertools.count()


@dataclasses.dataclass
class World:
    tenant: TenantSlug
    caller: Caller
    clock: ManualClock
    compliance: ComplianceService
    fleets: FleetService
    store: Store
    database: Database
    start: datetime

    @property
    def expiry(self) -> datetime:
        return self.start + 2 * HOUR

    async def rider(self) -> Rider:
        """An otherwise eligible rider on foot, on shift for the whole test."""
        rider = await self.fleets.create_rider(
            self.caller,
            self.tenant,
            Rider(id=uuid.uuid4(), display_name="Chebet", vehicle_type=VehicleType.ON_FOOT),
            None,
        )
        await self.compliance.create_shift(
            self.caller,
            self.ref(rider),
            Shift(
                id=uuid.uuid4(),
                rider_id=rider.id,
                planned=Window(self.start - HOUR, self.start + 20 * HOUR),
            ),
            None,
        )
        return rider

    def ref(self, rider: Rider) -> ResourceName:
        return ResourceName(self.tenant, "riders", rider.id)

    async def licence(self, rider: Rider, expire_time: datetime | None = None) -> Document:
        created = await self.compliance.create_document(
            self.caller,
            self.ref(rider),
            Document(
                id=uuid.uuid4(),
                rider_id=rider.id,
                kind=DocumentKind.LICENCE,
                expire_time=expire_time or self.expiry,
            ),
            b"%PDF-1.4\nlicence\n",
            None,
        )
        return await self.compliance.review_document(
            self.caller, self.doc_ref(created), ReviewOutcome(Verification.VERIFIED), None
        )

    def doc_ref(self, document: Document) -> DocumentRef:
        return DocumentRef(self.tenant, document.rider_id, document.id)

    async def events(self, cause: str | None = None) -> list[dict[str, Any]]:
        tenant_id = await self.store.tenants.find(self.tenant)
        async with self.database.transaction(tenant_id) as conn:
            rows = await conn.fetch(
                """SELECT data FROM outbox WHERE event_type = 'rider.compliance_changed'
                   ORDER BY seq"""
            )
        return [r["data"] for r in rows if cause is None or r["data"]["cause"] == cause]

    async def expired_events(self) -> list[dict[str, Any]]:
        return await self.events("document expired")

    async def audited(self, action: str) -> list[tuple[str, str]]:
        """The (actor, resource) of each audit row with ``action``, oldest first."""
        tenant_id = await self.store.tenants.find(self.tenant)
        async with self.database.transaction(tenant_id) as conn:
            rows = await conn.fetch(
                "SELECT actor, resource FROM audit_log WHERE action = $1 ORDER BY id", action
            )
        return [(r["actor"], r["resource"]) for r in rows]

    async def pending_timers(self, document: Document) -> list[datetime]:
        async with self.database.transaction() as conn:
            rows = await conn.fetch(
                "SELECT due_time FROM timers WHERE subject_id = $1 AND fire_time IS NULL",
                document.id,
            )
        return [r["due_time"] for r in rows]


@pytest.fixture
async def world(store: Store, database: Database, tmp_path: Path) -> World:
    # A stretch of a few days per test, all in the 1990s: nothing else is due there.
    start = datetime(1991, 1, 1, tzinfo=UTC) + timedelta(days=3 * next(_stretches))
    clock = ManualClock(start)
    tenant = TenantSlug(unique_tenant())
    caller = Caller(tenant, "compliance@test", frozenset({Scope.ADMIN}))
    compliance = ComplianceService(
        store, LocalBlobStore(tmp_path), clock, max_document_bytes=1024 * 1024
    )
    world = World(
        tenant,
        caller,
        clock,
        compliance,
        FleetService(store, Outlets(None)),
        store,
        database,
        start,
    )
    await compliance.update_policy(
        caller,
        tenant,
        CompliancePolicy((Requirement(None, frozenset({DocumentKind.LICENCE})),)),
        None,
    )
    return world


@pytest.fixture
async def other_pool(server_urls: ServerUrls) -> AsyncIterator[Database]:
    """A second pool, as a second worker process would have."""
    db = await Database.connect(
        server_urls.database_url, role="logistics_app", min_size=1, max_size=4
    )
    yield db
    await db.close()


def runner(database: Database, clock: ManualClock) -> TimerRunner:
    return TimerRunner(TimerQueue(database), clock, interval_s=0.01)


async def test_nothing_fires_before_the_expiry_and_one_event_after_it(world: World) -> None:
    rider = await world.rider()
    licence = await world.licence(rider)
    timers = runner(world.database, world.clock)
    assert [e["eligible"] for e in await world.events()] == [False, True]  # created, verified

    world.clock.set(world.expiry - timedelta(microseconds=1))
    await timers.fire_due()
    assert await world.expired_events() == []
    assert await world.pending_timers(licence) == [world.expiry]

    world.clock.set(world.expiry + timedelta(seconds=1))
    await timers.fire_due()
    await timers.fire_due()  # nothing left to fire
    [expired] = await world.expired_events()
    assert expired["rider"] == f"tenants/{world.tenant}/riders/{rider.id}"
    assert expired["document"].endswith(f"/documents/{licence.id}")
    assert expired["kind"] == "licence"
    assert expired["eligible"] is False
    assert expired["reasons"] == ["document_expired"]
    assert await world.pending_timers(licence) == []
    document = f"tenants/{world.tenant}/riders/{rider.id}/documents/{licence.id}"
    assert await world.audited("document.expired") == [("system", document)]

    # It stays fired however long the clock runs on.
    world.clock.set(world.expiry + 10 * HOUR)
    await timers.fire_due()
    assert len(await world.expired_events()) == 1


async def test_two_runners_on_two_pools_fire_each_expiry_once(
    world: World, other_pool: Database
) -> None:
    riders = [await world.rider() for _ in range(3)]
    licences = [await world.licence(r) for r in riders for _ in range(4)]
    first, second = runner(world.database, world.clock), runner(other_pool, world.clock)

    world.clock.set(world.expiry + HOUR)
    await asyncio.gather(first.fire_due(), second.fire_due(), first.fire_due(), second.fire_due())

    expired = await world.expired_events()
    assert sorted(e["document"].rsplit("/", 1)[1] for e in expired) == sorted(
        str(d.id) for d in licences
    )
    for licence in licences:
        assert await world.pending_timers(licence) == []


async def test_a_run_loop_fires_the_expiry_and_stops_when_told(world: World) -> None:
    rider = await world.rider()
    await world.licence(rider)
    timers = runner(world.database, world.clock)
    stop = asyncio.Event()
    loop = asyncio.create_task(timers.run(stop))
    try:
        await asyncio.sleep(0.05)
        assert await world.expired_events() == []
        world.clock.set(world.expiry)
        for _ in range(200):
            if await world.expired_events():
                break
            await asyncio.sleep(0.01)
    finally:
        stop.set()
        await asyncio.wait_for(loop, 5)
    assert len(await world.expired_events()) == 1


async def test_moving_the_expiry_later_before_it_fires_replaces_the_old_timer(
    world: World,
) -> None:
    rider = await world.rider()
    licence = await world.licence(rider)
    later = world.expiry + 3 * HOUR
    world.clock.set(world.expiry - HOUR)
    await world.compliance.update_document(
        world.caller, world.doc_ref(licence), {"expire_time": later}, None
    )
    assert await world.pending_timers(licence) == [later]
    timers = runner(world.database, world.clock)

    world.clock.set(world.expiry + HOUR)  # past the old expiry, before the new one
    await timers.fire_due()
    assert await world.expired_events() == []

    world.clock.set(later)
    await timers.fire_due()
    [expired] = await world.expired_events()
    assert expired["expire_time"] == later.isoformat()


async def test_moving_the_expiry_earlier_fires_at_the_new_time(world: World) -> None:
    rider = await world.rider()
    licence = await world.licence(rider)
    earlier = world.expiry - HOUR
    await world.compliance.update_document(
        world.caller, world.doc_ref(licence), {"expire_time": earlier}, None
    )
    timers = runner(world.database, world.clock)
    world.clock.set(earlier)
    await timers.fire_due()
    assert len(await world.expired_events()) == 1
    world.clock.set(world.expiry + HOUR)
    await timers.fire_due()
    assert len(await world.expired_events()) == 1


async def test_removing_the_expiry_cancels_the_timer(world: World) -> None:
    rider = await world.rider()
    licence = await world.licence(rider)
    await world.compliance.update_document(
        world.caller, world.doc_ref(licence), {"expire_time": None}, None
    )
    assert await world.pending_timers(licence) == []
    world.clock.set(world.expiry + HOUR)
    await runner(world.database, world.clock).fire_due()
    assert await world.expired_events() == []


async def test_deleting_the_document_cancels_its_timer(world: World) -> None:
    rider = await world.rider()
    licence = await world.licence(rider)
    kept = await world.licence(rider, world.expiry + HOUR)
    await world.compliance.delete_document(world.caller, world.doc_ref(licence), None)
    assert await world.pending_timers(licence) == []

    world.clock.set(world.expiry + 2 * HOUR)
    await runner(world.database, world.clock).fire_due()
    [expired] = await world.expired_events()
    assert expired["document"].endswith(f"/documents/{kept.id}")


async def test_a_document_created_already_expired_sets_no_timer(world: World) -> None:
    rider = await world.rider()
    world.clock.set(world.expiry + HOUR)
    stale = await world.licence(rider, world.expiry)
    assert await world.pending_timers(stale) == []
    assert (await world.events())[-1]["eligible"] is False


async def test_an_expiry_for_a_deleted_rider_does_not_block_other_timers(world: World) -> None:
    gone = await world.rider()
    doomed = await world.licence(gone, world.expiry)
    staying = await world.rider()
    kept = await world.licence(staying, world.expiry + HOUR)
    await world.fleets.delete_rider(world.caller, world.ref(gone), None)
    try:
        world.clock.set(world.expiry + 2 * HOUR)
        await runner(world.database, world.clock).fire_due()
        documents = [e["document"] for e in await world.expired_events()]
        assert any(d.endswith(f"/documents/{kept.id}") for d in documents)
    finally:
        # Never leave a poisoned timer behind for the other tests.
        async with world.database.transaction() as conn:
            await conn.execute(
                "DELETE FROM timers WHERE subject_id = ANY($1::uuid[]) AND fire_time IS NULL",
                [doomed.id, kept.id],
            )

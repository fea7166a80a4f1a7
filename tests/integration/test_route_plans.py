"""Applying a route plan on the real database: tasks are assigned only as they were planned
(a task that changed meanwhile is left out with the reason), and a task already under way
cannot be planned."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from logistics.blobs.local import LocalBlobStore
from logistics.domain.caller import Caller, Scope
from logistics.domain.errors import FailedPrecondition
from logistics.domain.fleet import Rider
from logistics.domain.ids import ResourceName, TenantSlug
from logistics.domain.routes import PlanRequest, VehicleSpec
from logistics.domain.tasks import Step, StepKind, Task, TaskKind
from logistics.geo.distance import StraightLine
from logistics.services.directory import Outlets
from logistics.services.fleet import FleetService
from logistics.services.routes.matrix import MatrixCache
from logistics.services.routes.service import RouteService
from logistics.services.tasks.service import TaskService
from logistics.store.unit_of_work import Store
from tests.support.auth import unique_tenant
from tests.support.clocks import ManualClock

DEPOT = (-1.2864, 36.8172)


class MovesTheOtherTaskFirst(TaskService):
    """Just as the plan is applied, a dispatcher hands ``victim`` to someone else."""

    victim: tuple[ResourceName, ResourceName] | None = None

    async def assign(
        self,
        caller: Caller,
        name: ResourceName,
        rider: ResourceName,
        reason: str | None,
        etag: str | None,
        *,
        only_if_unassigned: bool = False,
    ) -> Task:
        victim, self.victim = self.victim, None
        if victim is not None:
            await super().assign(caller, victim[0], victim[1], "dispatcher's choice", None)
        return await super().assign(
            caller, name, rider, reason, etag, only_if_unassigned=only_if_unassigned
        )


async def test_a_task_changed_after_planning_is_left_out_when_applying(
    store: Store, tmp_path: Path
) -> None:
    tenant = TenantSlug(unique_tenant())
    caller = Caller(tenant, "dispatcher@test", frozenset({Scope.ADMIN}))
    clock = ManualClock(datetime(2026, 1, 7, 8, 0, tzinfo=UTC))
    tasks = MovesTheOtherTaskFirst(
        store, Outlets(None), LocalBlobStore(tmp_path), clock, max_active_tasks=3
    )
    fleet = FleetService(store, Outlets(None))
    riders = [
        await fleet.create_rider(caller, tenant, Rider(id=uuid.uuid4(), display_name=n), None)
        for n in ("Planned", "Other")
    ]
    names = []
    for k in range(2):
        task = Task(
            id=uuid.uuid4(),
            kind=TaskKind.DELIVERY,
            steps=(
                Step("0", StepKind.PICKUP, DEPOT[0] + 0.001, DEPOT[1]),
                Step("1", StepKind.DROP_OFF, DEPOT[0] + 0.01 * (k + 1), DEPOT[1] + 0.01),
            ),
        )
        created = await tasks.create(caller, tenant, task, {}, None)
        names.append(ResourceName(tenant, "tasks", created.task.id))
    routes = RouteService(store, tasks, MatrixCache(StraightLine()), clock)
    request = PlanRequest(
        stops=(),
        vehicles=(VehicleSpec("bike", DEPOT, DEPOT, rider_id=riders[0].id),),
        task_ids=tuple(n.id for n in names),
        apply=True,
        time_limit_s=0.3,
    )
    # Whichever task the route visits second is the one moved under the plan's feet.
    dry = await routes.optimize(caller, tenant, dataclasses.replace(request, apply=False))
    order = list(dict.fromkeys(s.task_id for s in dry.routes[0].stops))
    second = names[[n.id for n in names].index(order[1])]
    tasks.victim = (second, ResourceName(tenant, "riders", riders[1].id))

    plan = await routes.optimize(caller, tenant, request)

    assert plan.applied
    left = {u.stop_id: u.reason for u in plan.unassigned}
    assert set(left) == {f"{second.id}/0", f"{second.id}/1"}
    assert all(r.startswith("not assigned: the resource changed") for r in left.values())
    assert (await tasks.get(caller, second)).rider_id == riders[1].id
    first = names[[n.id for n in names].index(order[0])]
    assert (await tasks.get(caller, first)).rider_id == riders[0].id

    # A task under way cannot be planned again.
    await tasks.start(caller, first, None, None)
    with pytest.raises(FailedPrecondition):
        await routes.optimize(caller, tenant, request)

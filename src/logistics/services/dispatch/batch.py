"""Batch dispatch: many open tasks against many available riders, solved as a minimum-cost
matching of riders to bundles of compatible tasks (``domain.batching``; OR-Tools CP-SAT in a
worker thread, then a min-cost flow for the riders and tasks left over), and applied through
the audited assignment when asked. An order not ready yet goes to the rider whose arrival is
timed best to its readiness, as AutoDispatch offers it (the cost, ``domain.batching``); the
rider's wait at the pickup is recorded when the step completes, whoever assigned the task.

Which tasks are left out, and why, is logged (the response lists them without a reason): a
task that is not found or not open (not CREATED); a task no available rider can take (too
heavy, no room left, fewer riders than tasks); when applying, a task whose assignment fails
because it or the rider changed since the plan was made. Riders not used are logged too:
no position, not seen lately, not eligible, busy or holding an open offer.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from ortools.graph.python import min_cost_flow  # type: ignore[import-untyped]
from ortools.sat.python import cp_model

from logistics.domain.addresses import needs_address
from logistics.domain.batching import (
    BatchRules,
    Candidate,
    Courier,
    Job,
    TravelTimes,
    candidates,
    cost,
    greedy_plan,
    job_of,
    plan_value,
    unassigned_penalty,
)
from logistics.domain.caller import Caller, Scope
from logistics.domain.clock import Clock
from logistics.domain.compliance import Capacity
from logistics.domain.errors import (
    AlreadyExists,
    EtagMismatch,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
)
from logistics.domain.fleet import VehicleType
from logistics.domain.ids import ResourceName, TenantSlug
from logistics.domain.tasks import TaskState
from logistics.domain.versioning import etag_for
from logistics.geo.distance import DistanceProvider
from logistics.geo.live_values import RiderAvailability
from logistics.services.dispatch.warm import warm_travel
from logistics.services.tasks.service import TaskService
from logistics.store.unit_of_work import Store

logger = logging.getLogger(__name__)

MAX_TASKS = 500
MAX_RIDERS = 500
APPLY_REASON = "batch plan"
_VEHICLES = {v.value: v for v in VehicleType}


class RiderStates(Protocol):
    """The live index as batch dispatch reads it (``geo.live_index.LiveIndex``)."""

    async def availability(
        self, tenant: str, rider_ids: Sequence[str], now: datetime
    ) -> list[RiderAvailability]: ...


@dataclass(frozen=True)
class BatchAssignment:
    rider: ResourceName
    tasks: tuple[ResourceName, ...]  # in drop-off order
    cost: float  # see logistics.domain.batching


@dataclass(frozen=True)
class BatchPlan:
    assignments: tuple[BatchAssignment, ...]
    unassigned: tuple[ResourceName, ...]  # in request order
    applied: bool
    optimal: bool  # False when the time limit cut the search short


@dataclass(frozen=True)
class Solution:
    chosen: list[Candidate]
    optimal: bool  # proven optimal over the candidates


def check_batch_size(tasks: int, riders: int) -> None:
    if not 0 < tasks <= MAX_TASKS:
        raise InvalidArgument.field("tasks", f"give 1 to {MAX_TASKS} tasks")
    if not 0 < riders <= MAX_RIDERS:
        raise InvalidArgument.field("riders", f"give 1 to {MAX_RIDERS} riders")


def plan(
    couriers: Sequence[Courier],
    jobs: Sequence[Job],
    rules: BatchRules,
    travel: TravelTimes,
    *,
    time_limit_s: float = 5.0,
    workers: int = 1,
) -> Solution:
    """The plan: the candidates (``domain.batching``), the best choice among them, then the
    riders left over matched to the tasks left over one to one over every pair, so no rider
    is left idle while a task it could take waits. Blocking: run it in a worker thread.
    ``time_limit_s`` covers the whole, give or take a few tenths of a second."""
    # A tenth of the time is kept for what follows the search.
    deadline = time.monotonic() + 0.9 * time_limit_s
    options = candidates(couriers, jobs, rules, travel)
    solution = solve(options, len(couriers), len(jobs), deadline=deadline, workers=workers)
    return Solution(fill(solution.chosen, couriers, jobs, rules, travel), solution.optimal)


def solve(
    options: Sequence[Candidate], couriers: int, jobs: int, *, deadline: float, workers: int = 1
) -> Solution:
    """The choice of least value (``domain.batching``) with CP-SAT, searched until
    ``deadline`` (``time.monotonic()``): a boolean per candidate pair, at most one pair per
    courier and per job. The greedy plan instead if it is better (or the only one found)."""
    if not options:
        return Solution([], True)
    penalty = unassigned_penalty(options, couriers, jobs)
    greedy = greedy_plan(options, jobs, penalty)
    model = cp_model.CpModel()
    x = [model.new_bool_var(f"x{i}") for i in range(len(options))]
    per_courier: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    per_job: dict[int, list[cp_model.IntVar]] = defaultdict(list)
    for var, option in zip(x, options, strict=True):
        per_courier[option.courier].append(var)
        for j in option.jobs:
            per_job[j].append(var)
    for group in (*per_courier.values(), *per_job.values()):
        if len(group) > 1:
            model.add_at_most_one(group)
    # The plan's value less a constant (the penalty for every job): a pair earns the
    # penalty back for each job it serves.
    model.minimize(
        cp_model.LinearExpr.weighted_sum(x, [o.cost - penalty * len(o.jobs) for o in options])
    )
    picked = {id(o) for o in greedy}  # a start, so the search has a plan however short
    for var, option in zip(x, options, strict=True):
        model.add_hint(var, id(option) in picked)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(deadline - time.monotonic(), 0.1)
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = 0
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        logger.warning("batch: the solver found no plan in time; using the greedy plan")
        return Solution(greedy, False)
    chosen = [o for var, o in zip(x, options, strict=True) if solver.boolean_value(var)]
    if plan_value(greedy, jobs, penalty) < plan_value(chosen, jobs, penalty):
        return Solution(greedy, False)
    return Solution(chosen, status == cp_model.OPTIMAL)


def fill(
    chosen: list[Candidate],
    couriers: Sequence[Courier],
    jobs: Sequence[Job],
    rules: BatchRules,
    travel: TravelTimes,
) -> list[Candidate]:
    """``chosen`` plus the most single tasks the unused couriers can take, at least cost
    (a min-cost max-flow over every such pair). Adds nothing to an optimal plan over
    uncapped candidates: a pair it could add would have made that plan better."""
    busy = {c.courier for c in chosen}
    taken = {j for c in chosen for j in c.jobs}
    free_c = [i for i in range(len(couriers)) if i not in busy]
    free_j = [j for j in range(len(jobs)) if j not in taken]
    if not free_c or not free_j:
        return chosen
    singles = dataclasses.replace(rules, max_bundle_size=1, riders_per_task=len(free_c))
    pairs = candidates([couriers[i] for i in free_c], [jobs[j] for j in free_j], singles, travel)
    if not pairs:
        return chosen
    # Nodes: the source 0, the couriers, the jobs, the sink.
    first_job, sink = 1 + len(free_c), 1 + len(free_c) + len(free_j)
    flow = min_cost_flow.SimpleMinCostFlow()
    for c in range(len(free_c)):
        flow.add_arc_with_capacity_and_unit_cost(0, 1 + c, 1, 0)
    for j in range(len(free_j)):
        flow.add_arc_with_capacity_and_unit_cost(first_job + j, sink, 1, 0)
    arcs = [
        flow.add_arc_with_capacity_and_unit_cost(1 + p.courier, first_job + p.jobs[0], 1, p.cost)
        for p in pairs
    ]
    most = min(len(free_c), len(free_j))
    flow.set_node_supply(0, most)
    flow.set_node_supply(sink, -most)
    if flow.solve_max_flow_with_min_cost() != flow.OPTIMAL:
        logger.warning("batch: the one-to-one fill found no solution")
        return chosen
    extra = [
        Candidate(free_c[p.courier], (free_j[p.jobs[0]],), p.cost)
        for arc, p in zip(arcs, pairs, strict=True)
        if flow.flow(arc) > 0
    ]
    if extra:
        logger.info("batch: %d more tasks matched one to one to riders left over", len(extra))
    return [*chosen, *extra]


class BatchDispatchService:
    """Needs ``logistics:dispatch``. ``max_active_tasks`` is the same limit the assignment
    enforces (a rider holding ``load`` active tasks may take that many fewer)."""

    def __init__(
        self,
        store: Store,
        tasks: TaskService,
        index: RiderStates,
        distances: DistanceProvider,
        clock: Clock,
        *,
        max_active_tasks: int,
        rules: BatchRules | None = None,
        time_limit_s: float = 5.0,
        workers: int = 1,
    ) -> None:
        self._store = store
        self._tasks = tasks
        self._index = index
        self._distances = distances
        self._clock = clock
        self._max_active = max_active_tasks
        self._rules = rules or BatchRules()
        self._time_limit_s = time_limit_s
        self._workers = workers

    async def assign_batch(
        self,
        caller: Caller,
        tenant: TenantSlug,
        tasks: Sequence[ResourceName],
        riders: Sequence[ResourceName],
        *,
        apply: bool,
    ) -> BatchPlan:
        caller.require(Scope.DISPATCH, tenant)
        check_batch_size(len(tasks), len(riders))
        for field, names in (("tasks", tasks), ("riders", riders)):
            seen: set[ResourceName] = set()
            for i, name in enumerate(names):
                if name.tenant != tenant:
                    raise InvalidArgument.field(f"{field}[{i}]", "names another tenant's resource")
                if name in seen:
                    raise InvalidArgument.field(f"{field}[{i}]", f"gives {name} twice")
                seen.add(name)
        now = self._clock.now()
        jobs, etags = await self._open_jobs(tenant, tasks, now)
        couriers = await self._available(tenant, riders, now)
        await warm_travel(
            self._distances, couriers, jobs, riders_per_task=self._rules.riders_per_task
        )
        started = time.perf_counter()
        solution = await asyncio.to_thread(self._plan, couriers, jobs)
        logger.info(
            "batch plan: %d of %d open tasks on %d of %d available riders (%s, %.0f ms)",
            sum(len(c.jobs) for c in solution.chosen),
            len(jobs),
            len(solution.chosen),
            len(couriers),
            "optimal" if solution.optimal else "time limit",
            (time.perf_counter() - started) * 1000,
        )
        by_job = {str(name.id): name for name in tasks}
        rider_of = {str(r.id): r for r in riders}
        plan: list[tuple[ResourceName, list[ResourceName], Candidate]] = []
        for choice in sorted(solution.chosen, key=lambda c: c.courier):
            courier = couriers[choice.courier]
            names = [by_job[jobs[j].id] for j in choice.jobs]
            plan.append((rider_of[courier.id], names, choice))
        planned = {n for _, names, _ in plan for n in names}
        for job in jobs:
            if by_job[job.id] not in planned:
                logger.info("batch: task %s left unassigned (no rider can take it)", by_job[job.id])
        if apply:
            plan = await self._apply(caller, plan, etags, couriers, jobs)
        placed = {n for _, names, _ in plan for n in names}
        unassigned = tuple(n for n in tasks if n not in placed)
        return BatchPlan(
            tuple(BatchAssignment(r, tuple(n), float(c.cost)) for r, n, c in plan),
            unassigned,
            apply,
            solution.optimal,
        )

    def _plan(self, couriers: list[Courier], jobs: list[Job]) -> Solution:
        return plan(
            couriers,
            jobs,
            self._rules,
            self._distances,
            time_limit_s=self._time_limit_s,
            workers=self._workers,
        )

    async def _open_jobs(
        self, tenant: TenantSlug, names: Sequence[ResourceName], now: datetime
    ) -> tuple[list[Job], dict[str, str]]:
        """The open tasks among ``names`` as jobs (readiness counted from ``now``), and each
        one's etag as read."""
        jobs, etags = [], {}
        async with self._store.read(tenant) as uow:
            for name in names:
                task = await uow.tasks.get(name.id)
                if task is None:
                    logger.info("batch: task %s left unassigned (not found)", name)
                elif task.state is not TaskState.CREATED:
                    logger.info("batch: task %s left unassigned (%s)", name, task.state.value)
                elif needs_address(task):
                    logger.info("batch: task %s left unassigned (needs an address)", name)
                else:
                    jobs.append(job_of(task, now))
                    etags[str(task.id)] = etag_for(task.version)
        return jobs, etags

    async def _available(
        self, tenant: TenantSlug, riders: Sequence[ResourceName], now: datetime
    ) -> list[Courier]:
        """The riders available as matching decides it (one rule, in the live index: seen
        lately, online, eligible, not busy, holding no open offer) and with room for another
        task, from one round trip to the live index."""
        states = await self._index.availability(tenant, [str(r.id) for r in riders], now)
        couriers = []
        for rider, state in zip(riders, states, strict=True):
            room = self._max_active - state.load
            why = state.unavailable or (None if room >= 1 else "no room for another task")
            if why is not None:
                logger.info("batch: rider %s not used (%s)", rider, why)
                continue
            couriers.append(
                Courier(
                    id=str(rider.id),
                    position=(state.latitude, state.longitude),
                    vehicle=_VEHICLES.get(state.vehicle_type or ""),
                    capacity=Capacity(state.weight_kg, state.volume_l, state.item_count),
                    room=room,
                )
            )
        return couriers

    async def _apply(
        self,
        caller: Caller,
        plan: list[tuple[ResourceName, list[ResourceName], Candidate]],
        etags: dict[str, str],
        couriers: list[Courier],
        jobs: list[Job],
    ) -> list[tuple[ResourceName, list[ResourceName], Candidate]]:
        """Assigns each planned task in turn, only if it is as it was read; a task that
        changed, or a rider that cannot take it now, leaves the task unassigned. Costs are
        recomputed for the tasks a rider actually got."""
        done = []
        index = {job.id: i for i, job in enumerate(jobs)}
        for rider, names, choice in plan:
            got = []
            for name in names:
                try:
                    await self._tasks.assign(caller, name, rider, APPLY_REASON, etags[str(name.id)])
                except (FailedPrecondition, EtagMismatch, NotFound, AlreadyExists) as exc:
                    logger.info("batch: task %s left unassigned (applying: %s)", name, exc)
                    continue
                got.append(name)
            if not got:
                continue
            if len(got) < len(names):
                members = [index[str(n.id)] for n in got]
                value, order = cost(
                    couriers[choice.courier],
                    [jobs[j] for j in members],
                    self._rules,
                    self._distances,
                )
                got = [got[k] for k in order]
                choice = Candidate(choice.courier, tuple(members[k] for k in order), value)
            done.append((rider, got, choice))
        return done

"""Dispatch use cases: nearest available riders for a point or a task, ranked by the score
under the tenant's weights; the tenant's dispatch policy; and the dispatch profile each rider
keeps in the live index (what matching filters on)."""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from logistics.domain.addresses import require_located
from logistics.domain.caller import Caller, Scope
from logistics.domain.clock import Clock
from logistics.domain.compliance import Capacity, RiderFacts, evaluate
from logistics.domain.errors import (
    DomainError,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
)
from logistics.domain.eta import Eta
from logistics.domain.events import TaskDispatchWidened
from logistics.domain.fleet import VehicleType
from logistics.domain.ids import ResourceName, TenantSlug
from logistics.domain.names import DISPATCH_POLICY, RIDERS
from logistics.domain.readiness import by_readiness
from logistics.domain.rider_actions import ActionStamp
from logistics.domain.scoring import ScoringPolicy, Weights, check_weights, score
from logistics.domain.tasks import StepKind, Task, TaskState
from logistics.geo.distance import DistanceProvider
from logistics.geo.live_values import Candidate, DispatchProfile, Need
from logistics.services import crud
from logistics.services.compliance import rider_facts
from logistics.services.dispatch.answers import OfferResponder
from logistics.services.dispatch.explain import Explanation
from logistics.services.dispatch.explain import explain as explain_survey
from logistics.services.dispatch.offers import Offers
from logistics.services.dispatch.ports import NearbyRiders, ProfileIndex
from logistics.services.geofencing import GeofenceService
from logistics.services.tasks.service import TaskService
from logistics.store.unit_of_work import Store

MAX_RADIUS_M = 50_000.0
MAX_COUNT = 100
# How long a replica ranks by the weights it read (another replica's update shows within it).
WEIGHTS_TTL_S = 10.0

_POLICY: crud.Policy[ScoringPolicy, Weights] = crud.Policy(
    DISPATCH_POLICY, "dispatch_policy", lambda uow: uow.dispatch_policy
)


@dataclass(frozen=True)
class RiderMatch:
    rider_id: str
    latitude: float
    longitude: float
    distance_m: float
    eta_s: float
    score: float
    eta: Eta | None = None  # the same travel, with its arrival time and source


@dataclass(frozen=True)
class Nearest:
    """FindNearestRiders' answer: the matches, best first, and why the other riders near the
    point were left out (when asked)."""

    matches: list[RiderMatch]
    explanation: Explanation | None = None


def eligible_until(facts: RiderFacts, now: datetime) -> datetime | None:
    """Until when the rider's eligibility, true now, holds without any change on record: the
    end of its shift (or its next break) and the first expiry of a document it relies on."""
    if not evaluate(facts, now).eligible:
        return None
    ends: list[datetime] = []
    for shift in facts.shifts:
        if shift.on_duty(now):
            ends.append(shift.planned.end)
            ends.extend(b.start for b in shift.breaks if b.start > now)
    vehicle_type = facts.vehicle.type if facts.vehicle else facts.rider.vehicle_type
    required = facts.policy.required_kinds(vehicle_type)
    for kind in required:
        valid = [d for d in facts.documents if d.kind is kind and d.valid_at(now)]
        if valid and all(d.expire_time is not None for d in valid):
            ends.append(max(d.expire_time for d in valid if d.expire_time is not None))
    return min(ends) if ends else now + timedelta(days=1)


class DispatchService:
    def __init__(
        self,
        store: Store,
        index: ProfileIndex,
        matcher: NearbyRiders,
        distances: DistanceProvider,
        clock: Clock,
        *,
        max_active_tasks: int = 1,
        zones: GeofenceService | None = None,
    ) -> None:
        self._store = store
        self._index = index
        self._matcher = matcher
        self._distances = distances
        self._clock = clock
        self._max_active = max_active_tasks
        self._weights: dict[TenantSlug, tuple[float, Weights]] = {}
        self._zones = zones

    async def refresh_profile(self, tenant: TenantSlug, rider_id: uuid.UUID) -> None:
        """Recomputes what matching knows of the rider (after its stream opens, its records or
        its tasks change)."""
        now = self._clock.now()
        async with self._store.read(tenant) as uow:
            facts = await rider_facts(uow, rider_id, now)
            load = await uow.tasks.active_count(rider_id)
        vehicle = facts.vehicle
        capacity = vehicle.capacity if vehicle else Capacity()
        await self._index.set_profile(
            tenant,
            str(rider_id),
            DispatchProfile(
                vehicle_type=(vehicle.type if vehicle else facts.rider.vehicle_type),
                weight_kg=capacity.weight_kg,
                volume_l=capacity.volume_l,
                item_count=capacity.item_count,
                fleet_id=str(facts.rider.fleet_id) if facts.rider.fleet_id else None,
                zone=facts.rider.zone,
                eligible_until=eligible_until(facts, now),
                busy=load >= self._max_active,
                load=load,
                rating=facts.rider.rating,
            ),
            now,
        )

    async def find_nearest(
        self,
        caller: Caller,
        tenant: TenantSlug,
        *,
        point: tuple[float, float] | None,
        task: ResourceName | None,
        count: int,
        radius_m: float,
        need: Need,
        explain: bool = False,
    ) -> Nearest:
        caller.require(Scope.DISPATCH, tenant)
        if not 0 < radius_m <= MAX_RADIUS_M:
            raise InvalidArgument.field("radius_m", f"must be between 0 and {MAX_RADIUS_M:g} m")
        if not 0 < count <= MAX_COUNT:
            raise InvalidArgument.field("max_riders", f"must be between 1 and {MAX_COUNT}")
        priority = 0
        if task is not None:
            async with self._store.read(tenant) as uow:
                found = await uow.tasks.get(task.id)
            if found is None:
                raise NotFound(f"task {task} not found")
            require_located(found)
            pickup = next((s for s in found.steps if s.kind is StepKind.PICKUP), found.steps[0])
            point = (pickup.latitude, pickup.longitude)
            priority = found.priority
            if need.zone is None and self._zones is not None:
                # A pickup inside one of the tenant's zone fences goes to that zone's riders.
                zone = await self._zones.zone_at(tenant, pickup.latitude, pickup.longitude)
                if zone is not None:
                    need = dataclasses.replace(need, zone=zone)
        if point is None:
            raise InvalidArgument.field("point", "a point or a task is required")
        lat, lng = point
        if not (-90 <= lat <= 90 and -180 <= lng <= 180):
            raise InvalidArgument.field("point", "is out of range")
        now = self._clock.now()
        candidates = await self._matcher.nearest(
            tenant, lat, lng, count=count, radius_m=radius_m, need=need, now=now
        )
        matches = await self._ranked(tenant, (lat, lng), priority, candidates)
        if not explain:
            return Nearest(matches)
        survey = await self._matcher.survey(tenant, lat, lng, radius_m=radius_m, need=need, now=now)
        returned = {m.rider_id for m in matches}
        return Nearest(matches, await explain_survey(self._store, tenant, survey, returned, now))

    async def _ranked(
        self,
        tenant: TenantSlug,
        point: tuple[float, float],
        priority: int,
        candidates: list[Candidate],
    ) -> list[RiderMatch]:
        if not candidates:
            return []
        lat, lng = point
        weights = await self._weights_of(tenant)
        # One question to the distance provider for every candidate (one OSRM table request).
        journeys = await self._distances.journeys(
            [(c.latitude, c.longitude) for c in candidates],
            (lat, lng),
            [c.vehicle_type for c in candidates],
        )
        now = self._clock.now()
        now_ms = now.timestamp() * 1000
        matches = []
        for c, journey in zip(candidates, journeys, strict=True):
            eta = journey.seconds
            idle_s = max(0.0, (now_ms - c.idle_since_ms) / 1000) if c.idle_since_ms else 0.0
            rank = score(
                eta,
                priority=priority,
                load=c.load,
                idle_s=idle_s,
                rating=c.rating,
                weights=weights,
            )
            matches.append(
                RiderMatch(
                    c.rider_id,
                    c.latitude,
                    c.longitude,
                    c.distance_m,
                    eta,
                    rank,
                    Eta.of(now, journey),
                )
            )
        matches.sort(key=lambda m: (-m.score, m.distance_m, m.rider_id))
        return matches

    async def _weights_of(self, tenant: TenantSlug) -> Weights:
        cached = self._weights.get(tenant)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        async with self._store.read(tenant) as uow:
            weights = (await uow.dispatch_policy.get()).weights
        self._weights[tenant] = (time.monotonic() + WEIGHTS_TTL_S, weights)
        return weights

    async def get_policy(self, caller: Caller, tenant: TenantSlug) -> ScoringPolicy:
        return await _POLICY.get(self._store, caller, tenant)

    async def update_policy(
        self, caller: Caller, tenant: TenantSlug, weights: Weights, etag: str | None
    ) -> ScoringPolicy:
        updated = await _POLICY.replace(
            self._store,
            caller,
            tenant,
            weights,
            etag,
            validate=lambda w: check_weights(w, "policy.weights"),
        )
        self._weights.pop(tenant, None)
        return updated


def need_of(
    vehicle_types: frozenset[VehicleType], capacity: Capacity, fleet: str | None, zone: str | None
) -> Need:
    if capacity.weight_kg < 0 or capacity.volume_l < 0 or capacity.item_count < 0:
        raise InvalidArgument.field("capacity_needed", "must not be negative")
    return Need(
        vehicle_types, capacity.weight_kg, capacity.volume_l, capacity.item_count, fleet, zone
    )


class Outcome(enum.StrEnum):
    ASSIGNED = "assigned"
    MANUAL = "manual"


@dataclass(frozen=True)
class DispatchPolicy:
    """How AutoDispatch offers a task: to one rider at a time (``sequential``) or to the best
    ``broadcast_size`` at once, first accept wins; within ``radius_m``, then once within twice
    that; then the task goes to manual dispatch. An order not ready yet is offered first to
    the riders whose travel time best matches its readiness (``domain.readiness``)."""

    mode: str = "sequential"
    offer_timeout: timedelta = timedelta(seconds=20)
    broadcast_size: int = 3
    candidates: int = 5
    radius_m: float = 3000.0


def _ready_in_s(task: Task, now: datetime) -> float:
    """Seconds until the order is expected ready (0 when it is, or nothing was said)."""
    ready = task.ready_at
    return 0.0 if ready is None else (ready - now).total_seconds()


class AutoDispatcher:
    def __init__(
        self,
        store: Store,
        dispatch: DispatchService,
        tasks: TaskService,
        offers: Offers,
        clock: Clock,
        policy: DispatchPolicy,
    ) -> None:
        self._store = store
        self._dispatch = dispatch
        self._tasks = tasks
        self._offers = offers
        self._clock = clock
        self._policy = policy
        self._answers = OfferResponder(store, offers, clock, policy.offer_timeout)

    async def auto_dispatch(self, caller: Caller, name: ResourceName) -> tuple[Outcome, str | None]:
        caller.require(Scope.DISPATCH, name.tenant)
        task = await self._tasks.get(caller, name)
        if task.state is not TaskState.CREATED:
            raise FailedPrecondition(
                f"only an unassigned task can be dispatched; it is {task.state.value}",
                reason="TASK_TAKEN",
            )
        require_located(task)
        system = Caller(name.tenant, "auto-dispatch", frozenset({Scope.DISPATCH}))
        radius = self._policy.radius_m
        for attempt in range(2):
            nearest = await self._dispatch.find_nearest(
                system,
                name.tenant,
                point=None,
                task=name,
                count=self._policy.candidates,
                radius_m=radius,
                need=Need(),
            )
            matches = by_readiness(nearest.matches, _ready_in_s(task, self._clock.now()))
            size = self._policy.broadcast_size if self._policy.mode == "broadcast" else 1
            for i in range(0, len(matches), size):
                winner = await self._offer(system, name, task, matches[i : i + size])
                if winner is not None:
                    return Outcome.ASSIGNED, winner
            if attempt == 0:
                await self._tasks.note(system, name, TaskDispatchWidened, f"radius {radius:g} m")
                radius = min(radius * 2, MAX_RADIUS_M)
        await self._tasks.hand_to_manual(system, name, "no rider accepted an offer")
        return Outcome.MANUAL, None

    async def _offer(
        self, system: Caller, name: ResourceName, task: Task, matches: list[RiderMatch]
    ) -> str | None:
        now = self._clock.now()
        pickup = next((s for s in task.steps if s.kind is StepKind.PICKUP), task.steps[0])
        claimed = []
        for m in matches:
            offer = await self._offers.claim(
                name.tenant,
                m.rider_id,
                str(name),
                now,
                self._policy.offer_timeout,
                (pickup.latitude, pickup.longitude),
                m.distance_m,
            )
            if offer is not None:
                claimed.append(offer)
        if not claimed:
            return None
        answers, stop = await self._offers.listen(name.tenant, [o.id for o in claimed])
        pending = {o.id: o for o in claimed}
        winner: str | None = None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._policy.offer_timeout.total_seconds()
        try:
            for offer in claimed:
                await self._offers.send(name.tenant, offer)
            while pending and winner is None:
                try:
                    offer_id, state = await asyncio.wait_for(answers.get(), deadline - loop.time())
                except TimeoutError:
                    break
                offer = pending.pop(offer_id, None)
                if offer is None or state != "accepted":
                    continue
                rider = RIDERS.resource(name.tenant, uuid.UUID(offer.rider_id))
                try:
                    await self._tasks.assign(
                        system, name, rider, "offer accepted", None, only_if_unassigned=True
                    )
                except DomainError:
                    continue  # the rider filled up meanwhile; wait for another answer
                winner = offer.rider_id
        finally:
            ending = "withdrawn" if winner else "expired"
            for offer in pending.values():
                await self._offers.resolve(
                    name.tenant, offer.id, offer.rider_id, ending, self._clock.now()
                )
            await stop()
        return winner

    async def respond(
        self,
        caller: Caller,
        offer_id: str,
        accept: bool,
        reason: str | None,
        stamp: ActionStamp | None = None,
    ) -> bool:
        """A rider's answer (``answers``): with an action id, offline-safe."""
        return await self._answers.respond(caller, offer_id, accept, reason, stamp)

"""TaskService on both listeners and DispatchService.AssignTask (the proof export endpoint is
in ``dispute_http``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from bengobox.logistics.v1 import (
    dispatch_connect,
    dispatch_pb2,
    task_connect,
    task_pb2,
)
from google.protobuf import empty_pb2

from logistics.api import adherence as adherence_api
from logistics.api import batch as batch_api
from logistics.api import routes as routes_api
from logistics.api.coldchain import ColdChainEndpoints
from logistics.api.convert_common import enum_from_proto, optional
from logistics.api.convert_dispatch import (
    dispatch_policy_to_proto,
    nearest_to_proto,
    weights_from_proto,
)
from logistics.api.convert_fleet import VEHICLE_TYPES, reference
from logistics.api.convert_flows import fail_reason
from logistics.api.convert_presence import (
    accuracy,
    completion_policy_from_proto,
    completion_policy_to_proto,
)
from logistics.api.convert_records import capacity_from_proto, window_from_proto
from logistics.api.convert_retention import add_retention_times
from logistics.api.convert_returns import PURPOSES, origin_from_proto
from logistics.api.convert_tasks import (
    SLA_STATES,
    TASK_KINDS,
    TASK_STATES,
    action_stamp,
    event_to_proto,
    location,
    proof_inputs,
    proof_to_proto,
    proofs_from_proto,
    received_from_proto,
    sla_policy_from_proto,
    sla_policy_to_proto,
    task_changes,
    task_from_proto,
    task_to_proto,
)
from logistics.api.edge import current_caller
from logistics.api.errors import to_status
from logistics.api.paging import encode_token, page_request
from logistics.api.retention import RetentionMethods
from logistics.domain.errors import InvalidArgument
from logistics.domain.ids import TenantSlug, parse_parent
from logistics.domain.names import (
    COMPLETION_POLICY,
    DISPATCH_POLICY,
    FLEETS,
    RIDERS,
    SLA_POLICY,
    TASKS,
)
from logistics.domain.paging import Cursor
from logistics.domain.task_records import TaskFilter
from logistics.services.dispatch.batch import BatchDispatchService
from logistics.services.dispatch.service import AutoDispatcher, DispatchService, Outcome, need_of
from logistics.services.routes.service import RouteService
from logistics.services.routes.templates import RouteTemplates
from logistics.services.tasks.batch import NewTask
from logistics.services.tasks.intake import CreatedTask
from logistics.services.tasks.retention import ProofRetention
from logistics.services.tasks.service import TaskService
from logistics.services.telemetry.adherence import AdherenceMonitor

Ctx = Any


def _required(present: bool, field: str) -> None:
    if not present:
        raise InvalidArgument.field(field, "is required")


class TaskHandler(RetentionMethods, task_connect.TaskService):
    def __init__(
        self, tasks: TaskService, retention: ProofRetention, coldchain: ColdChainEndpoints
    ) -> None:
        super().__init__(retention)
        self._tasks = tasks
        self._coldchain = coldchain

    async def create_task(self, request: task_pb2.CreateTaskRequest, ctx: Ctx) -> task_pb2.Task:
        tenant = parse_parent(request.parent)
        _required(request.HasField("task"), "task")
        task, codes = task_from_proto(request.task, tenant)
        created = await self._tasks.create(
            current_caller(), tenant, task, codes, optional(request.request_id)
        )
        return task_to_proto(tenant, created.task, created.issued_codes)

    async def batch_create_tasks(
        self, request: task_pb2.BatchCreateTasksRequest, ctx: Ctx
    ) -> task_pb2.BatchCreateTasksResponse:
        tenant = parse_parent(request.parent)
        items = [_new_task(tenant, i, r) for i, r in enumerate(request.requests)]
        outcomes = await self._tasks.batch_create(
            current_caller(), tenant, items, all_or_nothing=request.all_or_nothing
        )
        response = task_pb2.BatchCreateTasksResponse()
        for outcome in outcomes:
            if isinstance(outcome, CreatedTask):
                task = task_to_proto(tenant, outcome.task, outcome.issued_codes)
                response.tasks.append(task)
                response.results.add(task=task)
            else:
                response.results.add(status=to_status(outcome).rpc_status())
        return response

    async def update_task(self, request: task_pb2.UpdateTaskRequest, ctx: Ctx) -> task_pb2.Task:
        _required(request.HasField("task"), "task")
        name = TASKS.parse(request.task.name, "task.name")
        changes = task_changes(request.task, list(request.update_mask.paths))
        updated = await self._tasks.update(
            current_caller(), name, changes, optional(request.task.etag)
        )
        return task_to_proto(name.tenant, updated)

    async def get_task(self, request: task_pb2.GetTaskRequest, ctx: Ctx) -> task_pb2.Task:
        name = TASKS.parse(request.name)
        return task_to_proto(name.tenant, await self._tasks.get(current_caller(), name))

    async def list_tasks(
        self, request: task_pb2.ListTasksRequest, ctx: Ctx
    ) -> task_pb2.ListTasksResponse:
        tenant = parse_parent(request.parent)
        f = TaskFilter(
            state=enum_from_proto(request.state, TASK_STATES, "state"),
            kind=enum_from_proto(request.kind, TASK_KINDS, "kind"),
            outlet_id=optional(request.outlet_id),
            rider_id=reference(tenant, request.rider, RIDERS, "rider"),
            sla_state=enum_from_proto(request.sla_state, SLA_STATES, "sla_state"),
            order_id=optional(request.order_id),
            created=window_from_proto(request.create_window, "create_window")
            if request.HasField("create_window")
            else None,
            deadline=window_from_proto(request.deadline_window, "deadline_window")
            if request.HasField("deadline_window")
            else None,
            needs_address=request.needs_address or None,
            origin_task_id=origin_from_proto(tenant, request.origin_task, "origin_task"),
            purpose=enum_from_proto(request.purpose, PURPOSES, "purpose"),
        )
        filters = ("tasks", tenant, f)
        page = await self._tasks.list_tasks(
            current_caller(),
            tenant,
            page_request(request.page_size, request.page_token, filters),
            f,
        )
        return task_pb2.ListTasksResponse(
            tasks=[task_to_proto(tenant, t) for t in page.items],
            next_page_token=encode_token(page.next, filters),
        )

    async def cancel_task(self, request: task_pb2.CancelTaskRequest, ctx: Ctx) -> task_pb2.Task:
        name = TASKS.parse(request.name)
        task = await self._tasks.cancel(
            current_caller(), name, optional(request.reason), optional(request.etag)
        )
        return task_to_proto(name.tenant, task)

    async def start_task(self, request: task_pb2.StartTaskRequest, ctx: Ctx) -> task_pb2.Task:
        name = TASKS.parse(request.name)
        where = location(request.location, request.HasField("location"), "location")
        task = await self._tasks.start(
            current_caller(), name, where, optional(request.etag), action_stamp(request)
        )
        return task_to_proto(name.tenant, task)

    async def arrive_at_step(
        self, request: task_pb2.ArriveAtStepRequest, ctx: Ctx
    ) -> task_pb2.Task:
        name = TASKS.parse(request.name)
        _required(bool(request.step_id), "step_id")
        where = location(request.location, request.HasField("location"), "location")
        task = await self._tasks.arrive(
            current_caller(),
            name,
            request.step_id,
            where,
            optional(request.etag),
            action_stamp(request),
            accuracy(request.location_accuracy_m, "location_accuracy_m"),
        )
        return task_to_proto(name.tenant, task)

    async def complete_step(self, request: task_pb2.CompleteStepRequest, ctx: Ctx) -> task_pb2.Task:
        name = TASKS.parse(request.name)
        _required(bool(request.step_id), "step_id")
        where = location(request.location, request.HasField("location"), "location")
        task = await self._tasks.complete_step(
            current_caller(),
            name,
            request.step_id,
            proofs_from_proto(request),
            where,
            optional(request.etag),
            action_stamp(request),
            accuracy(request.location_accuracy_m, "location_accuracy_m"),
            received=received_from_proto(request),
        )
        return task_to_proto(name.tenant, task)

    async def fail_task(self, request: task_pb2.FailTaskRequest, ctx: Ctx) -> task_pb2.Task:
        name = TASKS.parse(request.name)
        where = location(request.location, request.HasField("location"), "location")
        task = await self._tasks.fail(
            current_caller(),
            name,
            request.reason,
            where,
            optional(request.etag),
            action_stamp(request),
            reason_code=fail_reason(request.reason_code),
            evidence=proof_inputs(request.evidence, "evidence"),
        )
        return task_to_proto(name.tenant, task)

    async def mark_task_ready(
        self, request: task_pb2.MarkTaskReadyRequest, ctx: Ctx
    ) -> task_pb2.Task:
        name = TASKS.parse(request.name)
        task = await self._tasks.mark_ready(current_caller(), name, optional(request.etag))
        return task_to_proto(name.tenant, task)

    async def list_task_events(
        self, request: task_pb2.ListTaskEventsRequest, ctx: Ctx
    ) -> task_pb2.ListTaskEventsResponse:
        name = TASKS.parse(request.parent, "parent")
        filters = ("task_events", str(name))
        page = page_request(request.page_size, request.page_token, filters)
        after = int(page.after.create_time.timestamp()) if page.after else 0
        rows = await self._tasks.events(current_caller(), name, after, page.size + 1)
        more = len(rows) > page.size
        rows = rows[: page.size]
        token = ""
        if more and rows:
            # The cursor's time field carries the event's sequence number (opaque to clients).
            last = rows[-1][0]
            token = encode_token(Cursor(datetime.fromtimestamp(last, UTC), name.id), filters)
        return task_pb2.ListTaskEventsResponse(
            events=[event_to_proto(e) for _, e in rows], next_page_token=token
        )

    async def list_proofs(
        self, request: task_pb2.ListProofsRequest, ctx: Ctx
    ) -> task_pb2.ListProofsResponse:
        name = TASKS.parse(request.parent, "parent")
        caller = current_caller()
        proofs = await self._tasks.proofs(caller, name)
        policy, hold = await self._retention.terms(caller, name)
        return task_pb2.ListProofsResponse(
            proofs=[
                add_retention_times(proof_to_proto(name.tenant, name.id, p), p, policy, hold)
                for p in proofs
            ]
        )

    async def record_temperatures(
        self, request: task_pb2.RecordTemperaturesRequest, ctx: Ctx
    ) -> task_pb2.RecordTemperaturesResponse:
        return await self._coldchain.record_temperatures(request)

    async def list_temperature_readings(
        self, request: task_pb2.ListTemperatureReadingsRequest, ctx: Ctx
    ) -> task_pb2.ListTemperatureReadingsResponse:
        return await self._coldchain.list_temperature_readings(request)

    async def get_sla_policy(
        self, request: task_pb2.GetSlaPolicyRequest, ctx: Ctx
    ) -> task_pb2.SlaPolicy:
        tenant = SLA_POLICY.parse(request.name)
        return sla_policy_to_proto(
            tenant, await self._tasks.get_sla_policy(current_caller(), tenant)
        )

    async def update_sla_policy(
        self, request: task_pb2.UpdateSlaPolicyRequest, ctx: Ctx
    ) -> task_pb2.SlaPolicy:
        _required(request.HasField("policy"), "policy")
        tenant = SLA_POLICY.parse(request.policy.name, "policy.name")
        updated = await self._tasks.update_sla_policy(
            current_caller(),
            tenant,
            sla_policy_from_proto(request.policy),
            optional(request.policy.etag),
        )
        return sla_policy_to_proto(tenant, updated)

    async def get_completion_policy(
        self, request: task_pb2.GetCompletionPolicyRequest, ctx: Ctx
    ) -> task_pb2.CompletionPolicy:
        tenant = COMPLETION_POLICY.parse(request.name)
        policy = await self._tasks.get_completion_policy(current_caller(), tenant)
        return completion_policy_to_proto(tenant, policy)

    async def update_completion_policy(
        self, request: task_pb2.UpdateCompletionPolicyRequest, ctx: Ctx
    ) -> task_pb2.CompletionPolicy:
        _required(request.HasField("policy"), "policy")
        tenant = COMPLETION_POLICY.parse(request.policy.name, "policy.name")
        updated = await self._tasks.update_completion_policy(
            current_caller(),
            tenant,
            completion_policy_from_proto(request.policy),
            optional(request.policy.etag),
        )
        return completion_policy_to_proto(tenant, updated)


class DispatchHandler(dispatch_connect.DispatchService):
    """Matching, assignment, AutoDispatch with offers, batch dispatch, route optimisation."""

    def __init__(
        self,
        tasks: TaskService,
        dispatch: DispatchService,
        auto: AutoDispatcher,
        batch: BatchDispatchService,
        routes: RouteService,
        templates: RouteTemplates,
        adherence: AdherenceMonitor,
    ) -> None:
        self._tasks = tasks
        self._dispatch = dispatch
        self._auto = auto
        self._batch = batch
        self._routes = routes
        self._templates = templates
        self._adherence = adherence

    async def get_route_adherence(
        self, request: dispatch_pb2.GetRouteAdherenceRequest, ctx: Ctx
    ) -> dispatch_pb2.RouteAdherence:
        return await adherence_api.get_route_adherence(self._adherence, request)

    async def create_route_template(
        self, request: dispatch_pb2.CreateRouteTemplateRequest, ctx: Ctx
    ) -> dispatch_pb2.RouteTemplate:
        return await routes_api.create_route_template(self._templates, request)

    async def get_route_template(
        self, request: dispatch_pb2.GetRouteTemplateRequest, ctx: Ctx
    ) -> dispatch_pb2.RouteTemplate:
        return await routes_api.get_route_template(self._templates, request)

    async def list_route_templates(
        self, request: dispatch_pb2.ListRouteTemplatesRequest, ctx: Ctx
    ) -> dispatch_pb2.ListRouteTemplatesResponse:
        return await routes_api.list_route_templates(self._templates, request)

    async def update_route_template(
        self, request: dispatch_pb2.UpdateRouteTemplateRequest, ctx: Ctx
    ) -> dispatch_pb2.RouteTemplate:
        return await routes_api.update_route_template(self._templates, request)

    async def delete_route_template(
        self, request: dispatch_pb2.DeleteRouteTemplateRequest, ctx: Ctx
    ) -> empty_pb2.Empty:
        return await routes_api.delete_route_template(self._templates, request)

    async def optimize_routes(
        self, request: dispatch_pb2.OptimizeRoutesRequest, ctx: Ctx
    ) -> dispatch_pb2.OptimizeRoutesResponse:
        return await routes_api.optimize_routes(self._routes, request)

    def optimize_routes_stream(
        self, request: dispatch_pb2.OptimizeRoutesStreamRequest, ctx: Ctx
    ) -> AsyncIterator[dispatch_pb2.OptimizeRoutesStreamResponse]:
        return routes_api.optimize_routes_stream(self._routes, request)

    async def assign_batch(
        self, request: dispatch_pb2.AssignBatchRequest, ctx: Ctx
    ) -> dispatch_pb2.AssignBatchResponse:
        return await batch_api.assign_batch(self._batch, request)

    async def auto_dispatch(
        self, request: dispatch_pb2.AutoDispatchRequest, ctx: Ctx
    ) -> dispatch_pb2.AutoDispatchResponse:
        name = TASKS.parse(request.task, "task")
        outcome, rider = await self._auto.auto_dispatch(current_caller(), name)
        return dispatch_pb2.AutoDispatchResponse(
            task=request.task,
            outcome=dispatch_pb2.AutoDispatchResponse.OUTCOME_ASSIGNED
            if outcome is Outcome.ASSIGNED
            else dispatch_pb2.AutoDispatchResponse.OUTCOME_MANUAL,
            rider=RIDERS.name(name.tenant, rider) if rider else "",
        )

    async def respond_to_offer(
        self, request: dispatch_pb2.RespondToOfferRequest, ctx: Ctx
    ) -> dispatch_pb2.RespondToOfferResponse:
        _required(bool(request.offer_id), "offer_id")
        accepted = await self._auto.respond(
            current_caller(),
            request.offer_id,
            request.accept,
            optional(request.reason),
            action_stamp(request),
        )
        return dispatch_pb2.RespondToOfferResponse(assigned=accepted)

    async def find_nearest_riders(
        self, request: dispatch_pb2.FindNearestRidersRequest, ctx: Ctx
    ) -> dispatch_pb2.FindNearestRidersResponse:
        tenant = parse_parent(request.parent)
        task = TASKS.parse(request.task, "task") if request.task else None
        if task is not None and task.tenant != tenant:
            raise InvalidArgument.field("task", "names a task of another tenant")
        point = location(request.point, request.HasField("point"), "point")
        vehicle = enum_from_proto(request.vehicle_type, VEHICLE_TYPES, "vehicle_type")
        need = need_of(
            frozenset({vehicle}) if vehicle else frozenset(),
            capacity_from_proto(request.capacity_needed),
            str(reference(tenant, request.fleet, FLEETS, "fleet") or "") or None,
            optional(request.zone),
        )
        nearest = await self._dispatch.find_nearest(
            current_caller(),
            tenant,
            point=point,
            task=task,
            count=request.max_riders or 10,
            radius_m=request.radius_m or 3000.0,
            need=need,
            explain=request.explain,
        )
        return nearest_to_proto(tenant, nearest)

    async def assign_task(
        self, request: dispatch_pb2.AssignTaskRequest, ctx: Ctx
    ) -> dispatch_pb2.AssignTaskResponse:
        name = TASKS.parse(request.task, "task")
        rider = RIDERS.parse(request.rider, "rider")
        task = await self._tasks.assign(
            current_caller(), name, rider, optional(request.reason), optional(request.etag)
        )
        return dispatch_pb2.AssignTaskResponse(task=task_to_proto(name.tenant, task))

    async def get_dispatch_policy(
        self, request: dispatch_pb2.GetDispatchPolicyRequest, ctx: Ctx
    ) -> dispatch_pb2.DispatchPolicy:
        tenant = DISPATCH_POLICY.parse(request.name)
        policy = await self._dispatch.get_policy(current_caller(), tenant)
        return dispatch_policy_to_proto(tenant, policy)

    async def update_dispatch_policy(
        self, request: dispatch_pb2.UpdateDispatchPolicyRequest, ctx: Ctx
    ) -> dispatch_pb2.DispatchPolicy:
        _required(request.HasField("policy"), "policy")
        _required(request.policy.HasField("weights"), "policy.weights")
        tenant = DISPATCH_POLICY.parse(request.policy.name, "policy.name")
        updated = await self._dispatch.update_policy(
            current_caller(),
            tenant,
            weights_from_proto(request.policy.weights),
            optional(request.policy.etag),
        )
        return dispatch_policy_to_proto(tenant, updated)


def _new_task(
    tenant: TenantSlug, index: int, request: task_pb2.CreateTaskRequest
) -> NewTask | InvalidArgument:
    """One request of a batch, or why it cannot be read (fields relative to the request)."""
    try:
        if request.parent and parse_parent(request.parent) != tenant:
            raise InvalidArgument.field("parent", "is not the batch's parent")
        _required(request.HasField("task"), "task")
        task, codes = task_from_proto(request.task, tenant)
    except InvalidArgument as exc:
        return exc
    return NewTask(task, codes, optional(request.request_id))

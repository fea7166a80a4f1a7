import datetime

from bengobox.logistics.v1 import common_pb2 as _common_pb2
from bengobox.logistics.v1 import task_pb2 as _task_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import empty_pb2 as _empty_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class FindNearestRidersRequest(_message.Message):
    __slots__ = ("parent", "point", "task", "max_riders", "radius_m", "vehicle_type", "capacity_needed", "fleet", "zone", "explain")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    POINT_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    MAX_RIDERS_FIELD_NUMBER: _ClassVar[int]
    RADIUS_M_FIELD_NUMBER: _ClassVar[int]
    VEHICLE_TYPE_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_NEEDED_FIELD_NUMBER: _ClassVar[int]
    FLEET_FIELD_NUMBER: _ClassVar[int]
    ZONE_FIELD_NUMBER: _ClassVar[int]
    EXPLAIN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    point: _common_pb2.GeoPoint
    task: str
    max_riders: int
    radius_m: float
    vehicle_type: _common_pb2.VehicleType
    capacity_needed: _common_pb2.Capacity
    fleet: str
    zone: str
    explain: bool
    def __init__(self, parent: _Optional[str] = ..., point: _Optional[_Union[_common_pb2.GeoPoint, _Mapping]] = ..., task: _Optional[str] = ..., max_riders: _Optional[int] = ..., radius_m: _Optional[float] = ..., vehicle_type: _Optional[_Union[_common_pb2.VehicleType, str]] = ..., capacity_needed: _Optional[_Union[_common_pb2.Capacity, _Mapping]] = ..., fleet: _Optional[str] = ..., zone: _Optional[str] = ..., explain: _Optional[bool] = ...) -> None: ...

class RiderCandidate(_message.Message):
    __slots__ = ("rider", "distance_m", "eta", "score", "position", "arrival")
    RIDER_FIELD_NUMBER: _ClassVar[int]
    DISTANCE_M_FIELD_NUMBER: _ClassVar[int]
    ETA_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    ARRIVAL_FIELD_NUMBER: _ClassVar[int]
    rider: str
    distance_m: float
    eta: _duration_pb2.Duration
    score: float
    position: _common_pb2.GeoPoint
    arrival: _common_pb2.ArrivalEstimate
    def __init__(self, rider: _Optional[str] = ..., distance_m: _Optional[float] = ..., eta: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., score: _Optional[float] = ..., position: _Optional[_Union[_common_pb2.GeoPoint, _Mapping]] = ..., arrival: _Optional[_Union[_common_pb2.ArrivalEstimate, _Mapping]] = ...) -> None: ...

class FindNearestRidersResponse(_message.Message):
    __slots__ = ("riders", "explanation")
    RIDERS_FIELD_NUMBER: _ClassVar[int]
    EXPLANATION_FIELD_NUMBER: _ClassVar[int]
    riders: _containers.RepeatedCompositeFieldContainer[RiderCandidate]
    explanation: NearestRidersExplanation
    def __init__(self, riders: _Optional[_Iterable[_Union[RiderCandidate, _Mapping]]] = ..., explanation: _Optional[_Union[NearestRidersExplanation, _Mapping]] = ...) -> None: ...

class NearestRidersExplanation(_message.Message):
    __slots__ = ("riders_examined", "left_out")
    RIDERS_EXAMINED_FIELD_NUMBER: _ClassVar[int]
    LEFT_OUT_FIELD_NUMBER: _ClassVar[int]
    riders_examined: int
    left_out: _containers.RepeatedCompositeFieldContainer[RidersLeftOut]
    def __init__(self, riders_examined: _Optional[int] = ..., left_out: _Optional[_Iterable[_Union[RidersLeftOut, _Mapping]]] = ...) -> None: ...

class RidersLeftOut(_message.Message):
    __slots__ = ("reason", "riders")
    class Reason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        REASON_UNSPECIFIED: _ClassVar[RidersLeftOut.Reason]
        REASON_STALE_POSITION: _ClassVar[RidersLeftOut.Reason]
        REASON_OUTSIDE_RADIUS: _ClassVar[RidersLeftOut.Reason]
        REASON_NOT_ACTIVE: _ClassVar[RidersLeftOut.Reason]
        REASON_OFF_SHIFT: _ClassVar[RidersLeftOut.Reason]
        REASON_NO_VEHICLE: _ClassVar[RidersLeftOut.Reason]
        REASON_DOCUMENT_MISSING: _ClassVar[RidersLeftOut.Reason]
        REASON_DOCUMENT_EXPIRED: _ClassVar[RidersLeftOut.Reason]
        REASON_DOCUMENT_REJECTED: _ClassVar[RidersLeftOut.Reason]
        REASON_DOCUMENT_UNVERIFIED: _ClassVar[RidersLeftOut.Reason]
        REASON_PROFILE_OUTDATED: _ClassVar[RidersLeftOut.Reason]
        REASON_AT_CAPACITY: _ClassVar[RidersLeftOut.Reason]
        REASON_OFFER_OPEN: _ClassVar[RidersLeftOut.Reason]
        REASON_VEHICLE_TYPE: _ClassVar[RidersLeftOut.Reason]
        REASON_CAPACITY: _ClassVar[RidersLeftOut.Reason]
        REASON_FLEET: _ClassVar[RidersLeftOut.Reason]
        REASON_ZONE: _ClassVar[RidersLeftOut.Reason]
        REASON_BEYOND_MAX_RIDERS: _ClassVar[RidersLeftOut.Reason]
        REASON_NOT_ELIGIBLE: _ClassVar[RidersLeftOut.Reason]
    REASON_UNSPECIFIED: RidersLeftOut.Reason
    REASON_STALE_POSITION: RidersLeftOut.Reason
    REASON_OUTSIDE_RADIUS: RidersLeftOut.Reason
    REASON_NOT_ACTIVE: RidersLeftOut.Reason
    REASON_OFF_SHIFT: RidersLeftOut.Reason
    REASON_NO_VEHICLE: RidersLeftOut.Reason
    REASON_DOCUMENT_MISSING: RidersLeftOut.Reason
    REASON_DOCUMENT_EXPIRED: RidersLeftOut.Reason
    REASON_DOCUMENT_REJECTED: RidersLeftOut.Reason
    REASON_DOCUMENT_UNVERIFIED: RidersLeftOut.Reason
    REASON_PROFILE_OUTDATED: RidersLeftOut.Reason
    REASON_AT_CAPACITY: RidersLeftOut.Reason
    REASON_OFFER_OPEN: RidersLeftOut.Reason
    REASON_VEHICLE_TYPE: RidersLeftOut.Reason
    REASON_CAPACITY: RidersLeftOut.Reason
    REASON_FLEET: RidersLeftOut.Reason
    REASON_ZONE: RidersLeftOut.Reason
    REASON_BEYOND_MAX_RIDERS: RidersLeftOut.Reason
    REASON_NOT_ELIGIBLE: RidersLeftOut.Reason
    REASON_FIELD_NUMBER: _ClassVar[int]
    RIDERS_FIELD_NUMBER: _ClassVar[int]
    reason: RidersLeftOut.Reason
    riders: int
    def __init__(self, reason: _Optional[_Union[RidersLeftOut.Reason, str]] = ..., riders: _Optional[int] = ...) -> None: ...

class AssignTaskRequest(_message.Message):
    __slots__ = ("task", "rider", "reason", "etag")
    TASK_FIELD_NUMBER: _ClassVar[int]
    RIDER_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    task: str
    rider: str
    reason: str
    etag: str
    def __init__(self, task: _Optional[str] = ..., rider: _Optional[str] = ..., reason: _Optional[str] = ..., etag: _Optional[str] = ...) -> None: ...

class AssignTaskResponse(_message.Message):
    __slots__ = ("task",)
    TASK_FIELD_NUMBER: _ClassVar[int]
    task: _task_pb2.Task
    def __init__(self, task: _Optional[_Union[_task_pb2.Task, _Mapping]] = ...) -> None: ...

class AutoDispatchRequest(_message.Message):
    __slots__ = ("task",)
    TASK_FIELD_NUMBER: _ClassVar[int]
    task: str
    def __init__(self, task: _Optional[str] = ...) -> None: ...

class AutoDispatchResponse(_message.Message):
    __slots__ = ("task", "outcome", "rider")
    class Outcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        OUTCOME_UNSPECIFIED: _ClassVar[AutoDispatchResponse.Outcome]
        OUTCOME_ASSIGNED: _ClassVar[AutoDispatchResponse.Outcome]
        OUTCOME_MANUAL: _ClassVar[AutoDispatchResponse.Outcome]
        OUTCOME_CARRIER: _ClassVar[AutoDispatchResponse.Outcome]
    OUTCOME_UNSPECIFIED: AutoDispatchResponse.Outcome
    OUTCOME_ASSIGNED: AutoDispatchResponse.Outcome
    OUTCOME_MANUAL: AutoDispatchResponse.Outcome
    OUTCOME_CARRIER: AutoDispatchResponse.Outcome
    TASK_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    RIDER_FIELD_NUMBER: _ClassVar[int]
    task: str
    outcome: AutoDispatchResponse.Outcome
    rider: str
    def __init__(self, task: _Optional[str] = ..., outcome: _Optional[_Union[AutoDispatchResponse.Outcome, str]] = ..., rider: _Optional[str] = ...) -> None: ...

class RespondToOfferRequest(_message.Message):
    __slots__ = ("offer_id", "accept", "reason", "action_id", "occurred_time")
    OFFER_ID_FIELD_NUMBER: _ClassVar[int]
    ACCEPT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ACTION_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_TIME_FIELD_NUMBER: _ClassVar[int]
    offer_id: str
    accept: bool
    reason: str
    action_id: str
    occurred_time: _timestamp_pb2.Timestamp
    def __init__(self, offer_id: _Optional[str] = ..., accept: _Optional[bool] = ..., reason: _Optional[str] = ..., action_id: _Optional[str] = ..., occurred_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class RespondToOfferResponse(_message.Message):
    __slots__ = ("assigned",)
    ASSIGNED_FIELD_NUMBER: _ClassVar[int]
    assigned: bool
    def __init__(self, assigned: _Optional[bool] = ...) -> None: ...

class AssignBatchRequest(_message.Message):
    __slots__ = ("parent", "tasks", "riders", "apply")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    TASKS_FIELD_NUMBER: _ClassVar[int]
    RIDERS_FIELD_NUMBER: _ClassVar[int]
    APPLY_FIELD_NUMBER: _ClassVar[int]
    parent: str
    tasks: _containers.RepeatedScalarFieldContainer[str]
    riders: _containers.RepeatedScalarFieldContainer[str]
    apply: bool
    def __init__(self, parent: _Optional[str] = ..., tasks: _Optional[_Iterable[str]] = ..., riders: _Optional[_Iterable[str]] = ..., apply: _Optional[bool] = ...) -> None: ...

class BatchAssignment(_message.Message):
    __slots__ = ("rider", "tasks", "cost")
    RIDER_FIELD_NUMBER: _ClassVar[int]
    TASKS_FIELD_NUMBER: _ClassVar[int]
    COST_FIELD_NUMBER: _ClassVar[int]
    rider: str
    tasks: _containers.RepeatedScalarFieldContainer[str]
    cost: float
    def __init__(self, rider: _Optional[str] = ..., tasks: _Optional[_Iterable[str]] = ..., cost: _Optional[float] = ...) -> None: ...

class AssignBatchResponse(_message.Message):
    __slots__ = ("assignments", "unassigned_tasks", "applied")
    ASSIGNMENTS_FIELD_NUMBER: _ClassVar[int]
    UNASSIGNED_TASKS_FIELD_NUMBER: _ClassVar[int]
    APPLIED_FIELD_NUMBER: _ClassVar[int]
    assignments: _containers.RepeatedCompositeFieldContainer[BatchAssignment]
    unassigned_tasks: _containers.RepeatedScalarFieldContainer[str]
    applied: bool
    def __init__(self, assignments: _Optional[_Iterable[_Union[BatchAssignment, _Mapping]]] = ..., unassigned_tasks: _Optional[_Iterable[str]] = ..., applied: _Optional[bool] = ...) -> None: ...

class ScoringWeights(_message.Message):
    __slots__ = ("eta", "load", "idle", "rating")
    ETA_FIELD_NUMBER: _ClassVar[int]
    LOAD_FIELD_NUMBER: _ClassVar[int]
    IDLE_FIELD_NUMBER: _ClassVar[int]
    RATING_FIELD_NUMBER: _ClassVar[int]
    eta: float
    load: float
    idle: float
    rating: float
    def __init__(self, eta: _Optional[float] = ..., load: _Optional[float] = ..., idle: _Optional[float] = ..., rating: _Optional[float] = ...) -> None: ...

class DispatchPolicy(_message.Message):
    __slots__ = ("name", "weights", "update_time", "etag")
    NAME_FIELD_NUMBER: _ClassVar[int]
    WEIGHTS_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    name: str
    weights: ScoringWeights
    update_time: _timestamp_pb2.Timestamp
    etag: str
    def __init__(self, name: _Optional[str] = ..., weights: _Optional[_Union[ScoringWeights, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., etag: _Optional[str] = ...) -> None: ...

class GetDispatchPolicyRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class UpdateDispatchPolicyRequest(_message.Message):
    __slots__ = ("policy",)
    POLICY_FIELD_NUMBER: _ClassVar[int]
    policy: DispatchPolicy
    def __init__(self, policy: _Optional[_Union[DispatchPolicy, _Mapping]] = ...) -> None: ...

class RouteStop(_message.Message):
    __slots__ = ("id", "location", "task", "window", "service_seconds", "demand", "pickup_stop_id", "step_id")
    ID_FIELD_NUMBER: _ClassVar[int]
    LOCATION_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    WINDOW_FIELD_NUMBER: _ClassVar[int]
    SERVICE_SECONDS_FIELD_NUMBER: _ClassVar[int]
    DEMAND_FIELD_NUMBER: _ClassVar[int]
    PICKUP_STOP_ID_FIELD_NUMBER: _ClassVar[int]
    STEP_ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    location: _common_pb2.GeoPoint
    task: str
    window: _common_pb2.TimeWindow
    service_seconds: int
    demand: _common_pb2.Capacity
    pickup_stop_id: str
    step_id: str
    def __init__(self, id: _Optional[str] = ..., location: _Optional[_Union[_common_pb2.GeoPoint, _Mapping]] = ..., task: _Optional[str] = ..., window: _Optional[_Union[_common_pb2.TimeWindow, _Mapping]] = ..., service_seconds: _Optional[int] = ..., demand: _Optional[_Union[_common_pb2.Capacity, _Mapping]] = ..., pickup_stop_id: _Optional[str] = ..., step_id: _Optional[str] = ...) -> None: ...

class RouteVehicle(_message.Message):
    __slots__ = ("id", "rider", "capacity", "start", "end", "shift", "cost_per_km", "cost_per_hour", "fixed_cost", "count")
    ID_FIELD_NUMBER: _ClassVar[int]
    RIDER_FIELD_NUMBER: _ClassVar[int]
    CAPACITY_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    END_FIELD_NUMBER: _ClassVar[int]
    SHIFT_FIELD_NUMBER: _ClassVar[int]
    COST_PER_KM_FIELD_NUMBER: _ClassVar[int]
    COST_PER_HOUR_FIELD_NUMBER: _ClassVar[int]
    FIXED_COST_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    id: str
    rider: str
    capacity: _common_pb2.Capacity
    start: _common_pb2.GeoPoint
    end: _common_pb2.GeoPoint
    shift: _common_pb2.TimeWindow
    cost_per_km: float
    cost_per_hour: float
    fixed_cost: float
    count: int
    def __init__(self, id: _Optional[str] = ..., rider: _Optional[str] = ..., capacity: _Optional[_Union[_common_pb2.Capacity, _Mapping]] = ..., start: _Optional[_Union[_common_pb2.GeoPoint, _Mapping]] = ..., end: _Optional[_Union[_common_pb2.GeoPoint, _Mapping]] = ..., shift: _Optional[_Union[_common_pb2.TimeWindow, _Mapping]] = ..., cost_per_km: _Optional[float] = ..., cost_per_hour: _Optional[float] = ..., fixed_cost: _Optional[float] = ..., count: _Optional[int] = ...) -> None: ...

class OptimizeRoutesRequest(_message.Message):
    __slots__ = ("parent", "stops", "vehicles", "objective", "time_limit", "tasks", "apply", "vehicle_type")
    class Objective(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        OBJECTIVE_UNSPECIFIED: _ClassVar[OptimizeRoutesRequest.Objective]
        OBJECTIVE_DISTANCE: _ClassVar[OptimizeRoutesRequest.Objective]
        OBJECTIVE_DURATION: _ClassVar[OptimizeRoutesRequest.Objective]
        OBJECTIVE_VEHICLES_THEN_DISTANCE: _ClassVar[OptimizeRoutesRequest.Objective]
        OBJECTIVE_ON_TIME: _ClassVar[OptimizeRoutesRequest.Objective]
    OBJECTIVE_UNSPECIFIED: OptimizeRoutesRequest.Objective
    OBJECTIVE_DISTANCE: OptimizeRoutesRequest.Objective
    OBJECTIVE_DURATION: OptimizeRoutesRequest.Objective
    OBJECTIVE_VEHICLES_THEN_DISTANCE: OptimizeRoutesRequest.Objective
    OBJECTIVE_ON_TIME: OptimizeRoutesRequest.Objective
    PARENT_FIELD_NUMBER: _ClassVar[int]
    STOPS_FIELD_NUMBER: _ClassVar[int]
    VEHICLES_FIELD_NUMBER: _ClassVar[int]
    OBJECTIVE_FIELD_NUMBER: _ClassVar[int]
    TIME_LIMIT_FIELD_NUMBER: _ClassVar[int]
    TASKS_FIELD_NUMBER: _ClassVar[int]
    APPLY_FIELD_NUMBER: _ClassVar[int]
    VEHICLE_TYPE_FIELD_NUMBER: _ClassVar[int]
    parent: str
    stops: _containers.RepeatedCompositeFieldContainer[RouteStop]
    vehicles: _containers.RepeatedCompositeFieldContainer[RouteVehicle]
    objective: OptimizeRoutesRequest.Objective
    time_limit: _duration_pb2.Duration
    tasks: _containers.RepeatedScalarFieldContainer[str]
    apply: bool
    vehicle_type: _common_pb2.VehicleType
    def __init__(self, parent: _Optional[str] = ..., stops: _Optional[_Iterable[_Union[RouteStop, _Mapping]]] = ..., vehicles: _Optional[_Iterable[_Union[RouteVehicle, _Mapping]]] = ..., objective: _Optional[_Union[OptimizeRoutesRequest.Objective, str]] = ..., time_limit: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., tasks: _Optional[_Iterable[str]] = ..., apply: _Optional[bool] = ..., vehicle_type: _Optional[_Union[_common_pb2.VehicleType, str]] = ...) -> None: ...

class PlannedStop(_message.Message):
    __slots__ = ("stop_id", "arrival_time", "departure_time", "load_after", "task")
    STOP_ID_FIELD_NUMBER: _ClassVar[int]
    ARRIVAL_TIME_FIELD_NUMBER: _ClassVar[int]
    DEPARTURE_TIME_FIELD_NUMBER: _ClassVar[int]
    LOAD_AFTER_FIELD_NUMBER: _ClassVar[int]
    TASK_FIELD_NUMBER: _ClassVar[int]
    stop_id: str
    arrival_time: _timestamp_pb2.Timestamp
    departure_time: _timestamp_pb2.Timestamp
    load_after: _common_pb2.Capacity
    task: str
    def __init__(self, stop_id: _Optional[str] = ..., arrival_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., departure_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., load_after: _Optional[_Union[_common_pb2.Capacity, _Mapping]] = ..., task: _Optional[str] = ...) -> None: ...

class PlannedRoute(_message.Message):
    __slots__ = ("vehicle_id", "stops", "distance_m", "duration", "rider", "name")
    VEHICLE_ID_FIELD_NUMBER: _ClassVar[int]
    STOPS_FIELD_NUMBER: _ClassVar[int]
    DISTANCE_M_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    RIDER_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    vehicle_id: str
    stops: _containers.RepeatedCompositeFieldContainer[PlannedStop]
    distance_m: float
    duration: _duration_pb2.Duration
    rider: str
    name: str
    def __init__(self, vehicle_id: _Optional[str] = ..., stops: _Optional[_Iterable[_Union[PlannedStop, _Mapping]]] = ..., distance_m: _Optional[float] = ..., duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., rider: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class UnassignedStop(_message.Message):
    __slots__ = ("stop_id", "reason")
    STOP_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    stop_id: str
    reason: str
    def __init__(self, stop_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class OptimizeRoutesResponse(_message.Message):
    __slots__ = ("plan", "routes", "unassigned", "cost", "applied", "engine")
    PLAN_FIELD_NUMBER: _ClassVar[int]
    ROUTES_FIELD_NUMBER: _ClassVar[int]
    UNASSIGNED_FIELD_NUMBER: _ClassVar[int]
    COST_FIELD_NUMBER: _ClassVar[int]
    APPLIED_FIELD_NUMBER: _ClassVar[int]
    ENGINE_FIELD_NUMBER: _ClassVar[int]
    plan: str
    routes: _containers.RepeatedCompositeFieldContainer[PlannedRoute]
    unassigned: _containers.RepeatedCompositeFieldContainer[UnassignedStop]
    cost: float
    applied: bool
    engine: str
    def __init__(self, plan: _Optional[str] = ..., routes: _Optional[_Iterable[_Union[PlannedRoute, _Mapping]]] = ..., unassigned: _Optional[_Iterable[_Union[UnassignedStop, _Mapping]]] = ..., cost: _Optional[float] = ..., applied: _Optional[bool] = ..., engine: _Optional[str] = ...) -> None: ...

class OptimizeRoutesStreamRequest(_message.Message):
    __slots__ = ("request",)
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    request: OptimizeRoutesRequest
    def __init__(self, request: _Optional[_Union[OptimizeRoutesRequest, _Mapping]] = ...) -> None: ...

class OptimizeRoutesStreamResponse(_message.Message):
    __slots__ = ("best_cost", "result")
    BEST_COST_FIELD_NUMBER: _ClassVar[int]
    RESULT_FIELD_NUMBER: _ClassVar[int]
    best_cost: float
    result: OptimizeRoutesResponse
    def __init__(self, best_cost: _Optional[float] = ..., result: _Optional[_Union[OptimizeRoutesResponse, _Mapping]] = ...) -> None: ...

class RouteTemplate(_message.Message):
    __slots__ = ("name", "display_name", "plan", "weekdays", "run_minute", "next_run_time", "etag")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    PLAN_FIELD_NUMBER: _ClassVar[int]
    WEEKDAYS_FIELD_NUMBER: _ClassVar[int]
    RUN_MINUTE_FIELD_NUMBER: _ClassVar[int]
    NEXT_RUN_TIME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    name: str
    display_name: str
    plan: OptimizeRoutesRequest
    weekdays: _containers.RepeatedScalarFieldContainer[int]
    run_minute: int
    next_run_time: _timestamp_pb2.Timestamp
    etag: str
    def __init__(self, name: _Optional[str] = ..., display_name: _Optional[str] = ..., plan: _Optional[_Union[OptimizeRoutesRequest, _Mapping]] = ..., weekdays: _Optional[_Iterable[int]] = ..., run_minute: _Optional[int] = ..., next_run_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., etag: _Optional[str] = ...) -> None: ...

class CreateRouteTemplateRequest(_message.Message):
    __slots__ = ("parent", "route_template")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    ROUTE_TEMPLATE_FIELD_NUMBER: _ClassVar[int]
    parent: str
    route_template: RouteTemplate
    def __init__(self, parent: _Optional[str] = ..., route_template: _Optional[_Union[RouteTemplate, _Mapping]] = ...) -> None: ...

class GetRouteTemplateRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListRouteTemplatesRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListRouteTemplatesResponse(_message.Message):
    __slots__ = ("route_templates", "next_page_token")
    ROUTE_TEMPLATES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    route_templates: _containers.RepeatedCompositeFieldContainer[RouteTemplate]
    next_page_token: str
    def __init__(self, route_templates: _Optional[_Iterable[_Union[RouteTemplate, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateRouteTemplateRequest(_message.Message):
    __slots__ = ("route_template", "update_mask")
    ROUTE_TEMPLATE_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    route_template: RouteTemplate
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, route_template: _Optional[_Union[RouteTemplate, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class DeleteRouteTemplateRequest(_message.Message):
    __slots__ = ("name", "etag")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    name: str
    etag: str
    def __init__(self, name: _Optional[str] = ..., etag: _Optional[str] = ...) -> None: ...

class GetRouteAdherenceRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class RouteDeviation(_message.Message):
    __slots__ = ("start_time", "end_time", "max_distance_m", "position")
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    MAX_DISTANCE_M_FIELD_NUMBER: _ClassVar[int]
    POSITION_FIELD_NUMBER: _ClassVar[int]
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    max_distance_m: float
    position: _common_pb2.GeoPoint
    def __init__(self, start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., max_distance_m: _Optional[float] = ..., position: _Optional[_Union[_common_pb2.GeoPoint, _Mapping]] = ...) -> None: ...

class RouteAdherence(_message.Message):
    __slots__ = ("name", "rider", "score", "tracked", "off_route", "deviations", "points", "path_source", "corridor_m", "tolerance", "in_progress")
    class PathSource(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        PATH_SOURCE_UNSPECIFIED: _ClassVar[RouteAdherence.PathSource]
        PATH_SOURCE_ROAD: _ClassVar[RouteAdherence.PathSource]
        PATH_SOURCE_STRAIGHT_LINE: _ClassVar[RouteAdherence.PathSource]
    PATH_SOURCE_UNSPECIFIED: RouteAdherence.PathSource
    PATH_SOURCE_ROAD: RouteAdherence.PathSource
    PATH_SOURCE_STRAIGHT_LINE: RouteAdherence.PathSource
    NAME_FIELD_NUMBER: _ClassVar[int]
    RIDER_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    TRACKED_FIELD_NUMBER: _ClassVar[int]
    OFF_ROUTE_FIELD_NUMBER: _ClassVar[int]
    DEVIATIONS_FIELD_NUMBER: _ClassVar[int]
    POINTS_FIELD_NUMBER: _ClassVar[int]
    PATH_SOURCE_FIELD_NUMBER: _ClassVar[int]
    CORRIDOR_M_FIELD_NUMBER: _ClassVar[int]
    TOLERANCE_FIELD_NUMBER: _ClassVar[int]
    IN_PROGRESS_FIELD_NUMBER: _ClassVar[int]
    name: str
    rider: str
    score: float
    tracked: _duration_pb2.Duration
    off_route: _duration_pb2.Duration
    deviations: _containers.RepeatedCompositeFieldContainer[RouteDeviation]
    points: int
    path_source: RouteAdherence.PathSource
    corridor_m: float
    tolerance: _duration_pb2.Duration
    in_progress: bool
    def __init__(self, name: _Optional[str] = ..., rider: _Optional[str] = ..., score: _Optional[float] = ..., tracked: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., off_route: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., deviations: _Optional[_Iterable[_Union[RouteDeviation, _Mapping]]] = ..., points: _Optional[int] = ..., path_source: _Optional[_Union[RouteAdherence.PathSource, str]] = ..., corridor_m: _Optional[float] = ..., tolerance: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., in_progress: _Optional[bool] = ...) -> None: ...

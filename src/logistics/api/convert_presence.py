"""Translation of verified completion: a step's presence checks, the tenant's completion policy,
and the accuracy a rider action sends with its location."""

from __future__ import annotations

import math

from bengobox.logistics.v1 import common_pb2, task_pb2
from google.protobuf import duration_pb2

from logistics.api.convert_common import enum_from_proto, enum_to_proto, timestamp
from logistics.domain.errors import InvalidArgument
from logistics.domain.ids import TenantSlug
from logistics.domain.names import COMPLETION_POLICY
from logistics.domain.presence import CompletionPolicy, Enforcement, PresenceCheck, Source, Verdict
from logistics.domain.versioning import etag_for

_P = task_pb2.CompletionPolicy
ENFORCEMENTS: dict[int, Enforcement] = {
    _P.ENFORCEMENT_OFF: Enforcement.OFF,
    _P.ENFORCEMENT_FLAG: Enforcement.FLAG,
    _P.ENFORCEMENT_REFUSE: Enforcement.REFUSE,
}
_C = task_pb2.PresenceCheck
VERDICTS: dict[int, Verdict] = {
    _C.VERDICT_INSIDE: Verdict.INSIDE,
    _C.VERDICT_OUTSIDE: Verdict.OUTSIDE,
    _C.VERDICT_NO_POSITION: Verdict.NO_POSITION,
}
SOURCES: dict[int, Source] = {_C.SOURCE_REQUEST: Source.REQUEST, _C.SOURCE_LIVE: Source.LIVE}
_DEFAULTS = CompletionPolicy()


def accuracy(value: float, field: str) -> float:
    """A rider action's ``location_accuracy_m``: a finite number of metres, not negative."""
    if not math.isfinite(value) or value < 0:
        raise InvalidArgument.field(field, "must be a finite number of metres, 0 or more")
    return float(value)


def check_to_proto(c: PresenceCheck) -> task_pb2.PresenceCheck:
    msg = task_pb2.PresenceCheck(
        verdict=enum_to_proto(c.verdict, VERDICTS),  # type: ignore[arg-type]
        flagged=c.flagged,
        distance_m=c.distance_m or 0.0,
        radius_m=c.radius_m,
    )
    if c.fix is not None:
        msg.location.CopyFrom(
            common_pb2.GeoPoint(latitude=c.fix.latitude, longitude=c.fix.longitude)
        )
        msg.accuracy_m = c.fix.accuracy_m
        msg.fix_time.FromDatetime(c.fix.time)
        msg.source = enum_to_proto(c.fix.source, SOURCES)  # type: ignore[assignment]
    return msg


def completion_policy_from_proto(msg: task_pb2.CompletionPolicy) -> CompletionPolicy:
    """The policy as set; unset fields take the defaults (see the proto)."""
    enforcement = enum_from_proto(msg.enforcement, ENFORCEMENTS, "policy.enforcement")
    if msg.max_fix_age.seconds < 0 or msg.max_fix_age.nanos < 0:
        raise InvalidArgument.field("policy.max_fix_age", "must not be negative")
    return CompletionPolicy(
        enforcement=enforcement or _DEFAULTS.enforcement,
        radius_m=msg.radius_m or _DEFAULTS.radius_m,
        max_fix_age=msg.max_fix_age.ToTimedelta()
        if msg.HasField("max_fix_age")
        else _DEFAULTS.max_fix_age,
        max_accuracy_m=msg.max_accuracy_m or _DEFAULTS.max_accuracy_m,
        flag_without_position=msg.flag_without_position,
    )


def completion_policy_to_proto(
    tenant: TenantSlug, p: CompletionPolicy
) -> task_pb2.CompletionPolicy:
    age = duration_pb2.Duration()
    age.FromTimedelta(p.max_fix_age)
    return task_pb2.CompletionPolicy(
        name=COMPLETION_POLICY.name(tenant),
        enforcement=enum_to_proto(p.enforcement, ENFORCEMENTS),  # type: ignore[arg-type]
        radius_m=p.radius_m,
        max_fix_age=age,
        max_accuracy_m=p.max_accuracy_m,
        flag_without_position=p.flag_without_position,
        update_time=timestamp(p.update_time),
        etag=etag_for(p.version),
    )

"""DispatchService's dispatch policy (the scoring weights) and FindNearestRiders' answer:
protobuf <-> domain."""

from __future__ import annotations

from bengobox.logistics.v1 import common_pb2, dispatch_pb2
from google.protobuf import duration_pb2

from logistics.api.convert_common import arrival_to_proto, timestamp
from logistics.domain.ids import TenantSlug
from logistics.domain.names import DISPATCH_POLICY, RIDERS
from logistics.domain.scoring import ScoringPolicy, Weights
from logistics.domain.versioning import etag_for
from logistics.services.dispatch.explain import Explanation, LeftOut
from logistics.services.dispatch.service import Nearest

# By name: every domain reason has its enum value, or this module fails to import.
LEFT_OUT: dict[LeftOut, int] = {
    reason: dispatch_pb2.RidersLeftOut.Reason.Value(f"REASON_{reason.name}") for reason in LeftOut
}


def weights_from_proto(msg: dispatch_pb2.ScoringWeights) -> Weights:
    """Every weight is replaced; range checks are the use case's (``check_weights``)."""
    return Weights(eta=msg.eta, load=msg.load, idle=msg.idle, rating=msg.rating)


def dispatch_policy_to_proto(tenant: TenantSlug, p: ScoringPolicy) -> dispatch_pb2.DispatchPolicy:
    w = p.weights
    return dispatch_pb2.DispatchPolicy(
        name=DISPATCH_POLICY.name(tenant),
        weights=dispatch_pb2.ScoringWeights(eta=w.eta, load=w.load, idle=w.idle, rating=w.rating),
        update_time=timestamp(p.update_time),
        etag=etag_for(p.version),
    )


def nearest_to_proto(
    tenant: TenantSlug, nearest: Nearest
) -> dispatch_pb2.FindNearestRidersResponse:
    out = dispatch_pb2.FindNearestRidersResponse()
    for m in nearest.matches:
        eta = duration_pb2.Duration()
        eta.FromMilliseconds(int(m.eta_s * 1000))
        out.riders.add(
            rider=RIDERS.name(tenant, m.rider_id),
            distance_m=m.distance_m,
            eta=eta,
            score=m.score,
            position=common_pb2.GeoPoint(latitude=m.latitude, longitude=m.longitude),
            arrival=arrival_to_proto(m.eta) if m.eta is not None else None,
        )
    if nearest.explanation is not None:
        out.explanation.CopyFrom(explanation_to_proto(nearest.explanation))
    return out


def explanation_to_proto(e: Explanation) -> dispatch_pb2.NearestRidersExplanation:
    """Most riders first; ties in the order of the enum."""
    ordered = sorted(e.left_out.items(), key=lambda kv: (-kv[1], LEFT_OUT[kv[0]]))
    return dispatch_pb2.NearestRidersExplanation(
        riders_examined=e.examined,
        left_out=[
            dispatch_pb2.RidersLeftOut(reason=f"REASON_{reason.name}", riders=count)
            for reason, count in ordered
        ],
    )

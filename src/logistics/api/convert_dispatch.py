"""DispatchService's dispatch policy: protobuf <-> domain (the scoring weights)."""

from __future__ import annotations

from bengobox.logistics.v1 import dispatch_pb2

from logistics.api.convert_common import timestamp
from logistics.domain.ids import TenantSlug
from logistics.domain.names import DISPATCH_POLICY
from logistics.domain.scoring import ScoringPolicy, Weights
from logistics.domain.versioning import etag_for


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

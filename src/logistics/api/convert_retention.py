"""Translation of proof retention: the tenant's ProofRetentionPolicy, a task's ProofHold, and
the retention times a listed Proof carries (``purge_time``, ``expire_time``)."""

from __future__ import annotations

from bengobox.logistics.v1 import proof_retention_pb2, task_pb2

from logistics.api.convert_common import timestamp
from logistics.domain.errors import InvalidArgument
from logistics.domain.ids import ResourceName, TenantSlug
from logistics.domain.names import PROOF_RETENTION_POLICY, TASKS
from logistics.domain.proof_retention import (
    ProofHold,
    ProofRetentionPolicy,
    expire_time,
)
from logistics.domain.task_records import ProofRow
from logistics.domain.versioning import etag_for

_DEFAULTS = ProofRetentionPolicy()
_HOLD = "/proofHold"


def retention_policy_from_proto(
    msg: proof_retention_pb2.ProofRetentionPolicy,
) -> ProofRetentionPolicy:
    """The policy as set; 0 takes the default (see the proto)."""
    return ProofRetentionPolicy(
        photo_days=msg.photo_retention_days or _DEFAULTS.photo_days,
        signature_days=msg.signature_retention_days or _DEFAULTS.signature_days,
    )


def retention_policy_to_proto(
    tenant: TenantSlug, p: ProofRetentionPolicy
) -> proof_retention_pb2.ProofRetentionPolicy:
    return proof_retention_pb2.ProofRetentionPolicy(
        name=PROOF_RETENTION_POLICY.name(tenant),
        photo_retention_days=p.photo_days,
        signature_retention_days=p.signature_days,
        update_time=timestamp(p.update_time),
        etag=etag_for(p.version),
    )


def hold_task(name: str, field: str) -> ResourceName:
    """The task of ``tenants/{t}/tasks/{task}/proofHold``."""
    if not name.endswith(_HOLD):
        raise InvalidArgument.field(field, "must be tenants/{tenant}/tasks/{task}/proofHold")
    return TASKS.parse(name.removesuffix(_HOLD), field)


def hold_from_proto(msg: proof_retention_pb2.ProofHold) -> ProofHold:
    return ProofHold(held=msg.held, reason=msg.reason)


def hold_to_proto(task: ResourceName, h: ProofHold) -> proof_retention_pb2.ProofHold:
    return proof_retention_pb2.ProofHold(
        name=f"{TASKS.name(task.tenant, task.id)}{_HOLD}",
        held=h.held,
        reason=h.reason,
        update_time=timestamp(h.update_time),
        etag=etag_for(h.version),
    )


def add_retention_times(
    msg: task_pb2.Proof, row: ProofRow, policy: ProofRetentionPolicy, hold: ProofHold
) -> task_pb2.Proof:
    """``msg`` (the proof ``row`` as listed) with when its file was purged or falls due."""
    purged = timestamp(row.purge_time)
    if purged is not None:
        msg.purge_time.CopyFrom(purged)
    due = timestamp(
        expire_time(
            policy,
            hold,
            row.kind,
            row.create_time if row.blob_key else None,
            row.purge_time is not None,
        )
    )
    if due is not None:
        msg.expire_time.CopyFrom(due)
    return msg

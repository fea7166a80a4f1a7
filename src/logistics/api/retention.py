"""TaskService's proof retention methods (the retention policy, a task's legal hold), mixed
into the TaskService handler."""

from __future__ import annotations

from typing import Any

from bengobox.logistics.v1 import proof_retention_pb2

from logistics.api.convert_common import optional
from logistics.api.convert_retention import (
    hold_from_proto,
    hold_task,
    hold_to_proto,
    retention_policy_from_proto,
    retention_policy_to_proto,
)
from logistics.api.edge import current_caller
from logistics.domain.errors import InvalidArgument
from logistics.domain.names import PROOF_RETENTION_POLICY
from logistics.services.tasks.retention import ProofRetention

Ctx = Any


class RetentionMethods:
    """Get/UpdateProofRetentionPolicy and Get/UpdateProofHold over ``ProofRetention``."""

    def __init__(self, retention: ProofRetention) -> None:
        self._retention = retention

    async def get_proof_retention_policy(
        self, request: proof_retention_pb2.GetProofRetentionPolicyRequest, ctx: Ctx
    ) -> proof_retention_pb2.ProofRetentionPolicy:
        tenant = PROOF_RETENTION_POLICY.parse(request.name)
        policy = await self._retention.get_policy(current_caller(), tenant)
        return retention_policy_to_proto(tenant, policy)

    async def update_proof_retention_policy(
        self, request: proof_retention_pb2.UpdateProofRetentionPolicyRequest, ctx: Ctx
    ) -> proof_retention_pb2.ProofRetentionPolicy:
        if not request.HasField("policy"):
            raise InvalidArgument.field("policy", "is required")
        tenant = PROOF_RETENTION_POLICY.parse(request.policy.name, "policy.name")
        updated = await self._retention.update_policy(
            current_caller(),
            tenant,
            retention_policy_from_proto(request.policy),
            optional(request.policy.etag),
        )
        return retention_policy_to_proto(tenant, updated)

    async def get_proof_hold(
        self, request: proof_retention_pb2.GetProofHoldRequest, ctx: Ctx
    ) -> proof_retention_pb2.ProofHold:
        task = hold_task(request.name, "name")
        return hold_to_proto(task, await self._retention.get_hold(current_caller(), task))

    async def update_proof_hold(
        self, request: proof_retention_pb2.UpdateProofHoldRequest, ctx: Ctx
    ) -> proof_retention_pb2.ProofHold:
        if not request.HasField("hold"):
            raise InvalidArgument.field("hold", "is required")
        task = hold_task(request.hold.name, "hold.name")
        updated = await self._retention.update_hold(
            current_caller(), task, hold_from_proto(request.hold), optional(request.hold.etag)
        )
        return hold_to_proto(task, updated)

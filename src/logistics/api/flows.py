"""FlowService on both listeners: parse the request, call the use case, render the result."""

from __future__ import annotations

from typing import Any

from bengobox.logistics.v1 import flow_connect, flow_pb2

from logistics.api.convert_common import optional
from logistics.api.convert_flows import (
    flow_kind,
    flow_state,
    flow_to_proto,
    policy_from_proto,
    policy_to_proto,
)
from logistics.api.edge import current_caller
from logistics.api.paging import encode_token, page_request
from logistics.domain.errors import InvalidArgument
from logistics.domain.flows import FlowFilter
from logistics.domain.ids import parse_parent
from logistics.domain.names import FAILED_DELIVERY_POLICY, FLOWS, TASKS
from logistics.services.flows.service import FlowService

Ctx = Any  # a connect RequestContext or a grpc ServicerContext; handlers do not use it
pb = flow_pb2


class FlowHandler(flow_connect.FlowService):
    """Every FlowService method, on both listeners."""

    def __init__(self, flows: FlowService) -> None:
        self._flows = flows

    async def get_failed_delivery_policy(
        self, request: pb.GetFailedDeliveryPolicyRequest, ctx: Ctx
    ) -> pb.FailedDeliveryPolicy:
        tenant = FAILED_DELIVERY_POLICY.parse(request.name)
        found = await self._flows.get_policy(current_caller(), tenant)
        return policy_to_proto(tenant, found)

    async def update_failed_delivery_policy(
        self, request: pb.UpdateFailedDeliveryPolicyRequest, ctx: Ctx
    ) -> pb.FailedDeliveryPolicy:
        if not request.HasField("policy"):
            raise InvalidArgument.field("policy", "is required")
        tenant = FAILED_DELIVERY_POLICY.parse(request.policy.name, "policy.name")
        updated = await self._flows.update_policy(
            current_caller(),
            tenant,
            policy_from_proto(request.policy),
            optional(request.policy.etag),
        )
        return policy_to_proto(tenant, updated)

    async def get_flow(self, request: pb.GetFlowRequest, ctx: Ctx) -> pb.Flow:
        name = FLOWS.parse(request.name)
        return flow_to_proto(name.tenant, await self._flows.get(current_caller(), name))

    async def list_flows(self, request: pb.ListFlowsRequest, ctx: Ctx) -> pb.ListFlowsResponse:
        tenant = parse_parent(request.parent)
        task = TASKS.parse(request.task, "task") if request.task else None
        if task is not None and task.tenant != tenant:
            raise InvalidArgument.field("task", "names a task of another tenant")
        f = FlowFilter(
            task_id=task.id if task else None,
            kind=flow_kind(request.kind),
            state=flow_state(request.state),
        )
        filters = ("flows", tenant, request.task, request.kind, request.state)
        page = await self._flows.list_flows(
            current_caller(),
            tenant,
            page_request(request.page_size, request.page_token, filters),
            f,
        )
        return pb.ListFlowsResponse(
            flows=[flow_to_proto(tenant, x) for x in page.items],
            next_page_token=encode_token(page.next, filters),
        )

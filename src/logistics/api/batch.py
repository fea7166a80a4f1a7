"""DispatchService.AssignBatch: the request's names in, the plan out (the transports'
DispatchHandler calls ``assign_batch``)."""

from __future__ import annotations

from collections.abc import Sequence

from bengobox.logistics.v1 import dispatch_pb2

from logistics.api.edge import current_caller
from logistics.domain.errors import InvalidArgument
from logistics.domain.ids import ResourceName, TenantSlug, parse_parent
from logistics.domain.names import RIDERS, TASKS, Collection
from logistics.services.dispatch.batch import BatchDispatchService, check_batch_size


async def assign_batch(
    service: BatchDispatchService, request: dispatch_pb2.AssignBatchRequest
) -> dispatch_pb2.AssignBatchResponse:
    tenant = parse_parent(request.parent)
    check_batch_size(len(request.tasks), len(request.riders))
    tasks = _names(tenant, request.tasks, TASKS)
    riders = _names(tenant, request.riders, RIDERS)
    result = await service.assign_batch(
        current_caller(), tenant, tasks, riders, apply=request.apply
    )
    return dispatch_pb2.AssignBatchResponse(
        assignments=[
            dispatch_pb2.BatchAssignment(
                rider=str(a.rider), tasks=[str(t) for t in a.tasks], cost=a.cost
            )
            for a in result.assignments
        ],
        unassigned_tasks=[str(t) for t in result.unassigned],
        applied=result.applied,
    )


def _names(tenant: TenantSlug, values: Sequence[str], collection: Collection) -> list[ResourceName]:
    names = []
    for i, value in enumerate(values):
        field = f"{collection}[{i}]"
        name = collection.parse(value, field)
        if name.tenant != tenant:
            raise InvalidArgument.field(field, f"names a resource of another tenant than {tenant}")
        names.append(name)
    return names

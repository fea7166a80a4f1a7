"""TransferService on both listeners: parse the request, call the use case, render the
result."""

from __future__ import annotations

from typing import Any

from bengobox.logistics.v1 import transfer_connect, transfer_pb2

from logistics.api.convert_common import optional
from logistics.api.convert_transfers import (
    filter_from_proto,
    transfer_from_proto,
    transfer_to_proto,
)
from logistics.api.edge import current_caller
from logistics.api.paging import encode_token, page_request
from logistics.domain.errors import InvalidArgument
from logistics.domain.ids import parse_parent
from logistics.domain.names import TRANSFERS
from logistics.services.transfers.service import TransferService

Ctx = Any  # a connect RequestContext or a grpc ServicerContext; handlers do not use it
pb = transfer_pb2


class TransferHandler(transfer_connect.TransferService):
    """Every TransferService method, on both listeners."""

    def __init__(self, transfers: TransferService) -> None:
        self._transfers = transfers

    async def create_transfer(self, request: pb.CreateTransferRequest, ctx: Ctx) -> pb.Transfer:
        tenant = parse_parent(request.parent)
        if not request.HasField("transfer"):
            raise InvalidArgument.field("transfer", "is required")
        created = await self._transfers.create(
            current_caller(),
            tenant,
            transfer_from_proto(request.transfer),
            optional(request.request_id),
        )
        return transfer_to_proto(tenant, created)

    async def get_transfer(self, request: pb.GetTransferRequest, ctx: Ctx) -> pb.Transfer:
        name = TRANSFERS.parse(request.name)
        return transfer_to_proto(name.tenant, await self._transfers.get(current_caller(), name))

    async def list_transfers(
        self, request: pb.ListTransfersRequest, ctx: Ctx
    ) -> pb.ListTransfersResponse:
        tenant = parse_parent(request.parent)
        f = filter_from_proto(request)
        filters = ("transfers", tenant, f)
        page = await self._transfers.list_transfers(
            current_caller(),
            tenant,
            page_request(request.page_size, request.page_token, filters),
            f,
        )
        return pb.ListTransfersResponse(
            transfers=[transfer_to_proto(tenant, t) for t in page.items],
            next_page_token=encode_token(page.next, filters),
        )

    async def cancel_transfer(self, request: pb.CancelTransferRequest, ctx: Ctx) -> pb.Transfer:
        name = TRANSFERS.parse(request.name)
        cancelled = await self._transfers.cancel(
            current_caller(), name, optional(request.reason), optional(request.etag)
        )
        return transfer_to_proto(name.tenant, cancelled)

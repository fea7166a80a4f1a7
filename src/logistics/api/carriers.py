"""CarrierService on both listeners, and the carriers' callback endpoint on the HTTP
listener: ``POST /v1/tenants/{tenant}/carrierAccounts/{account}/callbacks``, which carries no
token (the carrier signs the callback; its account's connector verifies it)."""

from __future__ import annotations

from typing import Any

from bengobox.logistics.v1 import carrier_connect, carrier_pb2
from google.protobuf import empty_pb2

from logistics.api.convert_carriers import (
    account_changes,
    account_from_proto,
    account_to_proto,
    job_to_proto,
    strategy_from_proto,
)
from logistics.api.convert_common import optional
from logistics.api.edge import current_caller
from logistics.api.paging import encode_token, page_request
from logistics.api.rest import Request, Response, Route, route
from logistics.domain.errors import InvalidArgument
from logistics.domain.ids import parse_parent
from logistics.domain.names import CARRIER_ACCOUNTS, CARRIER_JOBS, TASKS
from logistics.services.carriers import CarrierAccounts, CarrierCallbacks, CarrierJobs

__all__ = ["CarrierHandler", "carrier_callback_routes"]

Ctx = Any
MAX_CALLBACK_BYTES = 64 * 1024


def _required(present: bool, field: str) -> None:
    if not present:
        raise InvalidArgument.field(field, "is required")


class CarrierHandler(carrier_connect.CarrierService):
    """Every CarrierService method, on both listeners."""

    def __init__(self, accounts: CarrierAccounts, jobs: CarrierJobs) -> None:
        self._accounts = accounts
        self._jobs = jobs

    async def create_carrier_account(
        self, request: carrier_pb2.CreateCarrierAccountRequest, ctx: Ctx
    ) -> carrier_pb2.CarrierAccount:
        tenant = parse_parent(request.parent)
        _required(request.HasField("carrier_account"), "carrier_account")
        created = await self._accounts.create(
            current_caller(),
            tenant,
            account_from_proto(request.carrier_account),
            optional(request.request_id),
        )
        return account_to_proto(tenant, created)

    async def get_carrier_account(
        self, request: carrier_pb2.GetCarrierAccountRequest, ctx: Ctx
    ) -> carrier_pb2.CarrierAccount:
        name = CARRIER_ACCOUNTS.parse(request.name)
        return account_to_proto(name.tenant, await self._accounts.get(current_caller(), name))

    async def list_carrier_accounts(
        self, request: carrier_pb2.ListCarrierAccountsRequest, ctx: Ctx
    ) -> carrier_pb2.ListCarrierAccountsResponse:
        tenant = parse_parent(request.parent)
        filters = ("carrierAccounts", tenant)
        page = await self._accounts.list(
            current_caller(), tenant, page_request(request.page_size, request.page_token, filters)
        )
        return carrier_pb2.ListCarrierAccountsResponse(
            carrier_accounts=[account_to_proto(tenant, a) for a in page.items],
            next_page_token=encode_token(page.next, filters),
        )

    async def update_carrier_account(
        self, request: carrier_pb2.UpdateCarrierAccountRequest, ctx: Ctx
    ) -> carrier_pb2.CarrierAccount:
        _required(request.HasField("carrier_account"), "carrier_account")
        given = request.carrier_account
        name = CARRIER_ACCOUNTS.parse(given.name, "carrier_account.name")
        updated = await self._accounts.update(
            current_caller(),
            name,
            account_changes(given, list(request.update_mask.paths)),
            optional(given.etag),
        )
        return account_to_proto(name.tenant, updated)

    async def delete_carrier_account(
        self, request: carrier_pb2.DeleteCarrierAccountRequest, ctx: Ctx
    ) -> empty_pb2.Empty:
        name = CARRIER_ACCOUNTS.parse(request.name)
        await self._accounts.delete(current_caller(), name, optional(request.etag))
        return empty_pb2.Empty()

    async def create_carrier_job(
        self, request: carrier_pb2.CreateCarrierJobRequest, ctx: Ctx
    ) -> carrier_pb2.CarrierJob:
        task = TASKS.parse(request.parent, "parent")
        strategy = strategy_from_proto(request.strategy)
        if not request.carrier_account:
            tendered = await self._jobs.tender(
                current_caller(), task, strategy, optional(request.request_id)
            )
            return job_to_proto(task.tenant, tendered)
        account = CARRIER_ACCOUNTS.parse(request.carrier_account, "carrier_account")
        booked = await self._jobs.book(
            current_caller(), task, account, optional(request.request_id)
        )
        return job_to_proto(task.tenant, booked)

    async def get_carrier_job(
        self, request: carrier_pb2.GetCarrierJobRequest, ctx: Ctx
    ) -> carrier_pb2.CarrierJob:
        name = CARRIER_JOBS.parse(request.name)
        return job_to_proto(name.parent.tenant, await self._jobs.get(current_caller(), name))

    async def list_carrier_jobs(
        self, request: carrier_pb2.ListCarrierJobsRequest, ctx: Ctx
    ) -> carrier_pb2.ListCarrierJobsResponse:
        task = TASKS.parse(request.parent, "parent")
        filters = ("carrierJobs", str(task))
        page = await self._jobs.list(
            current_caller(), task, page_request(request.page_size, request.page_token, filters)
        )
        return carrier_pb2.ListCarrierJobsResponse(
            carrier_jobs=[job_to_proto(task.tenant, j) for j in page.items],
            next_page_token=encode_token(page.next, filters),
        )


def carrier_callback_routes(callbacks: CarrierCallbacks) -> list[Route]:
    async def receive(request: Request) -> Response:
        name = CARRIER_ACCOUNTS.parse(
            f"tenants/{request.params['tenant']}/carrierAccounts/{request.params['account']}",
            "account",
        )
        body = bytearray()
        async for chunk in request.body():
            body.extend(chunk)
            if len(body) > MAX_CALLBACK_BYTES:
                raise InvalidArgument.field("body", f"at most {MAX_CALLBACK_BYTES} bytes")
        applied = await callbacks.receive(name.tenant, name.id, request.headers, bytes(body))
        return Response.json({"applied": applied})

    return [
        route(
            "POST",
            "/v1/tenants/{tenant}/carrierAccounts/{account}/callbacks",
            "POST carrierAccounts:callbacks",
            receive,
            public=True,
        )
    ]

"""HTTP endpoints for CSV import and export of a tenant's riders and vehicles."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from logistics.api.edge import current_caller
from logistics.api.rest import Request, Response, Route, route
from logistics.domain.errors import InvalidArgument
from logistics.domain.ids import parse_tenant_slug
from logistics.services.bulk import BulkService, ImportReport

_FLEET = "/v1/tenants/{tenant}/fleet"
_CSV_TYPES = frozenset({"text/csv", "application/csv", "text/plain"})


def _dry_run(query: Mapping[str, str]) -> bool:
    value = query.get("dry_run", "false").strip().lower()
    if value in ("", "false", "0"):
        return False
    if value in ("true", "1"):
        return True
    raise InvalidArgument.field("dry_run", "must be true or false")


def _check_content_type(headers: Mapping[str, str]) -> None:
    media, *params = (p.strip().lower() for p in headers.get("content-type", "").split(";"))
    if media not in _CSV_TYPES:
        raise InvalidArgument.field("content-type", "must be text/csv")
    for param in params:
        name, _, value = param.partition("=")
        if name.strip() == "charset" and value.strip().strip('"') not in ("utf-8", "utf8"):
            raise InvalidArgument.field("content-type", "the only charset accepted is utf-8")


def _report(report: ImportReport) -> dict[str, Any]:
    return {
        "dry_run": report.dry_run,
        "rows": report.rows,
        "valid": report.valid,
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "errors": [{"row": e.row, "field": e.field, "message": e.message} for e in report.errors],
        "error_count": report.error_count,
    }


def _csv_response(filename: str, body: Any) -> Response:
    return Response(
        200,
        "text/csv; charset=utf-8",
        body,
        (("content-disposition", f'attachment; filename="{filename}"'),),
    )


def bulk_routes(bulk: BulkService) -> list[Route]:
    async def import_riders(request: Request) -> Response:
        caller = current_caller()
        tenant = parse_tenant_slug(request.params["tenant"])
        dry_run = _dry_run(request.query)
        _check_content_type(request.headers)
        report = await bulk.import_riders(caller, tenant, request.body(), dry_run=dry_run)
        return Response.json(_report(report))

    async def import_vehicles(request: Request) -> Response:
        caller = current_caller()
        tenant = parse_tenant_slug(request.params["tenant"])
        dry_run = _dry_run(request.query)
        _check_content_type(request.headers)
        report = await bulk.import_vehicles(caller, tenant, request.body(), dry_run=dry_run)
        return Response.json(_report(report))

    async def export_riders(request: Request) -> Response:
        tenant = parse_tenant_slug(request.params["tenant"])
        return _csv_response("riders.csv", await bulk.export_riders(current_caller(), tenant))

    async def export_vehicles(request: Request) -> Response:
        tenant = parse_tenant_slug(request.params["tenant"])
        return _csv_response("vehicles.csv", await bulk.export_vehicles(current_caller(), tenant))

    return [
        route("POST", f"{_FLEET}/riders:import", "POST riders:import", import_riders),
        route("POST", f"{_FLEET}/vehicles:import", "POST vehicles:import", import_vehicles),
        route("GET", f"{_FLEET}/riders:export", "GET riders:export", export_riders),
        route("GET", f"{_FLEET}/vehicles:export", "GET vehicles:export", export_vehicles),
    ]

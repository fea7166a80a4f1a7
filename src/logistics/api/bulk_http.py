"""HTTP endpoints for bulk import and export: a tenant's riders and vehicles (CSV), its tasks
(CSV or XLSX)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from logistics.api.edge import current_caller
from logistics.api.rest import Request, Response, Route, route
from logistics.api.sheets import XLSX_TYPE, xlsx_body, xlsx_records
from logistics.domain.errors import InvalidArgument
from logistics.domain.ids import parse_tenant_slug
from logistics.services.bulk import BulkService, ImportReport
from logistics.services.bulk_rows import Records, csv_bytes, csv_records
from logistics.services.tasks.imports import TaskImporter

_FLEET = "/v1/tenants/{tenant}/fleet"
_TASKS = "/v1/tenants/{tenant}/tasks"
_CSV_TYPES = frozenset({"text/csv", "application/csv", "text/plain"})
# The task columns an XLSX export writes as numbers.
_NUMERIC = (
    "priority",
    "pickup_latitude",
    "pickup_longitude",
    "pickup_service_seconds",
    "dropoff_latitude",
    "dropoff_longitude",
    "dropoff_service_seconds",
)


def _flag(query: Mapping[str, str], name: str) -> bool:
    value = query.get(name, "false").strip().lower()
    if value in ("", "false", "0"):
        return False
    if value in ("true", "1"):
        return True
    raise InvalidArgument.field(name, "must be true or false")


def _dry_run(query: Mapping[str, str]) -> bool:
    return _flag(query, "dry_run")


def _check_content_type(headers: Mapping[str, str]) -> None:
    if _media_type(headers) not in _CSV_TYPES:
        raise InvalidArgument.field("content-type", "must be text/csv")


def _media_type(headers: Mapping[str, str]) -> str:
    """The body's media type; a charset, if given, must be UTF-8."""
    media, *params = (p.strip().lower() for p in headers.get("content-type", "").split(";"))
    for param in params:
        name, _, value = param.partition("=")
        if name.strip() == "charset" and value.strip().strip('"') not in ("utf-8", "utf8"):
            raise InvalidArgument.field("content-type", "the only charset accepted is utf-8")
    return media


def _records(request: Request) -> Records:
    """The upload's records, CSV or XLSX by its content type."""
    media = _media_type(request.headers)
    if media == XLSX_TYPE:
        return xlsx_records(request.body())
    if media in _CSV_TYPES:
        return csv_records(request.body())
    raise InvalidArgument.field("content-type", f"must be text/csv or {XLSX_TYPE}")


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


def bulk_routes(bulk: BulkService, tasks: TaskImporter) -> list[Route]:
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

    async def import_tasks(request: Request) -> Response:
        caller = current_caller()
        tenant = parse_tenant_slug(request.params["tenant"])
        dry_run = _flag(request.query, "dry_run")
        all_or_nothing = _flag(request.query, "all_or_nothing")
        records = _records(request)
        report = await tasks.import_tasks(
            caller, tenant, records, dry_run=dry_run, all_or_nothing=all_or_nothing
        )
        return Response.json(_report(report))

    async def export_tasks(request: Request) -> Response:
        tenant = parse_tenant_slug(request.params["tenant"])
        kind = request.query.get("format", "csv").strip().lower()
        if kind not in ("csv", "xlsx"):
            raise InvalidArgument.field("format", "must be csv or xlsx")
        rows = await tasks.export_tasks(current_caller(), tenant)
        if kind == "csv":
            return _csv_response("tasks.csv", (csv_bytes(block) async for block in rows))
        return Response(
            200,
            XLSX_TYPE,
            xlsx_body(rows, _NUMERIC),
            (("content-disposition", 'attachment; filename="tasks.xlsx"'),),
        )

    return [
        route("POST", f"{_TASKS}:import", "POST tasks:import", import_tasks),
        route("GET", f"{_TASKS}:export", "GET tasks:export", export_tasks),
        route("POST", f"{_FLEET}/riders:import", "POST riders:import", import_riders),
        route("POST", f"{_FLEET}/vehicles:import", "POST vehicles:import", import_vehicles),
        route("GET", f"{_FLEET}/riders:export", "GET riders:export", export_riders),
        route("GET", f"{_FLEET}/vehicles:export", "GET vehicles:export", export_vehicles),
    ]

"""Every unary RPC, on both listeners, answers hostile requests precisely and changes nothing.

The RPCs and their request messages come from the generated descriptors, so a new RPC is fuzzed
without touching this file. Each request (built by ``tests/support/proto_strategies.py``: NUL bytes,
odd code points, 20k-character values, NaN and infinities, out-of-range times, unknown enum
values, malformed and foreign resource names) goes to the gRPC listener and, as binary proto,
to the Connect listener. Whatever the answer, it is never INTERNAL or UNKNOWN, its metadata and
message stay small, and when the call fails, no table holds a row more, less or different for
the fuzzed tenant than before it.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import bengobox.logistics.v1 as generated
import grpc
import httpx
import pytest
from bengobox.logistics.v1 import (
    common_pb2,
    dispatch_pb2,
    fleet_pb2,
    task_pb2,
    telemetry_pb2,
    webhook_pb2,
)
from google.protobuf import duration_pb2, field_mask_pb2, text_format, timestamp_pb2
from google.protobuf.descriptor import MethodDescriptor
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass
from hypothesis import HealthCheck, event, example, given, settings

from tests.support.auth import token, unique_tenant
from tests.support.proto_strategies import (
    length_delimited,
    mask_paths,
    messages,
    resolve_message,
    string_paths,
)
from tests.support.servers import RunningServer, ServerUrls, start_server, stop_server

pytestmark = pytest.mark.e2e

# 68 RPCs x 45 examples x 2 listeners, and 223 string fields x 2 listeners of invalid UTF-8:
# about 70 s on a two-core machine.
EXAMPLES_PER_RPC = 45
CALL_TIMEOUT_S = 30.0
# A client's default limit on received metadata is 8 KiB (grpcio's soft limit: above it calls
# start failing with RESOURCE_EXHAUSTED); an error's message should be far shorter.
MAX_METADATA_BYTES = 8 * 1024
MAX_MESSAGE_CHARS = 2 * 1024
MAX_ERROR_BODY_BYTES = 8 * 1024
BAD_UTF8 = b"ok\xff\xfe\xed\xa0\x80\xc3"  # stray bytes, an encoded surrogate, a cut sequence


@dataclass(frozen=True)
class Rpc:
    method: MethodDescriptor

    @property
    def path(self) -> str:
        return f"/{self.method.containing_service.full_name}/{self.method.name}"

    @property
    def label(self) -> str:
        return f"{self.method.containing_service.name}.{self.method.name}"


def unary_rpcs() -> list[Rpc]:
    """Every unary RPC of every service in the generated package."""
    found = []
    for module_info in pkgutil.iter_modules(generated.__path__):
        if not module_info.name.endswith("_pb2"):
            continue
        module = importlib.import_module(f"{generated.__name__}.{module_info.name}")
        for service in module.DESCRIPTOR.services_by_name.values():
            found += [
                Rpc(m) for m in service.methods if not (m.client_streaming or m.server_streaming)
            ]
    return found


RPCS = unary_rpcs()


def rpc_named(label: str) -> Rpc:
    """The RPC ``Service.Method``."""
    return next(rpc for rpc in RPCS if rpc.label == label)


@dataclass(frozen=True)
class Outcome:
    """One call's answer as a client sees it."""

    listener: str
    code: str  # "ok" or the lower-case code name (gRPC's spelling on both listeners)
    message: str = ""
    metadata_bytes: int = 0
    body_bytes: int = 0
    http_status: int = 200

    def problems(self) -> list[str]:
        found = []
        if self.code in ("internal", "unknown"):
            found.append(f"answered {self.code.upper()}")
        if self.http_status >= 500 and self.code not in ("unavailable", "deadline_exceeded"):
            found.append(f"answered HTTP {self.http_status}")
        if self.code == "resource_exhausted" and "metadata" in self.message:
            found.append("the answer's metadata exceeded the client's limit")
        if self.metadata_bytes > MAX_METADATA_BYTES:
            found.append(f"{self.metadata_bytes} bytes of response metadata")
        if len(self.message) > MAX_MESSAGE_CHARS:
            found.append(f"a {len(self.message)}-character error message")
        if self.body_bytes > MAX_ERROR_BODY_BYTES and self.code != "ok":
            found.append(f"a {self.body_bytes}-byte error body")
        return found


# What the background loops of a worker write on their own, left out of the comparison. The
# server under test runs `logistics serve`, which runs none of them (only the presence loop,
# which writes for riders that streamed pings, and this test streams none); they are left out
# so that the comparison stays true if a worker or `logistics dev` shares the database.
IGNORED_COLUMNS = {
    "outbox": ["publish_time"],  # stamped by the relay once published to NATS
    "timers": ["due_time", "fire_time"],  # moved and stamped by the timers loop
    # attempt bookkeeping of the deliverer
    "webhook_deliveries": ["attempts", "next_attempt_time", "last_error", "last_status"],
}
IGNORED_TABLES = {
    # One platform-wide row, the fan-out's position in the outbox, advanced by the worker's
    # fan-out loop; no tenant content.
    "webhook_fanout_cursor",
}


class Tables:
    """Row counts and content digests of every table in the public schema.

    Tenant-owned tables are read for the fuzzed tenant only: other tests' tenants and servers
    may share the database, and the presence loop of any server sharing Redis writes for the
    riders it finds gone, registering their tenants. So the tenants table is read for the slugs
    this test uses (the fuzzed tenant and the "other tenants" named after it, see
    ``proto_strategies.resolve``), and the platform tables without tenant (schema_migrations)
    whole. The connection is the test database's owner, a superuser: row-level security hides
    nothing.
    """

    def __init__(
        self, conn: asyncpg.Connection, selects: dict[str, str], tenant_id: object, slug: str
    ) -> None:
        self._conn = conn
        # table -> SELECT of its compared rows as text (column "row") and their "age"
        self._selects = selects
        self._query = " UNION ALL ".join(
            f"SELECT '{name}' AS name, count(*) AS rows,"
            f" md5(coalesce(string_agg(row, ',' ORDER BY row), '')) AS digest FROM ({select}) s"
            for name, select in selects.items()
        )
        self._args = (tenant_id, slug)

    @classmethod
    async def open(cls, conn: asyncpg.Connection, tenant_id: object, slug: str) -> Tables:
        rows = await conn.fetch(
            """SELECT c.relname AS name,
                      array_agg(a.attname::text) AS columns
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
               WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
               GROUP BY c.relname ORDER BY c.relname"""
        )
        selects = {}
        for row in rows:
            if row["name"] in IGNORED_TABLES:
                continue
            dropped = IGNORED_COLUMNS.get(row["name"], [])
            content = f"(to_jsonb(t) - {_text_array(dropped)})::text" if dropped else "t::text"
            where = ""
            if "tenant_id" in row["columns"]:
                where = "WHERE t.tenant_id = $1"
            elif row["name"] == "tenants":
                where = "WHERE starts_with(t.slug, $2)"
            age = "t.create_time" if "create_time" in row["columns"] else "NULL::timestamptz"
            selects[row["name"]] = (
                f'SELECT {content} AS row, {age} AS age FROM "{row["name"]}" t {where}'
            )
        assert len(selects) > 10, "the public schema was not found"
        return cls(conn, selects, tenant_id, slug)

    async def snapshot(self) -> dict[str, tuple[int, str]]:
        rows = await self._conn.fetch(self._query, *self._args)
        return {r["name"]: (r["rows"], r["digest"]) for r in rows}

    async def newest(self, table: str, count: int = 3) -> list[str]:
        """The newest compared rows of a table (for a report)."""
        select = f"{self._selects[table]} ORDER BY age DESC NULLS LAST LIMIT {count}"
        args: list[object] = []
        for number, arg in enumerate(self._args, 1):
            if f"${number}" in select:
                select = select.replace(f"${number}", f"${len(args) + 1}")
                args.append(arg)
        return [r["row"] for r in await self._conn.fetch(select, *args)]


def _text_array(items: list[str]) -> str:
    return "ARRAY[" + ", ".join(f"'{item}'" for item in items) + "]::text[]"


def changes(
    before: dict[str, tuple[int, str]], after: dict[str, tuple[int, str]]
) -> dict[str, str]:
    """What differs between two snapshots, by table."""
    return {
        name: f"{name}: {before[name][0]} -> {after[name][0]} rows"
        + ("" if before[name][0] != after[name][0] else " (same count, other content)")
        for name in before
        if before[name] != after.get(name)
    }


def shown(message: Message, limit: int = 1500) -> str:
    """A request as text, with long runs of one character folded."""
    text = text_format.MessageToString(message, as_one_line=True, as_utf8=True)
    text = re.sub(r"(.)\1{30,}", lambda m: f"{m.group(1)}<x{len(m.group(0))}>", text)
    text = re.sub(r"(..)\1{30,}", lambda m: f"{m.group(1)}<x{len(m.group(0)) // 2}>", text)
    return text if len(text) <= limit else text[:limit] + "..."


@dataclass(frozen=True)
class Request:
    """A request message with a short repr, for hypothesis's report of a failing example."""

    message: Message

    def __repr__(self) -> str:
        return f"Request({type(self.message).__name__}({shown(self.message, 600)}))"


@dataclass(repr=False)
class Fuzz:
    """The server under test, a client for each listener and the tables of the fuzzed tenant."""

    server: RunningServer
    channel: grpc.aio.Channel
    http: httpx.AsyncClient
    tenant: str
    values: dict[str, str] = field(default_factory=dict)
    tables: Tables | None = None
    last: dict[str, tuple[int, str]] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"Fuzz(tenant={self.tenant!r}, log={str(self.server.log_path)!r})"

    def _auth(self) -> str:
        return f"Bearer {token(self.tenant)}"

    async def grpc_call(self, rpc: Rpc, data: bytes) -> tuple[Outcome, bytes | None]:
        call = self.channel.unary_unary(rpc.path)  # no serializers: bytes in, bytes out
        try:
            reply = await call(
                data, metadata=(("authorization", self._auth()),), timeout=CALL_TIMEOUT_S
            )
        except grpc.aio.AioRpcError as error:
            metadata = [*(error.initial_metadata() or ()), *(error.trailing_metadata() or ())]
            size = sum(len(k) + len(v) for k, v in metadata)
            outcome = Outcome("grpc", error.code().name.lower(), error.details() or "", size)
            return outcome, None
        return Outcome("grpc", "ok"), reply

    async def connect_call(self, rpc: Rpc, data: bytes) -> tuple[Outcome, bytes | None]:
        reply = await self.http.post(
            rpc.path,
            content=data,
            headers={
                "content-type": "application/proto",
                "connect-protocol-version": "1",
                "authorization": self._auth(),
            },
        )
        size = sum(len(k) + len(v) for k, v in reply.headers.raw)
        if reply.status_code == 200:
            return Outcome("connect", "ok", metadata_bytes=size), reply.content
        try:
            error = json.loads(reply.content)
            code, message = str(error.get("code", "?")), str(error.get("message", ""))
        except ValueError:
            code, message = "unknown", f"not a Connect error body: {reply.content[:200]!r}"
        code = "cancelled" if code == "canceled" else code
        outcome = Outcome("connect", code, message, size, len(reply.content), reply.status_code)
        return outcome, None

    async def ok(self, rpc_name: str, request: Message) -> Any:
        """Calls an RPC (``Service.Method``) over gRPC for setting up; it must succeed."""
        rpc = rpc_named(rpc_name)
        outcome, reply = await self.grpc_call(rpc, request.SerializeToString())
        assert outcome.code == "ok", f"seeding {rpc_name} failed: {outcome}"
        return GetMessageClass(rpc.method.output_type).FromString(reply or b"")

    async def exercise(self, rpc: Rpc, request: Message) -> None:
        """Sends ``request`` to both listeners; fails on the first answer that breaks a rule."""
        assert self.tables is not None
        callers: list[Callable[[Rpc, bytes], Coroutine[Any, Any, tuple[Outcome, bytes | None]]]]
        callers = [self.grpc_call, self.connect_call]
        for caller in callers:
            resolved = type(request)()
            resolved.CopyFrom(request)
            resolve_message(resolved, self.values)  # per call: each gets its own {fresh}
            log_mark = self.server.log_path.stat().st_size
            outcome, reply = await caller(rpc, resolved.SerializeToString())
            event(f"{outcome.listener}: {outcome.code}")  # --hypothesis-show-statistics
            if reply is not None:
                GetMessageClass(rpc.method.output_type).FromString(reply)
            after = await self.tables.snapshot()
            problems = outcome.problems()
            if outcome.code != "ok":
                for table, change in changes(self.last, after).items():
                    newest = [row[:300] for row in await self.tables.newest(table)]
                    problems.append(f"a failed call changed {change}; newest rows now: {newest}")
            self.last = after
            if problems:
                raise AssertionError(self.report(rpc, resolved, outcome, problems, log_mark))

    def report(
        self, rpc: Rpc, request: Message, outcome: Outcome, problems: list[str], log_mark: int
    ) -> str:
        with self.server.log_path.open("rb") as log:
            log.seek(log_mark)
            logged = log.read().decode(errors="replace")
        return (
            f"{rpc.label} over {outcome.listener}: {'; '.join(problems)}\n"
            f"  status: {outcome.code} {outcome.message[:300]!r}\n"
            f"  request: {shown(request)}\n"
            f"  server log since the call:\n{logged[-4000:]}"
        )


def _stamp(moment: datetime) -> timestamp_pb2.Timestamp:
    stamp = timestamp_pb2.Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def _window(start: datetime, hours: float) -> common_pb2.TimeWindow:
    return common_pb2.TimeWindow(
        start_time=_stamp(start), end_time=_stamp(start + timedelta(hours=hours))
    )


def _point(latitude: float, longitude: float) -> common_pb2.GeoPoint:
    return common_pb2.GeoPoint(latitude=latitude, longitude=longitude)


async def seed(fuzz: Fuzz) -> dict[str, str]:
    """One resource of each kind for the fuzzed tenant; fleet and rider with a stale etag."""
    parent = f"tenants/{fuzz.tenant}"
    values = {"tenant": fuzz.tenant}

    def keep(key: str, made: Any) -> None:
        values[key] = made.name
        values[f"{key}_id"] = made.name.rsplit("/", 1)[-1]
        if getattr(made, "etag", ""):
            values[f"{key}_etag"] = made.etag

    async def renamed(rpc_name: str, key: str, made: Any) -> None:
        """Renames ``made`` with ``rpc_name`` (an Update): its first etag becomes stale."""
        values[f"{key}_etag_stale"] = made.etag
        change = type(made)(name=made.name, display_name=made.display_name + " 2", etag=made.etag)
        request = GetMessageClass(rpc_named(rpc_name).method.input_type)(
            update_mask=field_mask_pb2.FieldMask(paths=["display_name"]), **{key: change}
        )
        keep(key, await fuzz.ok(rpc_name, request))

    fleet = await fuzz.ok(
        "FleetService.CreateFleet",
        fleet_pb2.CreateFleetRequest(
            parent=parent,
            fleet=fleet_pb2.Fleet(
                display_name="Fuzz", kind=fleet_pb2.Fleet.KIND_OWN, outlet_ids=["o-seed"]
            ),
        ),
    )
    await renamed("FleetService.UpdateFleet", "fleet", fleet)
    vehicle = await fuzz.ok(
        "FleetService.CreateVehicle",
        fleet_pb2.CreateVehicleRequest(
            parent=parent,
            vehicle=fleet_pb2.Vehicle(
                type=common_pb2.VEHICLE_TYPE_MOTORBIKE,
                plate="KDA 001A",
                capacity=common_pb2.Capacity(weight_kg=20, item_count=4),
            ),
        ),
    )
    keep("vehicle", vehicle)
    rider = await fuzz.ok(
        "FleetService.CreateRider",
        fleet_pb2.CreateRiderRequest(
            parent=parent,
            rider=fleet_pb2.Rider(
                display_name="Otieno",
                fleet=fleet.name,
                vehicle_type=common_pb2.VEHICLE_TYPE_MOTORBIKE,
                home_outlet_id="o-seed",
            ),
        ),
    )
    await renamed("FleetService.UpdateRider", "rider", rider)
    keep(
        "document",
        await fuzz.ok(
            "FleetService.CreateDocument",
            fleet_pb2.CreateDocumentRequest(
                parent=rider.name,
                document=fleet_pb2.ComplianceDocument(
                    kind=fleet_pb2.ComplianceDocument.KIND_LICENCE
                ),
                content=b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n",
            ),
        ),
    )
    tomorrow = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    keep(
        "shift",
        await fuzz.ok(
            "FleetService.CreateShift",
            fleet_pb2.CreateShiftRequest(
                parent=rider.name, shift=fleet_pb2.Shift(planned=_window(tomorrow, 8))
            ),
        ),
    )
    step = task_pb2.TaskStep
    task = await fuzz.ok(
        "TaskService.CreateTask",
        task_pb2.CreateTaskRequest(
            parent=parent,
            task=task_pb2.Task(
                kind=task_pb2.Task.KIND_DELIVERY,
                steps=[
                    step(kind=step.KIND_PICKUP, location=_point(-1.2833, 36.8167)),
                    step(kind=step.KIND_DROP_OFF, location=_point(-1.3000, 36.7800)),
                ],
            ),
        ),
    )
    keep("task", task)
    values["step"] = task.steps[0].id
    keep(
        "geofence",
        await fuzz.ok(
            "TelemetryService.CreateGeofence",
            telemetry_pb2.CreateGeofenceRequest(
                parent=parent,
                geofence=telemetry_pb2.Geofence(
                    display_name="Westlands",
                    kind=telemetry_pb2.Geofence.KIND_ZONE,
                    circle=telemetry_pb2.Geofence.Circle(
                        center=_point(-1.2676, 36.8108), radius_m=2000
                    ),
                ),
            ),
        ),
    )
    keep(
        "webhook",
        await fuzz.ok(
            "WebhookService.CreateWebhook",
            webhook_pb2.CreateWebhookRequest(
                parent=parent, webhook=webhook_pb2.Webhook(url="https://hooks.example.com/fuzz")
            ),
        ),
    )
    plan = dispatch_pb2.OptimizeRoutesRequest(
        stops=[
            dispatch_pb2.RouteStop(id=f"s{i}", location=_point(*place), service_seconds=60)
            for i, place in enumerate([(-1.2800, 36.8100), (-1.2900, 36.8250)])
        ],
        vehicles=[dispatch_pb2.RouteVehicle(id="van", start=_point(-1.2864, 36.8172))],
        time_limit=duration_pb2.Duration(nanos=200_000_000),
    )
    keep(
        "route_template",
        await fuzz.ok(
            "DispatchService.CreateRouteTemplate",
            dispatch_pb2.CreateRouteTemplateRequest(
                parent=parent,
                route_template=dispatch_pb2.RouteTemplate(
                    display_name="Weekdays", plan=plan, weekdays=[1, 2, 3], run_minute=300
                ),
            ),
        ),
    )
    return values


@dataclass(frozen=True)
class Listeners:
    server: RunningServer
    channel: grpc.aio.Channel
    http: httpx.AsyncClient
    admin: asyncpg.Connection


@pytest.fixture(scope="module")
async def listeners(
    server_urls: ServerUrls, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Listeners]:
    # A server of its own: a clean log to quote, and solver runs capped well below the
    # default 60 s (a fuzzed time_limit of up to the cap is valid, and would be waited for).
    server = await start_server(
        server_urls,
        tmp_path_factory.mktemp("fuzz-logs"),
        LOGISTICS_ROUTING_MAX_TIME_LIMIT_SECONDS="0.3",
    )
    admin = await asyncpg.connect(server_urls.database_url)
    try:
        async with (
            grpc.aio.insecure_channel(server.grpc_target) as channel,
            httpx.AsyncClient(base_url=server.http_url, timeout=CALL_TIMEOUT_S) as http,
        ):
            yield Listeners(server, channel, http, admin)
    finally:
        await admin.close()
        stop_server(server)


@pytest.fixture
async def fuzz(listeners: Listeners) -> Fuzz:
    """A new tenant with one live resource of each kind, shared by the examples of one test
    (a test per RPC: the deletes of one RPC do not starve the next of rows to reach)."""
    state = Fuzz(listeners.server, listeners.channel, listeners.http, unique_tenant())
    state.values = await seed(state)
    tenant_id = await listeners.admin.fetchval(
        "SELECT id FROM tenants WHERE slug = $1", state.tenant
    )
    state.tables = await Tables.open(listeners.admin, tenant_id, state.tenant)
    state.last = await state.tables.snapshot()
    return state


F, R = fleet_pb2, fleet_pb2.Rider

# Requests that failed before, by the RPC they are sent to.
REGRESSIONS: dict[str, list[Message]] = {
    "FleetService.CreateRider": [
        F.CreateRiderRequest(parent="tenants/{tenant}", rider=R(display_name="a\x00b")),
    ],
    "FleetService.UpdateFleet": [
        F.UpdateFleetRequest(
            fleet=F.Fleet(name="{fleet}", etag="{fleet_etag}", outlet_ids=["o\x00"]),
            update_mask=field_mask_pb2.FieldMask(paths=["outlet_ids"]),
        ),
        # A stale etag must not leave the new outlet behind.
        F.UpdateFleetRequest(
            fleet=F.Fleet(name="{fleet}", etag="{fleet_etag_stale}", outlet_ids=["o-{fresh}"]),
            update_mask=field_mask_pb2.FieldMask(paths=["outlet_ids"]),
        ),
    ],
    "FleetService.UpdateRider": [
        F.UpdateRiderRequest(
            rider=R(name="{rider}", etag="{rider_etag_stale}", home_outlet_id="o-{fresh}"),
            update_mask=field_mask_pb2.FieldMask(paths=["home_outlet_id"]),
        ),
        # An unknown fleet must not leave the new outlet behind either.
        F.UpdateRiderRequest(
            rider=R(
                name="{rider}",
                fleet="tenants/{tenant}/fleets/00000000-0000-4000-8000-000000000000",
                home_outlet_id="o-{fresh}",
            ),
            update_mask=field_mask_pb2.FieldMask(paths=["fleet", "home_outlet_id"]),
        ),
    ],
    "FleetService.GetRider": [
        F.GetRiderRequest(name="x" * 20_000),
        F.GetRiderRequest(name="tenants/{tenant}/riders/" + "x" * 20_000),
    ],
}


def _fuzz_test(rpc: Rpc) -> Callable[..., Any]:
    """The property test of one RPC (a function per RPC, so that each has its own examples)."""
    request_type = rpc.method.input_type
    strategy = messages(request_type, tuple(mask_paths(request_type)))

    async def test(fuzz: Fuzz, request: Request) -> None:
        await fuzz.exercise(rpc, request.message)

    test.__name__ = test.__qualname__ = f"test_fuzzed_{rpc.label.replace('.', '_')}"
    test.__doc__ = f"{rpc.label} never answers INTERNAL/UNKNOWN, and a failure changes no row."
    decorated = given(request=strategy.map(Request))(test)
    for regression in REGRESSIONS.get(rpc.label, []):
        decorated = example(request=Request(regression))(decorated)
    decorated = settings(
        max_examples=EXAMPLES_PER_RPC,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )(decorated)
    return pytest.mark.timeout(600)(decorated)


for _rpc in RPCS:
    _test = _fuzz_test(_rpc)
    globals()[_test.__name__] = _test


@pytest.mark.parametrize("rpc", RPCS, ids=[rpc.label for rpc in RPCS])
async def test_invalid_utf8_in_any_string_field_is_invalid_argument(fuzz: Fuzz, rpc: Rpc) -> None:
    """Bytes that are not UTF-8 where a string is expected (protobuf's Python runtime cannot
    send them, other clients can): INVALID_ARGUMENT on both listeners, nothing written."""
    assert fuzz.tables is not None
    before = await fuzz.tables.snapshot()
    paths = list(string_paths(rpc.method.input_type))
    if not paths:
        pytest.skip("no string field in the request")
    wrong = []
    for path in paths:
        data = length_delimited(path, BAD_UTF8)
        for caller in (fuzz.grpc_call, fuzz.connect_call):
            outcome, _ = await caller(rpc, data)
            if outcome.code != "invalid_argument" or outcome.problems():
                where = ".".join(f.name for f in path)
                wrong.append(f"{where} over {outcome.listener}: {outcome.code} {outcome.message!r}")
    after = await fuzz.tables.snapshot()
    fuzz.last = after
    assert wrong == []
    assert changes(before, after) == {}


def test_every_service_has_unary_rpcs_to_fuzz() -> None:
    services = {rpc.method.containing_service.name for rpc in RPCS}
    assert {
        "FleetService",
        "TaskService",
        "DispatchService",
        "TelemetryService",
        "WebhookService",
        "NotificationRuleService",
    } <= services
    assert len(RPCS) >= 60

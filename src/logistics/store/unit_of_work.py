"""One use case, one transaction: repositories, the outbox, the audit log, idempotency keys.

The transaction commits when the ``async with`` block ends normally and rolls back on any
exception, so an event or audit row exists exactly when the change it records does. Work that
must see the commit (a best-effort nudge to a rider's stream) is queued with ``after_commit``
and runs only once the transaction has committed.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import orjson

from logistics.domain.events import Event, is_event_type
from logistics.domain.ids import TenantId, TenantSlug
from logistics.domain.names import Names
from logistics.domain.versioning import check_etag
from logistics.secrets_box import Keyring
from logistics.store.carriers_repo import CarrierAccountRepository, CarrierJobRepository
from logistics.store.completion_repo import CompletionPolicyRepository
from logistics.store.db import Connection, Database, scope_to_tenant
from logistics.store.dispatch_repo import DispatchPolicyRepository
from logistics.store.eta_observations_repo import EtaObservationRepository
from logistics.store.eta_repo import PredictionRepository
from logistics.store.failed_delivery_repo import FailedDeliveryPolicyRepository
from logistics.store.fleet_repo import FleetRepository, RiderRepository
from logistics.store.flow_repo import FlowRepository
from logistics.store.notification_repo import NotificationLog, NotificationRuleRepository
from logistics.store.outlet_repo import OutletRepository
from logistics.store.proof_retention_repo import ProofRetentionRepository
from logistics.store.records_repo import (
    DocumentRepository,
    PolicyRepository,
    ShiftRepository,
)
from logistics.store.rider_actions import RiderActionRepository
from logistics.store.route_paths_repo import RoutePathRepository
from logistics.store.routes_repo import RouteRepository
from logistics.store.sla_repo import SlaPolicyRepository
from logistics.store.snapshot import event_data, snapshot
from logistics.store.task_repo import TaskRepository
from logistics.store.telemetry_repo import GeofenceRepository, TelemetryPolicyRepository
from logistics.store.temperature_repo import TemperatureRepository
from logistics.store.tenants import TenantDirectory, TenantLookup
from logistics.store.timer_repo import TimerRepository
from logistics.store.transfer_repo import TransferRepository
from logistics.store.vehicle_repo import VehicleRepository

if TYPE_CHECKING:
    from logistics.store.webhooks.repo import WebhookRepository

logger = logging.getLogger(__name__)

AfterCommit = Callable[[], Awaitable[None]]


class Versioned(Protocol):
    @property
    def version(self) -> int: ...


T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)
V = TypeVar("V", bound=Versioned)


class Loadable(Protocol[T_co]):
    """A repository that finds one of its resources by id."""

    async def get(self, resource_id: uuid.UUID, /, *, for_update: bool = False) -> T_co | None: ...


@dataclass(frozen=True)
class IdempotentResult:
    """What an earlier request with the same id created."""

    request_hash: str
    resource_id: uuid.UUID


class UnitOfWork:
    def __init__(self, conn: Connection, tenant: TenantSlug, tenant_id: TenantId) -> None:
        self.conn = conn
        self.tenant = tenant
        self.tenant_id = tenant_id
        self.fleets = FleetRepository(conn, tenant_id)
        self.riders = RiderRepository(conn, tenant_id)
        self.vehicles = VehicleRepository(conn, tenant_id)
        self.documents = DocumentRepository(conn, tenant_id)
        self.shifts = ShiftRepository(conn, tenant_id)
        self.policy = PolicyRepository(conn, tenant_id)
        self.outlets = OutletRepository(conn, tenant_id)
        self.timers = TimerRepository(conn, tenant_id)
        self.geofences = GeofenceRepository(conn, tenant_id)
        self.telemetry_policy = TelemetryPolicyRepository(conn, tenant_id)
        self.tasks = TaskRepository(conn, tenant_id)
        self.carrier_jobs = CarrierJobRepository(conn, tenant_id)
        self.dispatch_policy = DispatchPolicyRepository(conn, tenant_id)
        self.sla_policy = SlaPolicyRepository(conn, tenant_id)
        self.predictions = PredictionRepository(conn, tenant_id)

        self.completion_policy = CompletionPolicyRepository(conn, tenant_id)
        self.routes = RouteRepository(conn, tenant_id)
        self.route_paths = RoutePathRepository(conn, tenant_id)
        self.rider_actions = RiderActionRepository(conn, tenant_id)
        self.eta_observations = EtaObservationRepository(conn, tenant_id)

        self.notification_rules = NotificationRuleRepository(conn, tenant_id)
        self.notifications = NotificationLog(conn, tenant_id)
        self.flows = FlowRepository(conn, tenant_id)

        self.proof_retention = ProofRetentionRepository(conn, tenant_id)
        self.failed_delivery_policy = FailedDeliveryPolicyRepository(conn, tenant_id)
        self.transfers = TransferRepository(conn, tenant_id)
        self.temperatures = TemperatureRepository(conn, tenant_id)
        self._after_commit: list[AfterCommit] = []

    def after_commit(self, work: AfterCommit) -> None:
        """Runs ``work`` once this transaction has committed (never if it rolls back). Best
        effort: a failure is logged, the commit stands."""
        self._after_commit.append(work)

    def forget_after_commit(self, keep: int = 0) -> None:
        """Drops the work queued after the first ``keep``: what queued it was rolled back."""
        del self._after_commit[keep:]

    async def run_after_commit(self) -> None:
        """Called by whoever committed the transaction."""
        work, self._after_commit = self._after_commit, []
        for item in work:
            try:
                await item()
            except Exception:
                logger.exception("work after a commit failed")

    def carrier_accounts(self, keyring: Keyring) -> CarrierAccountRepository:
        """The tenant's carrier accounts; ``keyring`` seals their credentials and opens them."""
        return CarrierAccountRepository(self.conn, self.tenant_id, keyring)

    def webhooks(self, keyring: Keyring) -> WebhookRepository:
        """The tenant's webhooks; ``keyring`` seals their signing secrets and opens them."""
        # Imported here: the webhook package's delivery queue opens units of work itself.
        from logistics.store.webhooks.repo import WebhookRepository

        return WebhookRepository(self.conn, self.tenant_id, keyring)

    async def emit(self, event: Event) -> uuid.UUID:
        """Queues ``event`` for the relay and the webhooks, in this transaction, as this
        unit's tenant's; returns its id."""
        await self.emit_many([event])
        return event.id

    async def emit_many(
        self, events: list[Event], known: list[dict[str, Any]] | None = None
    ) -> None:
        """``emit`` for many events at once, in one statement. ``known``: per event, the
        snapshots of some of its fields already made (see ``event_data``)."""
        for event in events:
            if not is_event_type(event.type):
                raise ValueError(f"event type {event.type!r} is not a dotted lower-case name")
        data = [
            event_data(e, known[i] if known else None, tenant=self.tenant)
            for i, e in enumerate(events)
        ]
        await self.conn.execute(
            """INSERT INTO outbox (tenant_id, id, event_type, subject, data)
               SELECT $1, id, event_type, 'logistics.' || event_type, data::jsonb
               FROM unnest($2::uuid[], $3::text[], $4::text[]) AS t(id, event_type, data)""",
            self.tenant_id,
            [e.id for e in events],
            [e.type for e in events],
            [json.dumps(d) for d in data],
        )

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        """A nested transaction: an exception undoes what it did (and the work it queued for
        after the commit), not the rest of the unit."""
        queued = len(self._after_commit)
        try:
            async with self.conn.transaction():
                yield
        except BaseException:
            self.forget_after_commit(queued)
            raise

    async def lock(self, kind: str, key: str) -> None:
        """A transaction-scoped lock on (tenant, kind, key): serialises writers of one key."""
        await self.conn.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
            f"{self.tenant_id}:{kind}:{key}",
        )

    async def load(self, repo: Loadable[T], collection: Names, resource_id: uuid.UUID) -> T:
        """The resource, or NOT_FOUND naming it (``rider tenants/acme/riders/... not found``)."""
        found = await repo.get(resource_id)
        if found is None:
            raise collection.not_found(self.tenant, resource_id)
        return found

    async def load_for_update(
        self,
        repo: Loadable[V],
        collection: Names,
        resource_id: uuid.UUID,
        *,
        etag: str | None = None,
    ) -> V:
        """The resource, its row locked for this transaction; NOT_FOUND naming it, or
        FAILED_PRECONDITION when ``etag`` is given and is not its current one."""
        found = await repo.get(resource_id, for_update=True)
        if found is None:
            raise collection.not_found(self.tenant, resource_id)
        check_etag(etag, found.version)
        return found

    async def record(
        self,
        actor: str,
        action: str,
        resource: str,
        *,
        before: Any = None,
        after: Any = None,
        event: Event | None = None,
    ) -> None:
        """A change's audit row and, when it has one, its event: both in this transaction."""
        await self.audit(actor, action, resource, before, after)
        if event is not None:
            await self.emit(event)

    async def audit(
        self, actor: str, action: str, resource: str, before: Any = None, after: Any = None
    ) -> None:
        await self.conn.execute(
            """INSERT INTO audit_log (tenant_id, actor, action, resource, before, after)
               VALUES ($1, $2, $3, $4, $5, $6)""",
            self.tenant_id,
            actor,
            action,
            resource,
            snapshot(before) if before is not None else None,
            snapshot(after) if after is not None else None,
        )

    async def audit_and_emit_created(
        self, actor: str, action: str, events: Sequence[Event], field: str, views: list[str]
    ) -> None:
        """The audit rows and the events of created resources, in one statement: each event's
        resource gets an audit row whose ``after`` is its view (JSON text, already encoded), and
        the event's ``field`` is that same view. So each view is encoded, sent and parsed once
        (the outbox's ``data`` is the rest of the event's data with the view joined in SQL;
        jsonb keeps no key order, so it is the data ``emit_many`` would store)."""
        for event in events:
            if not is_event_type(event.type):
                raise ValueError(f"event type {event.type!r} is not a dotted lower-case name")
        rest = []
        for e in events:
            data = event_data(e, {field: None}, tenant=self.tenant)
            del data[field]
            rest.append(json.dumps(data))
        await self.conn.execute(
            """WITH v AS MATERIALIZED (
                   SELECT id, event_type, resource, rest::jsonb AS rest, view::jsonb AS view
                   FROM unnest($4::uuid[], $5::text[], $6::text[], $7::text[], $8::text[])
                       AS t(id, event_type, resource, rest, view)),
               audit AS (
                   INSERT INTO audit_log (tenant_id, actor, action, resource, before, after)
                   SELECT $1, $2, $3, resource, NULL, view FROM v)
               INSERT INTO outbox (tenant_id, id, event_type, subject, data)
               SELECT $1, id, event_type, 'logistics.' || event_type,
                   rest || jsonb_build_object($9::text, view)
               FROM v""",
            self.tenant_id,
            actor,
            action,
            [e.id for e in events],
            [e.type for e in events],
            [e.resource for e in events],
            rest,
            views,
            field,
        )

    async def audit_and_emit_alike(
        self,
        actor: str,
        action: str,
        template: Event,
        field: str,
        rows: Sequence[tuple[str, str]],
    ) -> None:
        """``audit_and_emit_created`` for events of ``template``'s type whose data differ only
        in their resource and ``field`` (created tasks' ``task.created``: a name and a view),
        made ahead as ``rows``: (resource, view as JSON text). Each event's data is sent whole,
        its text joined from the shared part (encoded once), its name and its view, and parsed
        once by PostgreSQL; the audit row's ``after`` is the ``field`` taken from that parsed
        data (a copy of its bytes: not parsed again, nor rebuilt by ``||``). Each event's id is
        made in SQL (a random one, as an event's own)."""
        if not is_event_type(template.type):
            raise ValueError(f"event type {template.type!r} is not a dotted lower-case name")
        shared = event_data(template, {field: None}, tenant=self.tenant)
        del shared[field], shared[template.resource_field]
        head = orjson.dumps(shared).decode()[:-1] + ("," if shared else "")
        head += orjson.dumps(template.resource_field).decode() + ":"
        middle = "," + orjson.dumps(field).decode() + ":"
        data = [f"{head}{orjson.dumps(r).decode()}{middle}{v}}}" for r, v in rows]
        await self.conn.execute(
            """WITH v AS MATERIALIZED (
                   SELECT d::jsonb AS data FROM unnest($4::text[]) AS t(d)),
               audit AS (
                   INSERT INTO audit_log (tenant_id, actor, action, resource, before, after)
                   SELECT $1, $2, $3, data ->> $6, NULL, data -> $7 FROM v)
               INSERT INTO outbox (tenant_id, id, event_type, subject, data)
               SELECT $1, gen_random_uuid(), $5, 'logistics.' || $5, data FROM v""",
            self.tenant_id,
            actor,
            action,
            data,
            template.type,
            template.resource_field,
            field,
        )

    async def compress_fast(self) -> None:
        """Values this transaction stores past the TOAST threshold (an event's data holding a
        whole task, ~2 KB) are compressed with lz4 where the server has it: several times
        cheaper to write than the default pglz, and read back the same."""
        await self.conn.execute(
            """SELECT set_config('default_toast_compression', 'lz4', true)
               WHERE EXISTS (SELECT FROM pg_settings
                             WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals))"""
        )

    async def transaction_time(self) -> datetime:
        """``now()`` of this transaction: the create time every row it inserts gets by default."""
        stamp: datetime = await self.conn.fetchval("SELECT now()")
        return stamp

    async def claim_requests(
        self, method: str, claims: list[tuple[str, str, uuid.UUID]]
    ) -> dict[str, IdempotentResult]:
        """``claim_request`` for many distinct (request id, request hash, resource id) in one
        statement: the earlier results of the ids that were already used."""
        if not claims:
            return {}
        inserted = await self.conn.fetch(
            """INSERT INTO idempotency_keys
                   (tenant_id, method, request_id, request_hash, resource_id)
               SELECT $1, $2, r, h, id
               FROM unnest($3::text[], $4::text[], $5::uuid[]) AS t(r, h, id)
               ON CONFLICT DO NOTHING RETURNING request_id""",
            self.tenant_id,
            method,
            [c[0] for c in claims],
            [c[1] for c in claims],
            [c[2] for c in claims],
        )
        claimed = {r["request_id"] for r in inserted}
        if len(claimed) == len(claims):  # all new: nothing earlier to look up
            return {}
        # A join, not ``request_id = ANY(...)``: that compares each key row with every id
        # (a chunk of an import of 50,000 rows: tens of millions of comparisons).
        earlier = await self.conn.fetch(
            """SELECT k.request_id, k.request_hash, k.resource_id
               FROM unnest($3::text[]) AS r(request_id)
               JOIN idempotency_keys k ON k.tenant_id = $1 AND k.method = $2
                   AND k.request_id = r.request_id""",
            self.tenant_id,
            method,
            [c[0] for c in claims if c[0] not in claimed],
        )
        return {
            r["request_id"]: IdempotentResult(r["request_hash"], r["resource_id"]) for r in earlier
        }

    async def claim_request(
        self, method: str, request_id: str, request_hash: str, resource_id: uuid.UUID
    ) -> IdempotentResult | None:
        """Records ``request_id`` for this create; returns the earlier result if it was used.

        A concurrent create with the same id waits on the key's row lock and then sees the
        winner's row, so at most one resource is ever created per key.
        """
        inserted = await self.conn.fetchval(
            """INSERT INTO idempotency_keys
                   (tenant_id, method, request_id, request_hash, resource_id)
               VALUES ($1, $2, $3, $4, $5)
               ON CONFLICT DO NOTHING RETURNING true""",
            self.tenant_id,
            method,
            request_id,
            request_hash,
            resource_id,
        )
        if inserted:
            return None
        row = await self.conn.fetchrow(
            """SELECT request_hash, resource_id FROM idempotency_keys
               WHERE method = $1 AND request_id = $2""",
            method,
            request_id,
        )
        assert row is not None  # the conflicting row is committed and visible now
        return IdempotentResult(row["request_hash"], row["resource_id"])


_NO_TENANT = TenantId(uuid.UUID(int=0))


class Store:
    """Opens units of work for a tenant."""

    def __init__(self, db: Database, tenant_lookup: TenantLookup | None = None) -> None:
        self.db = db
        self.tenants = TenantDirectory(db, tenant_lookup)

    @asynccontextmanager
    async def write(self, tenant: TenantSlug) -> AsyncIterator[UnitOfWork]:
        """A unit of work for a change; registers the tenant on its first write, in the same
        transaction, so a write that fails registers nothing."""
        known = await self.tenants.find(tenant)
        if known is not None:
            async with self.db.transaction(known) as conn:
                uow = UnitOfWork(conn, tenant, known)
                yield uow
            await uow.run_after_commit()
            return
        display_name = await self.tenants.describe(tenant)
        async with self.db.transaction() as conn:
            tenant_id = await self.tenants.register(conn, tenant, display_name)
            await scope_to_tenant(conn, tenant_id)
            uow = UnitOfWork(conn, tenant, tenant_id)
            yield uow
        self.tenants.remember(tenant, tenant_id)
        await uow.run_after_commit()

    @asynccontextmanager
    async def read(self, tenant: TenantSlug) -> AsyncIterator[UnitOfWork]:
        """A unit of work for reads; an unknown tenant sees no rows (it is not registered)."""
        tenant_id = await self.tenants.find(tenant) or _NO_TENANT
        async with self.db.transaction(tenant_id) as conn:
            yield UnitOfWork(conn, tenant, tenant_id)

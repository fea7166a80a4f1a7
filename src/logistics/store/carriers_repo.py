"""SQL for one tenant's carrier accounts, their jobs and each job's reported statuses (row-level
security scopes every statement). Credentials are sealed with the keyring on every write,
bound to the tenant and the account, and opened on every read."""

from __future__ import annotations

import json
import uuid
from typing import Any

import asyncpg

from logistics.domain.carrier_records import (
    Adapter,
    CarrierAccount,
    CarrierJob,
    Credentials,
    JobEvent,
    Mode,
    ServiceKind,
)
from logistics.domain.carriers import CarrierStatus
from logistics.domain.ids import TenantId
from logistics.domain.paging import Page, PageRequest
from logistics.secrets_box import Keyring
from logistics.store.db import Connection
from logistics.store.paging import keyset_clause, page_of

__all__ = ["CarrierAccountRepository", "CarrierJobRepository", "credentials_context"]

_ACCOUNT_COLUMNS = """display_name, adapter, base_url, mode, credentials, credentials_key_id,
    kind, vehicle_types, max_weight_kg, max_length_cm, zones, priority, disabled"""


def credentials_context(tenant_id: uuid.UUID, account_id: uuid.UUID) -> str:
    """What an account's sealed credentials are bound to: its table, tenant and id."""
    return f"carrier_accounts.credentials/{tenant_id}/{account_id}"


class CarrierAccountRepository:
    def __init__(self, conn: Connection, tenant_id: TenantId, keyring: Keyring) -> None:
        self._conn = conn
        self._tenant_id = tenant_id
        self._keyring = keyring

    def _values(self, account: CarrierAccount) -> list[Any]:
        plain = json.dumps(
            {
                "api_key": account.credentials.api_key,
                "signing_secret": account.credentials.signing_secret,
            }
        )
        return [
            account.display_name,
            account.adapter.value,
            account.base_url,
            account.mode.value,
            self._keyring.seal(plain, credentials_context(self._tenant_id, account.id)),
            self._keyring.current_id,
            account.kind.value,
            list(account.vehicle_types),
            account.max_weight_kg,
            account.max_length_cm,
            list(account.zones),
            account.priority,
            account.disabled,
        ]

    def _account(self, row: asyncpg.Record) -> CarrierAccount:
        opened = json.loads(
            self._keyring.open(row["credentials"], credentials_context(row["tenant_id"], row["id"]))
        )
        return CarrierAccount(
            id=row["id"],
            display_name=row["display_name"],
            adapter=Adapter(row["adapter"]),
            base_url=row["base_url"],
            mode=Mode(row["mode"]),
            credentials=Credentials(opened["api_key"], opened["signing_secret"]),
            kind=ServiceKind(row["kind"]),
            vehicle_types=tuple(row["vehicle_types"]),
            max_weight_kg=row["max_weight_kg"],
            max_length_cm=row["max_length_cm"],
            zones=tuple(row["zones"]),
            priority=row["priority"],
            disabled=row["disabled"],
            create_time=row["create_time"],
            update_time=row["update_time"],
            version=row["version"],
        )

    async def add(self, account: CarrierAccount) -> CarrierAccount:
        row = await self._conn.fetchrow(
            f"""INSERT INTO carrier_accounts (tenant_id, id, {_ACCOUNT_COLUMNS})
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
                RETURNING *""",
            self._tenant_id,
            account.id,
            *self._values(account),
        )
        return self._account(row)

    async def get(
        self, account_id: uuid.UUID, *, for_update: bool = False
    ) -> CarrierAccount | None:
        lock = " FOR UPDATE" if for_update else ""
        row = await self._conn.fetchrow(
            f"SELECT * FROM carrier_accounts WHERE id = $1 AND delete_time IS NULL{lock}",
            account_id,
        )
        return self._account(row) if row else None

    async def list(self, page: PageRequest) -> Page[CarrierAccount]:
        filters, args = ["delete_time IS NULL"], list[Any]()
        rows = await self._conn.fetch(
            f"SELECT * FROM carrier_accounts {keyset_clause(filters, args, page)}", *args
        )
        return page_of(rows, page.size, self._account)

    async def update(self, account: CarrierAccount) -> CarrierAccount:
        row = await self._conn.fetchrow(
            f"""UPDATE carrier_accounts SET ({_ACCOUNT_COLUMNS}, update_time, version) =
                    ($2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, now(), version + 1)
                WHERE id = $1 RETURNING *""",
            account.id,
            *self._values(account),
        )
        return self._account(row)

    async def archive(self, account_id: uuid.UUID) -> None:
        await self._conn.execute(
            "UPDATE carrier_accounts SET delete_time = now(), version = version + 1 WHERE id = $1",
            account_id,
        )


def _job(row: asyncpg.Record) -> CarrierJob:
    return CarrierJob(
        id=row["id"],
        task_id=row["task_id"],
        account_id=row["account_id"],
        carrier_ref=row["carrier_ref"],
        status=CarrierStatus(row["status"]),
        carrier_status=row["carrier_status"],
        quote_id=row["quote_id"],
        currency=row["currency"],
        quoted_amount=row["quoted_amount"],
        status_time=row["status_time"],
        final_amount=row["final_amount"],
        fee_amount=row["fee_amount"],
        tracking_url=row["tracking_url"],
        courier=row["courier"],
        failure_reason=row["failure_reason"],
        create_time=row["create_time"],
        update_time=row["update_time"],
        version=row["version"],
    )


def _event(row: asyncpg.Record) -> JobEvent:
    return JobEvent(
        event_id=row["event_id"],
        status=CarrierStatus(row["status"]),
        carrier_status=row["carrier_status"],
        occurred_time=row["occurred_time"],
        applied=row["applied"],
        receive_time=row["receive_time"],
        detail=row["detail"],
    )


class CarrierJobRepository:
    def __init__(self, conn: Connection, tenant_id: TenantId) -> None:
        self._conn = conn
        self._tenant_id = tenant_id

    async def add(self, job: CarrierJob) -> CarrierJob:
        row = await self._conn.fetchrow(
            """INSERT INTO carrier_jobs (tenant_id, id, task_id, account_id, carrier_ref, status,
                   carrier_status, quote_id, currency, quoted_amount, tracking_url, status_time)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING *""",
            self._tenant_id,
            job.id,
            job.task_id,
            job.account_id,
            job.carrier_ref,
            job.status.value,
            job.carrier_status,
            job.quote_id,
            job.currency,
            job.quoted_amount,
            job.tracking_url,
            job.status_time,
        )
        return _job(row)

    async def get(self, job_id: uuid.UUID, *, for_update: bool = False) -> CarrierJob | None:
        lock = " FOR UPDATE" if for_update else ""
        row = await self._conn.fetchrow(f"SELECT * FROM carrier_jobs WHERE id = $1{lock}", job_id)
        return _job(row) if row else None

    async def by_ref(
        self, account_id: uuid.UUID, carrier_ref: str, *, for_update: bool = False
    ) -> CarrierJob | None:
        lock = " FOR UPDATE" if for_update else ""
        row = await self._conn.fetchrow(
            f"SELECT * FROM carrier_jobs WHERE account_id = $1 AND carrier_ref = $2{lock}",
            account_id,
            carrier_ref,
        )
        return _job(row) if row else None

    async def open_for_task(self, task_id: uuid.UUID) -> CarrierJob | None:
        row = await self._conn.fetchrow(
            """SELECT * FROM carrier_jobs WHERE task_id = $1
                   AND status NOT IN ('delivered', 'failed', 'cancelled')""",
            task_id,
        )
        return _job(row) if row else None

    async def for_task(self, task_id: uuid.UUID, page: PageRequest) -> Page[CarrierJob]:
        filters, args = ["task_id = $1"], list[Any]([task_id])
        rows = await self._conn.fetch(
            f"SELECT * FROM carrier_jobs {keyset_clause(filters, args, page)}", *args
        )
        return page_of(rows, page.size, _job)

    async def update(self, job: CarrierJob) -> CarrierJob:
        row = await self._conn.fetchrow(
            """UPDATE carrier_jobs SET status = $2, carrier_status = $3, final_amount = $4,
                   fee_amount = $5, courier = $6, failure_reason = $7, status_time = $8,
                   update_time = now(), version = version + 1
               WHERE id = $1 RETURNING *""",
            job.id,
            job.status.value,
            job.carrier_status,
            job.final_amount,
            job.fee_amount,
            job.courier,
            job.failure_reason,
            job.status_time,
        )
        return _job(row)

    async def add_event(self, job_id: uuid.UUID, event: JobEvent) -> bool:
        """Records a reported status; False when the carrier's event id was recorded before
        (a repeated callback), which then changes nothing."""
        row = await self._conn.fetchrow(
            """INSERT INTO carrier_job_events (tenant_id, job_id, event_id, status,
                   carrier_status, occurred_time, applied, detail)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
               ON CONFLICT (tenant_id, job_id, event_id) WHERE event_id <> '' DO NOTHING
               RETURNING seq""",
            self._tenant_id,
            job_id,
            event.event_id,
            event.status.value,
            event.carrier_status,
            event.occurred_time,
            event.applied,
            event.detail,
        )
        return row is not None

    async def events(self, job_id: uuid.UUID) -> list[JobEvent]:
        rows = await self._conn.fetch(
            "SELECT * FROM carrier_job_events WHERE job_id = $1 ORDER BY seq", job_id
        )
        return [_event(r) for r in rows]

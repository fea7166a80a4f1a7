"""The connection pool and the tenant-scoped transaction every use case runs in."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, TypeAlias

import asyncpg

from logistics.domain.errors import Unavailable
from logistics.domain.ids import TenantId

Connection: TypeAlias = asyncpg.Connection


async def _init_connection(conn: Connection, role: str) -> None:
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
    if role:
        # The service runs as a NOBYPASSRLS role, so row-level security holds even when the
        # login user owns the tables or is a superuser (as on a development machine).
        await conn.execute(f'SET ROLE "{role}"')


async def scope_to_tenant(conn: Connection, tenant_id: TenantId) -> None:
    """From here to the end of the transaction, row-level security shows only this tenant."""
    await conn.execute("SELECT set_config('app.tenant_id', $1, true)", str(tenant_id))


# How long a call waits for a pooled connection, and a new connection for the server to
# answer: past that PostgreSQL counts as unavailable (the call answers UNAVAILABLE) instead of
# the call hanging with the pool exhausted or the server stopped.
ACQUIRE_TIMEOUT_S = 10.0
CONNECT_TIMEOUT_S = 10.0
# The longest one statement may run: a server that stopped answering mid-call (hung, or its
# host gone without a reset) fails the call as UNAVAILABLE after this, not after minutes.
# Our longest statements (a 50,000-row import's apply, track retention) take a few seconds.
COMMAND_TIMEOUT_S = 30.0


class Database:
    """An asyncpg pool whose connections run as the service role."""

    def __init__(self, pool: asyncpg.Pool, acquire_timeout_s: float = ACQUIRE_TIMEOUT_S) -> None:
        self.pool = pool
        self._acquire_timeout_s = acquire_timeout_s

    def acquire(self) -> Any:
        """A pooled connection, waited for at most the acquire timeout."""
        return self.pool.acquire(timeout=self._acquire_timeout_s)

    @classmethod
    async def connect(
        cls,
        url: str,
        *,
        role: str,
        min_size: int = 2,
        max_size: int = 20,
        acquire_timeout_s: float = ACQUIRE_TIMEOUT_S,
    ) -> Database:
        async def init(conn: Connection) -> None:
            await _init_connection(conn, role)

        try:
            pool = await asyncpg.create_pool(
                url,
                min_size=min_size,
                max_size=max_size,
                init=init,
                command_timeout=COMMAND_TIMEOUT_S,
                timeout=CONNECT_TIMEOUT_S,
            )
        except (OSError, asyncpg.PostgresError) as exc:
            raise Unavailable(f"cannot connect to PostgreSQL: {exc}") from exc
        return cls(pool, acquire_timeout_s)

    async def close(self) -> None:
        await self.pool.close()

    @asynccontextmanager
    async def transaction(self, tenant_id: TenantId | None = None) -> AsyncIterator[Connection]:
        """A transaction that sees only ``tenant_id``'s rows (none when it is None)."""
        async with self.acquire() as conn, conn.transaction():
            if tenant_id is not None:
                await scope_to_tenant(conn, tenant_id)
            yield conn

    @asynccontextmanager
    async def worker_transaction(self) -> AsyncIterator[Connection]:
        """A transaction of a background worker that works across tenants: it sees every
        tenant's rows of the tables whose policy allows workers (``outbox``,
        ``webhook_deliveries``) and no tenant's rows of the others until it sets a tenant."""
        async with self.acquire() as conn, conn.transaction():
            await conn.execute("SELECT set_config('app.worker', 'on', true)")
            yield conn

    async def ping(self) -> None:
        async with self.acquire() as conn:
            await conn.fetchval("SELECT 1")

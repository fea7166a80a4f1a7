"""Helpers of the tests that fire timers with a clock of their own: a worker's own pool, and
the cleanup that leaves no unfired timer of a test's tenant for other tests' clocks to fire."""

from __future__ import annotations

from logistics.domain.ids import TenantSlug
from logistics.store.db import Database
from logistics.store.unit_of_work import Store
from tests.support.servers import ServerUrls


async def new_pool(server_urls: ServerUrls) -> Database:
    """A pool of its own, as another worker process would have."""
    return await Database.connect(
        server_urls.database_url, role="logistics_app", min_size=1, max_size=4
    )


async def drop_unfired_timers(store: Store, database: Database, tenant: TenantSlug) -> None:
    """Never leave a timer behind for the other tests' clocks to fire."""
    tenant_id = await store.tenants.find(tenant)
    if tenant_id is not None:
        async with database.transaction() as conn:
            await conn.execute(
                "DELETE FROM timers WHERE tenant_id = $1 AND fire_time IS NULL", tenant_id
            )

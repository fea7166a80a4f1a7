"""Row-level security: with tenant A's setting, tenant B's rows do not exist, whatever the query."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from logistics.domain.ids import TenantSlug
from logistics.store.db import Database
from logistics.store.unit_of_work import Store
from tests.support.auth import unique_tenant


async def _seed(store: Store, tenant: str, count: int) -> None:
    async with store.write(TenantSlug(tenant)) as uow:
        for i in range(count):
            await uow.conn.execute(
                "INSERT INTO riders (tenant_id, id, display_name, state)"
                " VALUES ($1, $2, $3, 'active')",
                uow.tenant_id,
                uuid.uuid4(),
                f"{tenant} rider {i}",
            )


async def test_unfiltered_query_sees_only_the_current_tenant(
    store: Store, database: Database
) -> None:
    a, b = unique_tenant(), unique_tenant()
    await _seed(store, a, 3)
    await _seed(store, b, 2)
    a_id = await store.tenants.find(TenantSlug(a))
    async with database.transaction(a_id) as conn:
        names = [r["display_name"] for r in await conn.fetch("SELECT display_name FROM riders")]
        audit_tenants = {
            r["tenant_id"] for r in await conn.fetch("SELECT tenant_id FROM audit_log")
        }
    assert sorted(names) == [f"{a} rider {i}" for i in range(3)]
    assert audit_tenants <= {a_id}


async def test_without_a_tenant_setting_no_rows_are_visible(
    store: Store, database: Database
) -> None:
    await _seed(store, unique_tenant(), 1)
    async with database.transaction() as conn:
        assert await conn.fetchval("SELECT count(*) FROM riders") == 0


async def test_writing_a_row_for_another_tenant_is_refused(
    store: Store, database: Database
) -> None:
    a, b = unique_tenant(), unique_tenant()
    await _seed(store, a, 1)
    await _seed(store, b, 1)
    a_id, b_id = await store.tenants.find(TenantSlug(a)), await store.tenants.find(TenantSlug(b))
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        async with database.transaction(a_id) as conn:
            await conn.execute(
                "INSERT INTO riders (tenant_id, id, display_name, state)"
                " VALUES ($1, $2, 'x', 'active')",
                b_id,
                uuid.uuid4(),
            )
    async with database.transaction(a_id) as conn:
        assert await conn.execute("UPDATE riders SET display_name = 'stolen'") == "UPDATE 1"
    async with database.transaction(b_id) as conn:
        assert await conn.fetchval("SELECT display_name FROM riders") == f"{b} rider 0"


async def test_the_service_role_cannot_bypass_row_level_security(database: Database) -> None:
    async with database.transaction() as conn:
        role = await conn.fetchrow(
            "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
        )
        assert current_is_service_role(await conn.fetchval("SELECT current_user"))
        assert not role["rolsuper"]
        assert not role["rolbypassrls"]
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("ALTER TABLE riders DISABLE ROW LEVEL SECURITY")


def current_is_service_role(name: str) -> bool:
    return name == "logistics_app"

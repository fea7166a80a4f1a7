"""Work queued with ``UnitOfWork.after_commit`` runs once the transaction has committed, and
never when it, or the savepoint that queued it, rolls back."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from logistics.domain.ids import TenantSlug
from logistics.store.unit_of_work import Store
from tests.support.auth import unique_tenant


class Boom(Exception):
    pass


async def test_work_runs_after_the_commit_and_sees_it(store: Store) -> None:
    tenant = TenantSlug(unique_tenant())
    seen: list[str] = []

    async with store.write(tenant) as uow:

        async def read_back() -> None:
            async with store.read(tenant) as reader:
                seen.append(await reader.conn.fetchval("SELECT current_setting('app.tenant_id')"))

        uow.after_commit(read_back)
        assert seen == []
    assert seen == [str(uow.tenant_id)]


async def test_a_rollback_drops_the_work(store: Store) -> None:
    ran: list[str] = []

    async def note() -> None:
        ran.append("ran")

    async def write_then_fail() -> None:
        async with store.write(TenantSlug(unique_tenant())) as uow:
            uow.after_commit(note)
            raise Boom

    with pytest.raises(Boom):
        await write_then_fail()
    assert ran == []


async def test_a_rolled_back_savepoint_drops_only_its_own_work(store: Store) -> None:
    ran: list[str] = []

    def note(what: str) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            ran.append(what)

        return run

    async with store.write(TenantSlug(unique_tenant())) as uow:

        async def savepoint_then_fail() -> None:
            async with uow.savepoint():
                uow.after_commit(note("undone"))
                raise Boom

        uow.after_commit(note("kept"))
        with pytest.raises(Boom):
            await savepoint_then_fail()
    assert ran == ["kept"]


async def test_a_failing_piece_of_work_does_not_stop_the_next(store: Store) -> None:
    ran: list[str] = []

    async def fail() -> None:
        raise Boom

    async def note() -> None:
        ran.append("ran")

    async with store.write(TenantSlug(unique_tenant())) as uow:
        uow.after_commit(fail)
        uow.after_commit(note)
    assert ran == ["ran"]

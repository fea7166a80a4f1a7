"""Migrations: applied once each, in order, concurrently safe, and edits are refused."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from logistics.store.migrate import MigrationError, default_migrations_dir, migrate
from tests.support.servers import ServerUrls, with_database


@pytest.fixture
async def empty_database(server_urls: ServerUrls) -> AsyncIterator[str]:
    name = f"logistics_mig_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(server_urls.database_url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield with_database(server_urls.database_url, name)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def _recorded(url: str) -> list[str]:
    conn = await asyncpg.connect(url)
    try:
        return [
            r["name"]
            for r in await conn.fetch("SELECT name FROM schema_migrations ORDER BY version")
        ]
    finally:
        await conn.close()


async def test_every_migration_is_applied_once_and_recorded(empty_database: str) -> None:
    shipped = sorted(p.name for p in default_migrations_dir().glob("*.sql"))
    assert await migrate(empty_database) == [n.split("_", 1)[0] for n in shipped]
    assert await migrate(empty_database) == []
    assert await _recorded(empty_database) == shipped


async def test_two_concurrent_migrators_apply_each_file_once(empty_database: str) -> None:
    first, second = await asyncio.gather(migrate(empty_database), migrate(empty_database))
    assert sorted(first + second) == sorted(
        p.name.split("_", 1)[0] for p in default_migrations_dir().glob("*.sql")
    )
    assert not set(first) & set(second)


async def test_an_edited_applied_migration_is_refused(empty_database: str, tmp_path: Path) -> None:
    (tmp_path / "0001_first.sql").write_text("CREATE TABLE a (id int);")
    await migrate(empty_database, tmp_path)
    (tmp_path / "0001_first.sql").write_text("CREATE TABLE a (id bigint);")
    with pytest.raises(MigrationError, match="edited after it was applied"):
        await migrate(empty_database, tmp_path)


async def test_a_failing_migration_leaves_nothing_behind(
    empty_database: str, tmp_path: Path
) -> None:
    (tmp_path / "0001_ok.sql").write_text("CREATE TABLE a (id int);")
    (tmp_path / "0002_bad.sql").write_text("CREATE TABLE b (id int); SELECT no_such_function();")
    with pytest.raises(asyncpg.PostgresError):
        await migrate(empty_database, tmp_path)
    assert await _recorded(empty_database) == ["0001_ok.sql"]
    conn = await asyncpg.connect(empty_database)
    try:
        assert await conn.fetchval("SELECT to_regclass('b')") is None
    finally:
        await conn.close()

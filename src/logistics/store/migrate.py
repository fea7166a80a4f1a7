"""Applies ``migrations/*.sql`` in order, once each, recorded with a checksum.

Safe to run from several processes at once: a session advisory lock serialises them. An
already-applied file whose content changed is an error, never silently re-applied.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path

import asyncpg

logger = logging.getLogger(__name__)

_LOCK_KEY = 0x6C6F6769  # "logi": one advisory lock per database for migrations


class MigrationError(RuntimeError):
    pass


@dataclass(frozen=True)
class Migration:
    version: str
    path: Path
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def default_migrations_dir() -> Path:
    """The repo's ``migrations/`` in a checkout, or the copy packaged into the wheel."""
    here = Path(__file__).resolve()
    for candidate in (here.parents[3] / "migrations", here.parents[1] / "migrations"):
        if candidate.is_dir():
            return candidate
    raise MigrationError("no migrations directory found")


def load_migrations(directory: Path) -> list[Migration]:
    found = []
    for path in sorted(directory.glob("*.sql")):
        version = path.stem.split("_", 1)[0]
        if not version.isdigit():
            raise MigrationError(f"{path.name}: migration files are named NNNN_description.sql")
        found.append(Migration(version, path, path.read_text()))
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"duplicate migration versions in {directory}")
    return found


async def migrate(url: str, directory: Path | None = None) -> list[str]:
    """Applies pending migrations; returns the versions applied by this call."""
    migrations = load_migrations(directory or default_migrations_dir())
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
        try:
            return await _apply(conn, migrations)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)
    finally:
        await conn.close()


async def _apply(conn: asyncpg.Connection, migrations: list[Migration]) -> list[str]:
    await conn.execute(
        """CREATE TABLE IF NOT EXISTS schema_migrations (
               version    text PRIMARY KEY,
               name       text NOT NULL,
               checksum   text NOT NULL,
               apply_time timestamptz NOT NULL DEFAULT now())"""
    )
    applied = {
        r["version"]: r
        for r in await conn.fetch("SELECT version, name, checksum FROM schema_migrations")
    }
    known = {m.version for m in migrations}
    for version, row in applied.items():
        if version not in known:
            raise MigrationError(f"migration {row['name']} is applied but its file is missing")
    done: list[str] = []
    for m in migrations:
        row = applied.get(m.version)
        if row is not None:
            if row["checksum"] != m.checksum:
                raise MigrationError(
                    f"{m.path.name} was edited after it was applied (checksum differs); "
                    "add a new migration instead"
                )
            continue
        logger.info("applying migration", extra={"migration": m.path.name})
        async with conn.transaction():
            await conn.execute(m.sql)
            await conn.execute(
                "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                m.version,
                m.path.name,
                m.checksum,
            )
        done.append(m.version)
    return done

"""The tenant registry: slug to id, cached in-process (a slug's id never changes).

A slug seen for the first time is described by ``lookup`` (the originating service's
discovery endpoint) before it is stored; without a lookup it is registered as it is. A write
registers its tenant inside its own transaction (``register``), so a write that fails leaves no
tenant behind; the id is cached only once that transaction has committed (``remember``).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from logistics.domain.ids import TenantId, TenantSlug
from logistics.store.db import Connection, Database

# Returns the tenant's display name; raises NotFound or Unavailable.
TenantLookup = Callable[[TenantSlug], Awaitable[str]]


class TenantDirectory:
    def __init__(self, db: Database, lookup: TenantLookup | None = None) -> None:
        self._db = db
        self._lookup = lookup
        self._ids: dict[TenantSlug, TenantId] = {}

    async def find(self, slug: TenantSlug) -> TenantId | None:
        """The tenant's id, or None if the tenant has never been seen."""
        cached = self._ids.get(slug)
        if cached is not None:
            return cached
        async with self._db.transaction() as conn:
            found = await conn.fetchval("SELECT id FROM tenants WHERE slug = $1", slug)
        if found is None:
            return None
        self._ids[slug] = TenantId(found)
        return self._ids[slug]

    async def ensure(self, slug: TenantSlug) -> TenantId:
        """The tenant's id, registering the tenant (after discovery) on first sight, in a
        transaction of its own."""
        found = await self.find(slug)
        if found is not None:
            return found
        display_name = await self.describe(slug)
        async with self._db.transaction() as conn:
            ident = await self.register(conn, slug, display_name)
        self.remember(slug, ident)
        return ident

    async def describe(self, slug: TenantSlug) -> str:
        """The display name of a tenant not registered yet (raises NotFound or Unavailable)."""
        return await self._lookup(slug) if self._lookup is not None else ""

    @staticmethod
    async def register(conn: Connection, slug: TenantSlug, display_name: str) -> TenantId:
        """Registers the tenant in the caller's transaction; a concurrent registration of the
        same slug waits on the unique index and then sees the winner's row."""
        await conn.execute(
            """INSERT INTO tenants (id, slug, display_name) VALUES ($1, $2, $3)
               ON CONFLICT (slug) DO NOTHING""",
            uuid.uuid4(),
            slug,
            display_name,
        )
        return TenantId(await conn.fetchval("SELECT id FROM tenants WHERE slug = $1", slug))

    def remember(self, slug: TenantSlug, ident: TenantId) -> None:
        """Caches a registration once it is committed."""
        self._ids[slug] = ident

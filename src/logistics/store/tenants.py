"""The tenant registry: slug to id, cached in-process (a slug's id never changes)."""

from __future__ import annotations

import uuid

from logistics.domain.ids import TenantId, TenantSlug
from logistics.store.db import Database


class TenantDirectory:
    def __init__(self, db: Database) -> None:
        self._db = db
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
        """The tenant's id, registering the tenant on first sight."""
        found = await self.find(slug)
        if found is not None:
            return found
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT INTO tenants (id, slug) VALUES ($1, $2) ON CONFLICT (slug) DO NOTHING",
                uuid.uuid4(),
                slug,
            )
            ident = await conn.fetchval("SELECT id FROM tenants WHERE slug = $1", slug)
        self._ids[slug] = TenantId(ident)
        return self._ids[slug]

"""Typed identifiers and resource names (``tenants/{tenant}/riders/{rider}``)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import NewType

from logistics.domain.errors import InvalidArgument

TenantSlug = NewType("TenantSlug", str)
TenantId = NewType("TenantId", uuid.UUID)

_SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


def parse_tenant_slug(value: str, field: str = "tenant") -> TenantSlug:
    """A tenant slug: lower-case letters, digits and inner hyphens, at most 63 characters."""
    if not _SLUG.fullmatch(value):
        raise InvalidArgument.field(
            field, f"{value!r} is not a tenant slug (a-z, 0-9 and '-', at most 63 characters)"
        )
    return TenantSlug(value)


@dataclass(frozen=True)
class ResourceName:
    """``tenants/{tenant}/{collection}/{id}``, with the id a UUID."""

    tenant: TenantSlug
    collection: str
    id: uuid.UUID

    def __str__(self) -> str:
        return f"tenants/{self.tenant}/{self.collection}/{self.id}"


def parse_parent(value: str, field: str = "parent") -> TenantSlug:
    """Parses ``tenants/{tenant}``."""
    prefix, _, slug = value.partition("/")
    if prefix != "tenants" or not slug:
        raise InvalidArgument.field(field, f"{value!r} is not of the form tenants/{{tenant}}")
    return parse_tenant_slug(slug, field)


def parse_name(value: str, collection: str, field: str = "name") -> ResourceName:
    """Parses ``tenants/{tenant}/{collection}/{uuid}`` for the given collection."""
    parts = value.split("/")
    if len(parts) != 4 or parts[0] != "tenants" or parts[2] != collection:
        raise InvalidArgument.field(
            field, f"{value!r} is not of the form tenants/{{tenant}}/{collection}/{{id}}"
        )
    slug = parse_tenant_slug(parts[1], field)
    try:
        ident = uuid.UUID(parts[3])
    except ValueError:
        ident = None
    if ident is None or str(ident) != parts[3]:
        # One resource, one name: only the canonical lower-case hyphenated form.
        raise InvalidArgument.field(field, f"{parts[3]!r} is not a valid id")
    return ResourceName(slug, collection, ident)

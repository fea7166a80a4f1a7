"""Typed identifiers and resource names (``tenants/{tenant}/riders/{rider}``)."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import NewType

from logistics.domain.errors import InvalidArgument
from logistics.domain.text import shown

TenantSlug = NewType("TenantSlug", str)
TenantId = NewType("TenantId", uuid.UUID)

_SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


def parse_tenant_slug(value: str, field: str = "tenant") -> TenantSlug:
    """A tenant slug: lower-case letters, digits and inner hyphens, at most 63 characters."""
    if not _SLUG.fullmatch(value):
        raise InvalidArgument.field(
            field, f"{shown(value)} is not a tenant slug (a-z, 0-9 and '-', at most 63 characters)"
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
        raise InvalidArgument.field(field, f"{shown(value)} is not of the form tenants/{{tenant}}")
    return parse_tenant_slug(slug, field)


def parse_name(value: str, collection: str, field: str = "name") -> ResourceName:
    """Parses ``tenants/{tenant}/{collection}/{uuid}`` for the given collection."""
    parts = value.split("/")
    if len(parts) != 4 or parts[0] != "tenants" or parts[2] != collection:
        raise InvalidArgument.field(
            field, f"{shown(value)} is not of the form tenants/{{tenant}}/{collection}/{{id}}"
        )
    slug = parse_tenant_slug(parts[1], field)
    return ResourceName(slug, collection, _canonical_uuid(parts[3], field))


def _canonical_uuid(value: str, field: str) -> uuid.UUID:
    """One resource, one name: only the canonical lower-case hyphenated form is accepted."""
    try:
        ident = uuid.UUID(value)
    except ValueError:
        ident = None
    if ident is None or str(ident) != value:
        raise InvalidArgument.field(field, f"{shown(value)} is not a valid id")
    return ident


@dataclass(frozen=True)
class ChildName:
    """``tenants/{tenant}/{collection}/{id}/{child_collection}/{child_id}``."""

    parent: ResourceName
    collection: str
    id: uuid.UUID

    def __str__(self) -> str:
        return f"{self.parent}/{self.collection}/{self.id}"


def parse_child(value: str, parent: str, collection: str, field: str = "name") -> ChildName:
    """Parses ``tenants/{tenant}/{parent}/{uuid}/{collection}/{uuid}``."""
    parts = value.split("/")
    if len(parts) != 6 or parts[4] != collection:
        raise InvalidArgument.field(
            field,
            f"{shown(value)} is not of the form "
            f"tenants/{{tenant}}/{parent}/{{id}}/{collection}/{{id}}",
        )
    owner = parse_name("/".join(parts[:4]), parent, field)
    return ChildName(owner, collection, _canonical_uuid(parts[5], field))


def parse_singleton(value: str, singleton: str, field: str = "name") -> TenantSlug:
    """Parses ``tenants/{tenant}/{singleton}``, such as ``tenants/acme/compliancePolicy``."""
    parts = value.split("/")
    if len(parts) != 3 or parts[0] != "tenants" or parts[2] != singleton:
        raise InvalidArgument.field(
            field, f"{shown(value)} is not of the form tenants/{{tenant}}/{singleton}"
        )
    return parse_tenant_slug(parts[1], field)

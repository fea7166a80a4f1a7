"""Who is calling: the verified identity a use case authorises against."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from logistics.domain.errors import PermissionDenied
from logistics.domain.ids import TenantSlug
from logistics.domain.text import shown


class Scope(enum.StrEnum):
    READ = "logistics:read"
    DISPATCH = "logistics:dispatch"
    TELEMETRY = "logistics:telemetry"
    ADMIN = "logistics:admin"


@dataclass(frozen=True)
class Caller:
    """A verified token's claims: its tenant, scopes, subject; for riders, the rider id; for a
    dispatcher limited to some zones, their geofence ids; for a customer's tracking page, the
    one task it may follow."""

    tenant: TenantSlug
    subject: str
    scopes: frozenset[Scope]
    rider_id: str | None = None
    zones: frozenset[str] | None = None  # None: not limited
    task_id: str | None = None

    def has(self, scope: Scope) -> bool:
        """``logistics:admin`` holds every scope."""
        return scope in self.scopes or Scope.ADMIN in self.scopes

    def require(self, scope: Scope, tenant: TenantSlug | None = None) -> None:
        """The caller holds ``scope`` (and, given a ``tenant``, works on that tenant: checked
        first, so a token of another tenant is told so whatever its scopes)."""
        if tenant is not None:
            self.require_tenant(tenant)
        if not self.has(scope):
            raise PermissionDenied(
                f"this call needs the scope {scope.value}", reason="MISSING_SCOPE"
            )

    def require_tenant(self, tenant: TenantSlug) -> None:
        """A token works only on its own tenant's resources."""
        if tenant != self.tenant:
            raise PermissionDenied(
                f"the token is for tenant {shown(self.tenant)}, not {shown(tenant)}",
                reason="WRONG_TENANT",
            )

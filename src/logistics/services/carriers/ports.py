"""What the carrier use cases take from outside: a connector for an account."""

from __future__ import annotations

from typing import Protocol

from logistics.carriers.interface import CarrierConnector
from logistics.domain.carrier_records import CarrierAccount

__all__ = ["Connectors"]


class Connectors(Protocol):
    """Connectors by account: ``name`` is the account's resource name (its circuit)."""

    def connector(self, name: str, account: CarrierAccount) -> CarrierConnector: ...

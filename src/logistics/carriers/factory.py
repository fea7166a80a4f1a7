"""Connectors for carrier accounts, made on first use and kept while the account's version
holds (an edited account gets a new connector), all sharing one ``Resilience``: one breaker
per account for the whole process.

A carrier's base URL is a tenant's choice, so its calls go through the outbound guard
(``net/outbound.py``): public addresses only, unless ``allow_private`` (development, tests,
the sandbox carrier on this machine)."""

from __future__ import annotations

from logistics.carriers.interface import CarrierConnector
from logistics.carriers.on_demand import OnDemandConnector
from logistics.carriers.resilience import Resilience
from logistics.domain.carrier_records import Adapter, CarrierAccount
from logistics.net.outbound import GuardedTransport

__all__ = ["ConnectorDirectory", "callback_path"]


def callback_path(account_name: str) -> str:
    """Where a carrier account's callbacks arrive on the HTTP listener."""
    return f"/v1/{account_name}/callbacks"


class ConnectorDirectory:
    """``connector(name, account)`` for the use cases (``services.carriers.Connectors``)."""

    def __init__(
        self, resilience: Resilience, callback_base_url: str, *, allow_private: bool = False
    ) -> None:
        self._resilience = resilience
        self._allow_private = allow_private
        self._callback_base = callback_base_url.rstrip("/")
        self._made: dict[str, tuple[int, CarrierConnector]] = {}
        self._retired: list[CarrierConnector] = []

    def connector(self, name: str, account: CarrierAccount) -> CarrierConnector:
        kept = self._made.get(name)
        if kept is not None and kept[0] == account.version:
            return kept[1]
        if kept is not None:
            self._retired.append(kept[1])  # a call may still be using it; closed at the end
        if account.adapter is not Adapter.ON_DEMAND:  # pragma: no cover - one adapter so far
            raise ValueError(f"no connector for adapter {account.adapter.value}")
        made = OnDemandConnector(
            account.base_url,
            account.credentials.api_key,
            account.credentials.signing_secret,
            self._resilience,
            circuit=name,
            callback_url=self._callback_base + callback_path(name),
            transport=GuardedTransport(allow_private=self._allow_private),
        )
        self._made[name] = (account.version, made)
        return made

    async def aclose(self) -> None:
        for made in [*self._retired, *(m for _, m in self._made.values())]:
            await made.aclose()
        self._made.clear()
        self._retired.clear()

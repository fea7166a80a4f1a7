"""Offers in flight in the live index: a rider holds at most one open offer, claimed and
resolved atomically by the scripts of ``geo.scripts`` beside the rider's live state (so a
claim sees the rider's ``busy`` flag in the same step). A Redis failure is ``Unavailable``,
as for the rest of the live index."""

from __future__ import annotations

from datetime import datetime

from logistics.domain.telemetry import epoch_ms
from logistics.geo import scripts
from logistics.geo.live_index import LiveIndex


class RedisOfferLedger:
    """Implements ``services.dispatch.offers.OfferLedger`` on the live index's Redis."""

    def __init__(self, index: LiveIndex) -> None:
        self._prefix = index.prefix
        self._claim = index.script(scripts.OFFER_CLAIM)
        self._resolve = index.script(scripts.OFFER_RESOLVE)
        self._rider = index.script(scripts.OFFER_RIDER)

    def _keys(self, tenant: str, rider_id: str, offer_id: str) -> list[str]:
        p = self._prefix(tenant)
        return [f"{p}r:{rider_id}", f"{p}o:{offer_id}"]

    async def claim(
        self,
        tenant: str,
        rider_id: str,
        offer_id: str,
        task_id: str,
        now: datetime,
        expire: datetime,
    ) -> bool:
        """Claims the rider for this offer unless it is busy or holds an open offer."""
        ok = await self._claim(
            keys=self._keys(tenant, rider_id, offer_id),
            args=[offer_id, task_id, epoch_ms(now), epoch_ms(expire), rider_id],
        )
        return bool(int(ok))

    async def resolve(
        self, tenant: str, offer_id: str, rider_id: str, state: str, now: datetime
    ) -> str:
        """Moves an open offer to ``state`` once; returns the offer's state after the call
        (``unknown`` for an offer never made or long gone)."""
        result = await self._resolve(
            keys=self._keys(tenant, rider_id, offer_id), args=[offer_id, state, epoch_ms(now)]
        )
        return _text(result) or "unknown"

    async def offer_of(self, tenant: str, offer_id: str) -> tuple[str, str] | None:
        """The rider the offer was made to and the task offered, while the offer is
        remembered."""
        rider, task = await self._rider(keys=[f"{self._prefix(tenant)}o:{offer_id}"], args=[])
        rider_id, task_name = _text(rider), _text(task)
        return None if rider_id is None or task_name is None else (rider_id, task_name)


def _text(value: object) -> str | None:
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else str(value)

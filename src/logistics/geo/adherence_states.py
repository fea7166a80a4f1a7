"""Each rider's off-route state in Redis (beside its fence states in the live index), so a
stream that reconnects to another replica neither repeats ``rider.off_route`` nor forgets
since when the rider has been off. Kept a day past its last change; losing it costs at most
a repeated or a late alert, never a business fact."""

from __future__ import annotations

import json

import redis.asyncio as aioredis

from logistics.domain.adherence import OffState
from logistics.geo.live_index import LiveIndex
from logistics.geo.redis_errors import redis_errors

TTL_S = 86_400


class AdherenceStates:
    def __init__(self, client: aioredis.Redis) -> None:
        self._redis = client

    @staticmethod
    def _key(tenant: str, rider_id: str) -> str:
        return f"{LiveIndex.prefix(tenant)}adh:{rider_id}"

    async def load(self, tenant: str, rider_id: str) -> tuple[str, OffState] | None:
        """The path key the state is about and the state; None when nothing is kept."""
        with redis_errors():
            raw = await self._redis.get(self._key(tenant, rider_id))
        if raw is None:
            return None
        try:
            d = json.loads(raw)
            return str(d["key"]), OffState(d["off"], bool(d["rep"]), float(d["max"]))
        except (ValueError, KeyError, TypeError):
            return None

    async def save(self, tenant: str, rider_id: str, key: str, state: OffState) -> None:
        value = {
            "key": key,
            "off": state.off_since_ms,
            "rep": state.reported,
            "max": round(state.max_off_m, 1),
        }
        with redis_errors():
            await self._redis.set(self._key(tenant, rider_id), json.dumps(value), ex=TTL_S)

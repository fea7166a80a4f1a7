"""An exhausted connection pool is an outage a caller can retry, not a hang or INTERNAL."""

from __future__ import annotations

import grpc
import pytest

from logistics.api.errors import to_status
from logistics.store.db import Database
from tests.support.servers import ServerUrls


async def test_a_call_that_cannot_get_a_connection_in_time_is_unavailable(
    server_urls: ServerUrls,
) -> None:
    db = await Database.connect(
        server_urls.database_url, role="logistics_app", min_size=1, max_size=1
    )
    db._acquire_timeout_s = 0.2  # the default is seconds; the rule is the same
    try:
        async with db.transaction():
            with pytest.raises(Exception) as raised:  # noqa: PT011 - whatever asyncpg raises
                async with db.transaction():
                    pass
        status = to_status(raised.value, "/bengobox.logistics.v1.FleetService/GetRider")
        assert status.grpc_code == grpc.StatusCode.UNAVAILABLE
        assert status.details[0].reason == "POSTGRES_UNAVAILABLE"  # type: ignore[attr-defined]
        async with db.transaction() as conn:  # the pool is usable again once one is returned
            assert await conn.fetchval("SELECT 1") == 1
    finally:
        await db.close()

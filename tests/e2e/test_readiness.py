"""/readyz on a real server whose Redis, then PostgreSQL, connection is cut by a TCP proxy."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from bengobox.logistics.v1 import fleet_connect, fleet_pb2

from tests.support.auth import token, unique_tenant
from tests.support.servers import ServerUrls, start_server, stop_server

pytestmark = pytest.mark.e2e


class Proxy:
    """A TCP proxy to one server that a test can cut, as a network partition would."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    def via(self, url: str) -> str:
        parts = urlsplit(url)
        auth = parts.netloc.rpartition("@")[0]
        netloc = f"{auth}@127.0.0.1:{self.port}" if auth else f"127.0.0.1:{self.port}"
        return urlunsplit(parts._replace(netloc=netloc))

    async def cut(self) -> None:
        """Refuses new connections and drops the open ones."""
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        self._writers |= {writer, up_writer}
        await asyncio.gather(_pump(reader, up_writer), _pump(up_reader, writer))


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(ConnectionError, OSError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.transport.abort()


def _address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    assert parts.hostname is not None
    assert parts.port is not None
    return parts.hostname, parts.port


@pytest.fixture
async def proxies(server_urls: ServerUrls) -> AsyncIterator[dict[str, Proxy]]:
    found = {
        "postgres": Proxy(_address(server_urls.database_url)),
        "redis": Proxy(_address(server_urls.redis_url)),
    }
    for proxy in found.values():
        await proxy.start()
    yield found
    for proxy in found.values():
        await proxy.cut()


async def ready(http_url: str) -> tuple[int, dict[str, object], str]:
    async with httpx.AsyncClient(base_url=http_url, timeout=10) as http:
        reply = await http.get("/readyz")
        metrics = (await http.get("/metrics")).text
    return reply.status_code, reply.json(), metrics


async def test_redis_loss_degrades_readiness_and_postgres_loss_fails_it(
    server_urls: ServerUrls, proxies: dict[str, Proxy], tmp_path: Path
) -> None:
    urls = ServerUrls(
        proxies["postgres"].via(server_urls.database_url),
        proxies["redis"].via(server_urls.redis_url),
        server_urls.nats_url,
    )
    server = await start_server(urls, tmp_path)
    try:
        status, body, metrics = await ready(server.http_url)
        assert (status, body["status"]) == (200, "ok")
        assert 'logistics_dependency_up{dependency="redis"} 1.0' in metrics

        await proxies["redis"].cut()
        status, body, metrics = await ready(server.http_url)
        assert (status, body["status"]) == (200, "degraded")
        checks = body["checks"]
        assert isinstance(checks, dict)
        assert checks["postgres"] == "ok"
        assert checks["nats"] == "ok"
        assert checks["redis"].startswith("error: ")
        assert 'logistics_dependency_up{dependency="redis"} 0.0' in metrics
        assert 'logistics_dependency_up{dependency="postgres"} 1.0' in metrics

        # What a degraded replica is kept in rotation for: writes to PostgreSQL go on.
        tenant = unique_tenant()
        rider = await fleet_connect.FleetServiceClient(server.http_url).create_rider(
            fleet_pb2.CreateRiderRequest(
                parent=f"tenants/{tenant}", rider=fleet_pb2.Rider(display_name="Wanjiku")
            ),
            headers={"authorization": f"Bearer {token(tenant)}"},
        )
        assert rider.name.startswith(f"tenants/{tenant}/riders/")

        await proxies["postgres"].cut()
        status, body, metrics = await ready(server.http_url)
        assert (status, body["status"]) == (503, "unavailable")
        checks = body["checks"]
        assert isinstance(checks, dict)
        assert checks["postgres"].startswith("error: ")
        assert 'logistics_dependency_up{dependency="postgres"} 0.0' in metrics
    finally:
        stop_server(server)

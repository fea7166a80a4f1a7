"""The worker builds the same use cases as the server: a tenant it has never seen is looked up
through discovery before anything is stored, as on the server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import redis.asyncio as aioredis

from logistics.bootstrap import build_worker_graph
from logistics.config import Settings
from logistics.connections import WorkerConnections
from logistics.domain.errors import NotFound
from logistics.domain.ids import TenantSlug
from logistics.events.signing import generate_secret
from logistics.secrets_box import Keyring
from logistics.store.db import Database
from tests.support.auth import unique_tenant
from tests.support.servers import ServerUrls


@pytest.fixture
def origin_knowing_no_one() -> Iterator[tuple[str, list[str]]]:
    """A discovery origin that answers 404 to every lookup and records each request."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            seen.append(self.rfile.read(int(self.headers["Content-Length"])).decode())
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/lookup", seen
    finally:
        server.shutdown()
        server.server_close()


async def test_the_worker_asks_discovery_about_a_tenant_it_has_never_seen(
    database: Database,
    server_urls: ServerUrls,
    keyring: Keyring,
    origin_knowing_no_one: tuple[str, list[str]],
) -> None:
    url, seen = origin_knowing_no_one
    settings = Settings(
        database_url=server_urls.database_url,
        redis_url=server_urls.redis_url,
        nats_url=server_urls.nats_url,
        discovery_url=url,
        discovery_secrets=(generate_secret(),),
        secrets_keys=keyring,
    )
    redis = aioredis.from_url(server_urls.redis_url)
    graph = build_worker_graph(settings, WorkerConnections(database, redis))
    tenant = TenantSlug(unique_tenant())
    try:
        with pytest.raises(NotFound):
            await graph.core.store.tenants.ensure(tenant)
    finally:
        await graph.aclose()
        await redis.aclose()

    assert len(seen) == 1
    assert tenant in seen[0]
    assert await graph.core.store.tenants.find(tenant) is None

"""The nearest-rider benchmark writes its 100,000 riders straight into Redis; its format probe
must agree with what the service's own live-index calls leave (bench/nearest.py)."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from types import ModuleType

import pytest
import redis.asyncio as aioredis

from tests.support.servers import ServerUrls

BENCH = Path(__file__).resolve().parents[2] / "bench" / "nearest.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    sys.path.insert(0, str(BENCH.parent))
    spec = importlib.util.spec_from_file_location("bench_nearest", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
async def client(server_urls: ServerUrls) -> AsyncIterator[aioredis.Redis]:
    redis_client = aioredis.from_url(server_urls.redis_url)
    yield redis_client
    await redis_client.aclose()


async def test_the_benchmark_writes_riders_as_the_live_index_does(
    bench: ModuleType, client: aioredis.Redis
) -> None:
    await bench.check_format(client, 9)  # raises SystemExit when the two differ

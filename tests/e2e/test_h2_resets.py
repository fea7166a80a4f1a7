"""HTTP/2 (h2c) clients that reset or keep sending on streams the server has ended.

Run on the real HTTP listener with the h2 library, frame by frame, because the failure is a
race between frames of one connection: see ``logistics.api.h2_streams``.
"""

from __future__ import annotations

import asyncio
import json
import struct
from collections.abc import Callable

import h2.config
import h2.connection
import h2.errors
import h2.events
import pytest

from tests.support.auth import token, unique_tenant
from tests.support.servers import RunningServer

pytestmark = pytest.mark.e2e

LIST_RIDERS = "/bengobox.logistics.v1.FleetService/ListRiders"
SUBSCRIBE_FLEET = "/bengobox.logistics.v1.TelemetryService/SubscribeFleet"


class H2Client:
    """One prior-knowledge h2c connection driven by hand."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.h2 = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
        self.events: list[h2.events.Event] = []

    @classmethod
    async def open(cls, http_url: str) -> H2Client:
        host, port = http_url.removeprefix("http://").split(":")
        client = cls(*await asyncio.open_connection(host, int(port)))
        client.h2.initiate_connection()
        await client.flush()
        return client

    async def flush(self) -> None:
        self.writer.write(self.h2.data_to_send())
        await self.writer.drain()

    def start(self, path: str, tenant: str, content_type: str = "application/json") -> int:
        stream_id = self.h2.get_next_available_stream_id()
        self.h2.send_headers(
            stream_id,
            [
                (":method", "POST"),
                (":scheme", "http"),
                (":authority", "logistics"),
                (":path", path),
                ("content-type", content_type),
                ("authorization", f"Bearer {token(tenant)}"),
            ],
        )
        return stream_id

    async def until(self, done: Callable[[h2.events.Event], bool]) -> None:
        """Reads frames until an event satisfies ``done``; fails if the connection ends first."""
        async with asyncio.timeout(5):
            while True:
                data = await self.reader.read(65536)
                assert data, f"the server closed the connection; events: {self.events}"
                for event in self.h2.receive_data(data):
                    self.events.append(event)
                    if isinstance(event, h2.events.DataReceived):
                        self.h2.acknowledge_received_data(
                            event.flow_controlled_length, event.stream_id
                        )
                    if isinstance(event, h2.events.ConnectionTerminated):
                        raise AssertionError(f"GOAWAY: {event}")
                    if done(event):
                        await self.flush()
                        return
                await self.flush()

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


def ended(stream_id: int) -> Callable[[h2.events.Event], bool]:
    return lambda e: isinstance(e, h2.events.StreamEnded) and e.stream_id == stream_id


def data_on(stream_id: int) -> Callable[[h2.events.Event], bool]:
    return lambda e: isinstance(e, h2.events.DataReceived) and e.stream_id == stream_id and e.data


def subscription(tenant: str) -> bytes:
    corner = {"southWest": {"latitude": -1.3, "longitude": 36.8}}
    corner["northEast"] = {"latitude": -1.2, "longitude": 36.9}
    message = json.dumps({"parent": f"tenants/{tenant}", "subscription": {"boundingBox": corner}})
    return struct.pack(">BI", 0, len(message)) + message.encode()


async def test_resetting_streams_the_server_answered_early_keeps_the_connection_serving(
    server: RunningServer,
) -> None:
    tenant = unique_tenant()
    log_start = server.log_path.stat().st_size
    client = await H2Client.open(server.http_url)
    try:
        # A live view on the connection, which must outlive what its neighbours do.
        view = client.start(SUBSCRIBE_FLEET, tenant, "application/connect+json")
        client.h2.send_data(view, subscription(tenant), end_stream=True)
        await client.flush()
        await client.until(data_on(view))

        # Answered before the body is complete (here a 404); the client goes on sending,
        # then gives up on the stream.
        early = client.start("/no/such/route", tenant)
        client.h2.send_data(early, b"{")
        await client.flush()
        await client.until(ended(early))
        client.h2.send_data(early, b'"more": "body"}')
        client.h2.reset_stream(early, h2.errors.ErrorCodes.CANCEL)
        await client.flush()

        # A unary call reset mid-body, and the live view reset while it streams.
        unary = client.start(LIST_RIDERS, tenant)
        client.h2.send_data(unary, b'{"parent":')
        client.h2.reset_stream(unary, h2.errors.ErrorCodes.CANCEL)
        client.h2.reset_stream(view, h2.errors.ErrorCodes.CANCEL)
        await client.flush()

        # The same connection still answers.
        again = client.start(LIST_RIDERS, tenant)
        client.h2.send_data(again, json.dumps({"parent": f"tenants/{tenant}"}).encode(), True)
        await client.flush()
        await client.until(ended(again))
        statuses = [
            dict(e.headers)[b":status"]
            for e in client.events
            if isinstance(e, h2.events.ResponseReceived) and e.stream_id == again
        ]
        assert statuses == [b"200"]
    finally:
        await client.close()

    await asyncio.sleep(0.3)  # the server logs what the resets caused
    log = server.log_path.read_bytes()[log_start:].decode()
    assert "Traceback" not in log
    assert "KeyError" not in log
    assert '"level": "ERROR"' not in log

"""WebhookService end to end: the real server over gRPC (and Connect), and a signed event reaching
a real receiver. The test server runs no workers, so the delivery worker runs here, in the test
process, against the server's database. The shared server refuses internal webhook URLs (the
default); a second one, started with LOGISTICS_ALLOW_PRIVATE_TARGETS, takes the receiver's
127.0.0.1 URL, and the worker gets the same allowance."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator

import grpc
import pytest
from bengobox.logistics.v1 import (
    fleet_pb2,
    fleet_pb2_grpc,
    webhook_connect,
    webhook_pb2,
    webhook_pb2_grpc,
)
from connectrpc.code import Code
from connectrpc.errors import ConnectError
from google.protobuf import duration_pb2, field_mask_pb2

from logistics.secrets_box import Keyring
from logistics.store.db import Database
from tests.support.auth import auth, headers, unique_tenant
from tests.support.errors import details
from tests.support.servers import RunningServer, ServerUrls, server_in_process
from tests.support.waiting import eventually
from tests.support.webhooks import FAST, Receiver, worker

pytestmark = pytest.mark.e2e

Hook = webhook_pb2.Webhook


def bad_fields(error: grpc.aio.AioRpcError) -> set[str]:
    return details(error)[1]


@pytest.fixture
def hooks(grpc_channel: grpc.aio.Channel) -> webhook_pb2_grpc.WebhookServiceStub:
    return webhook_pb2_grpc.WebhookServiceStub(grpc_channel)


@pytest.fixture(scope="module")
async def lenient_hooks(
    server_urls: ServerUrls,
) -> AsyncIterator[webhook_pb2_grpc.WebhookServiceStub]:
    """The WebhookService of a server that allows private targets (development)."""
    async with (
        server_in_process(server_urls, LOGISTICS_ALLOW_PRIVATE_TARGETS="true") as running,
        grpc.aio.insecure_channel(running.grpc_target) as channel,
    ):
        yield webhook_pb2_grpc.WebhookServiceStub(channel)


@pytest.fixture
async def delivery_worker(database: Database, keyring: Keyring) -> AsyncIterator[None]:
    async with worker(database, dataclasses.replace(FAST, timeout_s=2), keyring):
        yield


async def create(
    hooks: webhook_pb2_grpc.WebhookServiceStub, tenant: str, url: str, *types: str
) -> Hook:
    made: Hook = await hooks.CreateWebhook(
        webhook_pb2.CreateWebhookRequest(
            parent=f"tenants/{tenant}", webhook=Hook(url=url, event_types=list(types))
        ),
        metadata=auth(tenant),
    )
    return made


async def test_webhooks_are_created_read_updated_rotated_and_deleted_and_the_secret_shown_once(
    hooks: webhook_pb2_grpc.WebhookServiceStub,
) -> None:
    tenant = unique_tenant()
    created = await create(hooks, tenant, "https://hooks.example.com/in", "task.*")
    assert created.name.startswith(f"tenants/{tenant}/webhooks/")
    assert created.secret.startswith("whsec_")
    assert created.retry_window.seconds == 24 * 3600
    assert list(created.event_types) == ["task.*"]

    got = await hooks.GetWebhook(
        webhook_pb2.GetWebhookRequest(name=created.name), metadata=auth(tenant)
    )
    assert got.secret == ""
    assert got.url == "https://hooks.example.com/in"
    listed = await hooks.ListWebhooks(
        webhook_pb2.ListWebhooksRequest(parent=f"tenants/{tenant}"), metadata=auth(tenant)
    )
    assert [w.name for w in listed.webhooks] == [created.name]
    assert all(w.secret == "" for w in listed.webhooks)

    updated = await hooks.UpdateWebhook(
        webhook_pb2.UpdateWebhookRequest(
            webhook=Hook(
                name=created.name,
                event_types=["task.completed", "rider.*"],
                retry_window=duration_pb2.Duration(seconds=3600),
                etag=got.etag,
            ),
            update_mask=field_mask_pb2.FieldMask(paths=["event_types", "retry_window"]),
        ),
        metadata=auth(tenant),
    )
    assert list(updated.event_types) == ["task.completed", "rider.*"]
    assert updated.retry_window.seconds == 3600
    assert updated.url == got.url
    assert updated.secret == ""
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await hooks.UpdateWebhook(
            webhook_pb2.UpdateWebhookRequest(
                webhook=Hook(name=created.name, disabled=True, etag=got.etag),
                update_mask=field_mask_pb2.FieldMask(paths=["disabled"]),
            ),
            metadata=auth(tenant),
        )
    assert caught.value.code() == grpc.StatusCode.ABORTED

    rotated = await hooks.RotateWebhookSecret(
        webhook_pb2.RotateWebhookSecretRequest(name=created.name), metadata=auth(tenant)
    )
    assert rotated.secret.startswith("whsec_")
    assert rotated.secret != created.secret

    await hooks.DeleteWebhook(
        webhook_pb2.DeleteWebhookRequest(name=created.name), metadata=auth(tenant)
    )
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await hooks.GetWebhook(
            webhook_pb2.GetWebhookRequest(name=created.name), metadata=auth(tenant)
        )
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND


async def test_a_retried_create_returns_the_same_webhook_and_secret(
    hooks: webhook_pb2_grpc.WebhookServiceStub,
) -> None:
    tenant = unique_tenant()
    request = webhook_pb2.CreateWebhookRequest(
        parent=f"tenants/{tenant}",
        webhook=Hook(url="https://hooks.example.com/x"),
        request_id="hook-1",
    )
    first = await hooks.CreateWebhook(request, metadata=auth(tenant))
    again = await hooks.CreateWebhook(request, metadata=auth(tenant))
    assert (again.name, again.secret) == (first.name, first.secret)


@pytest.mark.parametrize(
    ("url", "types", "field"),
    [
        ("http://hooks.example.com/in", [], "webhook.url"),  # http only for localhost
        ("http://localhost:9/in", [], "webhook.url"),  # and only with private targets allowed
        ("https://127.0.0.1/in", [], "webhook.url"),
        ("https://10.0.0.1/in", [], "webhook.url"),
        ("https://169.254.169.254/latest/meta-data/", [], "webhook.url"),
        ("https://[::ffff:127.0.0.1]/in", [], "webhook.url"),
        ("https://metadata.google.internal/", [], "webhook.url"),
        ("ftp://hooks.example.com/in", [], "webhook.url"),
        ("https://user:pw@hooks.example.com/in", [], "webhook.url"),
        ("", [], "webhook.url"),
        ("https://hooks.example.com/in", ["task"], "webhook.event_types[0]"),
        ("https://hooks.example.com/in", ["task.created", "*"], "webhook.event_types[1]"),
    ],
)
async def test_a_bad_url_or_event_type_is_invalid_argument_naming_the_field(
    hooks: webhook_pb2_grpc.WebhookServiceStub, url: str, types: list[str], field: str
) -> None:
    tenant = unique_tenant()
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await create(hooks, tenant, url, *types)
    assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert bad_fields(caught.value) == {field}


async def test_webhooks_need_the_admin_scope_even_to_read(
    hooks: webhook_pb2_grpc.WebhookServiceStub,
) -> None:
    tenant = unique_tenant()
    made = await create(hooks, tenant, "https://hooks.example.com/in")
    read_only = auth(tenant, ["logistics:read", "logistics:dispatch"])
    for call in (
        hooks.CreateWebhook(
            webhook_pb2.CreateWebhookRequest(
                parent=f"tenants/{tenant}", webhook=Hook(url="https://hooks.example.com/2")
            ),
            metadata=read_only,
        ),
        hooks.GetWebhook(webhook_pb2.GetWebhookRequest(name=made.name), metadata=read_only),
        hooks.ListDeliveries(
            webhook_pb2.ListDeliveriesRequest(parent=made.name), metadata=read_only
        ),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await call
        assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
    with pytest.raises(grpc.aio.AioRpcError) as caught:  # another tenant's webhook
        await hooks.GetWebhook(
            webhook_pb2.GetWebhookRequest(name=made.name), metadata=auth(unique_tenant())
        )
    assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED


async def test_the_same_handler_answers_over_connect(server: RunningServer) -> None:
    tenant = unique_tenant()
    client = webhook_connect.WebhookServiceClient(server.http_url)
    caller = headers(tenant)
    made = await client.create_webhook(
        webhook_pb2.CreateWebhookRequest(
            parent=f"tenants/{tenant}", webhook=Hook(url="https://hooks.example.com/connect")
        ),
        headers=caller,
    )
    assert made.secret.startswith("whsec_")
    got = await client.get_webhook(webhook_pb2.GetWebhookRequest(name=made.name), headers=caller)
    assert (got.url, got.secret) == ("https://hooks.example.com/connect", "")
    with pytest.raises(ConnectError) as caught:
        await client.replay_deliveries(
            webhook_pb2.ReplayDeliveriesRequest(
                parent=made.name,
                # a delivery of another webhook
                deliveries=[f"tenants/{tenant}/webhooks/{uuid.uuid4()}/deliveries/{uuid.uuid4()}"],
            ),
            headers=caller,
        )
    assert caught.value.code == Code.INVALID_ARGUMENT


async def test_a_new_rider_reaches_a_subscribed_receiver_as_a_signed_event(
    grpc_channel: grpc.aio.Channel,
    lenient_hooks: webhook_pb2_grpc.WebhookServiceStub,
    delivery_worker: None,
) -> None:
    tenant = unique_tenant()
    hooks = lenient_hooks
    with Receiver().running() as receiver:
        hook = await create(hooks, tenant, receiver.url, "rider.*")
        receiver.secrets["current"] = hook.secret
        fleet = fleet_pb2_grpc.FleetServiceStub(grpc_channel)
        rider = await fleet.CreateRider(
            fleet_pb2.CreateRiderRequest(
                parent=f"tenants/{tenant}", rider=fleet_pb2.Rider(display_name="Amina")
            ),
            metadata=auth(tenant),
        )
        await eventually(lambda: receiver.requests)

        async def delivered() -> list[webhook_pb2.Delivery]:
            listed = await hooks.ListDeliveries(
                webhook_pb2.ListDeliveriesRequest(
                    parent=hook.name, state=webhook_pb2.Delivery.STATE_DELIVERED
                ),
                metadata=auth(tenant),
            )
            return list(listed.deliveries)

        deliveries = await eventually(delivered)
        await hooks.DeleteWebhook(
            webhook_pb2.DeleteWebhookRequest(name=hook.name), metadata=auth(tenant)
        )

    [received] = receiver.requests
    assert received.verified_by == {"current"}
    event = received.event
    assert event["type"] == "rider.created"
    assert event["tenant"] == tenant
    assert event["resource"] == rider.name
    assert received.webhook_id == event["id"]
    [delivery] = deliveries
    assert delivery.event_id == event["id"]
    assert delivery.event_type == "rider.created"
    assert delivery.attempts == 1
    assert delivery.last_status == 200
    assert delivery.name.startswith(f"{hook.name}/deliveries/")

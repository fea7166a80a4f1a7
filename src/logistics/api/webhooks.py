"""WebhookService on both listeners: parse the request, call the use case, render the result."""

from __future__ import annotations

import uuid
from typing import Any

from bengobox.logistics.v1 import webhook_connect, webhook_pb2
from google.protobuf import empty_pb2

from logistics.api.convert_common import enum_from_proto, optional
from logistics.api.convert_webhooks import (
    DELIVERY_STATES,
    delivery_to_proto,
    optional_duration,
    webhook_changes,
    webhook_from_proto,
    webhook_to_proto,
)
from logistics.api.edge import current_caller
from logistics.api.paging import encode_token, page_request
from logistics.domain.errors import InvalidArgument
from logistics.domain.ids import ResourceName, parse_parent
from logistics.domain.names import DELIVERIES, WEBHOOKS
from logistics.domain.text import shown
from logistics.services.webhooks import WebhookService

Ctx = Any  # a connect RequestContext or a grpc ServicerContext; handlers do not use it


def _required(present: bool, field: str) -> None:
    if not present:
        raise InvalidArgument.field(field, "is required")


def _delivery_ids(webhook: ResourceName, names: list[str]) -> list[uuid.UUID]:
    ids = []
    for i, name in enumerate(names):
        field = f"deliveries[{i}]"
        parsed = DELIVERIES.parse(name, field)
        if parsed.parent != webhook:
            raise InvalidArgument.field(field, f"{shown(name)} is not a delivery of {webhook}")
        ids.append(parsed.id)
    return ids


class WebhookHandler(webhook_connect.WebhookService):
    """Every WebhookService method, on both listeners."""

    def __init__(self, webhooks: WebhookService) -> None:
        self._webhooks = webhooks

    async def create_webhook(
        self, request: webhook_pb2.CreateWebhookRequest, ctx: Ctx
    ) -> webhook_pb2.Webhook:
        tenant = parse_parent(request.parent)
        _required(request.HasField("webhook"), "webhook")
        created = await self._webhooks.create(
            current_caller(),
            tenant,
            webhook_from_proto(request.webhook),
            optional(request.request_id),
        )
        return webhook_to_proto(tenant, created, with_secret=True)

    async def get_webhook(
        self, request: webhook_pb2.GetWebhookRequest, ctx: Ctx
    ) -> webhook_pb2.Webhook:
        name = WEBHOOKS.parse(request.name)
        return webhook_to_proto(name.tenant, await self._webhooks.get(current_caller(), name))

    async def list_webhooks(
        self, request: webhook_pb2.ListWebhooksRequest, ctx: Ctx
    ) -> webhook_pb2.ListWebhooksResponse:
        tenant = parse_parent(request.parent)
        filters = ("webhooks", tenant)
        page = await self._webhooks.list(
            current_caller(), tenant, page_request(request.page_size, request.page_token, filters)
        )
        return webhook_pb2.ListWebhooksResponse(
            webhooks=[webhook_to_proto(tenant, w) for w in page.items],
            next_page_token=encode_token(page.next, filters),
        )

    async def update_webhook(
        self, request: webhook_pb2.UpdateWebhookRequest, ctx: Ctx
    ) -> webhook_pb2.Webhook:
        _required(request.HasField("webhook"), "webhook")
        name = WEBHOOKS.parse(request.webhook.name, "webhook.name")
        updated = await self._webhooks.update(
            current_caller(),
            name,
            webhook_changes(request.webhook, list(request.update_mask.paths)),
            optional(request.webhook.etag),
        )
        return webhook_to_proto(name.tenant, updated)

    async def delete_webhook(
        self, request: webhook_pb2.DeleteWebhookRequest, ctx: Ctx
    ) -> empty_pb2.Empty:
        name = WEBHOOKS.parse(request.name)
        await self._webhooks.delete(current_caller(), name, optional(request.etag))
        return empty_pb2.Empty()

    async def rotate_webhook_secret(
        self, request: webhook_pb2.RotateWebhookSecretRequest, ctx: Ctx
    ) -> webhook_pb2.Webhook:
        name = WEBHOOKS.parse(request.name)
        overlap = optional_duration(request, "overlap", "overlap")
        rotated = await self._webhooks.rotate_secret(current_caller(), name, overlap)
        return webhook_to_proto(name.tenant, rotated, with_secret=True)

    async def list_deliveries(
        self, request: webhook_pb2.ListDeliveriesRequest, ctx: Ctx
    ) -> webhook_pb2.ListDeliveriesResponse:
        webhook = WEBHOOKS.parse(request.parent, "parent")
        state = enum_from_proto(request.state, DELIVERY_STATES, "state")
        filters = ("deliveries", str(webhook), state)
        page = await self._webhooks.list_deliveries(
            current_caller(),
            webhook,
            page_request(request.page_size, request.page_token, filters),
            state,
        )
        return webhook_pb2.ListDeliveriesResponse(
            deliveries=[delivery_to_proto(webhook.tenant, d) for d in page.items],
            next_page_token=encode_token(page.next, filters),
        )

    async def replay_deliveries(
        self, request: webhook_pb2.ReplayDeliveriesRequest, ctx: Ctx
    ) -> webhook_pb2.ReplayDeliveriesResponse:
        webhook = WEBHOOKS.parse(request.parent, "parent")
        ids = _delivery_ids(webhook, list(request.deliveries))
        replayed = await self._webhooks.replay(current_caller(), webhook, ids)
        return webhook_pb2.ReplayDeliveriesResponse(replayed=replayed)

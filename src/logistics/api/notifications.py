"""NotificationRuleService on both listeners: parse the request, call the use case, render
the result."""

from __future__ import annotations

from typing import Any

from bengobox.logistics.v1 import notification_connect, notification_pb2
from google.protobuf import empty_pb2

from logistics.api.convert_common import optional
from logistics.api.convert_notifications import rule_changes, rule_from_proto, rule_to_proto
from logistics.api.edge import current_caller
from logistics.api.paging import encode_token, page_request
from logistics.domain.errors import InvalidArgument
from logistics.domain.ids import parse_parent
from logistics.domain.names import NOTIFICATION_RULES
from logistics.services.notifications import NotificationRules

Ctx = Any  # a connect RequestContext or a grpc ServicerContext; handlers do not use it
pb = notification_pb2


class NotificationRuleHandler(notification_connect.NotificationRuleService):
    """Every NotificationRuleService method, on both listeners."""

    def __init__(self, rules: NotificationRules) -> None:
        self._rules = rules

    async def create_notification_rule(
        self, request: pb.CreateNotificationRuleRequest, ctx: Ctx
    ) -> pb.NotificationRule:
        tenant = parse_parent(request.parent)
        if not request.HasField("notification_rule"):
            raise InvalidArgument.field("notification_rule", "is required")
        created = await self._rules.create(
            current_caller(),
            tenant,
            rule_from_proto(request.notification_rule),
            optional(request.request_id),
        )
        return rule_to_proto(tenant, created)

    async def get_notification_rule(
        self, request: pb.GetNotificationRuleRequest, ctx: Ctx
    ) -> pb.NotificationRule:
        name = NOTIFICATION_RULES.parse(request.name)
        return rule_to_proto(name.tenant, await self._rules.get(current_caller(), name))

    async def list_notification_rules(
        self, request: pb.ListNotificationRulesRequest, ctx: Ctx
    ) -> pb.ListNotificationRulesResponse:
        tenant = parse_parent(request.parent)
        filters = ("notificationRules", tenant)
        page = await self._rules.list_rules(
            current_caller(), tenant, page_request(request.page_size, request.page_token, filters)
        )
        return pb.ListNotificationRulesResponse(
            notification_rules=[rule_to_proto(tenant, r) for r in page.items],
            next_page_token=encode_token(page.next, filters),
        )

    async def update_notification_rule(
        self, request: pb.UpdateNotificationRuleRequest, ctx: Ctx
    ) -> pb.NotificationRule:
        if not request.HasField("notification_rule"):
            raise InvalidArgument.field("notification_rule", "is required")
        msg = request.notification_rule
        name = NOTIFICATION_RULES.parse(msg.name, "notification_rule.name")
        updated = await self._rules.update(
            current_caller(),
            name,
            rule_changes(msg, list(request.update_mask.paths)),
            optional(msg.etag),
        )
        return rule_to_proto(name.tenant, updated)

    async def delete_notification_rule(
        self, request: pb.DeleteNotificationRuleRequest, ctx: Ctx
    ) -> empty_pb2.Empty:
        name = NOTIFICATION_RULES.parse(request.name)
        await self._rules.delete(current_caller(), name, optional(request.etag))
        return empty_pb2.Empty()

"""SQL for the tenant's failed-delivery policy (what a failed drop-off does, per reason)."""

from __future__ import annotations

import dataclasses
from typing import Any

from logistics.domain.failed_delivery import (
    FailAction,
    FailedDeliveryPolicy,
    FailReason,
    FailRule,
    Hub,
)
from logistics.domain.ids import TenantId
from logistics.store.db import Connection


def _rule_json(rule: FailRule) -> dict[str, Any]:
    return {
        "action": rule.action.value,
        "max_attempts": rule.max_attempts,
        "fallback": rule.fallback.value,
        "hub": dataclasses.asdict(rule.hub) if rule.hub is not None else None,
    }


def _rule(d: dict[str, Any]) -> FailRule:
    hub = d.get("hub")
    return FailRule(
        action=FailAction(d["action"]),
        max_attempts=d.get("max_attempts", 1),
        fallback=FailAction(d.get("fallback", FailAction.RETURN_TO_ORIGIN)),
        hub=Hub(**hub) if hub else None,
    )


class FailedDeliveryPolicyRepository:
    def __init__(self, conn: Connection, tenant_id: TenantId) -> None:
        self._conn = conn
        self._tenant_id = tenant_id

    async def get(self) -> FailedDeliveryPolicy:
        row = await self._conn.fetchrow("SELECT * FROM failed_delivery_policies")
        if row is None:
            return FailedDeliveryPolicy()
        rules = {FailReason(k): _rule(v) for k, v in row["rules"].items()}
        return FailedDeliveryPolicy(rules, row["update_time"], row["version"])

    async def put(self, policy: FailedDeliveryPolicy) -> FailedDeliveryPolicy:
        rules = {r.value: _rule_json(policy.rule(r)) for r in FailReason}
        await self._conn.execute(
            """INSERT INTO failed_delivery_policies (tenant_id, rules) VALUES ($1, $2)
               ON CONFLICT (tenant_id) DO UPDATE SET rules = EXCLUDED.rules,
                   update_time = now(), version = failed_delivery_policies.version + 1""",
            self._tenant_id,
            rules,
        )
        return await self.get()

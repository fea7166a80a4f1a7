"""SQL for a tenant's notification rules, its notification requests (the de-duplication and
rate-limit record) and the started tasks watched for the ETA and arrival triggers."""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from logistics.domain.errors import AlreadyExists
from logistics.domain.ids import TenantId
from logistics.domain.notifications import (
    Channel,
    NotificationRule,
    QuietHours,
    QuietMode,
    Recipient,
    RequestRecord,
    Trigger,
)
from logistics.domain.paging import Page, PageRequest
from logistics.store.db import Connection
from logistics.store.paging import keyset_clause, page_of

_RULE_VALUES = (
    "display_name, trigger, recipient, channel, template_id, eta_threshold_s, within_m, "
    "quiet_start_minute, quiet_end_minute, quiet_mode, time_zone"
)


def _rule(row: asyncpg.Record) -> NotificationRule:
    quiet = None
    if row["quiet_start_minute"] is not None:
        quiet = QuietHours(
            row["quiet_start_minute"], row["quiet_end_minute"], QuietMode(row["quiet_mode"])
        )
    eta = row["eta_threshold_s"]
    return NotificationRule(
        id=row["id"],
        trigger=Trigger(row["trigger"]),
        recipient=Recipient(row["recipient"]),
        channel=Channel(row["channel"]),
        template_id=row["template_id"],
        display_name=row["display_name"],
        eta_threshold=timedelta(seconds=eta) if eta is not None else None,
        within_m=row["within_m"],
        quiet_hours=quiet,
        time_zone=row["time_zone"],
        create_time=row["create_time"],
        update_time=row["update_time"],
        version=row["version"],
    )


def _values(rule: NotificationRule) -> tuple[Any, ...]:
    quiet = rule.quiet_hours
    return (
        rule.display_name,
        rule.trigger.value,
        rule.recipient.value,
        rule.channel.value,
        rule.template_id,
        int(rule.eta_threshold.total_seconds()) if rule.eta_threshold is not None else None,
        rule.within_m,
        quiet.start_minute if quiet else None,
        quiet.end_minute if quiet else None,
        quiet.mode.value if quiet else QuietMode.DEFER.value,
        rule.time_zone,
    )


def _taken(exc: asyncpg.UniqueViolationError) -> AlreadyExists:
    return AlreadyExists(
        "the tenant already has a notification rule for this trigger, recipient and channel",
        reason="NOTIFICATION_RULE_EXISTS",
    )


class NotificationRuleRepository:
    def __init__(self, conn: Connection, tenant_id: TenantId) -> None:
        self._conn = conn
        self._tenant_id = tenant_id

    async def add(self, rule: NotificationRule) -> NotificationRule:
        try:
            row = await self._conn.fetchrow(
                f"""INSERT INTO notification_rules (tenant_id, id, {_RULE_VALUES})
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
                    RETURNING *""",
                self._tenant_id,
                rule.id,
                *_values(rule),
            )
        except asyncpg.UniqueViolationError as exc:
            raise _taken(exc) from exc
        return _rule(row)

    async def get(self, rule_id: uuid.UUID, *, for_update: bool = False) -> NotificationRule | None:
        lock = " FOR UPDATE" if for_update else ""
        row = await self._conn.fetchrow(
            f"SELECT * FROM notification_rules WHERE id = $1 AND delete_time IS NULL{lock}",
            rule_id,
        )
        return _rule(row) if row else None

    async def list(self, page: PageRequest) -> Page[NotificationRule]:
        filters = ["delete_time IS NULL"]
        args: list[Any] = []
        rows = await self._conn.fetch(
            f"SELECT * FROM notification_rules {keyset_clause(filters, args, page)}", *args
        )
        return page_of(rows, page.size, _rule)

    async def update(self, rule: NotificationRule) -> NotificationRule:
        try:
            row = await self._conn.fetchrow(
                f"""UPDATE notification_rules SET ({_RULE_VALUES}) =
                        ($2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12),
                        update_time = now(), version = version + 1
                    WHERE id = $1 RETURNING *""",
                rule.id,
                *_values(rule),
            )
        except asyncpg.UniqueViolationError as exc:
            raise _taken(exc) from exc
        return _rule(row)

    async def live(self) -> builtins.list[NotificationRule]:
        rows = await self._conn.fetch(
            "SELECT * FROM notification_rules WHERE delete_time IS NULL ORDER BY create_time, id"
        )
        return [_rule(r) for r in rows]

    async def archive(self, rule_id: uuid.UUID) -> None:
        await self._conn.execute(
            """UPDATE notification_rules SET delete_time = now(), version = version + 1
               WHERE id = $1""",
            rule_id,
        )


class NotificationLog:
    """The tenant's notification requests and watched tasks, in a unit of work's transaction.
    Every statement names the tenant: the adapter runs it in worker transactions too, which
    see every tenant's rows of these tables."""

    def __init__(self, conn: Connection, tenant_id: TenantId) -> None:
        self._conn = conn
        self._tenant_id = tenant_id

    async def claim(self, task_id: uuid.UUID, trigger: str, recipient: str, channel: str) -> bool:
        """Whether this (task, trigger, recipient, channel) has no request yet; locks the key
        for this transaction, so a concurrent claim of it waits and then sees the row."""
        await self._conn.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
            f"{self._tenant_id}:notification:{task_id}:{trigger}:{recipient}:{channel}",
        )
        taken = await self._conn.fetchval(
            """SELECT true FROM notifications WHERE tenant_id = $5 AND task_id = $1
               AND trigger = $2 AND recipient = $3 AND channel = $4""",
            task_id,
            trigger,
            recipient,
            channel,
            self._tenant_id,
        )
        return not taken

    async def requested_since(self, recipient_key: str, since: datetime) -> int:
        """How many requests went to ``recipient_key`` after ``since``; locks the key for
        this transaction first, so two requests to one recipient are counted one by one."""
        await self._conn.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
            f"{self._tenant_id}:notify-recipient:{recipient_key}",
        )
        count: int = await self._conn.fetchval(
            """SELECT count(*) FROM notifications WHERE tenant_id = $3
               AND recipient_key = $1 AND state = 'requested' AND request_time > $2""",
            recipient_key,
            since,
            self._tenant_id,
        )
        return count

    async def add(self, request: RequestRecord, now: datetime) -> None:
        await self._conn.execute(
            """INSERT INTO notifications (tenant_id, id, task_id, rule_id, trigger, recipient,
                   channel, recipient_key, state, due_time, event, create_time, request_time)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)""",
            self._tenant_id,
            request.id,
            request.task_id,
            request.rule_id,
            request.trigger,
            request.recipient,
            request.channel,
            request.recipient_key,
            request.state,
            request.due_time,
            request.event,
            now,
            now if request.state == "requested" else None,
        )

    async def settle(self, request_id: uuid.UUID, state: str, now: datetime) -> None:
        """A deferred request released: requested (``request_time`` now) or rate limited."""
        await self._conn.execute(
            """UPDATE notifications SET state = $2, due_time = NULL,
                   request_time = CASE WHEN $2 = 'requested' THEN $3::timestamptz END
               WHERE tenant_id = $4 AND id = $1""",
            request_id,
            state,
            now,
            self._tenant_id,
        )

    async def watch(self, task_id: uuid.UUID, task: Mapping[str, Any]) -> None:
        """Watches a started task for the position triggers (``task``: its latest snapshot)."""
        await self._conn.execute(
            """INSERT INTO notification_watches (tenant_id, task_id, task) VALUES ($1, $2, $3)
               ON CONFLICT (tenant_id, task_id)
               DO UPDATE SET task = EXCLUDED.task, update_time = now()""",
            self._tenant_id,
            task_id,
            task,
        )

    async def unwatch(self, task_id: uuid.UUID) -> None:
        await self._conn.execute(
            "DELETE FROM notification_watches WHERE tenant_id = $1 AND task_id = $2",
            self._tenant_id,
            task_id,
        )

    async def refresh_watch(self, task_id: uuid.UUID, task: Mapping[str, Any]) -> None:
        """A watched task's newer snapshot; an unwatched task stays unwatched."""
        await self._conn.execute(
            """UPDATE notification_watches SET task = $2, update_time = now()
               WHERE tenant_id = $3 AND task_id = $1""",
            task_id,
            task,
            self._tenant_id,
        )

    async def fired(self, task_ids: Sequence[uuid.UUID]) -> set[tuple[uuid.UUID, str, str, str]]:
        """(task, trigger, recipient, channel) of every request of ``task_ids``."""
        rows = await self._conn.fetch(
            """SELECT task_id, trigger, recipient, channel FROM notifications
               WHERE tenant_id = $2 AND task_id = ANY($1::uuid[])""",
            list(task_ids),
            self._tenant_id,
        )
        return {(r["task_id"], r["trigger"], r["recipient"], r["channel"]) for r in rows}

    async def outlet_zones(self, outlet_ids: Sequence[str]) -> dict[str, str]:
        """The time zones of the outlets that have one."""
        rows = await self._conn.fetch(
            """SELECT id, time_zone FROM outlets
               WHERE tenant_id = $2 AND id = ANY($1::text[]) AND time_zone <> ''""",
            list(outlet_ids),
            self._tenant_id,
        )
        return {r["id"]: r["time_zone"] for r in rows}

"""SQL for webhooks: a tenant's subscriptions (``WebhookRepository``), their sealed signing
secrets, and the cross-tenant queue the delivery worker works from (``DeliveryQueue``: fan-out
of outbox events, claims of due deliveries, their outcomes).

The values they read and write are in ``domain.webhooks`` and ``domain.fanout``.
"""

from logistics.store.webhooks.fanout import FanoutResult
from logistics.store.webhooks.queue import DeliveryJob, DeliveryQueue
from logistics.store.webhooks.repo import WebhookRepository

__all__ = ["DeliveryJob", "DeliveryQueue", "FanoutResult", "WebhookRepository"]

"""The old home of ``WebhookRepository``, now ``store.webhooks``: kept only for
``services/webhooks.py``, which is being converted to the CRUD helpers on another branch; that
change imports from ``logistics.store.webhooks`` and deletes this module."""

from logistics.store.webhooks import WebhookRepository

__all__ = ["WebhookRepository"]

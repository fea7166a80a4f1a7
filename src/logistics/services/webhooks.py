"""Webhook use cases: a tenant's subscriptions (URL, event types, signing secrets), secret
rotation, and its deliveries (listing dead letters, replaying them). Everything needs
``logistics:admin``: a webhook's URL, secrets and deliveries are the tenant's configuration.

Secrets are made here (``whsec_``, Standard Webhooks) and shown once: on create (and on a
retried create with the same ``request_id``) and on rotation; never on Get or List, in the
audit log or in events. At rest they are sealed with the keyring (``store/webhooks/secrets``).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from logistics.domain.caller import Caller, Scope
from logistics.domain.clock import Clock
from logistics.domain.errors import FailedPrecondition, FieldViolation, InvalidArgument
from logistics.domain.events import (
    SecretShown,
    WebhookCreated,
    WebhookDeleted,
    WebhookSecretRotated,
    WebhookShown,
    WebhookUpdated,
    is_pattern,
)
from logistics.domain.ids import ResourceName, TenantSlug
from logistics.domain.names import DELIVERIES, WEBHOOKS
from logistics.domain.paging import Page, PageRequest
from logistics.domain.text import shown
from logistics.domain.webhook_secrets import generate_secret
from logistics.domain.webhooks import Delivery, DeliveryState, SigningSecret, Webhook
from logistics.net.addresses import host_problem
from logistics.secrets_box import Keyring
from logistics.services import crud
from logistics.store.snapshot import snapshot
from logistics.store.unit_of_work import Store

__all__ = [
    "DEFAULT_OVERLAP",
    "DEFAULT_RETRY_WINDOW",
    "WEBHOOK_UPDATABLE",
    "Delivery",
    "DeliveryState",
    "Webhook",
    "WebhookService",
    "WebhookSpec",
    "validate_webhook",
]

DEFAULT_RETRY_WINDOW = timedelta(hours=24)
MIN_RETRY_WINDOW = timedelta(seconds=1)
MAX_RETRY_WINDOW = timedelta(days=7)  # the outbox keeps events this long (the relay's purge)
DEFAULT_OVERLAP = timedelta(hours=24)
MAX_OVERLAP = timedelta(days=7)
MAX_EVENT_TYPES = 50
MAX_URL_LENGTH = 2048
MAX_DESCRIPTION = 500
MAX_REPLAY = 1000
WEBHOOK_UPDATABLE = frozenset({"url", "event_types", "disabled", "retry_window", "description"})

_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


@dataclass(frozen=True)
class WebhookSpec:
    """What a client asks for when it creates a webhook (and what its request_id covers)."""

    id: uuid.UUID
    url: str
    event_types: tuple[str, ...] = ()
    disabled: bool = False
    retry_window: timedelta = DEFAULT_RETRY_WINDOW
    description: str | None = None


def _url_problem(url: str, allow_private: bool) -> str | None:
    if not url:
        return "is required"
    if len(url) > MAX_URL_LENGTH or any(c.isspace() or ord(c) < 32 for c in url):
        return f"must be at most {MAX_URL_LENGTH} characters with no spaces"
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError for a port that is not a number in range
    except ValueError:
        return "is not a valid URL"
    host = (parts.hostname or "").lower()
    if not host:
        return "must name a host"
    if "@" in parts.netloc:
        return "must not carry a user name or password"
    if parts.fragment:
        return "must not have a fragment"
    if parts.scheme not in ("http", "https"):
        return "must be an https URL"
    if not allow_private:
        # An early answer only: the delivery worker checks the address it connects to.
        return host_problem(host) or (None if parts.scheme == "https" else "must use https")
    if parts.scheme == "https" or host in _LOCAL_HOSTS:
        return None
    return "must use https (http is accepted for localhost only)"


def validate_webhook(
    spec: WebhookSpec | Webhook, prefix: str = "webhook", *, allow_private: bool = False
) -> None:
    """Raises InvalidArgument naming each bad field. The URL must be https to a host that may
    be public: not a literal private, loopback, link-local... address nor an internal name,
    unless ``allow_private`` (development), which also accepts http to localhost."""
    out: list[FieldViolation] = []
    problem = _url_problem(spec.url, allow_private)
    if problem:
        out.append(FieldViolation(f"{prefix}.url", problem))
    if len(spec.event_types) > MAX_EVENT_TYPES:
        out.append(FieldViolation(f"{prefix}.event_types", f"at most {MAX_EVENT_TYPES}"))
    for i, pattern in enumerate(spec.event_types):
        if len(pattern) > 100 or not is_pattern(pattern):
            out.append(
                FieldViolation(
                    f"{prefix}.event_types[{i}]",
                    f"{shown(pattern)} is not an event type ('task.completed') or a family "
                    "('task.*'); leave the list empty for every type",
                )
            )
    window = spec.retry_window
    if not MIN_RETRY_WINDOW <= window <= MAX_RETRY_WINDOW or window.microseconds:
        out.append(FieldViolation(f"{prefix}.retry_window", "must be whole seconds, 1 s to 7 days"))
    if spec.description is not None and len(spec.description) > MAX_DESCRIPTION:
        out.append(FieldViolation(f"{prefix}.description", f"at most {MAX_DESCRIPTION} characters"))
    if out:
        raise InvalidArgument(out)


def _normalised(event_types: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(event_types))


def public_view(webhook: Webhook) -> dict[str, Any]:
    """The webhook as the audit log records it: everything but the secrets' values."""
    return {**snapshot(event_view(webhook)), "url": webhook.url}


def event_view(webhook: Webhook) -> WebhookShown:
    """The webhook as its events show it: not its URL either, which often carries a token."""
    return WebhookShown(
        id=webhook.id,
        event_types=tuple(webhook.event_types),
        disabled=webhook.disabled,
        retry_window=webhook.retry_window,
        description=webhook.description,
        secrets=tuple(SecretShown(s.expire_time) for s in webhook.secrets),
    )


class WebhookService:
    """Webhook use cases; ``keyring`` seals the signing secrets at rest."""

    def __init__(
        self, store: Store, clock: Clock, keyring: Keyring, *, allow_private_targets: bool = False
    ) -> None:
        """``allow_private_targets`` accepts URLs of private and local hosts (development)."""
        self._store = store
        self._clock = clock
        self._keyring = keyring
        self._allow_private = allow_private_targets
        self._webhooks = crud.Kind(
            WEBHOOKS,
            lambda uow: uow.webhooks(self._keyring),
            lambda uow: uow.webhooks(self._keyring).archive,
            view=public_view,
        )

    async def create(
        self, caller: Caller, tenant: TenantSlug, spec: WebhookSpec, request_id: str | None
    ) -> Webhook:
        """The new webhook with its one secret (the only time, with rotation, it is shown)."""
        caller.require(Scope.ADMIN, tenant)
        spec = dataclasses.replace(spec, event_types=_normalised(spec.event_types))
        validate_webhook(spec, allow_private=self._allow_private)
        webhook = Webhook(
            id=spec.id,
            url=spec.url,
            event_types=spec.event_types,
            secrets=(SigningSecret(generate_secret()),),
            disabled=spec.disabled,
            retry_window=spec.retry_window,
            description=spec.description,
        )
        async with self._store.write(tenant) as uow:
            return await self._webhooks.create(
                uow,
                caller,
                webhook,
                request_id,
                method="CreateWebhook",
                request=spec,  # not the secret, which a retry does not repeat
                event=lambda name, created: WebhookCreated(name, event_view(created)),
            )

    async def get(self, caller: Caller, name: ResourceName) -> Webhook:
        caller.require(Scope.ADMIN, name.tenant)
        async with self._store.read(name.tenant) as uow:
            return await uow.load(uow.webhooks(self._keyring), WEBHOOKS, name.id)

    async def list(self, caller: Caller, tenant: TenantSlug, page: PageRequest) -> Page[Webhook]:
        caller.require(Scope.ADMIN, tenant)
        async with self._store.read(tenant) as uow:
            return await uow.webhooks(self._keyring).list(page)

    async def update(
        self, caller: Caller, name: ResourceName, changes: dict[str, Any], etag: str | None
    ) -> Webhook:
        crud.authorise_update(caller, name.tenant, changes, WEBHOOK_UPDATABLE)
        if "event_types" in changes:
            changes = {**changes, "event_types": _normalised(tuple(changes["event_types"]))}
        async with self._store.write(name.tenant) as uow:
            repo = uow.webhooks(self._keyring)
            current = await uow.load_for_update(repo, WEBHOOKS, name.id, etag=etag)
            wanted = dataclasses.replace(current, **changes)
            # A URL saved earlier is not judged again (the webhook can still be disabled or
            # retargeted); the delivery worker refuses it at send time if it is not public.
            validate_webhook(wanted, allow_private=self._allow_private or wanted.url == current.url)
            return await self._webhooks.save(
                uow,
                caller,
                current,
                wanted,
                event=lambda name, updated: WebhookUpdated(name, event_view(updated)),
            )

    async def delete(self, caller: Caller, name: ResourceName, etag: str | None) -> None:
        """Deletes the webhook; its pending deliveries become dead letters."""
        caller.require(Scope.ADMIN, name.tenant)
        async with self._store.write(name.tenant) as uow:
            await self._webhooks.delete(uow, caller, name.id, etag, event=WebhookDeleted)

    async def rotate_secret(
        self, caller: Caller, name: ResourceName, overlap: timedelta | None
    ) -> Webhook:
        """Puts a new secret first; the current ones stay valid until now + ``overlap`` (or
        their own earlier expiry), so deliveries are signed with both meanwhile. Expired
        secrets are dropped. Returns the webhook, whose first secret is the new one."""
        caller.require(Scope.ADMIN, name.tenant)
        overlap = DEFAULT_OVERLAP if overlap is None else overlap
        if not timedelta(0) <= overlap <= MAX_OVERLAP:
            raise InvalidArgument.field("overlap", "must be between 0 and 7 days")
        now = self._clock.now()
        until = now + overlap
        async with self._store.write(name.tenant) as uow:
            repo = uow.webhooks(self._keyring)
            current = await uow.load_for_update(repo, WEBHOOKS, name.id)
            kept = tuple(
                SigningSecret(s.secret, min(s.expire_time or until, until))
                for s in current.secrets
                if s.active(now) and overlap
            )
            rotated = await repo.update(
                dataclasses.replace(current, secrets=(SigningSecret(generate_secret()), *kept))
            )
            await uow.record(
                caller.subject,
                "webhook.rotate_secret",
                str(name),
                before=public_view(current),
                after=public_view(rotated),
                event=WebhookSecretRotated(str(name), event_view(rotated)),
            )
            return rotated

    async def list_deliveries(
        self,
        caller: Caller,
        webhook: ResourceName,
        page: PageRequest,
        state: DeliveryState | None = None,
    ) -> Page[Delivery]:
        """A webhook's deliveries, newest first; ``state=DEAD`` lists its dead letters."""
        caller.require(Scope.ADMIN, webhook.tenant)
        async with self._store.read(webhook.tenant) as uow:
            repo = uow.webhooks(self._keyring)
            await uow.load(repo, WEBHOOKS, webhook.id)
            return await repo.deliveries(webhook.id, page, state)

    async def replay(
        self, caller: Caller, webhook: ResourceName, deliveries: Sequence[uuid.UUID]
    ) -> int:
        """Sends deliveries again, from now and with a fresh retry window: the named ones
        (in any state), or, when none is named, every dead letter. Returns how many."""
        caller.require(Scope.ADMIN, webhook.tenant)
        if len(deliveries) > MAX_REPLAY:
            raise InvalidArgument.field("deliveries", f"at most {MAX_REPLAY} at once")
        async with self._store.write(webhook.tenant) as uow:
            repo = uow.webhooks(self._keyring)
            hook = await uow.load_for_update(repo, WEBHOOKS, webhook.id)
            if hook.disabled:
                raise FailedPrecondition(
                    "the webhook is disabled; enable it before replaying deliveries",
                    reason="WEBHOOK_DISABLED",
                )
            wanted: set[uuid.UUID] = set(deliveries)
            if wanted:
                missing = wanted - await repo.existing_deliveries(webhook.id, wanted)
                if missing:
                    raise DELIVERIES.not_found(webhook.tenant, webhook.id, min(missing))
            count = await repo.replay(webhook.id, wanted or None, hook.retry_window)
            await uow.audit(
                caller.subject, "webhook.replay", str(webhook), after={"replayed": count}
            )
            return count

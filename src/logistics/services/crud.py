"""The steps a resource's create, update and delete share, so that a use case states only its
resource's own rules: what it checks, what it changes, how it removes, which event it emits.

Each step runs in the caller's unit of work and writes the change, its audit row (action
``<noun>.create``, ``.update`` or ``.delete``) and its event together: ``create`` claims the
request id (a retry returns the first result); ``update`` and ``delete`` load the resource for
update (NOT_FOUND naming it, a stale etag refused); an update that changes nothing writes
nothing and returns the resource as it is.

A tenant's policy (``Policy``) is a singleton: never created or deleted, read with
``logistics:read`` and replaced whole with ``logistics:admin`` under a lock, the etag compared
and the audit row and event written like an update's.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from logistics.domain.caller import Caller, Scope
from logistics.domain.events import Event
from logistics.domain.fleet import check_update_paths
from logistics.domain.ids import TenantSlug
from logistics.domain.names import Names, Singleton
from logistics.domain.versioning import check_etag
from logistics.services.idempotency import claim_create
from logistics.store.unit_of_work import Store, UnitOfWork

__all__ = ["Kind", "Policy", "Repository", "authorise_update"]


class Resource(Protocol):
    """A resource of a collection: a dataclass with an id and a version (its etag)."""

    __dataclass_fields__: ClassVar[dict[str, dataclasses.Field[Any]]]

    @property
    def id(self) -> uuid.UUID: ...

    @property
    def version(self) -> int: ...


R = TypeVar("R", bound=Resource)


class Versioned(Protocol):
    """A value with a version, its etag: a tenant's policy."""

    @property
    def version(self) -> int: ...


P = TypeVar("P", bound=Versioned)
V = TypeVar("V")
P_co = TypeVar("P_co", bound=Versioned, covariant=True)
V_contra = TypeVar("V_contra", contravariant=True)


class PolicyRepository(Protocol[P_co, V_contra]):
    """Where a unit of work keeps a tenant's policy: its current version (the defaults
    before it is first set), and a new value stored as the next version."""

    async def get(self) -> P_co: ...

    async def put(self, value: V_contra, /) -> P_co: ...


class Repository(Protocol[R]):
    """Where a unit of work finds, adds and saves one kind of resource."""

    async def get(self, resource_id: uuid.UUID, /, *, for_update: bool = False) -> R | None: ...

    async def add(self, resource: R, /) -> R: ...

    async def update(self, resource: R, /) -> R: ...


def _as_is(resource: object) -> object:
    return resource


def authorise_update(
    caller: Caller,
    tenant: TenantSlug,
    changes: Mapping[str, Any],
    updatable: frozenset[str],
    *,
    scope: Scope = Scope.ADMIN,
) -> None:
    """The caller may change the tenant's resources (``scope``: ``logistics:admin`` unless
    said otherwise), and ``changes`` (the request's ``update_mask``) names only ``updatable``
    fields: checked in that order, before anything is read."""
    caller.require(scope, tenant)
    check_update_paths(frozenset(changes), updatable, "update_mask")


@dataclass(frozen=True)
class Kind(Generic[R]):
    """One kind of resource: how it is named, where a unit of work keeps it and how it is
    removed (archived, mostly), and what of it the audit log records (``view``: all of it,
    unless it holds secrets)."""

    names: Names
    repo: Callable[[UnitOfWork], Repository[R]]
    # None: never removed (tasks end by their state machine instead).
    remove: Callable[[UnitOfWork], Callable[[uuid.UUID], Awaitable[object]]] | None
    view: Callable[[R], object] = _as_is

    async def create(
        self,
        uow: UnitOfWork,
        caller: Caller,
        resource: R,
        request_id: str | None,
        *,
        method: str,
        event: Callable[[str, R], Event],
        request: object = None,
        before_add: Callable[[], Awaitable[object]] | None = None,
    ) -> R:
        """Adds ``resource`` with its audit row and ``event``. A retry of ``request_id``
        returns what the first request created; the id covers ``request`` (by default the
        resource). ``before_add`` runs only when the resource is added."""
        repo = self.repo(uow)
        earlier = await claim_create(
            uow, method, request_id, resource if request is None else request
        )
        if earlier is not None:
            return await uow.load(repo, self.names, earlier)
        if before_add is not None:
            await before_add()
        created = await repo.add(resource)
        name = self.names.name(uow.tenant, created.id)
        await self._record(uow, caller, "create", name, event(name, created), after=created)
        return created

    async def update(
        self,
        uow: UnitOfWork,
        caller: Caller,
        resource_id: uuid.UUID,
        etag: str | None,
        changes: Mapping[str, Any],
        *,
        validate: Callable[[R], object],
        event: Callable[[str, R], Event],
        before_save: Callable[[R, R], Awaitable[object]] | None = None,
    ) -> R:
        """Loads the resource for update, applies ``changes`` (field values), has
        ``validate`` judge the result, and saves it (see ``save``)."""
        current = await uow.load_for_update(self.repo(uow), self.names, resource_id, etag=etag)
        wanted = dataclasses.replace(current, **changes)
        validate(wanted)
        return await self.save(uow, caller, current, wanted, event=event, before_save=before_save)

    async def save(
        self,
        uow: UnitOfWork,
        caller: Caller,
        current: R,
        wanted: R,
        *,
        event: Callable[[str, R], Event],
        before_save: Callable[[R, R], Awaitable[object]] | None = None,
    ) -> R:
        """Saves ``wanted`` in place of ``current`` (loaded for update) with its audit row and
        ``event``; returns ``current`` and writes nothing when they are equal.
        ``before_save(current, wanted)`` runs only when something changes."""
        if wanted == current:
            return current
        if before_save is not None:
            await before_save(current, wanted)
        updated = await self.repo(uow).update(wanted)
        name = self.names.name(uow.tenant, current.id)
        await self._record(
            uow, caller, "update", name, event(name, updated), before=current, after=updated
        )
        return updated

    async def delete(
        self,
        uow: UnitOfWork,
        caller: Caller,
        resource_id: uuid.UUID,
        etag: str | None,
        *,
        event: Callable[[str], Event],
        check: Callable[[UnitOfWork, R], Awaitable[object]] | None = None,
    ) -> None:
        """Loads the resource for update, lets ``check`` refuse its removal, removes it and
        records it as it was with ``event``."""
        if self.remove is None:
            raise TypeError(f"a {self.names.noun} is never removed")
        current = await uow.load_for_update(self.repo(uow), self.names, resource_id, etag=etag)
        if check is not None:
            await check(uow, current)
        await self.remove(uow)(resource_id)
        name = self.names.name(uow.tenant, resource_id)
        await self._record(uow, caller, "delete", name, event(name), before=current)

    async def _record(
        self,
        uow: UnitOfWork,
        caller: Caller,
        verb: str,
        name: str,
        event: Event,
        *,
        before: R | None = None,
        after: R | None = None,
    ) -> None:
        """The audit row (``<noun>.<verb>``, with the views of the resource before and
        after) and the event."""
        await uow.record(
            caller.subject,
            f"{self.names.noun}.{verb}",
            name,
            before=None if before is None else self.view(before),
            after=None if after is None else self.view(after),
            event=event,
        )


@dataclass(frozen=True)
class Policy(Generic[P, V]):
    """A tenant's policy, one per tenant (``names``), and where a unit of work keeps it
    (``V``: the value a caller sets, the policy or a part of it). ``noun`` names the lock
    that serialises its writers and, unless ``action`` is given, the audit action
    ``<noun>.update``."""

    names: Singleton
    noun: str
    repo: Callable[[UnitOfWork], PolicyRepository[P, V]]
    action: str = ""

    async def get(self, store: Store, caller: Caller, tenant: TenantSlug) -> P:
        caller.require(Scope.READ, tenant)
        async with store.read(tenant) as uow:
            return await self.repo(uow).get()

    async def replace(
        self,
        store: Store,
        caller: Caller,
        tenant: TenantSlug,
        value: V,
        etag: str | None,
        *,
        validate: Callable[[V], object] | None = None,
        event: Callable[[str, P], Event] | None = None,
    ) -> P:
        """Stores ``value`` as the tenant's policy, with its audit row and ``event``. The
        caller's scope and ``validate`` are checked before anything is read; a replacement
        that changes nothing is still a new version."""
        caller.require(Scope.ADMIN, tenant)
        if validate is not None:
            validate(value)
        async with store.write(tenant) as uow:
            await uow.lock(self.noun, "")
            repo = self.repo(uow)
            current = await repo.get()
            check_etag(etag, current.version)
            updated = await repo.put(value)
            name = self.names.name(tenant)
            await uow.record(
                caller.subject,
                self.action or f"{self.noun}.update",
                name,
                before=current,
                after=updated,
                event=None if event is None else event(name, updated),
            )
        return updated

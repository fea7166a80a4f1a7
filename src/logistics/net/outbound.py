"""The transport for HTTP calls to tenant-supplied URLs (webhooks; later carrier callbacks and
partner endpoints): it connects only to public addresses, checked on the address it connects to.

Use it as ``httpx.AsyncClient(transport=GuardedTransport(...), trust_env=False)``, with no
``proxy`` or ``mounts``: a proxy would make the connection for us, past the check. (httpx already
ignores the environment's proxies once a transport is given; ``trust_env=False`` says so, and
keeps ``.netrc`` credentials off tenants' hosts.)

For each new connection :class:`GuardedBackend` resolves the host itself, drops every answer
that :func:`~logistics.net.addresses.blocked_reason` refuses, and opens the TCP connection to a
vetted address itself: the name is never resolved a second time, so a DNS answer that changes
between check and connect (rebinding) cannot swap in an internal address. httpcore still
speaks to the original name above the socket: the Host header, the TLS SNI and the
certificate check are all for the URL's host. A host whose every answer is refused fails with
:class:`BlockedTarget`, an ``httpcore.ConnectError`` that httpx raises as ``httpx.ConnectError``
with the same message, so callers treat it as any refused connection.

``allow_private`` turns the check off (development: receivers on 127.0.0.1); the resolving and
connecting stay the same.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable, Sequence

import anyio
import httpcore
import httpx

from logistics.net.addresses import IPAddress, blocked_reason

__all__ = ["BlockedTarget", "GuardedBackend", "GuardedTransport", "Resolver", "system_resolver"]

logger = logging.getLogger(__name__)

Resolver = Callable[[str, int], Awaitable[Sequence[str]]]
"""Resolves a host name and port to the addresses to try, in order."""


class BlockedTarget(httpcore.ConnectError):
    """The host resolves to no address a tenant's URL may reach."""


async def system_resolver(host: str, port: int) -> list[str]:
    """The system's answers (getaddrinfo, in a worker thread), duplicates dropped."""
    answers = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(sockaddr[0]) for *_, sockaddr in answers))


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """An httpcore network backend that connects only to vetted addresses (see the module)."""

    def __init__(
        self,
        *,
        allow_private: bool = False,
        resolver: Resolver = system_resolver,
        backend: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        self._allow_private = allow_private
        self._resolve = resolver
        self._backend = backend or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            with anyio.fail_after(timeout):
                addresses = await self._vetted(host, port)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"resolving {host} took over {timeout:g} s") from exc
        error: Exception | None = None
        for address in addresses:
            try:
                return await self._backend.connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        assert error is not None  # _vetted returns at least one address
        raise error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise BlockedTarget("tenant URLs may not reach a unix socket")

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)

    async def _vetted(self, host: str, port: int) -> list[IPAddress]:
        try:
            addresses: list[IPAddress] = [ipaddress.ip_address(host)]
            found = "is"
        except ValueError:
            addresses = await self._lookup(host, port)
            found = "resolves to"
        if self._allow_private:
            return addresses
        allowed = [a for a in addresses if blocked_reason(a) is None]
        if allowed:
            return allowed
        reason = blocked_reason(addresses[0])
        logger.warning("outbound connection refused", extra={"host": host, "reason": reason})
        raise BlockedTarget(
            f"refused to connect to {host}: it {found} {reason}; "
            "tenant URLs may only reach public addresses"
        )

    async def _lookup(self, host: str, port: int) -> list[IPAddress]:
        try:
            addresses = [ipaddress.ip_address(a) for a in await self._resolve(host, port)]
        except (OSError, ValueError) as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        if not addresses:
            raise httpcore.ConnectError(f"cannot resolve {host}: no address")
        return addresses


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport (HTTP/1.1, TLS verified against the URL's host, no proxy) over a
    :class:`GuardedBackend`. ``resolver`` and ``backend`` are for tests."""

    def __init__(
        self,
        *,
        allow_private: bool = False,
        limits: httpx.Limits | None = None,
        verify: ssl.SSLContext | bool = True,
        resolver: Resolver = system_resolver,
        backend: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        limits = limits or httpx.Limits(max_connections=100, max_keepalive_connections=20)
        ssl_context = httpx.create_ssl_context(verify=verify)
        super().__init__(verify=ssl_context, limits=limits)
        # httpx builds its pool with httpcore's default backend and has no parameter for
        # another one; the pool is all of its state, so it is replaced by an equal one.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(
                allow_private=allow_private, resolver=resolver, backend=backend
            ),
        )

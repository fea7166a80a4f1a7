"""Which addresses and host names a tenant-supplied URL may reach: pure rules, no I/O.

A tenant may only make the service call out to the public internet. An address is refused
when it is not globally routable (loopback, private, link-local, multicast, reserved,
unspecified, shared/CGNAT, documentation...) or is a cloud metadata endpoint. An IPv6 form
that embeds an IPv4 address (IPv4-mapped, 6to4, NAT64) is judged by that IPv4 address, the one
the connection reaches: so DNS64 answers for public hosts still pass.
:func:`blocked_reason` says why, or ``None`` for an address that may be connected to.

:func:`host_problem` is the early check on a URL's host when it is saved: a literal address
(including the legacy IPv4 forms a resolver accepts, ``2130706433``, ``0x7f.1``) or a name
that can only be internal (``localhost``, ``*.internal``, a single label). Names that look
public are not resolved here: the connection-time check is the real guard, since a name may
resolve differently by then.
"""

from __future__ import annotations

import ipaddress
import socket
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

__all__ = ["IPAddress", "blocked_reason", "host_problem", "parse_host_address"]

IPAddress = IPv4Address | IPv6Address

# Cloud instance metadata and platform endpoints; some are not link-local (Azure's wire server
# is a public-looking address), so they are named rather than left to the ranges below.
METADATA = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, Oracle, DigitalOcean
        "169.254.170.2",  # AWS ECS task credentials
        "fd00:ec2::254",  # AWS IMDS over IPv6
        "100.100.100.200",  # Alibaba Cloud
        "168.63.129.16",  # Azure wire server
    )
)
SHARED = IPv4Network("100.64.0.0/10")  # carrier-grade NAT (RFC 6598): not private, not global
NAT64 = IPv6Network("64:ff9b::/96")  # the well-known NAT64 prefix embeds an IPv4 address

# Names that never resolve to a public address: RFC 6761 / 6762 / 8375 and the ICANN-reserved
# private-use ".internal" (also GCP's metadata.google.internal), plus common private suffixes.
INTERNAL_SUFFIXES = (
    "localhost",
    "local",
    "localdomain",
    "internal",
    "intranet",
    "lan",
    "home.arpa",
    "in-addr.arpa",
    "ip6.arpa",
)


def _embedded_ipv4(address: IPv6Address) -> IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in NAT64:
        return IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def blocked_reason(address: IPAddress) -> str | None:
    """Why ``address`` may not be connected to on a tenant's behalf, or ``None`` if it is a
    globally routable unicast address. The reason names a category, never the address."""
    if address in METADATA:
        return "a cloud metadata address"
    if isinstance(address, IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:  # the IPv4 address is the one reached, by a NAT64 too
            return blocked_reason(embedded)
    checks = (
        (address.is_loopback, "a loopback address"),
        (address.is_unspecified, "an unspecified address"),
        (address.is_link_local, "a link-local address"),
        (address.is_multicast, "a multicast address"),
        (address in SHARED, "a shared (carrier-grade NAT) address"),
        (address.is_private, "a private address"),
        (address.is_reserved, "a reserved address"),
        (not address.is_global, "an address that is not globally routable"),
    )
    return next((reason for hit, reason in checks if hit), None)


def parse_host_address(host: str) -> IPAddress | None:
    """The address ``host`` spells, if it is a literal: IPv4, IPv6 (without brackets) or one
    of the legacy IPv4 forms resolvers accept (``127.1``, ``2130706433``, ``0x7f000001``)."""
    host = host.removesuffix(".")
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if host and all(c in "0123456789abcdefxABCDEFX." for c in host):
        try:
            return IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def host_problem(host: str) -> str | None:
    """Why a URL naming ``host`` (as ``urlsplit`` gives it: lower case, no brackets) cannot
    reach a public address, or ``None`` when only resolving it could tell."""
    address = parse_host_address(host)
    if address is not None:
        reason = blocked_reason(address)
        return f"must not name {reason}" if reason else None
    name = host.removesuffix(".")
    if any(name == s or name.endswith(f".{s}") for s in INTERNAL_SUFFIXES):
        return "must not name an internal host"
    if "." not in name:
        return "must name a public host by its fully qualified name"
    return None

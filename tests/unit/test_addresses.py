"""Which addresses and hosts a tenant's URL may reach: every non-global range is refused, in
every IPv6 form that embeds an IPv4 address, and public addresses pass."""

from __future__ import annotations

from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network

import pytest
from hypothesis import given
from hypothesis import strategies as st

from logistics.net.addresses import blocked_reason, host_problem, parse_host_address


def mapped(v4: IPv4Address) -> IPv6Address:
    return IPv6Address(f"::ffff:{v4}")


def six_to_four(v4: IPv4Address) -> IPv6Address:
    return IPv6Address((0x2002 << 112) | (int(v4) << 80))


def nat64(v4: IPv4Address) -> IPv6Address:
    return IPv6Address(int(ip_address("64:ff9b::")) | int(v4))


BLOCKED_RANGES = [
    ("127.0.0.0/8", "loopback"),
    ("::1/128", "loopback"),
    ("10.0.0.0/8", "private"),
    ("172.16.0.0/12", "private"),
    ("192.168.0.0/16", "private"),
    ("fc00::/7", "private"),
    ("169.254.0.0/24", "link-local"),
    ("fe80::/10", "link-local"),
    ("224.0.0.0/4", "multicast"),
    ("ff00::/8", "multicast"),
    ("100.64.0.0/16", "carrier-grade NAT"),
    ("198.18.0.0/15", ""),  # benchmarking
    ("192.0.2.0/24", ""),  # documentation
    ("2001:db8::/32", ""),
    ("240.0.0.0/4", ""),  # reserved
    ("0.0.0.0/8", ""),  # "this network"
]
PUBLIC = ["8.8.8.8", "1.1.1.1", "93.184.216.34", "2606:4700:4700::1111", "2001:4860:4860::8888"]
METADATA = ["169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200", "168.63.129.16"]


@pytest.mark.parametrize(("network", "category"), BLOCKED_RANGES)
@given(data=st.data())
def test_every_address_of_a_non_public_range_is_refused_with_its_category(
    network: str, category: str, data: st.DataObject
) -> None:
    address = data.draw(st.ip_addresses(network=network))
    if str(address) in METADATA:
        return
    reason = blocked_reason(address)
    assert reason is not None
    assert category in reason
    assert str(address) not in reason  # the reason is shown to tenants: no addresses in it


def embedded(address: IPv4Address | IPv6Address) -> IPv4Address | None:
    if isinstance(address, IPv4Address):
        return None
    if address in ip_network("64:ff9b::/96"):
        return IPv4Address(int(address) & 0xFFFFFFFF)
    return address.ipv4_mapped or address.sixtofour


@given(st.ip_addresses())
def test_only_globally_routable_addresses_pass(address: IPv4Address | IPv6Address) -> None:
    if blocked_reason(address) is None:
        reached = embedded(address) or address
        assert reached.is_global
        assert not reached.is_multicast


@given(st.ip_addresses(v=4))
def test_an_ipv6_form_embedding_a_refused_ipv4_address_is_refused(address: IPv4Address) -> None:
    if blocked_reason(address) is not None:
        assert blocked_reason(mapped(address)) is not None
        assert blocked_reason(six_to_four(address)) is not None
        assert blocked_reason(nat64(address)) is not None


@pytest.mark.parametrize("address", METADATA)
def test_cloud_metadata_addresses_are_refused_by_name(address: str) -> None:
    assert blocked_reason(ip_address(address)) == "a cloud metadata address"
    if ":" not in address:
        assert blocked_reason(mapped(IPv4Address(address))) == "a cloud metadata address"


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass_and_so_do_their_ipv6_embeddings(address: str) -> None:
    parsed = ip_address(address)
    assert blocked_reason(parsed) is None
    if isinstance(parsed, IPv4Address):
        assert blocked_reason(mapped(parsed)) is None
        assert blocked_reason(six_to_four(parsed)) is None
        assert blocked_reason(nat64(parsed)) is None


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("127.0.0.1.", "127.0.0.1"),
        ("::1", "::1"),
        ("hooks.example.com", None),
        ("1e100.net", None),
        ("deadbeef", None),
    ],
)
def test_host_literals_are_read_as_resolvers_read_them(host: str, loopback: str | None) -> None:
    assert parse_host_address(host) == (ip_address(loopback) if loopback else None)


@pytest.mark.parametrize(
    ("host", "problem"),
    [
        ("127.0.0.1", "loopback"),
        ("2130706433", "loopback"),
        ("0x7f.1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("0.0.0.0", "unspecified"),
        ("10.1.2.3", "private"),
        ("192.168.1.10", "private"),
        ("fd12:3456::1", "private"),
        ("169.254.169.254", "metadata"),
        ("fd00:ec2::254", "metadata"),
        ("::ffff:a9fe:a9fe", "metadata"),
        ("fe80::1%25eth0", "link-local"),
        ("100.64.0.7", "carrier-grade NAT"),
        ("localhost", "internal host"),
        ("localhost.", "internal host"),
        ("api.localhost", "internal host"),
        ("metadata.google.internal", "internal host"),
        ("printer.local", "internal host"),
        ("nas.home.arpa", "internal host"),
        ("postgres", "fully qualified"),
        ("kubernetes", "fully qualified"),
    ],
)
def test_hosts_that_cannot_be_public_are_named(host: str, problem: str) -> None:
    found = host_problem(host)
    assert found is not None
    assert problem in found


@pytest.mark.parametrize(
    "host", ["hooks.example.com", "api.partner.co.ke", "8.8.8.8", "2606:4700:4700::1111"]
)
def test_hosts_that_may_be_public_pass_until_resolved(host: str) -> None:
    assert host_problem(host) is None

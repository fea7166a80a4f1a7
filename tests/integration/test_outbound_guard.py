"""The transport for tenant URLs on real sockets: it refuses internal addresses, connects only
to the addresses it vetted (a DNS answer that changes cannot redirect it), and still speaks to
the URL's name (Host header, TLS SNI and certificate).

Nothing leaves this machine: names are resolved by resolvers the tests inject, and the
"public" addresses they answer are dialled as receivers on 127.0.0.1 by a stand-in network.
"""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from ipaddress import ip_address
from pathlib import Path
from typing import Any

import httpcore
import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from logistics.net.outbound import GuardedTransport, Resolver
from tests.support.webhooks import Receiver

PUBLIC = "93.184.216.34"  # stands for any public address; never dialled for real
NAME = "hooks.example.test"


class Answers:
    """A resolver that gives its answers in turn (the last one from then on) and counts calls."""

    def __init__(self, *answers: Sequence[str]) -> None:
        self._answers = list(answers)
        self.calls = 0

    async def __call__(self, host: str, port: int) -> Sequence[str]:
        self.calls += 1
        return self._answers.pop(0) if len(self._answers) > 1 else self._answers[0]


class StandInNetwork(httpcore.AnyIOBackend):
    """Dials the loopback stand-in of each public address, records every address it is asked
    for, and refuses any other non-loopback address, so no test traffic leaves the machine."""

    def __init__(self, public: str = PUBLIC) -> None:
        self._public = public
        self.dialled: list[str] = []

    async def connect_tcp(
        self, host: str, port: int, *args: Any, **kwargs: Any
    ) -> httpcore.AsyncNetworkStream:
        self.dialled.append(host)
        target = "127.0.0.1" if host == self._public else host
        if not ip_address(target).is_loopback:
            raise httpcore.ConnectError(f"{host} is not reachable from the tests")
        return await super().connect_tcp(target, port, *args, **kwargs)


async def post(url: str, transport: GuardedTransport, trust_env: bool = False) -> httpx.Response:
    async with httpx.AsyncClient(transport=transport, trust_env=trust_env, timeout=5) as client:
        return await client.post(url, content=b"{}")


def on_port(receiver: Receiver, host: str, scheme: str = "http") -> str:
    port = httpx.URL(receiver.url).port
    return f"{scheme}://{host}:{port}/hooks"


async def test_a_loopback_receiver_is_reached_only_when_private_targets_are_allowed() -> None:
    with Receiver().running() as receiver:
        with pytest.raises(httpx.ConnectError) as caught:
            await post(receiver.url, GuardedTransport())
        assert not receiver.requests
        allowed = await post(receiver.url, GuardedTransport(allow_private=True))

    assert "127.0.0.1" in str(caught.value)
    assert "loopback" in str(caught.value)
    assert allowed.status_code == 200
    assert len(receiver.requests) == 1


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (["127.0.0.1"], "loopback"),
        (["10.0.0.7"], "private"),
        (["169.254.169.254"], "metadata"),
        (["::ffff:127.0.0.1"], "loopback"),
        (["fe80::1"], "link-local"),
        (["100.64.3.4"], "carrier-grade NAT"),
    ],
)
async def test_a_name_that_resolves_to_an_internal_address_is_refused_before_any_dial(
    answer: list[str], reason: str
) -> None:
    network = StandInNetwork()
    transport = GuardedTransport(resolver=Answers(answer), backend=network)
    with pytest.raises(httpx.ConnectError) as caught:
        await post(f"https://{NAME}/hooks", transport)

    assert f"{NAME}: it resolves to" in str(caught.value)
    assert reason in str(caught.value)
    assert answer[0] not in str(caught.value)  # tenants see the reason, not the address
    assert network.dialled == []


async def test_an_answer_that_turns_internal_after_the_check_is_never_dialled() -> None:
    """DNS rebinding: the first lookup says public, the next says 127.0.0.1. Each connection
    resolves once and dials what it vetted, so the loopback answer is refused, not used."""
    resolver = Answers([PUBLIC], ["127.0.0.1"])
    network = StandInNetwork()
    transport = GuardedTransport(resolver=resolver, backend=network)
    with Receiver().running() as receiver:
        url = on_port(receiver, NAME)
        first = await post(url, transport)
        with pytest.raises(httpx.ConnectError, match="loopback"):
            await post(url, transport)  # a new client: a new connection, a new lookup

    assert first.status_code == 200
    assert resolver.calls == 2
    assert network.dialled == [PUBLIC]
    assert len(receiver.requests) == 1


async def test_of_mixed_answers_only_the_public_ones_are_dialled() -> None:
    network = StandInNetwork()
    resolver = Answers(["127.0.0.1", "10.1.1.1", PUBLIC, "169.254.169.254"])
    with Receiver().running() as receiver:
        answer = await post(
            on_port(receiver, NAME), GuardedTransport(resolver=resolver, backend=network)
        )

    assert answer.status_code == 200
    assert network.dialled == [PUBLIC]


async def test_the_request_keeps_the_urls_host_header() -> None:
    network = StandInNetwork()
    transport = GuardedTransport(resolver=Answers([PUBLIC]), backend=network)
    with Receiver().running() as receiver:
        url = on_port(receiver, NAME)
        await post(url, transport)

    assert receiver.requests[0].headers["host"] == httpx.URL(url).netloc.decode()
    assert network.dialled == [PUBLIC]


def certificates(tmp_path: Path) -> tuple[ssl.SSLContext, ssl.SSLContext, list[str]]:
    """A server context with a certificate for NAME only (recording the SNI it is asked
    for), and a client context that trusts its test CA and nothing else."""
    now = datetime.now(UTC)

    def issue(
        subject: str,
        key: ec.EllipticCurvePrivateKey,
        issuer: x509.Name,
        signer: ec.EllipticCurvePrivateKey,
        ca: bool,
    ) -> x509.Certificate:
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(issuer)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(hours=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if not ca:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.DNSName(subject)]), critical=False
            )
        return builder.sign(signer, hashes.SHA256())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test CA")])
    ca = issue("test CA", ca_key, ca_name, ca_key, ca=True)
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = issue(NAME, leaf_key, ca_name, ca_key, ca=False)
    cert_file, key_file = tmp_path / "leaf.pem", tmp_path / "leaf.key"
    cert_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        leaf_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert_file, key_file)
    names: list[str] = []

    def record_sni(_: ssl.SSLObject, name: str | None, __: ssl.SSLContext) -> None:
        names.append(name or "")

    server.sni_callback = record_sni
    client = ssl.create_default_context(cadata=ca.public_bytes(serialization.Encoding.PEM).decode())
    return server, client, names


async def test_tls_is_verified_for_the_urls_name_not_the_address_dialled(tmp_path: Path) -> None:
    server_tls, client_tls, sni = certificates(tmp_path)
    network = StandInNetwork()
    transport = GuardedTransport(resolver=Answers([PUBLIC]), backend=network, verify=client_tls)
    with Receiver(tls=server_tls).running() as receiver:
        answer = await post(on_port(receiver, NAME, "https"), transport)
        with pytest.raises(httpx.ConnectError, match="certificate"):  # not valid for an address
            await post(receiver.url, GuardedTransport(allow_private=True, verify=client_tls))

    assert answer.status_code == 200
    assert sni[0] == NAME
    assert network.dialled == [PUBLIC]


async def test_proxies_from_the_environment_are_not_used_even_by_a_client_that_trusts_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with Receiver().running() as proxy:
        for variable in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
            monkeypatch.setenv(variable, proxy.url.removesuffix("/hooks"))
        resolver: Resolver = Answers(["10.0.0.9"])
        with pytest.raises(httpx.ConnectError, match="private"):
            await post(f"http://{NAME}/hooks", GuardedTransport(resolver=resolver), trust_env=True)

    assert proxy.requests == []

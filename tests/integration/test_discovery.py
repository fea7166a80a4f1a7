"""Discovery over real HTTP: a scripted origin on 127.0.0.1 (served by hypercorn) checks every
request's Standard Webhooks signature with the reference library, and the tests check what it
saw (how many requests, which webhook-ids) and what the caller got."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
from hypercorn.asyncio import serve
from hypercorn.config import Config
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from logistics.discovery import (
    DiscoveredOutlet,
    DiscoveredTenant,
    DiscoveryNotFound,
    DiscoveryUnavailable,
    HttpDiscovery,
)
from logistics.events.signing import generate_secret

SECRET = generate_secret()
ACME = {"tenant": {"slug": "acme", "display_name": "Acme Deliveries"}}
SLOW = 1.0  # how long a "timing out" answer takes
TIMEOUT = 0.3  # the per-attempt timeout of the tests about timeouts, well under SLOW
# Every other test: long enough that a loaded machine never turns an answer into a retry.
PATIENT = 10.0


@dataclass(frozen=True)
class Reply:
    status: int = 200
    json: Any = None
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    drip_s: float = 0.0  # > 0: the body is sent a byte at a time, this long apart


@dataclass(frozen=True)
class Seen:
    headers: dict[str, str]
    body: dict[str, Any]
    verified: bool

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]


class Origin:
    """The upstream service. Replies come from ``script`` in order, the last one repeating;
    a request whose signature the reference library rejects gets 401."""

    def __init__(self) -> None:
        self.url = ""
        self.secret = SECRET
        self.script: list[Reply] = [Reply(json=ACME)]
        self.seen: list[Seen] = []

    def will(self, *replies: Reply) -> None:
        self.script = list(replies)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (message := await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        try:
            Webhook(self.secret).verify(body, headers)
            verified = True
        except WebhookVerificationError:
            verified = False
        self.seen.append(Seen(headers, json.loads(body), verified))
        if not verified:
            reply = Reply(401, body=b"bad signature")
        else:
            reply = self.script.pop(0) if len(self.script) > 1 else self.script[0]
        await asyncio.sleep(reply.delay_s)
        content = reply.body if reply.body is not None else json.dumps(reply.json).encode()
        await send(
            {
                "type": "http.response.start",
                "status": reply.status,
                "headers": [
                    (b"content-type", b"application/json"),
                    *((k.encode(), v.encode()) for k, v in reply.headers.items()),
                ],
            }
        )
        if reply.drip_s:
            for i in range(len(content)):
                await send(
                    {"type": "http.response.body", "body": content[i : i + 1], "more_body": True}
                )
                await asyncio.sleep(reply.drip_s)
            content = b""
        await send({"type": "http.response.body", "body": content})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
async def running_origin() -> AsyncIterator[Origin]:
    origin = Origin()
    port = free_port()
    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.graceful_timeout = 0.1
    config.loglevel = "WARNING"
    stop = asyncio.Event()
    server = asyncio.create_task(serve(origin, config, shutdown_trigger=stop.wait, mode="asgi"))
    origin.url = f"http://127.0.0.1:{port}/logistics/discovery"
    for _ in range(200):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.01)
            continue
        writer.close()
        await writer.wait_closed()
        break
    yield origin
    stop.set()
    await server


@pytest.fixture
def origin(running_origin: Origin) -> Origin:
    running_origin.secret = SECRET
    running_origin.will(Reply(json=ACME))
    running_origin.seen.clear()
    return running_origin


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """httpx honours proxy variables; the origin here is on loopback."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")


class Sleeps:
    """The retry delays asked for; each is really slept (they are milliseconds here)."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        await asyncio.sleep(delay)


def discovery(url: str, sleeps: Sleeps | None = None, **options: Any) -> HttpDiscovery:
    settings: dict[str, Any] = {
        "timeout_s": PATIENT,
        "attempts": 4,
        "backoff_s": 0.01,
        "max_backoff_s": 0.05,
        "sleep": sleeps or Sleeps(),
    }
    settings.update(options)
    secrets = settings.pop("secrets", [SECRET])
    return HttpDiscovery(url, secrets, **settings)


# --- answers -------------------------------------------------------------------------------------


async def test_new_tenant_is_looked_up_in_one_signed_request(origin: Origin) -> None:
    async with discovery(origin.url) as found:
        tenant = await found.tenant("acme")

    assert tenant == DiscoveredTenant(slug="acme", display_name="Acme Deliveries")
    [seen] = origin.seen
    assert seen.verified
    assert seen.body == {"type": "tenant.lookup", "tenant": "acme"}
    assert seen.headers["content-type"] == "application/json"
    assert seen.webhook_id.startswith("msg_")


async def test_new_outlet_is_looked_up_with_its_tenant_and_coordinates(origin: Origin) -> None:
    origin.will(
        Reply(
            json={
                "outlet": {
                    "id": "o-17",
                    "display_name": "Westlands",
                    "latitude": -1.2676,
                    "longitude": 36,
                    "opening_hours": "ignored: answers may grow",
                }
            }
        )
    )

    async with discovery(origin.url) as found:
        outlet = await found.outlet("acme", "o-17")

    assert outlet == DiscoveredOutlet("acme", "o-17", "Westlands", -1.2676, 36.0)
    assert [s.body for s in origin.seen] == [
        {"type": "outlet.lookup", "tenant": "acme", "outlet_id": "o-17"}
    ]


async def test_outlet_without_coordinates_has_none(origin: Origin) -> None:
    origin.will(Reply(json={"outlet": {"id": "o-1", "display_name": "Depot", "latitude": None}}))

    async with discovery(origin.url) as found:
        outlet = await found.outlet("acme", "o-1")

    assert (outlet.latitude, outlet.longitude) == (None, None)


async def test_origin_holding_either_secret_of_a_rotation_accepts_our_requests(
    origin: Origin,
) -> None:
    old, new = generate_secret(), generate_secret()
    async with discovery(origin.url, secrets=[old, new]) as found:
        for secret in (old, new):
            origin.secret = secret
            assert (await found.tenant("acme")).slug == "acme"

    assert [s.verified for s in origin.seen] == [True, True]


async def test_each_lookup_has_its_own_webhook_id(origin: Origin) -> None:
    async with discovery(origin.url) as found:
        await found.tenant("acme")
        await found.tenant("acme")  # not a cache: storing the answer is the caller's job

    assert len({s.webhook_id for s in origin.seen}) == 2


# --- retries -------------------------------------------------------------------------------------


async def test_server_errors_are_retried_with_the_same_webhook_id_until_answered(
    origin: Origin,
) -> None:
    origin.will(Reply(500), Reply(502), Reply(json=ACME))
    sleeps = Sleeps()

    async with discovery(origin.url, sleeps) as found:
        tenant = await found.tenant("acme")

    assert tenant.display_name == "Acme Deliveries"
    assert len(origin.seen) == 3
    assert all(s.verified for s in origin.seen)
    assert len({s.webhook_id for s in origin.seen}) == 1
    assert len(sleeps.delays) == 2


async def test_server_errors_on_every_attempt_make_discovery_unavailable(origin: Origin) -> None:
    origin.will(Reply(503, body=b"down for maintenance"))

    async with discovery(origin.url, attempts=3) as found:
        with pytest.raises(DiscoveryUnavailable, match="after 3 attempts: HTTP 503") as caught:
            await found.tenant("acme")

    assert (caught.value.status, caught.value.attempts) == (503, 3)
    assert len(origin.seen) == 3
    assert len({s.webhook_id for s in origin.seen}) == 1


async def test_backoff_grows_exponentially_with_full_jitter_up_to_the_cap(origin: Origin) -> None:
    origin.will(Reply(500))
    sleeps = Sleeps()

    async with discovery(origin.url, sleeps, attempts=6, backoff_s=0.01, max_backoff_s=0.03) as d:
        with pytest.raises(DiscoveryUnavailable):
            await d.tenant("acme")

    assert len(origin.seen) == 6
    ceilings = [0.01, 0.02, 0.03, 0.03, 0.03]
    assert len(sleeps.delays) == len(ceilings)
    assert all(0 <= d <= c for d, c in zip(sleeps.delays, ceilings, strict=True))


async def test_timeout_is_retried_with_the_same_webhook_id_then_answered(origin: Origin) -> None:
    origin.will(Reply(json=ACME, delay_s=SLOW), Reply(json=ACME))

    async with discovery(origin.url, timeout_s=TIMEOUT) as found:
        tenant = await found.tenant("acme")

    assert tenant.slug == "acme"
    assert len(origin.seen) == 2
    assert origin.seen[0].webhook_id == origin.seen[1].webhook_id


async def test_timeouts_on_every_attempt_make_discovery_unavailable(origin: Origin) -> None:
    origin.will(Reply(json=ACME, delay_s=SLOW))

    async with discovery(origin.url, attempts=2, timeout_s=TIMEOUT) as found:
        with pytest.raises(DiscoveryUnavailable, match="after 2 attempts") as caught:
            await found.tenant("acme")

    assert isinstance(caught.value.__cause__, TimeoutError | httpx.TimeoutException)
    assert caught.value.status is None
    assert len(origin.seen) == 2


async def test_answer_dripped_slower_than_the_timeout_times_out(origin: Origin) -> None:
    """Each byte comes well within httpx's read timeout; the whole answer does not."""
    origin.will(Reply(json=ACME, drip_s=0.02))

    async with discovery(origin.url, attempts=2, timeout_s=TIMEOUT) as found:
        with pytest.raises(DiscoveryUnavailable, match="TimeoutError"):
            await found.tenant("acme")

    assert len(origin.seen) == 2


async def test_unreachable_origin_is_retried_then_unavailable() -> None:
    sleeps = Sleeps()

    async with discovery(f"http://127.0.0.1:{free_port()}/", sleeps, attempts=3) as found:
        with pytest.raises(DiscoveryUnavailable, match="ConnectError") as caught:
            await found.outlet("acme", "o-1")

    assert isinstance(caught.value.__cause__, httpx.ConnectError)
    assert len(sleeps.delays) == 2


@pytest.mark.parametrize(
    ("retry_after", "expected"),
    [
        ("1", 0.05),
        ("0", 0.0),
        (format_datetime(datetime.now(UTC) + timedelta(hours=1), usegmt=True), 0.05),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),  # a date already past: at once
    ],
)
async def test_too_many_requests_waits_as_told_but_no_longer_than_the_cap(
    origin: Origin, retry_after: str, expected: float
) -> None:
    origin.will(Reply(429, headers={"retry-after": retry_after}), Reply(json=ACME))
    sleeps = Sleeps()

    async with discovery(origin.url, sleeps, max_backoff_s=0.05) as found:
        assert (await found.tenant("acme")).slug == "acme"

    assert sleeps.delays == [expected]
    assert len(origin.seen) == 2
    assert origin.seen[0].webhook_id == origin.seen[1].webhook_id


# --- refusals ------------------------------------------------------------------------------------


async def test_unknown_tenant_is_not_found_without_retrying(origin: Origin) -> None:
    origin.will(Reply(404, json={"error": "no such tenant"}))
    sleeps = Sleeps()

    async with discovery(origin.url, sleeps) as found:
        with pytest.raises(DiscoveryNotFound, match="tenant 'ghost'"):
            await found.tenant("ghost")

    assert len(origin.seen) == 1
    assert sleeps.delays == []


@pytest.mark.parametrize("status", [400, 403, 409, 422])
async def test_other_client_errors_are_unavailable_at_once_with_the_status(
    origin: Origin, status: int
) -> None:
    origin.will(Reply(status, json={"error": "tenant.lookup is not supported"}))

    async with discovery(origin.url) as found:
        with pytest.raises(DiscoveryUnavailable, match=rf"HTTP {status}.*not supported") as caught:
            await found.tenant("acme")

    assert caught.value.status == status
    assert len(origin.seen) == 1


async def test_request_signed_with_a_secret_the_origin_lacks_is_refused_once(
    origin: Origin,
) -> None:
    async with discovery(origin.url, secrets=[generate_secret()]) as found:
        with pytest.raises(DiscoveryUnavailable, match=r"HTTP 401.*bad signature") as caught:
            await found.tenant("acme")

    assert caught.value.status == 401
    assert [s.verified for s in origin.seen] == [False]


GARBAGE = {
    "not json": Reply(body=b"<html>gateway says hello</html>"),
    "not an object": Reply(json=["acme"]),
    "no tenant": Reply(json={"outlet": {"id": "acme", "display_name": "x"}}),
    "another slug": Reply(json={"tenant": {"slug": "acme-2", "display_name": "Acme"}}),
    "no name": Reply(json={"tenant": {"slug": "acme"}}),
    "blank name": Reply(json={"tenant": {"slug": "acme", "display_name": "  "}}),
    "name not text": Reply(json={"tenant": {"slug": "acme", "display_name": 7}}),
    "too big": Reply(json={"tenant": {"slug": "acme", "display_name": "A" * 70_000}}),
}


@pytest.mark.parametrize("reply", GARBAGE.values(), ids=GARBAGE.keys())
async def test_malformed_tenant_answer_is_unavailable_without_retrying(
    origin: Origin, reply: Reply
) -> None:
    origin.will(reply, Reply(json=ACME))

    async with discovery(origin.url) as found:
        with pytest.raises(DiscoveryUnavailable, match="malformed answer") as caught:
            await found.tenant("acme")

    assert caught.value.status == 200
    assert len(origin.seen) == 1


BAD_OUTLETS = {
    "another id": {"id": "o-2", "display_name": "Depot"},
    "latitude out of range": {"id": "o-1", "display_name": "D", "latitude": 91, "longitude": 0},
    "longitude as text": {"id": "o-1", "display_name": "D", "latitude": 0, "longitude": "36.8"},
    "boolean coordinate": {"id": "o-1", "display_name": "D", "latitude": True, "longitude": 0},
    "latitude alone": {"id": "o-1", "display_name": "Depot", "latitude": 1.5},
}


@pytest.mark.parametrize("outlet", BAD_OUTLETS.values(), ids=BAD_OUTLETS.keys())
async def test_malformed_outlet_answer_is_unavailable_without_retrying(
    origin: Origin, outlet: dict[str, Any]
) -> None:
    origin.will(Reply(json={"outlet": outlet}))

    async with discovery(origin.url) as found:
        with pytest.raises(DiscoveryUnavailable, match="malformed answer"):
            await found.outlet("acme", "o-1")

    assert len(origin.seen) == 1


async def test_non_finite_coordinates_are_malformed(origin: Origin) -> None:
    origin.will(
        Reply(body=b'{"outlet":{"id":"o-1","display_name":"D","latitude":NaN,"longitude":0}}')
    )

    async with discovery(origin.url) as found:
        with pytest.raises(DiscoveryUnavailable, match="latitude"):
            await found.outlet("acme", "o-1")


# --- single flight -------------------------------------------------------------------------------


async def test_twenty_concurrent_lookups_of_a_new_tenant_make_one_request(origin: Origin) -> None:
    origin.will(Reply(json=ACME, delay_s=0.05))

    async with discovery(origin.url) as found:
        tenants = await asyncio.gather(*(found.tenant("acme") for _ in range(20)))

    assert set(tenants) == {DiscoveredTenant("acme", "Acme Deliveries")}
    assert len(origin.seen) == 1


async def test_concurrent_lookups_share_the_failure_too(origin: Origin) -> None:
    origin.will(Reply(404, delay_s=0.05))

    async with discovery(origin.url) as found:
        results = await asyncio.gather(
            *(found.outlet("acme", "gone") for _ in range(20)), return_exceptions=True
        )

    assert all(isinstance(r, DiscoveryNotFound) for r in results)
    assert len(origin.seen) == 1


async def test_concurrent_lookups_of_different_keys_are_separate_requests(origin: Origin) -> None:
    origin.will(Reply(404, delay_s=0.05))

    async with discovery(origin.url) as found:
        await asyncio.gather(
            found.tenant("acme"),
            found.tenant("globex"),
            found.outlet("acme", "o-1"),
            found.outlet("acme", "o-2"),
            found.outlet("globex", "o-1"),
            return_exceptions=True,
        )

    assert len(origin.seen) == 5


async def test_a_caller_that_gives_up_does_not_cancel_the_others_lookup(origin: Origin) -> None:
    origin.will(Reply(json=ACME, delay_s=0.1))

    async with discovery(origin.url) as found:
        impatient = asyncio.create_task(found.tenant("acme"))
        patient = asyncio.create_task(found.tenant("acme"))
        await asyncio.sleep(0.03)
        impatient.cancel()

        assert (await patient).slug == "acme"
        assert impatient.cancelled()

    assert len(origin.seen) == 1


# --- configuration -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "secrets", "options", "error"),
    [
        ("ftp://origin/", [SECRET], {}, "http or https"),
        ("http://origin/", [], {}, "at least one"),
        ("http://origin/", SECRET, {}, "at least one"),
        ("http://origin/", ["whsec_c2hvcnQ="], {}, "24 bytes"),
        ("http://origin/", ["plain-password"], {}, "whsec_"),
        ("http://origin/", [SECRET], {"attempts": 0}, "attempts"),
        ("http://origin/", [SECRET], {"timeout_s": 0}, "timeout_s"),
    ],
)
def test_bad_configuration_is_refused_at_construction(
    url: str, secrets: Any, options: dict[str, Any], error: str
) -> None:
    with pytest.raises(ValueError, match=error):
        HttpDiscovery(url, secrets, **options)

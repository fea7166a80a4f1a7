"""The console and tracking pages as the HTTP listener serves them: the committed build, its
content types and cache headers, the CSP, the redirect from /, and 404 for anything else."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from logistics.api.web_pages import ASSETS_DIR, WebPages, content_security_policy


async def get(pages: WebPages, path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    assert await pages.serve(method, path, send)
    start, body = sent
    headers = {k.decode(): v.decode() for k, v in start["headers"]}
    return start["status"], headers, body["body"]


async def test_the_root_redirects_to_the_console() -> None:
    status, headers, _ = await get(WebPages(), "/")
    assert (status, headers["location"]) == (302, "/console/")
    status, headers, _ = await get(WebPages(), "/track")
    assert (status, headers["location"]) == (301, "/track/")


@pytest.mark.parametrize("page", ["console", "track"])
async def test_each_page_and_every_asset_it_names_is_served(page: str) -> None:
    pages = WebPages()
    status, headers, body = await get(pages, f"/{page}/")
    assert status == 200
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert headers["cache-control"] == "no-cache"
    assert "default-src 'self'" in headers["content-security-policy"]
    assets = re.findall(r'(?:src|href)="(/assets/[^"]+)"', body.decode())
    assert assets
    for asset in assets:
        status, headers, body = await get(pages, asset)
        assert status == 200, asset
        assert headers["cache-control"] == "public, max-age=31536000, immutable"
        assert headers["content-type"].startswith(("text/javascript", "text/css"))
        assert headers["x-content-type-options"] == "nosniff"
        assert body


async def test_the_map_worker_is_served_as_javascript() -> None:
    [worker] = [p.name for p in (ASSETS_DIR / "assets").glob("maplibre-gl-worker-*.mjs")]
    status, headers, _ = await get(WebPages(), f"/assets/{worker}", method="HEAD")
    assert (status, headers["content-type"]) == (200, "text/javascript; charset=utf-8")


@pytest.mark.parametrize(
    "path", ["/assets/nope.js", "/assets/../console/index.html", "/console/x.js", "/track/a/b"]
)
async def test_unknown_paths_under_the_pages_are_404(path: str) -> None:
    status, headers, _ = await get(WebPages(), path)
    assert status == 404
    assert headers["cache-control"] == "no-store"


async def test_other_paths_and_methods_are_left_to_the_api() -> None:
    async def send(message: dict[str, Any]) -> None:
        raise AssertionError(message)

    pages = WebPages()
    assert not await pages.serve("GET", "/healthz", send)
    assert not await pages.serve("POST", "/console/", send)
    assert not await pages.serve("POST", "/bengobox.logistics.v1.TaskService/GetTask", send)


async def test_the_basemap_setting_reaches_the_page_and_its_csp() -> None:
    pages = WebPages("https://tiles.example.com/styles/streets/style.json")
    status, headers, body = await get(pages, "/console/config.json")
    assert status == 200
    assert json.loads(body) == {
        "map_style_url": "https://tiles.example.com/styles/streets/style.json"
    }
    assert "connect-src 'self' https://tiles.example.com;" in headers["content-security-policy"]
    _, _, body = await get(WebPages(), "/track/config.json")
    assert json.loads(body) == {"map_style_url": None}
    assert "example" not in content_security_policy(None)

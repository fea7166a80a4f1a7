"""The console (``/console/``) and the tracking page (``/track/``): the built files in
``logistics/web_assets`` served as they are, with content types, cache headers and a CSP.

Hashed assets (``/assets/*``) never change under their name, so they are cached for good; the
index pages and ``config.json`` are revalidated on every load. Nothing here needs Node: the
files are built by ``make console`` and committed."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from logistics.api.rest import Send

__all__ = ["ASSETS_DIR", "WebPages"]

ASSETS_DIR = Path(__file__).resolve().parent.parent / "web_assets"
PAGES = ("console", "track")

_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".woff2": "font/woff2",
}
IMMUTABLE = b"public, max-age=31536000, immutable"
REVALIDATE = b"no-cache"


@dataclass(frozen=True)
class _File:
    body: bytes
    content_type: str


def content_security_policy(map_style_url: str | None) -> str:
    """Only this origin, plus the basemap's origin (style, tiles, glyphs, sprites) if set."""
    extra = ""
    if map_style_url:
        parts = urlsplit(map_style_url)
        extra = f" {parts.scheme}://{parts.netloc}"
    return (
        "default-src 'self'; script-src 'self'; worker-src 'self'; style-src 'self'; "
        f"img-src 'self' data: blob:{extra}; connect-src 'self'{extra}; font-src 'self'{extra}; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )


class WebPages:
    """Answers ``GET``/``HEAD`` for ``/``, the two pages, their ``config.json`` and
    ``/assets/*``; ``serve`` returns False for any other path."""

    def __init__(self, map_style_url: str | None = None, root: Path = ASSETS_DIR) -> None:
        self._files: dict[str, _File] = {}
        if root.is_dir():
            for path in sorted(root.rglob("*")):
                kind = _TYPES.get(path.suffix)
                if path.is_file() and kind is not None:
                    rel = path.relative_to(root).as_posix()
                    self._files[rel] = _File(path.read_bytes(), kind)
        self._config = json.dumps({"map_style_url": map_style_url}).encode()
        self._csp = content_security_policy(map_style_url).encode()

    @staticmethod
    def handles(path: str) -> bool:
        head = path.split("/", 2)[1] if path.startswith("/") else ""
        return path == "/" or head in (*PAGES, "assets")

    async def serve(self, method: str, path: str, send: Send) -> bool:
        if method not in ("GET", "HEAD") or not self.handles(path):
            return False
        head_only = method == "HEAD"
        if path == "/":
            await self._redirect(send, 302, "/console/")
            return True
        page, _, rest = path[1:].partition("/")
        if page in PAGES and path == f"/{page}":
            await self._redirect(send, 301, f"/{page}/")
        elif page in PAGES and rest in ("", "index.html"):
            await self._file(send, self._files.get(f"{page}/index.html"), REVALIDATE, head_only)
        elif page in PAGES and rest == "config.json":
            config = _File(self._config, "application/json")
            await self._file(send, config, REVALIDATE, head_only)
        elif page == "assets" and "/" not in rest:
            await self._file(send, self._files.get(f"assets/{rest}"), IMMUTABLE, head_only)
        else:
            await self._file(send, None, REVALIDATE, head_only)
        return True

    async def _file(self, send: Send, file: _File | None, cache: bytes, head_only: bool) -> None:
        if file is None:
            file, cache = _File(b"not found\n", "text/plain; charset=utf-8"), b"no-store"
            status = 404
        else:
            status = 200
        headers = [
            (b"content-type", file.content_type.encode()),
            (b"content-length", str(len(file.body)).encode()),
            (b"cache-control", cache),
            (b"content-security-policy", self._csp),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if head_only else file.body})

    async def _redirect(self, send: Send, status: int, location: str) -> None:
        headers = [(b"location", location.encode()), (b"cache-control", b"no-cache")]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

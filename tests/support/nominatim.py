"""A small HTTP server that speaks Nominatim's search API (``GET /search?q=...&format=jsonv2``
with ``limit``, ``countrycodes`` and ``viewbox``), as Nominatim documents it: a JSON array of
places, each with ``place_id``, ``lat`` and ``lon`` as strings, ``display_name``,
``place_rank``, ``category``, ``type``, ``importance``, ``addresstype``, ``name`` and
``boundingbox``; ``[]`` when nothing matches. There is no Nominatim here; this stands in for one
over real HTTP.

``places`` maps a query (lower case) to (display name, lat, lng, place rank) rows. ``mode``
makes it misbehave: ``error`` (500), ``slow`` (answers after ``delay_s``)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

Row = tuple[str, float, float, int]


class FakeNominatim:
    def __init__(self, places: dict[str, list[Row]] | None = None) -> None:
        self.places: dict[str, list[Row]] = dict(places or {})
        self.mode = "ok"
        self.delay_s = 1.0
        self.requests: list[dict[str, str]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer._handle(self)

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FakeNominatim:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def settings(self) -> dict[str, str]:
        """What points a test server's geocoder here (Kenya, one attempt per try), with its
        timers checked every 0.1 s so an address is geocoded at once."""
        return {
            "LOGISTICS_TIMER_INTERVAL_SECONDS": "0.1",
            "LOGISTICS_GEOCODER": "nominatim",
            "LOGISTICS_GEOCODER_URL": self.url,
            "LOGISTICS_GEOCODER_ATTEMPTS": "1",
            "LOGISTICS_GEOCODER_COUNTRIES": "ke",
        }

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        self.requests.append(query)
        if self.mode == "slow":
            time.sleep(self.delay_s)
        if self.mode == "error":
            self._reply(handler, 500, {"error": "Internal Server Error"})
            return
        if parts.path != "/search" or query.get("format") != "jsonv2" or "q" not in query:
            self._reply(handler, 400, {"error": {"code": 400, "message": "Bad request"}})
            return
        limit = int(query.get("limit", "10"))
        rows = self.places.get(query["q"].strip().lower(), [])[:limit]
        self._reply(handler, 200, [_place(i, row) for i, row in enumerate(rows)])

    @staticmethod
    def _reply(handler: BaseHTTPRequestHandler, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json; charset=utf-8")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)


def _place(i: int, row: Row) -> dict[str, Any]:
    name, lat, lng, rank = row
    return {
        "place_id": 100000 + i,
        "licence": "Data (c) OpenStreetMap contributors, ODbL 1.0.",
        "osm_type": "node",
        "osm_id": 200000 + i,
        "lat": f"{lat:.7f}",
        "lon": f"{lng:.7f}",
        "category": "building" if rank >= 30 else "highway",
        "type": "house" if rank >= 30 else "residential",
        "place_rank": rank,
        "importance": 0.00001 + rank / 1000,
        "addresstype": "building" if rank >= 30 else "road",
        "name": name.split(",")[0],
        "display_name": name,
        "boundingbox": [
            f"{lat - 0.001:.7f}",
            f"{lat + 0.001:.7f}",
            f"{lng - 0.001:.7f}",
            f"{lng + 0.001:.7f}",
        ],
    }

"""A small HTTP server that speaks OSRM's table service (``GET /table/v1/{profile}/{lng,lat;...}``
with ``sources``, ``destinations`` and ``annotations``), as documented in osrm-backend's
docs/http.md: ``{"code": "Ok", "durations": [[...]], "distances": [[...]], "sources": [...],
"destinations": [...]}``, ``null`` where there is no route, ``{"code": "InvalidQuery"}`` with
400 on a bad request. There is no OSRM binary here; this stands in for one over real HTTP.

Its roads: a river runs east-west along ``river_lat``; a trip that crosses it takes the
bridge, ``detour`` times the straight line, others 1.2 times; all at 10 m/s. Pairs whose
origin is in ``unroutable`` get ``null``. ``mode`` makes it misbehave: ``error`` (500),
``slow`` (answers after ``delay_s``), ``garbage`` (200 with a body that is not a table).
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from logistics.domain.telemetry import haversine_m

SPEED_MPS = 10.0


class FakeOsrm:
    def __init__(self, river_lat: float = 1000.0, detour: float = 4.0) -> None:
        self.river_lat = river_lat
        self.detour = detour
        self.unroutable: set[tuple[float, float]] = set()
        self.mode = "ok"
        self.delay_s = 1.0
        self.requests: list[dict[str, Any]] = []
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

    def start(self) -> FakeOsrm:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def road(self, a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
        """(metres, seconds) from a to b on this server's roads (both (lat, lng))."""
        crosses = (a[0] - self.river_lat) * (b[0] - self.river_lat) < 0
        metres = haversine_m(*a, *b) * (self.detour if crosses else 1.2)
        return metres, metres / SPEED_MPS

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        segments = parts.path.split("/")
        if self.mode == "slow":
            time.sleep(self.delay_s)
        if self.mode == "error":
            self._reply(handler, 500, {"code": "InternalError"})
            return
        if self.mode == "garbage":
            self._reply(handler, 200, {"code": "Ok", "durations": "soon"})
            return
        if len(segments) != 5 or segments[1:3] != ["table", "v1"]:
            self._reply(handler, 400, {"code": "InvalidUrl", "message": "no such service"})
            return
        try:
            points = [
                (float(lat), float(lng))
                for lng, lat in (c.split(",") for c in segments[4].split(";"))
            ]
            sources = (
                [int(i) for i in query.get("sources", "all").split(";")]
                if (query.get("sources", "all") != "all")
                else list(range(len(points)))
            )
            targets = (
                [int(i) for i in query.get("destinations", "all").split(";")]
                if (query.get("destinations", "all") != "all")
                else list(range(len(points)))
            )
            if any(not 0 <= i < len(points) for i in sources + targets):
                raise ValueError("index out of range")
        except ValueError as exc:
            self._reply(handler, 400, {"code": "InvalidQuery", "message": str(exc)})
            return
        self.requests.append(
            {
                "profile": segments[3],
                "points": points,
                "sources": sources,
                "destinations": targets,
                "annotations": query.get("annotations", "duration"),
            }
        )
        durations: list[list[float | None]] = []
        distances: list[list[float | None]] = []
        for i in sources:
            d_row: list[float | None] = []
            m_row: list[float | None] = []
            for j in targets:
                if points[i] in self.unroutable:
                    d_row.append(None)
                    m_row.append(None)
                else:
                    metres, seconds = self.road(points[i], points[j])
                    m_row.append(round(metres, 1))
                    d_row.append(round(seconds, 1))
            durations.append(d_row)
            distances.append(m_row)
        body: dict[str, Any] = {
            "code": "Ok",
            "sources": [{"location": [points[i][1], points[i][0]], "name": ""} for i in sources],
            "destinations": [
                {"location": [points[j][1], points[j][0]], "name": ""} for j in targets
            ],
        }
        wanted = query.get("annotations", "duration").split(",")
        if "duration" in wanted:
            body["durations"] = durations
        if "distance" in wanted:
            body["distances"] = distances
        self._reply(handler, 200, body)

    @staticmethod
    def _reply(handler: BaseHTTPRequestHandler, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        try:
            handler.send_response(status)
            handler.send_header("content-type", "application/json")
            handler.send_header("content-length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (a timeout test)

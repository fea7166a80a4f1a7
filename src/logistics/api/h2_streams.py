"""Works around hypercorn 0.18.0 dropping an HTTP/2 connection on DATA for a finished stream.

When our app has sent a complete response before the client finished its request body (a
stream the server ends early: an error, a 404, a drain) and the client's DATA is still in
flight, or arrives just before its RST_STREAM, h2 rightly reports it as ``DataReceived``;
hypercorn's ``H2Protocol._handle_events`` then looks the stream up with
``self.streams[stream_id]``, raises ``KeyError`` and takes the whole connection down with
every other stream on it ("Unhandled exception in client_connected_cb ... KeyError").

Upstream: https://github.com/pgjones/hypercorn/issues/329 (fix proposed in pull requests
#312, #334 and #365, none released as of 0.18.0). The subclass below drops such DATA after
crediting the connection's flow-control window, which is what those patches do. It is
installed only on the versions known to have the bug; ``tests/e2e/test_h2_resets.py`` fails
if a later hypercorn still has it.
"""

from __future__ import annotations

import logging
from importlib.metadata import version

import h2.events
import hypercorn.protocol
from hypercorn.protocol.h2 import H2Protocol

__all__ = ["AFFECTED_VERSIONS", "install"]

logger = logging.getLogger(__name__)

AFFECTED_VERSIONS = frozenset({"0.18.0"})


class _H2Protocol(H2Protocol):
    async def _handle_events(self, events: list[h2.events.Event]) -> None:
        # One event at a time: a stream can end while an earlier event of the batch is handled.
        for event in events:
            if isinstance(event, h2.events.DataReceived) and event.stream_id not in self.streams:
                # The response is complete; the body's rest is not wanted, but its bytes
                # still count against the connection's window.
                self.connection.acknowledge_received_data(
                    event.flow_controlled_length, event.stream_id
                )
                logger.debug("dropped DATA for finished stream %d", event.stream_id)
                continue
            await super()._handle_events([event])
        await self._flush()


def install() -> bool:
    """Makes hypercorn build ``_H2Protocol`` for HTTP/2 connections; True if installed."""
    installed = version("hypercorn")
    if installed not in AFFECTED_VERSIONS:
        return False
    hypercorn.protocol.H2Protocol = _H2Protocol  # type: ignore[attr-defined]
    return True

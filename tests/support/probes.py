"""Events of any type with any data, for tests of the outbox, the relay and webhooks that are
about carrying events rather than their content."""

from __future__ import annotations

import dataclasses
from typing import Any

from logistics.domain.events import Event


def probe(event_type: str, **data: Any) -> Event:
    """An event of ``event_type`` whose fields are ``data``: its class is made here, so it is
    in no registry (the envelope still takes the resource from a registered type's class)."""
    cls = dataclasses.make_dataclass(
        "Probe",
        [(key, Any) for key in data],
        bases=(Event,),
        frozen=True,
        namespace={"type": event_type},
    )
    event: Event = cls(**data)
    return event

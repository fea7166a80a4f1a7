"""Every status word of the on-demand courier API (the sandbox's) maps onto one of ours, in
the same order, and every one of ours is reachable."""

from __future__ import annotations

from logistics.carriers.on_demand import STATUSES
from logistics.carriers.sandbox.model import ENDED, FLOW
from logistics.domain.carriers import CarrierStatus


def test_every_status_the_api_sends_maps_onto_ours_in_order() -> None:
    assert set(STATUSES) == set(FLOW) | ENDED
    ours = [STATUSES[word] for word in FLOW]
    assert ours == sorted(ours, key=list(CarrierStatus).index)
    assert set(STATUSES.values()) == set(CarrierStatus)
    assert STATUSES["failed"] is CarrierStatus.FAILED
    assert STATUSES["canceled"] is CarrierStatus.CANCELLED

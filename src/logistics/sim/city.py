"""The demo city: Nairobi's outlets, zones, a hub and the riders of the demo tenant, as plain
values. Rider ``i`` is the same in every run (its own generator), so seeding twice changes
nothing and ``--riders 50`` is the first 50 of ``--riders 200``. Pure."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime

from logistics.sim.motion import Point


@dataclass(frozen=True)
class Area:
    """A circle: a zone (riders of the same ``name`` serve it), a hub, or an outlet's yard."""

    name: str
    centre: Point
    radius_m: float


@dataclass(frozen=True)
class Outlet:
    id: str
    display_name: str
    location: Point
    zone: str | None


@dataclass(frozen=True)
class Fleet:
    id: str
    display_name: str
    kind: str  # own | contracted


@dataclass(frozen=True)
class RiderSpec:
    index: int
    external_id: str
    display_name: str
    phone: str
    vehicle_type: str
    plate: str
    fleet: str
    home: Outlet
    # True for the riders whose licence has lapsed: on shift and streaming, never eligible
    # (the console shows why).
    licence_expired: bool

    @property
    def zone(self) -> str | None:
        return self.home.zone


CENTRE = Point(-1.2864, 36.8172)
ZONES = (
    Area("westlands", Point(-1.2660, 36.8080), 1400.0),
    Area("cbd", Point(-1.2864, 36.8200), 1100.0),
    Area("kilimani", Point(-1.2930, 36.7830), 1800.0),
)
HUB = Area("industrial-area-hub", Point(-1.3050, 36.8500), 300.0)
OUTLETS = (
    Outlet("java-westlands", "Java House, Westlands", Point(-1.2649, 36.8050), "westlands"),
    Outlet("naivas-moi-avenue", "Naivas, Moi Avenue", Point(-1.2833, 36.8235), "cbd"),
    Outlet("artcaffe-yaya", "Artcaffe, Yaya Centre", Point(-1.2925, 36.7870), "kilimani"),
    Outlet("kfc-upper-hill", "KFC, Upper Hill", Point(-1.2990, 36.8150), None),
    Outlet("carrefour-junction", "Carrefour, The Junction", Point(-1.2985, 36.7620), None),
    Outlet("chicken-inn-parklands", "Chicken Inn, Parklands", Point(-1.2575, 36.8235), None),
)
FLEETS = (
    Fleet("nairobi-own", "Nairobi own riders", "own"),
    Fleet("boda-partners", "Boda boda partners", "contracted"),
)
# Where orders go: neighbourhoods around the outlets (centre, spread in metres).
NEIGHBOURHOODS = (
    (Point(-1.2620, 36.8020), 1200.0),  # Westlands
    (Point(-1.2780, 36.7700), 1300.0),  # Lavington
    (Point(-1.2900, 36.7840), 1000.0),  # Kilimani
    (Point(-1.2985, 36.8140), 900.0),  # Upper Hill
    (Point(-1.2740, 36.8480), 1100.0),  # Eastleigh
    (Point(-1.3100, 36.8350), 1000.0),  # South B
    (Point(-1.2580, 36.8230), 900.0),  # Parklands
    (Point(-1.2864, 36.8200), 700.0),  # CBD
)
FIRST = (
    "Wanjiku",
    "Otieno",
    "Achieng",
    "Kamau",
    "Njeri",
    "Mwangi",
    "Akinyi",
    "Kiprop",
    "Wambui",
    "Ochieng",
    "Chebet",
    "Mutua",
    "Nyambura",
    "Kariuki",
    "Atieno",
    "Onyango",
)
LAST = ("Mwangi", "Odhiambo", "Kimani", "Wafula", "Njoroge", "Kiptoo", "Omondi", "Muthoni")
VEHICLES = (("motorbike", 0.7), ("bicycle", 0.2), ("car", 0.1))
# Documents are valid from and to these dates (fixed, so a rerun finds the same ones).
DOCUMENTS_ISSUED = datetime(2024, 1, 15, tzinfo=UTC)
DOCUMENTS_EXPIRE = datetime(2031, 1, 15, tzinfo=UTC)
LICENCE_LAPSED = datetime(2025, 6, 30, tzinfo=UTC)


def rider(index: int) -> RiderSpec:
    """Rider ``index`` (0-based) of the demo tenant."""
    rng = random.Random(f"bengobox-demo-rider-{index}")
    vehicle = rng.choices([v for v, _ in VEHICLES], [w for _, w in VEHICLES])[0]
    letters = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(2))
    plate = (
        f"KM{letters} {100 + index % 900:03d}{rng.choice('ABCDEFGH')}"
        if vehicle == "motorbike"
        else f"K{letters}{rng.choice('ABCDEFGH')} {100 + index % 900:03d}{rng.choice('ABCDEFGH')}"
    )
    return RiderSpec(
        index=index,
        external_id=f"demo-rider-{index:04d}",
        display_name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
        phone=f"+2547{index % 100:02d}{rng.randrange(10**6):06d}",
        vehicle_type=vehicle,
        plate=plate if vehicle != "bicycle" else "",
        fleet=FLEETS[0].id if index % 3 else FLEETS[1].id,
        home=OUTLETS[index % len(OUTLETS)],
        licence_expired=index % 12 == 11,
    )


def riders(count: int) -> list[RiderSpec]:
    return [rider(i) for i in range(count)]

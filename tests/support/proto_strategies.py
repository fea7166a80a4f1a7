"""Hypothesis strategies that build any request message from its descriptor, hostile values first.

Strings may hold ``{placeholder}`` tokens (``{tenant}``, ``{rider}``, ``{fleet_etag_stale}``,
``{fresh}``...) that ``resolve`` replaces just before a call with the names and etags of
resources seeded for the run, so that examples stay static (reproducible, shrinkable, usable in
``@example``) while still naming rows that exist. ``{fresh}`` becomes a new random token at
every resolution, so an example that inserts something by a unique key inserts it every time;
``{other_tenant}`` likewise a new tenant slug, one that starts with ``{tenant}``.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Callable, Iterator, Mapping
from functools import cache

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass
from hypothesis import strategies as st

MAX_DEPTH = 4
INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)

# Collections of `tenants/{tenant}/{collection}/{id}` and the seeded resource of each.
COLLECTIONS = {
    "fleets": "fleet",
    "riders": "rider",
    "vehicles": "vehicle",
    "tasks": "task",
    "geofences": "geofence",
    "webhooks": "webhook",
    "routeTemplates": "route_template",
    "routePlans": None,
    "routes": None,
}
CHILD_COLLECTIONS = {
    "riders/{rider_id}/documents": "document",
    "riders/{rider_id}/shifts": "shift",
    "webhooks/{webhook_id}/deliveries": "delivery",
    "tasks/{task_id}/proofs": "proof",
}
# The kinds of which one resource is seeded, named by `{kind}` placeholders.
SEEDED_KINDS = ["fleet", "rider", "vehicle", "task", "geofence", "webhook", "route_template"]
SEEDED_KINDS += ["document", "shift"]
SINGLETONS = ["compliancePolicy", "dispatchPolicy", "slaPolicy", "telemetryPolicy"]
SEEDED = [f"{{{k}}}" for k in SEEDED_KINDS]
ETAGS = [f"{{{k}_etag}}" for k in SEEDED_KINDS]
STALE_ETAGS = ["{fleet_etag_stale}", "{rider_etag_stale}"]

# Ids that are not the canonical lower-case hyphenated UUID the names require.
BAD_IDS = [
    "",
    "x",
    "not-a-uuid",
    "00000000-0000-0000-0000-00000000000G",
    str(uuid.UUID(int=7)).upper(),
    uuid.UUID(int=7).hex,
    "{rider_id}\x00",
    "..",
    "%00",
    " {rider_id}",
    "x" * 20_000,
]

# The seeded resource each message is about, by a CamelCase word of the message's name (the
# longest that matches): GetRiderRequest -> rider, ListTaskEventsRequest -> task. The plausible
# values of its `name`, `parent` and `etag` fields are that resource's.
KINDS = {
    "Fleet": "fleet",
    "Rider": "rider",
    "Eligibility": "rider",
    "Vehicle": "vehicle",
    "Document": "document",
    "Shift": "shift",
    "Task": "task",
    "Step": "task",
    "TaskEvent": "task_event",
    "Proof": "proof",
    "Geofence": "geofence",
    "Webhook": "webhook",
    "Deliver": "delivery",
    "RouteTemplate": "route_template",
}
SINGLETON_KINDS = {
    "CompliancePolicy": "compliancePolicy",
    "DispatchPolicy": "dispatchPolicy",
    "SlaPolicy": "slaPolicy",
    "TelemetryPolicy": "telemetryPolicy",
}
# The parent of the resources of a kind, where it is not the tenant.
PARENTS = {
    "document": "{rider}",
    "shift": "{rider}",
    "task_event": "{task}",
    "proof": "{task}",
    "delivery": "{webhook}",
}
# Fields that name a resource of one kind, whatever message they are in.
REFERENCES = {
    "fleet": "fleet",
    "rider": "rider",
    "riders": "rider",
    "vehicle": "vehicle",
    "task": "task",
    "tasks": "task",
    "webhook": "webhook",
}
COLLECTION_OF = {kind: c for c, kind in {**COLLECTIONS, **CHILD_COLLECTIONS}.items() if kind}

# Values a field of that name plausibly holds (hostile ones come from ``texts``).
PLAUSIBLE: dict[str, list[str]] = {
    "etag": [*ETAGS, *STALE_ETAGS, '"0"'],
    "url": ["https://hooks.example.com/{fresh}", "http://127.0.0.1:1/", "ftp://example.com/"],
    "event_types": ["task.created", "task.assigned", "rider.offline", "*", "nope"],
    "phone": ["+254712345678", "+1", "0712345678"],
    "email": ["a@example.com", "a@"],
    "content_type": ["application/pdf", "image/png", "text/plain"],
    "file_sha256": ["0" * 64, "zz"],
    "step_id": ["{step}", "0", "99"],
    "id": ["{step}", "s0", "s1", "v1"],
    "stop_id": ["s0", "s1"],
    "pickup_stop_id": ["s0", "s1", "nope"],
    "offer_id": [str(uuid.UUID(int=3)), "x"],
    "request_id": ["{fresh}", "r-1", "x" * 129],
    "external_id": ["{fresh}", "emp-1"],
    "outlet_id": ["{fresh}", "o-seed"],
    "outlet_ids": ["{fresh}", "o-seed"],
    "home_outlet_id": ["{fresh}", "o-seed"],
    "zone": ["westlands", ""],
    "page_token": ["", "AAAA", "eyJvIjoxfQ"],
    "secret": ["whsec_" + "A" * 32, "short"],
    "one_time_code": ["1234", ""],
    "deliveries": ["tenants/{tenant}/webhooks/{webhook_id}/deliveries/" + str(uuid.UUID(int=5))],
}
WORDS = ["Otieno", "Fuzz {fresh}", "KDA 001A", "a", ""]


def kind_of(descriptor: Descriptor) -> str | None:
    """The seeded resource a message is about (see ``KINDS``), or a singleton's collection."""
    words = {**KINDS, **SINGLETON_KINDS}
    found = [word for word in words if word in descriptor.name]
    return words[max(found, key=len)] if found else None


def resolve(text: str, values: Mapping[str, str]) -> str:
    """``text`` with each ``{key}`` of ``values`` replaced; ``{fresh}`` is new each time."""
    if "{" not in text:
        return text

    def one(match: re.Match[str]) -> str:
        key = match.group(1)
        if key == "fresh":
            return uuid.uuid4().hex[:12]
        if key == "other_tenant" and "tenant" in values:
            return f"{values['tenant']}-o{uuid.uuid4().hex[:8]}"
        return values.get(key, match.group(0))

    return re.sub(r"\{([a-z_]+)\}", one, text)


def resolve_message(message: Message, values: Mapping[str, str]) -> None:
    """Resolves the placeholders of every string in ``message`` (keys of maps too), in place."""
    for field, value in message.ListFields():
        if _is_map(field):
            entries = list(value.items())
            value.clear()
            value_field = field.message_type.fields_by_name["value"]
            for key, item in entries:
                key = resolve(key, values) if isinstance(key, str) else key
                if value_field.type == FieldDescriptor.TYPE_MESSAGE:
                    resolve_message(item, values)
                    value[key].CopyFrom(item)
                elif isinstance(item, str):
                    value[key] = resolve(item, values)
                else:
                    value[key] = item
        elif field.type == FieldDescriptor.TYPE_MESSAGE:
            for item in value if field.is_repeated else [value]:
                resolve_message(item, values)
        elif field.type == FieldDescriptor.TYPE_STRING:
            if field.is_repeated:
                value[:] = [resolve(v, values) for v in value]
            else:
                setattr(message, field.name, resolve(value, values))


def resource_names() -> st.SearchStrategy[str]:
    """Names of seeded resources, of absent ones, of other tenants, and malformed ones."""
    collections = st.sampled_from([*COLLECTIONS, *CHILD_COLLECTIONS])
    ids = st.uuids().map(str)
    return st.one_of(
        st.sampled_from(SEEDED),
        st.sampled_from(["tenants/{tenant}", *(f"tenants/{{tenant}}/{s}" for s in SINGLETONS)]),
        st.builds(lambda c, i: f"tenants/{{tenant}}/{c}/{i}", collections, ids),
        st.builds(
            lambda c, i: f"tenants/{{tenant}}/{c}/{i}", collections, st.sampled_from(BAD_IDS)
        ),
        st.builds(lambda c, i: f"tenants/{{other_tenant}}/{c}/{i}", collections, ids),
        st.builds(
            lambda seeded, suffix: seeded + suffix,
            st.sampled_from(SEEDED),
            st.sampled_from(["/x", "\x00", "/", " ", "/documents/" + str(uuid.UUID(int=1))]),
        ),
        st.sampled_from(
            [
                "tenants/{other_tenant}",
                "tenants/",
                "tenants/Not_A_Slug",
                "tenants/-x",
                "tenants/{tenant}/",
                "tenants/{tenant}\x00",
                "tenants/" + "a" * 64,
                "{tenant}",
                "/tenants/{tenant}",
            ]
        ),
    )


def _repeat(symbol: str, count: int) -> str:
    return symbol * count


def texts() -> st.SearchStrategy[str]:
    """Any string: short words, random unicode, NUL bytes, odd code points, huge values, names."""
    return st.one_of(
        st.sampled_from(["", "a", "Otieno", " ", "0", "-1", "null", "{fresh}"]),
        st.text(max_size=12),  # hypothesis leaves surrogates out: they cannot be encoded
        st.builds(lambda a, b: f"{a}\x00{b}", st.text(max_size=4), st.text(max_size=4)),
        st.sampled_from(
            [
                "\ufffe",
                "\uffff",
                "\U0010ffff",
                "\u202eevil",
                "\x7f\x01\x1b[31m",
                "\u200b",
                "😀" * 3,
                "'; DROP TABLE riders; --",
                "%s%n%x",
                "\\u0000",
                '"}',
            ]
        ),
        st.builds(
            _repeat,
            st.sampled_from(["x", "é", "😀", "\x00", "ab\x00"]),
            st.sampled_from([101, 201, 1025, 20_000]),
        ),
        resource_names(),
    )


def names_of(kind: str | None) -> st.SearchStrategy[str]:
    """Names of a kind's seeded resource and of absent ones of the same collection."""
    if kind in SINGLETON_KINDS.values():
        return st.just(f"tenants/{{tenant}}/{kind}")
    if kind not in COLLECTION_OF:
        return st.sampled_from(SEEDED)
    collection = COLLECTION_OF[kind]
    absent = st.uuids().map(lambda i: f"tenants/{{tenant}}/{collection}/{i}")
    if kind not in SEEDED_KINDS:
        return absent
    return st.one_of(st.just(f"{{{kind}}}"), st.just(f"{{{kind}}}"), absent)


def plausible_strings(field: FieldDescriptor, owner: Descriptor) -> st.SearchStrategy[str]:
    """What a well-meaning client would put in the field, judged by its name and message."""
    kind = kind_of(owner)
    if field.name == "name":
        return names_of(kind)
    if field.name == "parent":
        return st.just(PARENTS.get(kind or "", "tenants/{tenant}"))
    if field.name in REFERENCES:
        return names_of(REFERENCES[field.name])
    if field.name == "etag" and kind in SEEDED_KINDS:
        return st.sampled_from([f"{{{kind}_etag}}", *STALE_ETAGS, '"0"'])
    return st.sampled_from(PLAUSIBLE.get(field.name, WORDS))


def strings_for(field: FieldDescriptor, owner: Descriptor) -> st.SearchStrategy[str]:
    """Mostly plausible strings for the field, hostile ones a quarter of the time."""
    plausible = plausible_strings(field, owner)
    return st.one_of(plausible, plausible, plausible, texts())


PLAUSIBLE_NUMBERS: dict[str, list[float]] = {
    "latitude": [-1.2833, -1.3, -1.2676],
    "longitude": [36.8167, 36.78, 36.8108],
    "radius_m": [100.0, 2000.0],
    "page_size": [1, 10, 100],
    "run_minute": [0, 300],
    "weekdays": [1, 5, 7],
    "retention_days": [1, 30],
    "max_riders": [1, 5],
    "count": [1, 2],
    "rating": [1.0, 4.5, 5.0],
}


def integers(field: FieldDescriptor) -> st.SearchStrategy[int]:
    low, high = {
        FieldDescriptor.TYPE_INT32: INT32,
        FieldDescriptor.TYPE_SINT32: INT32,
        FieldDescriptor.TYPE_SFIXED32: INT32,
        FieldDescriptor.TYPE_UINT32: (0, 2**32 - 1),
        FieldDescriptor.TYPE_FIXED32: (0, 2**32 - 1),
        FieldDescriptor.TYPE_UINT64: (0, 2**64 - 1),
        FieldDescriptor.TYPE_FIXED64: (0, 2**64 - 1),
    }.get(field.type, INT64)
    plausible = st.sampled_from([int(v) for v in PLAUSIBLE_NUMBERS.get(field.name, [])] or [1])
    plausible = plausible | st.integers(0, 10)
    edges = [v for v in (-1, 0, 1000, 10**6, 10**12, low, high) if low <= v <= high]
    hostile = st.sampled_from(edges) | st.integers(low, high)
    return st.one_of(plausible, plausible, hostile)


def floats(field: FieldDescriptor) -> st.SearchStrategy[float]:
    width = 32 if field.type == FieldDescriptor.TYPE_FLOAT else 64
    plausible = st.sampled_from(PLAUSIBLE_NUMBERS.get(field.name, [0.5, 5.0]))
    plausible = plausible | st.floats(0, 100, width=width)
    edges = [0.0, -0.0, math.nan, math.inf, -math.inf, 1e308, -1e308, 5e-324, -1.0]
    edges += [90.0, -90.0, 180.0, 91.0, -181.0, 1e9]
    hostile = st.sampled_from(edges) | st.floats(width=width)
    return st.one_of(plausible, plausible, hostile)


def enums(field: FieldDescriptor) -> st.SearchStrategy[int]:
    known = sorted(v.number for v in field.enum_type.values)
    specified = st.sampled_from([n for n in known if n != 0] or known)
    unknown = st.sampled_from([0, max(known) + 1, 99, -1, 2**31 - 1])
    return st.one_of(specified, specified, unknown)


def _bytes() -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.binary(max_size=32),
        st.sampled_from([b"%PDF-1.4\n%%EOF\n", b"\x89PNG\r\n\x1a\n", b"\x00" * 300_000]),
    )


# The last valid second (9999-12-31T23:59:59Z), the first (0001-01-01T00:00:00Z), 2027-01-15.
TIMESTAMP_SECONDS = [253_402_300_799, -62_135_596_800, 1_800_000_000]
DURATION_SECONDS_MAX = 315_576_000_000  # ten thousand years, the Duration's documented range


def timestamps() -> st.SearchStrategy[tuple[int, int]]:
    plausible = st.tuples(
        st.sampled_from([1_800_000_000 + h * 3_600 for h in (-48, 0, 1, 8, 24, 24 * 7)]),
        st.just(0),
    )
    seconds = st.one_of(
        st.sampled_from([*TIMESTAMP_SECONDS, 0, -1, 253_402_300_800, -62_135_596_801]),
        st.integers(-62_135_596_800, 253_402_300_799),
        st.sampled_from([INT64[0], INT64[1], 2**40, -(2**40)]),
    )
    return st.one_of(plausible, plausible, st.tuples(seconds, _nanos()))


def durations() -> st.SearchStrategy[tuple[int, int]]:
    plausible = st.sampled_from([(0, 100_000_000), (0, 200_000_000), (60, 0), (3_600, 0)])
    seconds = st.one_of(
        st.sampled_from([0, 1, 86_400, 31_536_000, -1, -60]),
        st.sampled_from([DURATION_SECONDS_MAX, DURATION_SECONDS_MAX + 1, INT64[0], INT64[1]]),
        st.integers(-DURATION_SECONDS_MAX, DURATION_SECONDS_MAX),
    )
    return st.one_of(plausible, plausible, st.tuples(seconds, _nanos()))


def _nanos() -> st.SearchStrategy[int]:
    return st.one_of(
        st.sampled_from([0, 200_000_000, 999_999_999]),
        st.sampled_from([-1, 1_000_000_000, INT32[0], INT32[1]]),
        st.integers(0, 999_999_999),
    )


def mask_paths(request: Descriptor) -> list[str]:
    """Field paths a mask of ``request`` might name: the fields of its resource and nested ones."""
    paths: list[str] = []
    for field in request.fields:
        if field.type != FieldDescriptor.TYPE_MESSAGE or _well_known(field.message_type):
            continue
        for inner in field.message_type.fields:
            paths.append(inner.name)
            if inner.type == FieldDescriptor.TYPE_MESSAGE and not _is_map(inner):
                paths += [f"{inner.name}.{f.name}" for f in inner.message_type.fields][:3]
    return paths


def field_masks(paths: list[str]) -> st.SearchStrategy[list[str]]:
    valid = st.sampled_from(sorted(set(paths)) or ["x"])
    garbage = ["*", "", "no_such_field", "name", "labels.x", "a.b.c", "display_name\x00"]
    garbage.append("x" * 20_000)
    plausible = st.lists(valid, min_size=1, max_size=2, unique=True)
    return st.one_of(plausible, plausible, st.lists(valid | st.sampled_from(garbage), max_size=4))


def _well_known(descriptor: Descriptor) -> bool:
    return descriptor.full_name in {
        "google.protobuf.Timestamp",
        "google.protobuf.Duration",
        "google.protobuf.FieldMask",
    }


def _is_map(field: FieldDescriptor) -> bool:
    return field.type == FieldDescriptor.TYPE_MESSAGE and field.message_type.GetOptions().map_entry


def _scalars(field: FieldDescriptor) -> st.SearchStrategy[object]:
    kind = field.type
    if kind == FieldDescriptor.TYPE_STRING:
        return strings_for(field, field.containing_type)
    if kind == FieldDescriptor.TYPE_BYTES:
        return _bytes()
    if kind == FieldDescriptor.TYPE_BOOL:
        return st.booleans()
    if kind == FieldDescriptor.TYPE_ENUM:
        return enums(field)
    if kind in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
        return floats(field)
    return integers(field)


def _values(
    field: FieldDescriptor, paths: tuple[str, ...], depth: int
) -> st.SearchStrategy[object]:
    if field.type == FieldDescriptor.TYPE_MESSAGE:
        return messages(field.message_type, paths, depth + 1)
    return _scalars(field)


@cache
def messages(
    descriptor: Descriptor, paths: tuple[str, ...] = (), depth: int = 0
) -> st.SearchStrategy[Message]:
    """Messages of ``descriptor``: each field set or not, at most one field of each oneof.

    ``paths`` are the field-mask paths worth naming (see ``mask_paths``). Below ``MAX_DEPTH``
    message fields stay unset, so recursive types end.
    """
    message_class = GetMessageClass(descriptor)
    name = descriptor.full_name
    if name == "google.protobuf.Timestamp":
        return timestamps().map(lambda sn: message_class(seconds=sn[0], nanos=sn[1]))
    if name == "google.protobuf.Duration":
        return durations().map(lambda sn: message_class(seconds=sn[0], nanos=sn[1]))
    if name == "google.protobuf.FieldMask":
        return field_masks(list(paths)).map(lambda p: message_class(paths=p))
    setters: list[st.SearchStrategy[Callable[[Message], None]]] = []
    for oneof in descriptor.oneofs:
        choices = [f for f in oneof.fields if depth < MAX_DEPTH or f.message_type is None]
        setters.append(
            st.one_of(
                st.just(_nothing),
                *(_setting(f, _values(f, paths, depth)) for f in choices),
            )
        )
    for field in descriptor.fields:
        if field.containing_oneof is not None:
            continue
        if field.type == FieldDescriptor.TYPE_MESSAGE and depth >= MAX_DEPTH:
            continue
        setting = _setting(field, _field_values(field, paths, depth))
        setters.append(st.one_of(st.just(_nothing), setting, setting))

    def build(chosen: list[Callable[[Message], None]]) -> Message:
        message = message_class()
        for set_field in chosen:
            set_field(message)
        return message

    return st.tuples(*setters).map(lambda chosen: build(list(chosen)))


def _field_values(
    field: FieldDescriptor, paths: tuple[str, ...], depth: int
) -> st.SearchStrategy[object]:
    if _is_map(field):
        key_field = field.message_type.fields_by_name["key"]
        value_field = field.message_type.fields_by_name["value"]
        return st.dictionaries(_scalars(key_field), _values(value_field, paths, depth), max_size=3)
    if field.is_repeated:
        return st.lists(_values(field, paths, depth), max_size=4)
    return _values(field, paths, depth)


def _nothing(message: Message) -> None:
    return None


def _setting(
    field: FieldDescriptor, values: st.SearchStrategy[object]
) -> st.SearchStrategy[Callable[[Message], None]]:
    def setter(value: object) -> Callable[[Message], None]:
        def apply(message: Message) -> None:
            _assign(message, field, value)

        apply.__name__ = f"set_{field.name}"
        return apply

    return values.map(setter)


def _assign(message: Message, field: FieldDescriptor, value: object) -> None:
    target = getattr(message, field.name)
    if _is_map(field):
        assert isinstance(value, dict)
        message_values = field.message_type.fields_by_name["value"].message_type is not None
        for key, item in value.items():
            if message_values:
                target[key].CopyFrom(item)
            else:
                target[key] = item
    elif field.is_repeated:
        assert isinstance(value, list)
        if field.type == FieldDescriptor.TYPE_MESSAGE:
            for item in value:
                target.add().CopyFrom(item)
        else:
            target.extend(value)
    elif field.type == FieldDescriptor.TYPE_MESSAGE:
        assert isinstance(value, Message)
        target.CopyFrom(value)
    else:
        setattr(message, field.name, value)


def string_paths(descriptor: Descriptor, depth: int = 2) -> Iterator[tuple[FieldDescriptor, ...]]:
    """Every path to a string field through at most ``depth`` levels (map entries included)."""
    for field in descriptor.fields:
        if field.type == FieldDescriptor.TYPE_STRING:
            yield (field,)
        elif field.type == FieldDescriptor.TYPE_MESSAGE and depth > 1:
            for rest in string_paths(field.message_type, depth - 1):
                yield (field, *rest)


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        low, value = value & 0x7F, value >> 7
        if value:
            out.append(low | 0x80)
        else:
            out.append(low)
            return bytes(out)


def length_delimited(path: tuple[FieldDescriptor, ...], payload: bytes) -> bytes:
    """The wire bytes of a message whose string at ``path`` holds ``payload`` as it is.

    protobuf refuses to serialize a str that is not valid UTF-8, so the bytes are built by hand:
    each level is field tag (wire type 2) + length + the level below.
    """
    body = payload
    for field in reversed(path):
        body = _varint(field.number << 3 | 2) + _varint(len(body)) + body
    return body

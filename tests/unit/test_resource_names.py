"""Tenant slugs and resource names (``tenants/{tenant}/{collection}/{id}``)."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from logistics.domain.errors import InvalidArgument
from logistics.domain.ids import (
    ResourceName,
    TenantSlug,
    parse_name,
    parse_parent,
    parse_tenant_slug,
)
from logistics.domain.names import (
    DOCUMENTS,
    FLEETS,
    RIDERS,
    ROUTE_PLANS,
    SHIFTS,
    SLA_POLICY,
    TASKS,
    WEBHOOKS,
    Collection,
)

PROPERTY = settings(max_examples=300, deadline=None, database=None)

VALID_SLUGS = st.from_regex(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?", fullmatch=True)
COLLECTIONS = st.sampled_from(["riders", "fleets", "tasks"])
FIELDS = st.sampled_from(["name", "parent", "rider.fleet", "tenant"])
RIDER_ID = uuid.UUID("0b6f0d3c-5a57-4c55-9a50-2f5b0e2d8a11")


@pytest.mark.parametrize("slug", ["a", "acme", "acme-foods", "0", "a1-b2-c3", "x" * 63])
def test_valid_tenant_slug_is_returned_unchanged(slug: str) -> None:
    assert parse_tenant_slug(slug) == slug


@pytest.mark.parametrize(
    "slug",
    ["", "Acme", "-acme", "acme-", "acme_foods", "acme foods", "x" * 64, "acmé", "a/b", "a.b"],
)
def test_invalid_tenant_slug_is_invalid_argument_on_the_given_field(slug: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        parse_tenant_slug(slug, "rider.tenant")

    assert [v.field for v in caught.value.violations] == ["rider.tenant"]


def test_tenant_slug_with_trailing_newline_is_rejected() -> None:
    with pytest.raises(InvalidArgument):
        parse_tenant_slug("acme\n")


def test_parse_parent_returns_the_tenant() -> None:
    assert parse_parent("tenants/acme") == "acme"


@pytest.mark.parametrize(
    "value", ["", "tenants", "tenants/", "acme", "tenant/acme", "tenants/Acme", "tenants/acme/x"]
)
def test_malformed_parent_is_invalid_argument_on_parent(value: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        parse_parent(value)

    assert caught.value.violations[0].field == "parent"


def test_parse_name_splits_tenant_collection_and_id() -> None:
    name = parse_name(f"tenants/acme/riders/{RIDER_ID}", "riders")

    assert name == ResourceName(tenant=parse_tenant_slug("acme"), collection="riders", id=RIDER_ID)
    assert str(name) == f"tenants/acme/riders/{RIDER_ID}"


@pytest.mark.parametrize(
    "value",
    [
        f"tenants/acme/fleets/{RIDER_ID}",  # other collection
        f"tenants/acme/riders/{RIDER_ID}/extra",
        f"tenants/ACME/riders/{RIDER_ID}",
        f"tenant/acme/riders/{RIDER_ID}",
        "tenants/acme/riders/not-a-uuid",
        "tenants/acme/riders/",
        f"/tenants/acme/riders/{RIDER_ID}",
        "",
    ],
)
def test_malformed_name_is_invalid_argument_on_the_given_field(value: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        parse_name(value, "riders", field="rider.name")

    assert [v.field for v in caught.value.violations] == ["rider.name"]


def failed_field(parse: Callable[..., object], *args: str) -> str | None:
    """The field an InvalidArgument names, or None when the value was accepted."""
    try:
        parse(*args)
    except InvalidArgument as exc:
        return exc.violations[0].field
    return None


@PROPERTY
@given(slug=VALID_SLUGS, ident=st.uuids(), collection=COLLECTIONS)
def test_every_valid_name_round_trips(slug: str, ident: uuid.UUID, collection: str) -> None:
    name = ResourceName(parse_tenant_slug(slug), collection, ident)

    parsed = parse_name(str(name), collection)

    assert parsed == name
    assert str(parsed) == str(name)
    assert parse_parent(f"tenants/{slug}") == slug


@PROPERTY
@given(value=st.text(), collection=COLLECTIONS, field=FIELDS)
def test_arbitrary_text_as_name_fails_only_with_invalid_argument_on_the_field(
    value: str, collection: str, field: str
) -> None:
    assert failed_field(parse_name, value, collection, field) in (None, field)


@PROPERTY
@given(
    value=st.one_of(
        st.text(),
        st.builds(lambda s: f"tenants/{s}", st.text()),
        st.builds(lambda s, i: f"tenants/{s}/riders/{i}", st.text(), st.text()),
    ),
    field=FIELDS,
)
def test_arbitrary_text_as_parent_or_slug_fails_only_with_invalid_argument(
    value: str, field: str
) -> None:
    assert failed_field(parse_parent, value, field) in (None, field)
    assert failed_field(parse_tenant_slug, value, field) in (None, field)
    assert failed_field(parse_name, value, "riders", field) in (None, field)


DOCUMENT_ID = uuid.UUID("5d3a1e0c-7f61-4b8e-9c1a-2a4f6b8d0e13")


@pytest.mark.parametrize("collection", [FLEETS, RIDERS, TASKS, WEBHOOKS, ROUTE_PLANS])
def test_a_collection_parses_the_names_it_writes(collection: Collection) -> None:
    written = collection.name(TenantSlug("acme"), RIDER_ID)

    assert written == f"tenants/acme/{collection.id}/{RIDER_ID}"
    assert collection.parse(written) == collection.resource(TenantSlug("acme"), RIDER_ID)
    assert str(collection.parse(written)) == written


def test_a_collection_refuses_another_collections_name_on_the_given_field() -> None:
    with pytest.raises(InvalidArgument) as caught:
        FLEETS.parse(RIDERS.name(TenantSlug("acme"), RIDER_ID), "rider.fleet")

    assert [v.field for v in caught.value.violations] == ["rider.fleet"]


def test_a_child_collection_writes_and_parses_names_under_its_parent() -> None:
    written = DOCUMENTS.name(TenantSlug("acme"), RIDER_ID, DOCUMENT_ID)

    assert written == f"tenants/acme/riders/{RIDER_ID}/documents/{DOCUMENT_ID}"
    parsed = DOCUMENTS.parse(written)
    assert (parsed.parent, parsed.id) == (
        RIDERS.resource(TenantSlug("acme"), RIDER_ID),
        DOCUMENT_ID,
    )
    with pytest.raises(InvalidArgument):
        SHIFTS.parse(written)


def test_a_singleton_names_the_tenants_one_resource() -> None:
    assert SLA_POLICY.name(TenantSlug("acme")) == "tenants/acme/slaPolicy"
    assert SLA_POLICY.parse("tenants/acme/slaPolicy") == "acme"
    with pytest.raises(InvalidArgument):
        SLA_POLICY.parse("tenants/acme/dispatchPolicy")


def test_not_found_names_the_resource_with_its_noun() -> None:
    error = RIDERS.not_found(TenantSlug("acme"), RIDER_ID)

    assert str(error) == f"rider tenants/acme/riders/{RIDER_ID} not found"

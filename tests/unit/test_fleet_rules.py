"""Domain rules: rider and fleet validation, update masks, etags, page sizes, caller scopes."""

from __future__ import annotations

import dataclasses
import uuid

import pytest

from logistics.domain.caller import Caller, Scope
from logistics.domain.errors import EtagMismatch, InvalidArgument, PermissionDenied
from logistics.domain.fleet import (
    FLEET_UPDATABLE,
    MAX_LABELS,
    RIDER_UPDATABLE,
    Fleet,
    FleetKind,
    Rider,
    check_update_paths,
    validate_fleet,
    validate_rider,
)
from logistics.domain.ids import TenantSlug
from logistics.domain.paging import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, page_size
from logistics.domain.versioning import check_etag, etag_for


def rider(**changes: object) -> Rider:
    base = Rider(
        id=uuid.uuid4(),
        display_name="Wanjiku Kamau",
        external_id="HR-0042",
        phone="+254712345678",
        email="wanjiku@example.co.ke",
        home_outlet_id="outlet-7",
        zone="westlands",
        labels={"shift": "night", "team.a": "1"},
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def fleet(**changes: object) -> Fleet:
    base = Fleet(
        id=uuid.uuid4(),
        display_name="Nairobi riders",
        kind=FleetKind.OWN,
        outlet_ids=("outlet-1", "outlet-2"),
        labels={"region": "nairobi"},
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def violations(exc: InvalidArgument) -> dict[str, str]:
    return {v.field: v.description for v in exc.violations}


def test_valid_rider_passes() -> None:
    validate_rider(rider())


def test_rider_with_only_a_name_passes() -> None:
    validate_rider(Rider(id=uuid.uuid4(), display_name="Otieno"))


def test_every_bad_rider_field_is_reported_at_once_with_its_path() -> None:
    bad = rider(
        display_name="   ",
        external_id="has space",
        phone="0712345678",
        email="not-an-email",
        home_outlet_id="o" * 129,
        zone="z" * 129,
        labels={"Bad Key": "v", "ok": "v" * 257},
    )

    with pytest.raises(InvalidArgument) as caught:
        validate_rider(bad)

    assert set(violations(caught.value)) == {
        "rider.display_name",
        "rider.external_id",
        "rider.phone",
        "rider.email",
        "rider.home_outlet_id",
        "rider.zone",
        "rider.labels[Bad Key]",
        "rider.labels[ok]",
    }


def test_violation_paths_use_the_given_prefix() -> None:
    with pytest.raises(InvalidArgument) as caught:
        validate_rider(rider(phone="12345", display_name=""), prefix="request.rider")

    assert set(violations(caught.value)) == {"request.rider.phone", "request.rider.display_name"}


def test_rider_name_longer_than_200_characters_is_rejected() -> None:
    validate_rider(rider(display_name="n" * 200))
    with pytest.raises(InvalidArgument) as caught:
        validate_rider(rider(display_name="n" * 201))

    assert set(violations(caught.value)) == {"rider.display_name"}


@pytest.mark.parametrize("phone", ["+254712345678", "+14155552671", "+4930123456", "+1234567"])
def test_e164_phone_is_accepted(phone: str) -> None:
    validate_rider(rider(phone=phone))


@pytest.mark.parametrize(
    "phone",
    [
        "0712345678",  # national format, no +
        "254712345678",
        "+0712345678",  # country code cannot start with 0
        "+254 712 345 678",
        "+254-712-345678",
        "+123456",  # too short
        "+1234567890123456",  # 16 digits, too long
        "+",
        "",
        "+25471234567a",
    ],
)
def test_non_e164_phone_is_rejected_on_rider_phone(phone: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        validate_rider(rider(phone=phone))

    assert set(violations(caught.value)) == {"rider.phone"}
    assert "E.164" in caught.value.violations[0].description


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"phone": "+254712345678\n"}, "rider.phone"),
        ({"email": "wanjiku@example.co.ke\n"}, "rider.email"),
        ({"external_id": "HR-0042\n"}, "rider.external_id"),
        ({"labels": {"shift\n": "night"}}, "rider.labels[shift\n]"),
    ],
)
def test_value_with_trailing_newline_is_rejected(change: dict[str, object], path: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        validate_rider(rider(**change))

    assert path in violations(caught.value)


@pytest.mark.parametrize("key", ["a", "shift", "team.a", "x-y_z", "a" + "b" * 62])
def test_good_label_keys_are_accepted(key: str) -> None:
    validate_fleet(fleet(labels={key: "v"}))


@pytest.mark.parametrize("key", ["", "Shift", "1abc", "_x", "a b", "a" + "b" * 63, "ключ"])
def test_bad_label_key_is_reported_with_the_key_in_the_path(key: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        validate_fleet(fleet(labels={key: "v"}))

    assert set(violations(caught.value)) == {f"fleet.labels[{key}]"}


def test_more_than_64_labels_is_rejected_on_the_labels_field() -> None:
    validate_fleet(fleet(labels={f"k{i}": "v" for i in range(MAX_LABELS)}))
    with pytest.raises(InvalidArgument) as caught:
        validate_fleet(fleet(labels={f"k{i}": "v" for i in range(MAX_LABELS + 1)}))

    assert set(violations(caught.value)) == {"fleet.labels"}


def test_valid_fleet_passes() -> None:
    validate_fleet(fleet())


def test_every_bad_fleet_field_is_reported_at_once_with_its_path() -> None:
    bad = fleet(
        display_name="",
        outlet_ids=("outlet-1", "", "o" * 129, "outlet-1"),
        labels={"UPPER": "v"},
    )

    with pytest.raises(InvalidArgument) as caught:
        validate_fleet(bad)

    assert set(violations(caught.value)) == {
        "fleet.display_name",
        "fleet.outlet_ids[1]",
        "fleet.outlet_ids[2]",
        "fleet.outlet_ids",
        "fleet.labels[UPPER]",
    }
    assert "duplicate" in violations(caught.value)["fleet.outlet_ids"]


def test_invalid_argument_message_lists_every_violation() -> None:
    with pytest.raises(InvalidArgument) as caught:
        validate_fleet(fleet(display_name="", outlet_ids=("a", "a")))

    assert "fleet.display_name" in caught.value.message
    assert "fleet.outlet_ids" in caught.value.message


def test_update_mask_of_updatable_fields_passes() -> None:
    check_update_paths(frozenset({"display_name", "labels"}), FLEET_UPDATABLE, "update_mask")
    check_update_paths(RIDER_UPDATABLE, RIDER_UPDATABLE, "update_mask")


@pytest.mark.parametrize("path", ["id", "create_time", "version", "state", "nonsense"])
def test_update_mask_naming_a_field_that_cannot_change_is_invalid(path: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        check_update_paths(frozenset({"display_name", path}), FLEET_UPDATABLE, "update_mask")

    assert [v.field for v in caught.value.violations] == ["update_mask"]
    assert path in caught.value.violations[0].description


def test_etag_is_the_quoted_version() -> None:
    assert etag_for(7) == '"7"'


@pytest.mark.parametrize("given", [None, ""])
def test_empty_etag_means_any_version(given: str | None) -> None:
    check_etag(given, 7)


def test_matching_etag_passes() -> None:
    check_etag(etag_for(7), 7)


@pytest.mark.parametrize("given", ['"6"', "7", '"8"', 'W/"7"', "garbage"])
def test_stale_or_wrong_etag_is_etag_mismatch(given: str) -> None:
    with pytest.raises(EtagMismatch) as caught:
        check_etag(given, 7)

    assert caught.value.reason == "ETAG_MISMATCH"


@pytest.mark.parametrize(
    ("requested", "expected"),
    [(0, DEFAULT_PAGE_SIZE), (1, 1), (50, 50), (1000, 1000), (1001, MAX_PAGE_SIZE), (10**9, 1000)],
)
def test_page_size_defaults_and_clamps(requested: int, expected: int) -> None:
    assert DEFAULT_PAGE_SIZE == 50
    assert MAX_PAGE_SIZE == 1000
    assert page_size(requested) == expected


def test_negative_page_size_is_invalid_argument_on_page_size() -> None:
    with pytest.raises(InvalidArgument) as caught:
        page_size(-1)

    assert [v.field for v in caught.value.violations] == ["page_size"]


ACME = TenantSlug("acme")


@pytest.mark.parametrize("scope", list(Scope))
def test_admin_holds_every_scope(scope: Scope) -> None:
    admin = Caller(tenant=ACME, subject="ops", scopes=frozenset({Scope.ADMIN}))

    assert admin.has(scope)
    admin.require(scope)


def test_caller_without_scope_is_permission_denied_missing_scope() -> None:
    reader = Caller(tenant=ACME, subject="u", scopes=frozenset({Scope.READ}))

    assert reader.has(Scope.READ)
    assert not reader.has(Scope.DISPATCH)
    with pytest.raises(PermissionDenied) as caught:
        reader.require(Scope.DISPATCH)

    assert caught.value.reason == "MISSING_SCOPE"
    assert Scope.DISPATCH.value in caught.value.message


def test_caller_on_own_tenant_passes() -> None:
    Caller(tenant=ACME, subject="u", scopes=frozenset()).require_tenant(TenantSlug("acme"))


def test_caller_on_other_tenant_is_permission_denied_wrong_tenant() -> None:
    admin = Caller(tenant=ACME, subject="u", scopes=frozenset({Scope.ADMIN}))

    with pytest.raises(PermissionDenied) as caught:
        admin.require_tenant(TenantSlug("globex"))

    assert caught.value.reason == "WRONG_TENANT"


def test_a_token_of_another_tenant_is_told_so_before_its_missing_scope() -> None:
    reader = Caller(tenant=ACME, subject="u", scopes=frozenset({Scope.READ}))

    with pytest.raises(PermissionDenied) as caught:
        reader.require(Scope.ADMIN, TenantSlug("globex"))

    assert caught.value.reason == "WRONG_TENANT"


def test_require_with_the_callers_tenant_checks_the_scope() -> None:
    reader = Caller(tenant=ACME, subject="u", scopes=frozenset({Scope.READ}))

    reader.require(Scope.READ, ACME)
    with pytest.raises(PermissionDenied) as caught:
        reader.require(Scope.ADMIN, ACME)

    assert caught.value.reason == "MISSING_SCOPE"

"""Opaque page tokens: they continue only the listing they came from and never crash."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from logistics.api.paging import encode_token, page_request
from logistics.domain.errors import InvalidArgument
from logistics.domain.paging import DEFAULT_PAGE_SIZE, Cursor, PageRequest

PROPERTY = settings(max_examples=300, deadline=None, database=None)

FILTERS = ("riders", "acme", None, "active", None, "westlands")
CURSOR = Cursor(
    create_time=datetime(2025, 3, 1, 12, 30, 5, 123456, tzinfo=UTC),
    id=uuid.UUID("5f0c9d62-0d0c-4f0e-8f55-4f0b0d6f7a21"),
)


def failed_field(token: str) -> str | None:
    """The field an InvalidArgument names, or None when the token was accepted."""
    try:
        page_request(20, token, FILTERS)
    except InvalidArgument as exc:
        return exc.violations[0].field
    return None


def _token_body(body: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(body).encode()).decode().rstrip("=")


def test_token_continues_the_listing_it_came_from() -> None:
    token = encode_token(CURSOR, FILTERS)

    assert page_request(20, token, FILTERS) == PageRequest(20, CURSOR)


def test_token_is_url_safe_text() -> None:
    token = encode_token(CURSOR, FILTERS)

    assert token
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def test_no_cursor_means_no_next_page_token() -> None:
    assert encode_token(None, FILTERS) == ""


def test_empty_token_starts_at_the_first_page_with_the_default_size() -> None:
    assert page_request(0, "", FILTERS) == PageRequest(DEFAULT_PAGE_SIZE, None)


def test_page_size_may_change_between_pages() -> None:
    token = encode_token(CURSOR, FILTERS)

    assert page_request(5, token, FILTERS).size == 5
    assert page_request(5000, token, FILTERS).size == 1000


def test_negative_page_size_is_invalid_even_with_a_token() -> None:
    with pytest.raises(InvalidArgument) as caught:
        page_request(-1, encode_token(CURSOR, FILTERS), FILTERS)

    assert caught.value.violations[0].field == "page_size"


@pytest.mark.parametrize(
    "other",
    [
        ("riders", "acme", None, "suspended", None, "westlands"),  # other state
        ("riders", "globex", None, "active", None, "westlands"),  # other tenant
        ("fleets", "acme", None),  # other collection
    ],
)
def test_token_used_with_other_filters_is_invalid_on_page_token(other: tuple[object, ...]) -> None:
    token = encode_token(CURSOR, FILTERS)

    with pytest.raises(InvalidArgument) as caught:
        page_request(20, token, other)

    assert [v.field for v in caught.value.violations] == ["page_token"]


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        "!!!!",
        "é",
        _token_body([1, 2]),
        _token_body("just a string"),
        _token_body({"t": "2025-03-01T12:00:00", "f": "x"}),  # no id
        _token_body({"t": "yesterday", "i": str(uuid.uuid4()), "f": "x"}),
        _token_body({"t": 12, "i": str(uuid.uuid4()), "f": "x"}),
        _token_body({"t": "2025-03-01T12:00:00", "i": "not-a-uuid", "f": "x"}),
        _token_body({"t": "2025-03-01T12:00:00", "i": None, "f": "x"}),
    ],
)
def test_malformed_token_is_invalid_on_page_token(token: str) -> None:
    with pytest.raises(InvalidArgument) as caught:
        page_request(20, token, FILTERS)

    assert [v.field for v in caught.value.violations] == ["page_token"]


@pytest.mark.parametrize("ident", [5, [1], {"a": 1}, True])
def test_token_with_non_string_id_is_invalid_on_page_token(ident: object) -> None:
    token = _token_body({"t": CURSOR.create_time.isoformat(), "i": ident, "f": "0" * 16})

    with pytest.raises(InvalidArgument) as caught:
        page_request(20, token, FILTERS)

    assert caught.value.violations[0].field == "page_token"


@PROPERTY
@given(token=st.text(min_size=1))
def test_garbage_token_fails_only_with_invalid_argument(token: str) -> None:
    assert failed_field(token) in (None, "page_token")


@PROPERTY
@given(data=st.data())
def test_tampered_token_fails_only_with_invalid_argument(data: st.DataObject) -> None:
    token = encode_token(CURSOR, FILTERS)
    chars = list(token)
    for _ in range(data.draw(st.integers(1, 4), label="edits")):
        at = data.draw(st.integers(0, len(chars) - 1), label="at")
        chars[at] = data.draw(st.characters(), label="char")
    cut = data.draw(st.integers(1, len(chars)), label="cut")
    tampered = "".join(chars[:cut])

    assert failed_field(tampered) in (None, "page_token")

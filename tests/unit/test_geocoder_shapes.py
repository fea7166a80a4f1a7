"""What each geocoder is asked and how its answer is read: Pelias's GeoJSON, Mapbox's places
and Google's results, from the shapes their documentation gives (Nominatim's runs against a
real HTTP server in tests/integration/test_geocoders.py)."""

from __future__ import annotations

import pytest

from logistics.domain.addresses import Candidate, GeocodeQuery, GeocoderUnavailable
from logistics.geo import geocoders

QUERY = GeocodeQuery("12 Kenyatta Avenue, Nairobi", ("ke",), near=(-1.28, 36.82))


def test_pelias_is_asked_with_a_country_and_a_focus_point_and_read_by_its_confidence() -> None:
    url, params = geocoders._pelias_request("http://pelias", QUERY, 5)
    assert url == "http://pelias/v1/search"
    assert params == {
        "text": QUERY.address,
        "size": "5",
        "boundary.country": "KE",
        "focus.point.lat": "-1.28",
        "focus.point.lon": "36.82",
    }
    body = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [36.8233, -1.2841]},
                "properties": {"label": "12 Kenyatta Avenue, Nairobi, Kenya", "confidence": 0.95},
            }
        ],
    }
    assert geocoders._pelias_parse(body) == [
        Candidate("12 Kenyatta Avenue, Nairobi, Kenya", -1.2841, 36.8233, 0.95)
    ]


def test_mapbox_is_asked_in_the_path_and_read_by_its_relevance() -> None:
    url, params = geocoders._mapbox_request("https://mapbox.test", "tok", QUERY, 5)
    assert url == (
        "https://mapbox.test/geocoding/v5/mapbox.places/12%20Kenyatta%20Avenue%2C%20Nairobi.json"
    )
    assert params["access_token"] == "tok"
    assert (params["country"], params["proximity"]) == ("ke", "36.82,-1.28")
    body = {
        "type": "FeatureCollection",
        "features": [
            {
                "place_name": "Kenyatta Avenue, Nairobi, Kenya",
                "center": [36.8233, -1.2841],
                "relevance": 0.75,
            }
        ],
    }
    assert geocoders._mapbox_parse(body) == [
        Candidate("Kenyatta Avenue, Nairobi, Kenya", -1.2841, 36.8233, 0.75)
    ]


def test_google_confidence_comes_from_the_location_type() -> None:
    url, params = geocoders._google_request("https://google.test", "key", QUERY, 5)
    assert url == "https://google.test/maps/api/geocode/json"
    assert (params["components"], params["key"]) == ("country:KE", "key")
    assert params["bounds"] == "-1.78,36.32|-0.78,37.32"

    def result(kind: str, partial: bool = False) -> dict[str, object]:
        return {
            "formatted_address": kind,
            "geometry": {"location": {"lat": -1.2841, "lng": 36.8233}, "location_type": kind},
            "partial_match": partial,
        }

    found = geocoders._google_parse(
        {
            "status": "OK",
            "results": [result("ROOFTOP"), result("ROOFTOP", True), result("APPROXIMATE")],
        }
    )
    assert [c.confidence for c in found] == [1.0, 0.8, 0.4]
    assert geocoders._google_parse({"status": "ZERO_RESULTS", "results": []}) == []


def test_google_refusals_are_unavailable_and_its_overload_is_retried() -> None:
    with pytest.raises(GeocoderUnavailable, match="REQUEST_DENIED"):
        geocoders._google_parse({"status": "REQUEST_DENIED", "error_message": "bad key"})
    with pytest.raises(geocoders._Retry):
        geocoders._google_parse({"status": "OVER_QUERY_LIMIT"})

"""Great-circle distances and the offline gazetteer."""

from __future__ import annotations

import math

import pytest

from cartrial.finder.geo import EARTH_RADIUS_KM, Point, haversine_km, parse_point
from cartrial.finder.places import Gazetteer, PlaceNotFound, TrigramIndex


def test_haversine_known_distances() -> None:
    assert haversine_km(Point(0, 0), Point(0, 0)) == 0
    # a quarter of the equator, and pole to pole: a quarter and a half of the circumference
    assert haversine_km(Point(0, 0), Point(0, 90)) == pytest.approx(math.pi * EARTH_RADIUS_KM / 2)
    assert haversine_km(Point(90, 0), Point(-90, 0)) == pytest.approx(math.pi * EARTH_RADIUS_KM)
    # Paris (48.8566, 2.3522) – London (51.5074, -0.1278): about 343.5 km on the sphere
    assert haversine_km(Point(48.8566, 2.3522), Point(51.5074, -0.1278)) == pytest.approx(
        343.5, abs=1.0
    )
    # across the antimeridian
    assert haversine_km(Point(0, 179.5), Point(0, -179.5)) == pytest.approx(111.2, abs=0.2)


def test_parse_point() -> None:
    assert parse_point("31.2, 121.4") == Point(31.2, 121.4)
    assert parse_point("Shanghai") is None
    with pytest.raises(ValueError, match="not a point on Earth"):
        parse_point("95,10")


def test_gazetteer_finds_cities_postal_codes_and_coordinates() -> None:
    g = Gazetteer({"50937": ("Germany", 50.93, 6.95)})
    shanghai = g.find("shanghai")
    assert shanghai.country == "China" and shanghai.kind == "city"
    assert haversine_km(shanghai.point, Point(31.23, 121.47)) < 20
    assert g.find("Cologne").name == "Köln"  # an alternate name
    assert g.find("Paris, United States").country == "United States"
    assert g.find("50937").kind == "postal code"
    assert g.find("48.1,11.5").kind == "coordinates"


def test_unknown_place_gives_a_message_with_close_spellings() -> None:
    with pytest.raises(PlaceNotFound) as err:
        Gazetteer().find("Shanghia")
    assert "Shanghai, China" in err.value.suggestions
    assert "Shanghia" in str(err.value) and "Did you mean" in str(err.value)
    with pytest.raises(PlaceNotFound) as none:
        Gazetteer().find("Qqqqqqqqqqqqq")
    assert none.value.suggestions == [] and "No place called" in str(none.value)


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("Shanghia", "Shanghai, China"),  # swapped letters
        ("Torotno", "Toronto, Canada"),
        ("Berln", "Berlin, Germany"),  # a letter missing
        ("Heidelbreg", "Heidelberg, Germany"),
        ("Sao Pualo", "São Paulo, Brazil"),
        ("Los Angelos", "Los Angeles, United States"),
    ],
)
def test_close_spellings_put_the_meant_city_first(typed: str, meant: str) -> None:
    with pytest.raises(PlaceNotFound) as err:
        Gazetteer().find(typed)
    assert err.value.suggestions[0] == meant
    assert len(err.value.suggestions) <= 5


def test_a_wrong_first_letter_still_finds_the_city() -> None:
    with pytest.raises(PlaceNotFound) as err:
        Gazetteer().find("Xerlin")
    assert "Berlin, Germany" in err.value.suggestions


def test_garbage_place_is_refused_with_a_clear_message() -> None:
    with pytest.raises(PlaceNotFound) as err:
        Gazetteer().find("zzqxv plorp")
    message = str(err.value)
    assert "'zzqxv plorp'" in message and "latitude,longitude" in message
    assert err.value.suggestions == [] and "Did you mean" not in message
    # a query longer than any city name is still answered (cut before the index is asked)
    with pytest.raises(PlaceNotFound):
        Gazetteer().find("santa maria " * 40)


def test_trigram_index_ranks_by_shared_pieces() -> None:
    index = TrigramIndex(["berlin", "bern", "erlangen", "paris", "brno"])
    found = index.candidates("berln")
    assert found[0] == "berlin" and "paris" not in found
    assert index.candidates("berln", k=2) == ["berlin", "bern"]
    assert index.candidates("zzqxv") == []
    # Dice with "berln": berlin 8/13, bern 6/11, brno 2/11 (below the default floor 0.3)
    assert "brno" not in found
    assert index.candidates("berln", min_dice=0.6) == ["berlin"]

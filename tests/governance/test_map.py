"""The district map: the boundaries' checks, the JSON figures, the roles."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from hotline.errors import InvalidInput
from hotline.governance import geo
from hotline.governance.models import AreaBoundary

pytestmark = pytest.mark.django_db


def square(code, x, y):
    ring = [[x, y], [x + 0.01, y], [x + 0.01, y + 0.01], [x, y + 0.01], [x, y]]
    return {"type": "Feature", "properties": {"code": code}, "geometry": {"type": "Polygon", "coordinates": [ring]}}


def fc(*features):
    return json.dumps({"type": "FeatureCollection", "features": list(features)}).encode()


@pytest.mark.parametrize("raw, words", [
    (b"not json", "JSON"), (b'{"type": "Feature"}', "FeatureCollection"),
    (fc(square("nowhere", 112.9, 28.2)), "nowhere"),
    (fc({**square("east-lake", 112.9, 28.2), "geometry": {"type": "Point", "coordinates": [1, 2]}}), "Polygon"),
    (fc(square("east-lake", 212.9, 28.2)), "-180"),
])
def test_a_hostile_file_is_refused_and_nothing_saved(district, raw, words):
    geo.save_boundaries(fc(square("west-city", 112.9, 28.2)))
    with pytest.raises(InvalidInput) as e:
        geo.save_boundaries(raw)
    assert words in str(e.value.message)
    assert list(AreaBoundary.objects.values_list("area__code", flat=True)) == ["west-city"]


def test_the_map_data_counts_and_roles(client, district):
    assert geo.save_boundaries(fc(square("east-lake", 112.9, 28.2), square("west-city", 112.91, 28.2))) == 2
    client.force_login(district.people["liudu"])
    data = client.get(reverse("governance:map_data")).json()
    assert {f["properties"]["code"] for f in data["areas"]["features"]} == {"east-lake", "west-city"}
    assert client.get(reverse("governance:map")).status_code == 200
    client.force_login(district.people["wangfang"])
    assert client.get(reverse("governance:map_data")).status_code == 403

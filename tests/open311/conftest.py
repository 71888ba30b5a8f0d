"""Open311 fixtures: a grid-management system's key (acting as an agent-role system user), a
key of another scope, and a form post in the spec's encoding."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from hotline.api.keys import create_system_key

POSTED = {
    "service_code": "",  # filled per district
    "lat": "39.90421",
    "long": "116.40739",
    "address_string": "东湖路88号院3号楼2单元501",
    "email": "reporter@example.cn",
    "device_id": "device-7f3a9c",
    "account_id": "acct-55231",
    "first_name": "小明",
    "last_name": "王",
    "phone": "13912345678",
    "description": "东湖路88号院门口路面塌陷约一平方米，夜间有行人摔倒。",
    "media_url": "https://photos.example.cn/p/123.jpg",
}


@pytest.fixture
def key(district):
    return create_system_key(name="gridapp", scopes=["open311"], role="agent")


@pytest.fixture
def raw_key(key):
    return key[1]


def service_code(district, name: str = "道路塌陷破损") -> str:
    return str(district.categories[name].pk)


def form(district, **changes) -> dict[str, str]:
    data = dict(POSTED, service_code=service_code(district))
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def post(client, raw_key, data, fmt="json", **extra):
    body = dict(data)
    if raw_key is not None:
        body["api_key"] = raw_key
    return client.post(f"/open311/v2/requests.{fmt}", body, **extra)


def errors_of(response) -> list[dict]:
    """The spec's error list, from JSON or XML (codes as ints)."""
    if response["Content-Type"].startswith("application/xml"):
        root = ET.fromstring(response.content)
        assert root.tag == "errors"
        return [{"code": int(e.findtext("code")), "description": e.findtext("description")} for e in root]
    data = json.loads(response.content)
    assert isinstance(data, list) and data
    for err in data:
        assert set(err) == {"code", "description"} and isinstance(err["code"], int) and err["description"]
    return data

"""The two wire formats of GeoReport v2: JSON and XML, for documents and for errors.

A document is a list of flat records (a service, a request) or one record with nested lists (a
service definition); XML is built with ElementTree, so text is always escaped. Characters that
XML 1.0 cannot carry at all (control characters other than tab and newlines) are dropped from
XML output: an intake keeps them, and an XML reader would reject the whole document otherwise."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.http import HttpResponse

FORMATS = ("json", "xml")
JSON_TYPE = "application/json; charset=utf-8"
XML_TYPE = "application/xml; charset=utf-8"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(value: Any) -> str:
    """A value as XML element text: booleans as the spec writes them, None as empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _fill(element: ET.Element, record: Mapping[str, Any], children: Mapping[str, str]) -> None:
    for name, value in record.items():
        child = ET.SubElement(element, name)
        if isinstance(value, list | tuple):
            item_tag = children.get(name, "item")
            for item in value:
                sub = ET.SubElement(child, item_tag)
                if isinstance(item, Mapping):
                    _fill(sub, item, children)
                else:
                    sub.text = xml_text(item)
        elif isinstance(value, Mapping):
            _fill(child, value, children)
        else:
            child.text = xml_text(value)


def to_xml(root: str, item: str | None, data: Sequence[Mapping[str, Any]] | Mapping[str, Any],
           children: Mapping[str, str] | None = None) -> bytes:
    """<root><item>...</item>...</root> for a list, <root>...</root> for one record. `children`
    names the element of each nested list's items (attributes → attribute, values → value)."""
    top = ET.Element(root)
    if isinstance(data, Mapping):
        _fill(top, data, children or {})
    else:
        for record in data:
            _fill(ET.SubElement(top, item or "item"), record, children or {})
    return ET.tostring(top, encoding="utf-8", xml_declaration=True)


def respond(fmt: str, data: Any, *, root: str, item: str | None = None, status: int = 200,
            children: Mapping[str, str] | None = None) -> HttpResponse:
    if fmt == "xml":
        return HttpResponse(to_xml(root, item, data, children), content_type=XML_TYPE, status=status)
    body = json.dumps(data, ensure_ascii=False, default=str)
    return HttpResponse(body, content_type=JSON_TYPE, status=status)


def errors(fmt: str, status: int, descriptions: Iterable[str], *, headers: Mapping[str, str] | None = None,
           ) -> HttpResponse:
    """The spec's error document: [{"code": 403, "description": "..."}] or
    <errors><error><code>403</code><description>...</description></error></errors>."""
    records = [{"code": status, "description": str(d)} for d in descriptions]
    response = respond(fmt if fmt in FORMATS else "json", records, root="errors", item="error", status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response

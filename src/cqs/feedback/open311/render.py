"""The two formats of GeoReport v2: JSON (plain arrays and objects) and XML (the spec's element
names, UTF-8), written from the same Python values.

XML follows the "Spark" convention the spec's JSON is derived from: an object is an element per
key, a list is a container element holding one element per item (``<services><service>``),
``None`` is an empty element, booleans are ``true``/``false``. The tree is built with
``xml.etree`` so user text is always escaped; characters XML 1.0 cannot hold (control
characters pasted into a description) are dropped.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

from django.http import HttpResponse

JSON = "json"
XML = "xml"
CONTENT_TYPES = {JSON: "application/json; charset=utf-8", XML: "text/xml; charset=utf-8"}

# The element of one item in each list (GeoReport v2 and the FixMyStreet extension).
ITEM_TAGS = {
    "services": "service",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "service_requests": "request",
    "service_request_updates": "request_update",
    "errors": "error",
}
_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _fill(element: ET.Element, value) -> None:
    if value is None:
        return
    if isinstance(value, dict):
        for key, child in value.items():
            _fill(ET.SubElement(element, key), child)
    elif isinstance(value, list | tuple):
        tag = ITEM_TAGS[element.tag]
        for child in value:
            _fill(ET.SubElement(element, tag), child)
    else:
        element.text = _text(value)


def xml_bytes(root: str, value) -> bytes:
    element = ET.Element(root)
    _fill(element, value)
    return _DECLARATION + ET.tostring(element, encoding="unicode").encode()


def json_bytes(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def respond(value, fmt: str, *, root: str, status: int = 200) -> HttpResponse:
    """``value`` in ``fmt``; ``root`` names the XML root element (JSON has none)."""
    body = xml_bytes(root, value) if fmt == XML else json_bytes(value)
    return HttpResponse(body, status=status, content_type=CONTENT_TYPES.get(fmt, CONTENT_TYPES[JSON]))

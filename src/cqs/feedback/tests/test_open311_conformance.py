"""Our Open311 answers checked against the GeoReport v2 JSON Schemas and swagger.json of
``open311/schema-validation`` (see the README of the conformance folder).

The folder is ``$CQS_CONFORMANCE_DIR/open311`` (default ``/work/shared/conformance``). Where it is
missing the tests are skipped, except in CI (``CI`` set), where a missing folder is a failure.

Two readings of swagger.json, written down here because they are choices:

* swagger.json declares optional fields as plain types, while the JSON Schemas of the same
  repository declare them ``anyOf [type, null]`` and the spec's examples show ``null``. We send
  ``null`` for an absent optional value, so swagger's definitions are checked with optional
  properties made nullable (required ones stay strict).
* ``GET tokens/{id}`` is declared as one ``TokenResponse`` but its own XML example and the spec
  text answer a list (``<service_requests><request>``); we answer the list, and each item is
  checked against ``TokenResponse``.
"""

import json
import os
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from defusedxml import ElementTree as SafeET
from django.core.files.uploadedfile import SimpleUploadedFile
from jsonschema import Draft4Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from cqs.core.testing import sample_image
from cqs.feedback.services import api_client_create, report_act, report_submit
from cqs.feedback.tests.world import NEAR_POINT, POINT

pytestmark = pytest.mark.django_db
CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}
BASE = "/open311/v2/"
SCHEMAS = ("request.json", "requests.json", "service.json", "services.json", "service-definition.json")


@pytest.fixture(scope="module")
def folder() -> Path:
    root = Path(os.environ.get("CQS_CONFORMANCE_DIR") or "/work/shared/conformance") / "open311"
    if (root / "swagger.json").is_file():
        return root
    if CI:
        pytest.fail(f"{root}: không tìm thấy JSON Schema và swagger.json của Open311.")
    pytest.skip("Không có thư mục mẫu Open311 (CQS_CONFORMANCE_DIR): bỏ qua đối chiếu.")


format_checker = FormatChecker()


@format_checker.checks("date-time", raises=ValueError)
def _date_time(value) -> bool:
    # RFC 3339: a date, a time and an offset.
    return not isinstance(value, str) or datetime.fromisoformat(value).tzinfo is not None


@format_checker.checks("uri")
def _uri(value) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return parts.scheme in {"http", "https"} and bool(parts.netloc)


@pytest.fixture(scope="module")
def registry(folder) -> Registry:
    # The schemas have no $id and refer to each other by file name ("request.json"): register
    # them under those names, as draft-04.
    return Registry().with_resources(
        (name, Resource.from_contents(json.loads((folder / name).read_text()), default_specification=DRAFT4))
        for name in SCHEMAS
    )


def validate(registry, name: str, instance) -> None:
    schema = registry.contents(name)
    validator = Draft4Validator(schema, registry=registry, format_checker=format_checker)
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)


@pytest.fixture
def reports(world):
    """A published report with a photo, an open one placed by an address only, a duplicate."""
    _app, key = api_client_create(name="Kiểm thử")
    published, _ = report_submit(
        category=world.pothole,
        description="Ổ gà sâu, gọi 0912345678.",
        attributes={"kich-thuoc": "lon", "so-luong": 2},
        lat=POINT[0],
        lon=POINT[1],
        area=world.commune_a,
        photos=[("o-ga.jpg", sample_image("jpeg"))],
    )
    for action in ("accept", "start"):
        report_act(report=published, action=action, actor=world.handler_a)
    report_act(report=published, action="answer", actor=world.handler_a, answer="Đã vá ổ gà xong.")
    report_act(report=published, action="publish", actor=world.leader_a)
    by_address, _ = report_submit(category=world.lights, description="Đèn tắt", address="Số 3 Mê Linh")
    duplicate, _ = report_submit(
        category=world.pothole,
        description="Ổ gà gần đó",
        attributes={"kich-thuoc": "nho"},
        lat=NEAR_POINT[0],
        lon=NEAR_POINT[1],
        area=world.commune_a,
    )
    report_act(report=duplicate, action="mark_duplicate", actor=world.handler_a, duplicate_of=published)
    return {"published": published, "by_address": by_address, "duplicate": duplicate, "key": key}


# --- the JSON Schemas -------------------------------------------------------------------------


def test_services_match_the_schema(client, registry, reports):
    data = client.get(BASE + "services.json").json()
    assert len(data) == 2
    validate(registry, "services.json", data)
    for item in data:
        validate(registry, "service.json", item)


def test_service_definitions_match_the_schema(client, registry, reports):
    for code in ("o-ga", "den-chieu-sang"):
        validate(registry, "service-definition.json", client.get(BASE + f"services/{code}.json").json())


@pytest.mark.parametrize("params", [{}, {"extensions": "true"}, {"status": "closed"}])
def test_requests_match_the_schema(client, registry, reports, params):
    data = client.get(BASE + "requests.json", params).json()
    assert len(data) == (3 if not params.get("status") else 2)
    validate(registry, "requests.json", data)
    for item in data:
        validate(registry, "request.json", item)


def test_one_request_matches_the_schema(client, registry, reports):
    for report in ("published", "by_address", "duplicate"):
        code = reports[report].code
        [item] = client.get(BASE + f"requests/{code}.json").json()
        validate(registry, "request.json", item)
        validate(registry, "request.json", client.get(BASE + f"request/{code}.json").json())


# --- swagger.json: every path answers with its definitions' shape -----------------------------


def _nullable_optionals(definitions: dict) -> dict:
    out = {}
    for name, definition in definitions.items():
        definition = dict(definition)
        required = set(definition.get("required", ()))
        definition["properties"] = {
            prop: schema if prop in required else {"anyOf": [schema, {"type": "null"}]}
            for prop, schema in definition.get("properties", {}).items()
        }
        out[name] = definition
    return out


def _call(client, reports, path: str, method: str):
    """Our request for swagger's ``path`` and ``method`` (format json)."""
    code = reports["published"].code
    url = BASE + path.lstrip("/").format(
        response_format="json", service_code="o-ga", service_request_id=code, token_id=code
    )
    if method == "post":
        form = {
            "api_key": reports["key"],
            "service_code": "o-ga",
            "lat": str(POINT[0]),
            "long": str(POINT[1]),
            "attribute[kich-thuoc]": "nho",
            "description": "Ổ gà mới",
        }

        def photo():
            return SimpleUploadedFile("o-ga.png", sample_image("png"))

        return (
            client.post(url, {**form, "media": photo()}),
            client.post(url.replace(".json", ".xml"), {**form, "description": "Khác", "media": photo()}),
        )
    return client.get(url), client.get(url.replace(".json", ".xml"))


def test_every_swagger_path_answers_with_its_definitions(client, folder, reports):
    swagger = json.loads((folder / "swagger.json").read_text())
    definitions = _nullable_optionals(swagger["definitions"])
    operations = [(path, method) for path, item in swagger["paths"].items() for method in item]
    assert len(operations) == 6
    for path, method in operations:
        operation = swagger["paths"][path][method]
        response, response_xml = _call(client, reports, path, method)
        assert response.status_code == 200, (path, method, response.content)
        assert response_xml.status_code == 200, (path, method, response_xml.content)
        schema = operation["responses"]["200"]["schema"]
        data = response.json()
        if path.startswith("/tokens/"):
            # See the module docstring: a list of TokenResponse.
            assert isinstance(data, list) and len(data) == 1
            data = data[0]
        document = {"definitions": definitions, **schema}
        errors = list(Draft4Validator(document, format_checker=format_checker).iter_errors(data))
        assert not errors, (path, method, [e.message for e in errors])
        # The XML example's outer element is our root element or its item element.
        example = next(iter(operation["responses"]["200"].get("examples", {}).values()), {})
        root = SafeET.fromstring(response_xml.content)
        expected = next(iter(example), None)
        if expected is not None:
            items = {child.tag for child in root}
            assert expected == root.tag or expected in items, (path, expected, root.tag)


def test_swagger_methods_not_described_are_refused(client, folder, reports):
    swagger = json.loads((folder / "swagger.json").read_text())
    for path, item in swagger["paths"].items():
        url = BASE + path.lstrip("/").format(
            response_format="json", service_code="o-ga", service_request_id="PA2222222222", token_id="x"
        )
        for method in {"put", "delete", "patch"} - set(item):
            assert getattr(client, method)(url).status_code == 405, (path, method)

"""Open311 errors: an array of ``{code, description}`` (GeoReport v2, "Errors").

``code`` is the HTTP status, as in the spec's examples (404 unknown resource, 403 bad
``api_key``, 400 anything else). The spec defines no error schema (swagger.json has no Error
definition), so each error also carries our stable machine code in ``error_code`` and, when the
error is about one input, the parameter's name in ``field`` (``lat``, ``attribute[kich-thuoc]``…).
``description`` is for people, in the request's language (Vietnamese by default).
"""

from __future__ import annotations

from cqs.core.exceptions import ServiceError

# Our ServiceError subclasses keep their status where the spec has one; Conflict (409) and the
# rest are "anything else" (400). UploadScanUnavailable (503) is the server's fault, not the
# client's: it stays 503 so that the client retries.
_KEPT_STATUSES = frozenset({403, 404, 503})
# The services' field names → the Open311 parameter the client sent.
_FIELDS = {"category": "service_code", "lon": "long", "photos": "media", "area": "address_id"}


class Open311Error(Exception):
    def __init__(self, status: int, code: str, description: str, *, field: str | None = None):
        super().__init__(description)
        self.status = status
        self.code = code
        self.description = str(description)
        self.field = field

    def as_dict(self) -> dict:
        item = {"code": self.status, "description": self.description, "error_code": self.code}
        if self.field:
            item["field"] = self.field
        return item


class Open311Errors(Exception):
    """Several errors answered together (one per bad attribute)."""

    def __init__(self, errors: list[Open311Error]):
        super().__init__(errors[0].description if errors else "")
        self.errors = errors

    @property
    def status(self) -> int:
        return self.errors[0].status


def bad_request(code: str, description: str, *, field: str | None = None) -> Open311Error:
    return Open311Error(400, code, description, field=field)


def from_service_error(exc: ServiceError) -> Open311Errors:
    """``exc`` as Open311 errors: one per bad attribute when the service listed them."""
    status = exc.status if exc.status in _KEPT_STATUSES else 400
    attribute_errors = getattr(exc, "attribute_errors", None)
    if attribute_errors:
        return Open311Errors(
            [
                Open311Error(status, exc.error_code, item["message"], field=f"attribute[{item['code']}]")
                for item in attribute_errors
            ]
        )
    field = _FIELDS.get(exc.field or "", exc.field)
    if not field and exc.error_code.startswith("upload_"):
        field = "media"
    return Open311Errors([Open311Error(status, exc.error_code, exc.detail, field=field)])

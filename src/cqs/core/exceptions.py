"""Errors raised by services: a stable machine ``code`` and a message for people (Vietnamese).

Services raise ``ServiceError`` (or a subclass) *before* writing anything, or inside the
transaction so that it rolls back. Views and the API turn it into a message or an
``application/problem+json`` response; nothing reaches the user as a 500.
"""

from django.core.exceptions import ValidationError


class ServiceError(ValidationError):
    status = 400

    def __init__(self, code: str, message: str, *, field: str | None = None, params: dict | None = None):
        self.error_code = code
        self.field = field
        super().__init__(message, code=code, params=params)

    @property
    def detail(self) -> str:
        return self.messages[0]


class NotFound(ServiceError):
    status = 404


class Conflict(ServiceError):
    status = 409


class Forbidden(ServiceError):
    status = 403

"""API conventions: errors as RFC 9457 ``application/problem+json`` with a stable ``code``."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler

from cqs.core.exceptions import ServiceError

PROBLEM_CONTENT_TYPE = "application/problem+json"


class ProblemJSONRenderer(JSONRenderer):
    media_type = PROBLEM_CONTENT_TYPE


def problem(*, status_code: int, code: str, detail: str, errors: dict | None = None) -> Response:
    body = {"type": "about:blank", "status": status_code, "code": code, "detail": detail}
    if errors:
        body["errors"] = errors
    return Response(body, status=status_code, content_type=PROBLEM_CONTENT_TYPE)


_DRF_CODES = {
    exceptions.NotAuthenticated: ("not_authenticated", _("Bạn cần đăng nhập.")),
    exceptions.AuthenticationFailed: ("authentication_failed", _("Xác thực không thành công.")),
    exceptions.PermissionDenied: ("permission_denied", _("Bạn không có quyền thực hiện thao tác này.")),
    exceptions.NotFound: ("not_found", _("Không tìm thấy đối tượng.")),
    exceptions.MethodNotAllowed: ("method_not_allowed", _("Phương thức không được hỗ trợ.")),
    exceptions.Throttled: ("throttled", _("Quá nhiều yêu cầu, vui lòng thử lại sau.")),
}


def problem_exception_handler(exc, context):
    if isinstance(exc, ServiceError):
        errors = {exc.field: exc.messages} if exc.field else None
        return problem(status_code=exc.status, code=exc.error_code, detail=exc.detail, errors=errors)
    if isinstance(exc, DjangoValidationError):
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return problem(
            status_code=status.HTTP_400_BAD_REQUEST,
            code="invalid",
            detail=_("Dữ liệu không hợp lệ."),
            errors=errors,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = response.data if isinstance(response.data, dict) else {"non_field_errors": response.data}
        return problem(
            status_code=response.status_code,
            code="invalid",
            detail=_("Dữ liệu không hợp lệ."),
            errors=errors,
        )
    code, detail = _DRF_CODES.get(type(exc), (getattr(exc, "default_code", "error"), str(exc.detail)))
    result = problem(status_code=response.status_code, code=code, detail=str(detail))
    for header in ("WWW-Authenticate", "Retry-After", "Allow"):
        if header in response:
            result[header] = response[header]
    return result


class DownloadNegotiation(BaseContentNegotiation):
    """Downloads answer with the file whatever the client accepts; errors stay problem+json."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def choices_text(choices) -> str:
    """``value (label), …`` of a choices class, for schema descriptions."""
    return ", ".join(f"{value} ({label})" for value, label in choices.choices)


def absolute_url(request, path: str) -> str:
    return request.build_absolute_uri(path) if request is not None else path


def person_ref(user) -> dict | None:
    """An official as the API shows them: id and display name."""
    if user is None:
        return None
    return {"id": user.pk, "name": user.full_name or user.get_full_name() or user.get_username()}

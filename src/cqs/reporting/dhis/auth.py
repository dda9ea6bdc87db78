"""Who calls the DHIS2-compatible API, and how errors look to DHIS2 clients.

DHIS2 clients (dhis2.py, dhis2-client, OpenFn) authenticate with HTTP Basic on every request, so
the API accepts Basic, checked by Django's ``authenticate`` (django-axes counts failures and
locks out like the login page does). Accounts whose roles require a second factor cannot use
Basic (a password alone would bypass it): they use the API from a signed-in, verified session,
where unsafe methods need the CSRF token as in the rest of the platform.
"""

from __future__ import annotations

import base64
import binascii
import functools

from django.contrib.auth import authenticate
from django.http import HttpResponseNotAllowed, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators.csrf import csrf_exempt

from cqs.accounts.selectors import user_requires_second_factor

SAFE = ("GET", "HEAD", "OPTIONS")


def dhis_error(status: int, message: str, *, code: str = "", **extra) -> JsonResponse:
    """DHIS2's WebMessage error body."""
    names = {
        400: "Bad Request",
        401: "Unauthorized",
        403: "Forbidden",
        404: "Not Found",
        405: "Method Not Allowed",
        409: "Conflict",
        413: "Payload Too Large",
        415: "Unsupported Media Type",
    }
    body = {
        "httpStatus": names.get(status, "Error"),
        "httpStatusCode": status,
        "status": "ERROR",
        "message": message,
    }
    if code:
        body["errorCode"] = code
    body.update(extra)
    response = JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    if status == 401:
        response["WWW-Authenticate"] = 'Basic realm="CQS DHIS2 API"'
    return response


def _basic_user(request):
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _sep, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None, False
    try:
        username, _colon, password = base64.b64decode(encoded.strip()).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None, True
    return authenticate(request, username=username, password=password), True


class _Csrf(CsrfViewMiddleware):
    def _reject(self, request, reason):
        return reason


def dhis_view(*, methods: tuple[str, ...] = ("GET",)):
    """Decorate a function view of the DHIS2 API: method check, Basic or session authentication,
    CSRF for session writes, and DHIS2-style 401/403/405 answers. ``request.user`` is set."""

    def decorator(view):
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method not in methods and not (request.method == "HEAD" and "GET" in methods):
                return HttpResponseNotAllowed(methods)
            user, tried_basic = _basic_user(request)
            if tried_basic:
                if user is None:
                    return dhis_error(401, "Tên đăng nhập hoặc mật khẩu không đúng.", code="E1001")
                if user_requires_second_factor(user):
                    return dhis_error(
                        403,
                        "Tài khoản có vai trò yêu cầu xác thực hai lớp không dùng được xác thực Basic; "
                        "hãy đăng nhập và dùng phiên làm việc đã xác thực.",
                        code="second_factor_required",
                    )
                request.user = user
            else:
                user = getattr(request, "user", None)
                if user is None or not user.is_authenticated:
                    return dhis_error(401, "Cần đăng nhập (HTTP Basic).", code="E1001")
                if request.method not in SAFE:
                    reason = _Csrf(lambda r: None).process_view(request, None, (), {})
                    if reason is not None:
                        return dhis_error(403, "Thiếu hoặc sai mã CSRF.", code="csrf_failed")
            if not user.is_active:
                return dhis_error(401, "Tài khoản đã bị khóa.", code="E1001")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator

"""The metaservice endpoints the gateways forward to (``urls_meta``, under ``/lgsp/meta/``).

Who is asking: a gateway proves itself with ``X-CQS-Gateway-Token`` (``snapshot.gateway_token``)
and then vouches for ``X-Road-Client``, the client it authenticated. Without the token, a signed-in
user may read the same answers; ``allowedMethods`` then needs ``?client=<subsystem id>`` naming a
subsystem the user may see. Anyone else gets 401. Errors have the gateway's own X-Road shape
(``errors.py``).
"""

from __future__ import annotations

import json
import re
import uuid

from django.http import HttpResponse
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from cqs.accounts.permissions import has_unit_permission
from cqs.lgsp import errors, metaservices
from cqs.lgsp.identifiers import METASERVICES, SubsystemId, parse_subsystem_id
from cqs.lgsp.snapshot import gateway_token

JSON_CONTENT_TYPE = "application/json;charset=utf-8"
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def _request_id(request) -> str:
    value = request.headers.get("X-Road-Id", "")
    return value if REQUEST_ID.match(value) else str(uuid.uuid4())


def _json(request, data, status: int = 200) -> HttpResponse:
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=1), status=status, content_type=JSON_CONTENT_TYPE
    )
    response["X-Road-Id"] = request.lgsp_request_id
    return response


def _error(request, status: int, error_type: str, message: str) -> HttpResponse:
    response = _json(
        request, {"type": error_type, "message": message, "detail": request.lgsp_request_id}, status
    )
    response["X-Road-Error"] = error_type
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="lgsp"'
    return response


class _Caller:
    """Who asks: a gateway (with the client it authenticated, if any) or a signed-in user."""

    def __init__(self, *, gateway: bool, client: SubsystemId | None = None, user=None):
        self.gateway = gateway
        self.client = client
        self.user = user


def _caller(request) -> _Caller | HttpResponse:
    token = request.headers.get(errors.GATEWAY_TOKEN_HEADER)
    if token is not None:
        if not constant_time_compare(token, gateway_token()):
            return _error(
                request, 401, errors.UNAUTHORIZED.type, _("Mã xác thực của cổng kết nối không đúng.")
            )
        return _Caller(gateway=True, client=parse_subsystem_id(request.headers.get("X-Road-Client", "")))
    if request.user.is_authenticated:
        return _Caller(gateway=False, user=request.user)
    return _error(
        request,
        401,
        errors.UNAUTHORIZED.type,
        _("Dịch vụ siêu dữ liệu chỉ trả lời qua cổng kết nối hoặc cho người dùng đã đăng nhập."),
    )


def _guard(view):
    """GET (and HEAD) only, no CSRF (nothing changes), a request id, and a known caller."""

    @csrf_exempt
    def wrapped(request, *args, **kwargs):
        request.lgsp_request_id = _request_id(request)
        if request.method not in ("GET", "HEAD"):
            response = _error(
                request, 405, errors.BAD_REQUEST.type, _("Dịch vụ siêu dữ liệu chỉ nhận phương thức GET.")
            )
            response["Allow"] = "GET, HEAD"
            return response
        caller = _caller(request)
        if isinstance(caller, HttpResponse):
            return caller
        return view(request, caller, *args, **kwargs)

    wrapped.__name__ = view.__name__
    wrapped.__doc__ = view.__doc__
    return wrapped


@_guard
def list_clients(request, caller: _Caller):
    """X-Road ``listClients``: members and subsystems."""
    return _json(request, metaservices.list_clients())


def _may_see(user, subsystem) -> bool:
    unit = subsystem.member.unit
    if unit is None:  # a member outside the province's tree: the operators' business
        return user.is_superuser
    return has_unit_permission(user, "lgsp.view_subsystem", unit)


def _allowed_methods(request, caller: _Caller, provider):
    if caller.gateway:
        if caller.client is None:
            return _error(
                request,
                400,
                errors.BAD_REQUEST.type,
                _("Thiếu tiêu đề X-Road-Client (hệ thống gọi dịch vụ)."),
            )
        client_id = caller.client
    else:
        client_id = parse_subsystem_id(request.GET.get("client", ""))
        if client_id is None:
            return _error(
                request,
                400,
                errors.BAD_REQUEST.type,
                _("Cần tham số client là mã hệ thống, dạng vùng/loại/thành viên/hệ thống."),
            )
    client = metaservices.subsystem_get(client_id, active_only=False)
    if not caller.gateway and (client is None or not _may_see(caller.user, client)):
        return _error(
            request, 403, errors.INVALID_CLIENT.type, _("Bạn không có quyền xem thông tin của hệ thống này.")
        )
    return _json(request, metaservices.allowed_methods(provider, client))


def _get_openapi(request, provider):
    code = request.GET.get("serviceCode", "").strip()
    if not code:
        return _error(request, 400, errors.BAD_REQUEST.type, _("Thiếu tham số serviceCode (mã dịch vụ)."))
    found = metaservices.service_description(provider, code)
    if found is None:
        return _error(
            request,
            404,
            errors.UNKNOWN_SERVICE.type,
            _("Không có dịch vụ đang cung cấp với mã này, hoặc dịch vụ chưa có tài liệu mô tả."),
        )
    kind, document = found
    if kind == "wsdl":
        response = HttpResponse(document, content_type="text/xml;charset=utf-8")
        response["X-Road-Id"] = request.lgsp_request_id
        return response
    return _json(request, document)


@_guard
def metaservice(request, caller: _Caller, instance, member_class, member, subsystem, name):
    """X-Road ``listMethods``, ``allowedMethods`` and ``getOpenAPI`` of a provider subsystem."""
    if name not in METASERVICES:
        return _error(request, 404, errors.UNKNOWN_SERVICE.type, errors.UNKNOWN_SERVICE.message)
    provider_id = parse_subsystem_id(f"{instance}/{member_class}/{member}/{subsystem}")
    provider = metaservices.subsystem_get(provider_id) if provider_id else None
    if provider is None:
        return _error(
            request,
            404,
            errors.UNKNOWN_SERVICE.type,
            _("Không có hệ thống cung cấp đang hoạt động với mã này."),
        )
    if name == "listMethods":
        return _json(request, metaservices.list_methods(provider))
    if name == "allowedMethods":
        return _allowed_methods(request, caller, provider)
    return _get_openapi(request, provider)

"""Open311 GeoReport v2 endpoints under ``/open311/v2/`` (docs/feedback-open311.md).

Every endpoint answers JSON or XML by its suffix, refuses other methods with 405 and an error
array, names no other jurisdiction than ``settings.CQS_OPEN311_JURISDICTION`` and sends
``Access-Control-Allow-Origin: *``: the API uses no cookie (``POST requests`` is authenticated
by its ``api_key`` alone), so browser apps may call it from anywhere and CSRF does not apply.
"""

from __future__ import annotations

import functools
import re

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent, ValidationError
from django.core.validators import URLValidator
from django.http import HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from cqs.core.exceptions import ServiceError
from cqs.feedback.choices import Channel
from cqs.feedback.models import Report
from cqs.feedback.open311 import search
from cqs.feedback.open311.errors import Open311Error, Open311Errors, bad_request, from_service_error
from cqs.feedback.open311.render import JSON, XML, respond
from cqs.feedback.photos import PHOTO_MAX_BYTES
from cqs.feedback.services import report_submit
from cqs.feedback.services.config import api_client_get
from cqs.orgs.models import OrgUnit

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When this API last changed (discovery's changeset): clients re-read the discovery after it.
CHANGESET = "2026-11-28T00:00:00+07:00"
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]+)\](\[\d*\])?$")
_media_url_check = URLValidator(schemes=["http", "https"])


def _error_response(errors: Open311Errors, fmt: str) -> HttpResponse:
    return respond([e.as_dict() for e in errors.errors], fmt, root="errors", status=errors.status)


def _cors(response: HttpResponse) -> HttpResponse:
    response["Access-Control-Allow-Origin"] = "*"
    return response


def open311_view(*, methods: tuple[str, ...] = ("GET",)):
    """Method check (HEAD with GET, OPTIONS for CORS preflights), the jurisdiction, errors as the
    spec's array, the CORS header. The view gets ``fmt`` ("json" or "xml")."""
    allowed = (*methods, "HEAD") if "GET" in methods else methods

    def decorator(view):
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request, *args, fmt: str = JSON, **kwargs):
            if request.method == "OPTIONS":
                response = HttpResponse(status=204)
                response["Allow"] = response["Access-Control-Allow-Methods"] = ", ".join(allowed)
                response["Access-Control-Allow-Headers"] = "Content-Type, Idempotency-Key"
                response["Access-Control-Max-Age"] = "86400"
                return _cors(response)
            try:
                if request.method not in allowed:
                    raise Open311Errors(
                        [
                            Open311Error(
                                405,
                                "method_not_allowed",
                                _("Phương thức %(method)s không được hỗ trợ; dùng %(allowed)s.")
                                % {"method": request.method[:10], "allowed": ", ".join(methods)},
                            )
                        ]
                    )
                _jurisdiction_check(request)
                response = view(request, *args, fmt=fmt, **kwargs)
            except Open311Error as exc:
                response = _error_response(Open311Errors([exc]), fmt)
            except Open311Errors as exc:
                response = _error_response(exc, fmt)
            except ServiceError as exc:
                response = _error_response(from_service_error(exc), fmt)
            if response.status_code == 405:
                response["Allow"] = ", ".join(allowed)
            return _cors(response)

        return wrapper

    return decorator


def _param(request, name: str) -> str:
    """A parameter from the query string, or for a POST from the form."""
    if request.method == "POST":
        value = request.POST.get(name)
        if value is not None:
            return value
    return request.GET.get(name) or ""


def _jurisdiction_check(request) -> None:
    # One jurisdiction per server: the parameter is optional, but a wrong one is an unknown resource.
    jurisdiction = _param(request, "jurisdiction_id").strip()
    if jurisdiction and jurisdiction != settings.CQS_OPEN311_JURISDICTION:
        raise Open311Error(
            404,
            "jurisdiction_not_found",
            _("Không phục vụ jurisdiction_id “%(value)s”; máy chủ này phục vụ “%(ours)s”.")
            % {"value": jurisdiction[:60], "ours": settings.CQS_OPEN311_JURISDICTION},
            field="jurisdiction_id",
        )


# --- discovery and services -------------------------------------------------------------------


@open311_view()
def discovery(request, fmt):
    base = request.build_absolute_uri(reverse("open311:discovery", kwargs={"fmt": fmt})).rsplit("/", 1)[0]
    contact = getattr(settings, "CQS_OPEN311_CONTACT", "") or _(
        "Ban quản trị Cổng phản ánh, kiến nghị: %(site)s"
    ) % {"site": settings.CQS_SITE_URL}
    key_service = getattr(settings, "CQS_OPEN311_KEY_SERVICE", "") or _(
        "Liên hệ ban quản trị (%(site)s) để được cấp api_key cho ứng dụng."
    ) % {"site": settings.CQS_SITE_URL}
    value = {
        "changeset": CHANGESET,
        "contact": contact,
        "key_service": key_service,
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": f"{base}/",
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return respond(value, fmt, root="discovery")


@open311_view()
def services(request, fmt):
    return respond(search.service_list(), fmt, root="services")


@open311_view()
def service_definition(request, fmt, service_code):
    category = search.open311_category(service_code)
    if category is None:
        raise _unknown_service(service_code, status=404, field=None)
    return respond(search.service_definition(category), fmt, root="service_definition")


def _clean_id(value: str | None) -> str:
    return (value or "").replace("\x00", "").strip().upper()


def _unknown_service(code: str, *, status: int, field: str | None) -> Open311Error:
    return Open311Error(
        status,
        "unknown_service_code",
        _("Không có lĩnh vực (service_code) “%(code)s”.") % {"code": (code or "")[:60]},
        field=field,
    )


# --- requests ---------------------------------------------------------------------------------


@open311_view(methods=("GET", "POST"))
def requests(request, fmt):
    if request.method == "POST":
        return _request_create(request, fmt)
    found = search.request_search_parse(request.GET, now=timezone.now())
    rows = list(search.request_queryset(found))
    items = search.request_items(
        rows, build_absolute_uri=request.build_absolute_uri, extensions=found.extensions
    )
    return respond(items, fmt, root="service_requests")


def _one_request(request, service_request_id: str) -> dict:
    found = search.RequestSearch(
        ids=(_clean_id(service_request_id),), extensions=search.flag(request.GET, "extensions")
    )
    rows = list(search.request_queryset(found))
    if not rows:
        raise Open311Error(
            404,
            "request_not_found",
            _("Không tìm thấy phản ánh “%(code)s”.") % {"code": (service_request_id or "")[:40]},
        )
    return search.request_items(
        rows, build_absolute_uri=request.build_absolute_uri, extensions=found.extensions
    )[0]


@open311_view()
def request_detail(request, fmt, service_request_id):
    """GeoReport v2 ``GET requests/{id}``: one request, in an array as the spec shows it."""
    return respond([_one_request(request, service_request_id)], fmt, root="service_requests")


@open311_view()
def request_object(request, fmt, service_request_id):
    """swagger.json's ``GET request/{id}``: the same request as a single ``Request`` object, the
    shape that swagger.json declares (clients generated from it expect that)."""
    return respond(_one_request(request, service_request_id), fmt, root="request")


@open311_view()
def token(request, fmt, token):
    """Reports are created at once, so a request's token is its own id (clients polling tokens
    get ``[{service_request_id, token}]`` at the first call)."""
    code = _clean_id(token)
    if not code or not Report.objects.filter(code=code).exists():
        raise Open311Error(
            404, "token_not_found", _("Không tìm thấy mã token “%(token)s”.") % {"token": token[:40]}
        )
    return respond([{"service_request_id": code, "token": code}], fmt, root="service_requests")


@open311_view()
def updates(request, fmt):
    found = search.update_search_parse(request.GET, now=timezone.now())
    return respond(search.update_items(found), fmt, root="service_request_updates")


def not_found(request, path=""):
    """Anything else under /open311/v2/ (a wrong suffix, an unknown method): 404 in the spec's
    format (XML when the path asks for it)."""
    fmt = XML if request.path.endswith(".xml") else JSON
    error = Open311Error(
        404, "not_found", _("Không có tài nguyên Open311 này; xem discovery.json để biết các đường dẫn.")
    )
    return _cors(_error_response(Open311Errors([error]), fmt))


# --- POST requests ----------------------------------------------------------------------------


def _form(request):
    content_type = (request.content_type or "").lower()
    if content_type not in _FORM_TYPES:
        raise bad_request(
            "unsupported_content_type",
            _("Gửi dữ liệu dạng application/x-www-form-urlencoded hoặc multipart/form-data."),
        )
    try:
        return request.POST, request.FILES
    except (RequestDataTooBig, TooManyFieldsSent, MultiPartParserError, SuspiciousOperation):
        raise bad_request("invalid_form", _("Dữ liệu gửi lên quá lớn hoặc không đúng định dạng.")) from None


def _attributes(form) -> dict:
    """``attribute[code]=v`` and, for multi-value lists, ``attribute[code][]=v`` (repeated)."""
    answers: dict = {}
    for key, values in form.lists():
        match = _ATTRIBUTE.match(key)
        if not match:
            continue
        values = [value.replace("\x00", "") for value in values]
        code = match.group(1)
        if match.group(2) is not None:
            previous = answers.get(code)
            answers[code] = [*(previous if isinstance(previous, list) else []), *values]
        else:
            answers[code] = values[0] if len(values) == 1 else values
    return answers


def _area(form):
    code = _text(form, "address_id").strip()
    if not code:
        return None
    area = OrgUnit.objects.as_of(timezone.localdate()).filter(division_code=code).first()
    if area is None:
        raise bad_request(
            "unknown_address_id",
            _("Không có xã, phường mang mã address_id “%(code)s”.") % {"code": code[:20]},
            field="address_id",
        )
    return area


def _media_url(form) -> str:
    url = (form.get("media_url") or "").strip()
    if not url:
        return ""
    try:
        if len(url) > 500:
            raise ValidationError("too long")
        _media_url_check(url)
    except ValidationError:
        raise bad_request(
            "invalid_media_url",
            _("media_url phải là địa chỉ http(s) hợp lệ, dài tối đa 500 ký tự."),
            field="media_url",
        ) from None
    return url


def _photos(files) -> list[tuple[str, bytes]]:
    # Reads one byte over the limit at most: the photo check refuses it without loading more.
    return [(media.name or "media", media.read(PHOTO_MAX_BYTES + 1)) for media in files.getlist("media")]


def _text(form, name: str) -> str:
    # PostgreSQL refuses NUL in text columns; the service does not strip it (reported).
    return (form.get(name) or "").replace("\x00", "")


def _blank_to_none(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _request_create(request, fmt):
    form, files = _form(request)
    key = (form.get("api_key") or request.GET.get("api_key") or "").strip()
    if not key:
        raise Open311Error(403, "api_key_missing", _("Thiếu api_key."), field="api_key")
    client = api_client_get(key)
    if client is None:
        raise Open311Error(
            403, "api_key_invalid", _("api_key không hợp lệ hoặc đã bị thu hồi."), field="api_key"
        )
    code = (form.get("service_code") or "").strip()
    category = search.open311_category(code)
    if category is None:
        # The URL's resource (requests) exists: a bad parameter is "anything else" (400).
        raise _unknown_service(code, status=400, field="service_code")
    first, last = _text(form, "first_name").strip(), _text(form, "last_name").strip()
    idempotency_key = (request.headers.get("Idempotency-Key") or "").strip()
    report, _created = report_submit(
        category=category,
        description=_text(form, "description"),
        attributes=_attributes(form),
        lat=_blank_to_none(form.get("lat")),
        lon=_blank_to_none(form.get("long")),
        address=_text(form, "address_string"),
        area=_area(form),
        # Vietnamese order: family name (last_name) first.
        contact_name=" ".join(part for part in (last, first) if part),
        contact_phone=_text(form, "phone"),
        contact_email=_text(form, "email"),
        channel=Channel.OPEN311,
        api_client=client,
        device_id=_text(form, "device_id"),
        media_url=_media_url(form),
        photos=_photos(files),
        client_token=f"open311:{client.pk}:{idempotency_key}"[:80] if idempotency_key else "",
    )
    value = [
        {
            "service_request_id": report.code,
            "service_notice": search.service_notice(category.handling_message, report.due_at),
            "account_id": None,
        }
    ]
    return respond(value, fmt, root="service_requests")

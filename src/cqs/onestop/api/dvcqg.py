"""What the national public-service portal (Cổng DVCQG) asks the province: ``TraCuuHoSo`` and files.

The portal authenticates with the bearer token both sides share (``CQS_DVCQG_TOKEN``), compared
in constant time; there is no user session. Answers use the portal's envelope
(``{"error_code": 0, "message": ..., "data": ...}``, docs/integrations/dvcqg.md) except for a
refused token, which is an ordinary ``application/problem+json`` 401 like the rest of our API.

Mounted under ``/api/v1/dvcqg/`` (``path("dvcqg/", include("cqs.onestop.api.dvcqg"))``).
"""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import FileResponse
from django.urls import path
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from cqs.core.api import problem
from cqs.onestop.choices import DossierStatus, FileRole
from cqs.onestop.models import Dossier, DossierFile
from cqs.onestop.sync import SUBMITTED_ROLES, dvcqg_dossier_payload, dvcqg_progress_payload

# The portal's error codes (the fake uses the same ones): 0 OK, 1 invalid request, 2 unknown dossier.
OK = 0
INVALID_REQUEST = 1
UNKNOWN_DOSSIER = 2


def _token_ok(request) -> bool:
    expected = settings.CQS_DVCQG_TOKEN or ""
    scheme, _sep, presented = request.headers.get("Authorization", "").partition(" ")
    if not expected or scheme.lower() != "bearer" or not presented.strip():
        return False
    return hmac.compare_digest(presented.strip().encode(), expected.encode())


def _refused():
    response = problem(
        status_code=status.HTTP_401_UNAUTHORIZED,
        code="invalid_portal_token",
        detail=_("Token của Cổng dịch vụ công quốc gia không hợp lệ."),
    )
    response["WWW-Authenticate"] = 'Bearer realm="dvcqg"'
    return response


def _error(http_status: int, error_code: int, message: str) -> Response:
    return Response({"error_code": error_code, "message": message}, status=http_status)


class _PortalView(APIView):
    # The bearer token is checked in the view; no session, so no CSRF either.
    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes = [JSONParser]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        request.portal_token_ok = _token_ok(request)


_ENVELOPE = inline_serializer(
    "DvcqgEnvelope",
    {
        "error_code": serializers.IntegerField(),
        "message": serializers.CharField(),
        "data": serializers.DictField(required=False),
    },
)


@extend_schema(
    tags=["dvcqg"],
    summary="TraCuuHoSo: Cổng DVCQG tra cứu một hồ sơ",
    description=(
        'Thân yêu cầu `{"MaHoSo": "..."}`, xác thực bằng `Authorization: Bearer <token>` '
        "(`CQS_DVCQG_TOKEN`). Trả về hồ sơ theo dạng `DongBoHoSoMC` và quá trình xử lý "
        "(`QuaTrinhXuLy`) theo dạng `CapNhatTienDoHoSoMC`."
    ),
    request=inline_serializer("TraCuuHoSo", {"MaHoSo": serializers.CharField()}),
    responses={
        200: _ENVELOPE,
        400: OpenApiResponse(_ENVELOPE, description="Thiếu MaHoSo (error_code 1)."),
        401: OpenApiResponse(description="Token không hợp lệ (application/problem+json)."),
        404: OpenApiResponse(_ENVELOPE, description="Không có hồ sơ này (error_code 2)."),
    },
)
class TraCuuHoSoView(_PortalView):
    http_method_names = ["post", "options"]

    def post(self, request):
        if not request.portal_token_ok:
            return _refused()
        code = request.data.get("MaHoSo") if isinstance(request.data, dict) else None
        if not isinstance(code, str) or not code.strip() or len(code) > 40:
            return _error(
                status.HTTP_400_BAD_REQUEST,
                INVALID_REQUEST,
                _("Thiếu mã hồ sơ (MaHoSo) hoặc mã không hợp lệ."),
            )
        dossier = (
            Dossier.objects.select_related("procedure__sector", "version", "unit", "handling_unit")
            .exclude(status=DossierStatus.DRAFT)
            .filter(code=code.strip())
            .first()
        )
        if dossier is None:
            return _error(status.HTTP_404_NOT_FOUND, UNKNOWN_DOSSIER, _("Không có hồ sơ mang mã này."))
        events = dossier.events.select_related("actor__official_profile", "actor_unit").order_by("at", "pk")
        data = dvcqg_dossier_payload(dossier)
        progress = []
        for event in events:
            event.dossier = dossier  # already loaded: no query per row
            progress.append(dvcqg_progress_payload(event))
        data["QuaTrinhXuLy"] = progress
        return Response({"error_code": OK, "message": "", "data": data})


@extend_schema(
    tags=["dvcqg"],
    summary="Tải tệp của hồ sơ (đường dẫn DuongDanTaiTepTin trong DongBoHoSoMC)",
    description="Thành phần hồ sơ đã nộp và kết quả giải quyết; xác thực như TraCuuHoSo.",
    responses={
        (200, "application/octet-stream"): OpenApiTypes.BINARY,
        401: OpenApiResponse(description="Token không hợp lệ (application/problem+json)."),
        404: OpenApiResponse(_ENVELOPE, description="Không có tệp này."),
    },
)
class DossierFileView(_PortalView):
    http_method_names = ["get", "head", "options"]

    def get(self, request, file_id: int):
        if not request.portal_token_ok:
            return _refused()
        stored = (
            DossierFile.objects.filter(pk=file_id, role__in=(*SUBMITTED_ROLES, FileRole.RESULT))
            .exclude(dossier__status=DossierStatus.DRAFT)
            .first()
        )
        if stored is None:
            return _error(status.HTTP_404_NOT_FOUND, UNKNOWN_DOSSIER, _("Không có tệp này."))
        response = FileResponse(
            stored.file.open("rb"), as_attachment=True, filename=stored.name, content_type=stored.content_type
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response


urlpatterns = [
    path("TraCuuHoSo", TraCuuHoSoView.as_view(), name="onestop-dvcqg-tracuu"),
    path("TepDinhKem/<int:file_id>", DossierFileView.as_view(), name="onestop-dvcqg-file"),
]

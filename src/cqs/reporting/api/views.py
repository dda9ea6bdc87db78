"""The reporting API, part one: conventions shared by its views, and the metadata — regimes
(chế độ báo cáo) with the version in force and its ten Decree 09 elements, and indicators.

For officials only (a citizen gets 403). What may be done is the services' decision; their
``ServiceError`` becomes ``application/problem+json`` (400/403/404/409) in ``cqs.core.api``. The
per-cell errors of a save and the findings that block a submission ride on the error's
``details``, which ``DetailsAsErrors`` adds to the problem body as ``errors``. The reports are in
``reports.py``.
"""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics
from rest_framework.exceptions import NotFound
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.parsers import JSONParser
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from cqs.core.api import problem
from cqs.core.exceptions import NotFound as ServiceNotFound
from cqs.core.exceptions import ServiceError
from cqs.reporting.api.serializers import (
    IndicatorSerializer,
    OnDateSerializer,
    RegimeSerializer,
    RegimeVersionSerializer,
    RegimeVersionSummarySerializer,
)
from cqs.reporting.models import Indicator, Regime, RegimeAssignment, RegimeIndicator, RegimeVersion

TAGS = ["reporting"]
REFUSED = {
    401: OpenApiResponse(description="Chưa đăng nhập (application/problem+json, code not_authenticated)."),
    403: OpenApiResponse(
        description="Không phải cán bộ, hoặc không có quyền (problem+json, ví dụ report_forbidden)."
    ),
    404: OpenApiResponse(description="Không có đối tượng này hoặc người gọi không được xem (problem+json)."),
}
INVALID = {
    400: OpenApiResponse(
        description=(
            "Dữ liệu không hợp lệ (application/problem+json, có `code`; lỗi từng ô hoặc từng phát hiện "
            "nằm trong `errors`)."
        )
    )
}
CONFLICT = {
    409: OpenApiResponse(
        description=(
            "Không thực hiện được ở trạng thái hiện tại (problem+json, ví dụ period_locked, "
            "report_not_editable, report_not_submitted)."
        )
    )
}
LIST_REFUSED = {400: INVALID[400], 401: REFUSED[401], 403: REFUSED[403]}
_ON = OpenApiParameter(
    "on", OpenApiTypes.DATE, description="Phiên bản có hiệu lực vào ngày này (mặc định: hôm nay)."
)


class IsOfficial(BasePermission):
    """Reporting is the administration's: officials (and administrators) only."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and (user.is_superuser or user.is_official))


class ReportingPagination(LimitOffsetPagination):
    max_limit = 200


class DetailsAsErrors:
    """A ``ServiceError`` with ``details`` (cell → message, or a list of findings) answers with
    them in ``errors``: the shared handler only knows one field per error."""

    def handle_exception(self, exc):
        details = getattr(exc, "details", None)
        if not isinstance(exc, ServiceError) or not details:
            return super().handle_exception(exc)
        if isinstance(details, dict):
            errors = {key: [str(message)] for key, message in details.items()}
        else:
            errors = {"non_field_errors": [str(message) for message in details]}
        response = problem(status_code=exc.status, code=exc.error_code, detail=exc.detail, errors=errors)
        response.exception = True
        return response


class ReportingView(DetailsAsErrors, APIView):
    permission_classes = [IsOfficial]
    # Values are a JSON object keyed by cell: a form encoding has no way to say it.
    parser_classes = [JSONParser]


class ReportingListView(DetailsAsErrors, generics.ListAPIView):
    permission_classes = [IsOfficial]
    parser_classes = [JSONParser]
    pagination_class = ReportingPagination


# --- helpers -----------------------------------------------------------------------------------


def _on(request):
    query = OnDateSerializer(data=request.query_params.dict())
    query.is_valid(raise_exception=True)
    return query.validated_data.get("on") or timezone.localdate()


def _regime(code: str) -> Regime:
    regime = Regime.objects.filter(code=code).first()
    if regime is None:
        raise NotFound
    return regime


def _version_full(queryset) -> RegimeVersion | None:
    rows = RegimeIndicator.objects.select_related("indicator__category_combo").prefetch_related(
        "indicator__category_combo__option_combos"
    )
    assignments = RegimeAssignment.objects.select_related("kind", "unit", "within").order_by("pk")
    return (
        queryset.select_related("regime", "receiver")
        .prefetch_related(
            Prefetch("rows", queryset=rows.order_by("sort_order", "pk")),
            Prefetch("assignments", queryset=assignments),
            "rules",
        )
        .first()
    )


def _indicators() -> QuerySet[Indicator]:
    combos = Indicator.objects.select_related("category_combo")
    return combos.prefetch_related("category_combo__option_combos")


# --- regimes and indicators --------------------------------------------------------------------


@extend_schema_view(
    get=extend_schema(
        tags=TAGS,
        summary="Danh sách chế độ báo cáo",
        description="Mọi chế độ báo cáo, kèm phiên bản có hiệu lực vào ngày hỏi (null nếu không có).",
        parameters=[_ON],
        responses={200: RegimeSerializer(many=True), **LIST_REFUSED},
    )
)
class RegimeListView(ReportingListView):
    serializer_class = RegimeSerializer

    def get_queryset(self):
        in_force = RegimeVersion.objects.as_of(_on(self.request)).order_by("-valid_from")
        return Regime.objects.prefetch_related(
            Prefetch("versions", queryset=in_force, to_attr="in_force")
        ).order_by("code")


@extend_schema(
    tags=TAGS,
    summary="Chế độ báo cáo và phiên bản có hiệu lực",
    description=(
        "Mười yếu tố của chế độ báo cáo theo Điều 7 Nghị định 09/2019/NĐ-CP, trong phiên bản có "
        "hiệu lực vào ngày `on`: đối tượng thực hiện, biểu mẫu (các chỉ tiêu và ô phân tổ), quy tắc "
        "kiểm tra. Không có phiên bản nào có hiệu lực: 404 `regime_not_in_force`."
    ),
    parameters=[_ON],
    responses={200: RegimeVersionSerializer, 400: INVALID[400], **REFUSED},
)
class RegimeDetailView(ReportingView):
    def get(self, request, code: str):
        regime = _regime(code)
        on = _on(request)
        in_force = RegimeVersion.objects.filter(regime=regime).as_of(on).order_by("-valid_from")
        version = _version_full(in_force)
        if version is None:
            raise ServiceNotFound(
                "regime_not_in_force",
                _("Chế độ báo cáo %(code)s không có phiên bản có hiệu lực ngày %(date)s.")
                % {"code": regime.code, "date": f"{on:%d/%m/%Y}"},
            )
        return Response(RegimeVersionSerializer(version, context={"request": request}).data)


@extend_schema_view(
    get=extend_schema(
        tags=TAGS,
        summary="Các phiên bản của chế độ báo cáo",
        description="Mới nhất trước; mỗi báo cáo giữ phiên bản có hiệu lực vào ngày cuối kỳ của nó.",
        responses={200: RegimeVersionSummarySerializer(many=True), **REFUSED},
    )
)
class RegimeVersionListView(ReportingListView):
    serializer_class = RegimeVersionSummarySerializer

    def get_queryset(self):
        regime = _regime(self.kwargs["code"])
        return RegimeVersion.objects.filter(regime=regime).select_related("regime").order_by("-valid_from")


@extend_schema(
    tags=TAGS,
    summary="Một phiên bản của chế độ báo cáo",
    description="Như chi tiết chế độ báo cáo, cho một phiên bản theo số.",
    responses={200: RegimeVersionSerializer, **REFUSED},
)
class RegimeVersionDetailView(ReportingView):
    def get(self, request, code: str, version: int):
        found = _version_full(RegimeVersion.objects.filter(regime__code=code, version=version))
        if found is None:
            raise NotFound
        return Response(RegimeVersionSerializer(found, context={"request": request}).data)


@extend_schema_view(
    get=extend_schema(
        tags=TAGS,
        summary="Danh sách chỉ tiêu",
        description="Chỉ tiêu báo cáo (data element của DHIS2), theo mã.",
        parameters=[
            OpenApiParameter(
                "regime", OpenApiTypes.STR, description="Chỉ các chỉ tiêu có trong chế độ báo cáo này (mã)."
            )
        ],
        responses={200: IndicatorSerializer(many=True), **LIST_REFUSED},
    )
)
class IndicatorListView(ReportingListView):
    serializer_class = IndicatorSerializer

    def get_queryset(self):
        indicators = _indicators()
        regime = self.request.query_params.get("regime")
        if regime:
            rows = RegimeIndicator.objects.filter(version__regime__code=regime).values("indicator_id")
            indicators = indicators.filter(pk__in=rows)
        return indicators.order_by("code")


@extend_schema(
    tags=TAGS,
    summary="Chi tiết chỉ tiêu",
    responses={200: IndicatorSerializer, **REFUSED},
)
class IndicatorDetailView(ReportingView):
    def get(self, request, code: str):
        indicator = _indicators().filter(code=code).first()
        if indicator is None:
            raise NotFound
        return Response(IndicatorSerializer(indicator).data)

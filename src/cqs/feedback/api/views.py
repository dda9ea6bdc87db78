"""The staff feedback API under /api/v1/feedback/: reports of the caller's units, their workflow
actions, the category tree and the statistics (for the IOC wall display).

Who sees what is ``selectors.staff_reports`` (the units the caller holds ``feedback.view_report``
on, and below); a report outside them is a 404, never a 403, so that codes reveal nothing. What
may be done is ``services.report_act`` and ``workflow.transition_check``, whose ``ServiceError``
becomes ``application/problem+json`` in ``cqs.core.api``: 403 ``action_not_allowed``, 409
``invalid_transition``, 400 for bad input (``note_required``…). Authentication: the session.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from cqs.core.exceptions import ServiceError
from cqs.feedback import selectors, services, statistics, workflow
from cqs.feedback.api.serializers import (
    ORDERINGS,
    FeedbackCategorySerializer,
    FeedbackReportActionSerializer,
    FeedbackReportDetailSerializer,
    FeedbackReportFilterSerializer,
    FeedbackReportSummarySerializer,
    FeedbackStatsReportSerializer,
)
from cqs.feedback.choices import OPEN_STATUSES, Status
from cqs.feedback.models import Category, Report
from cqs.feedback.views_stats import StatsFilterForm
from cqs.orgs.models import OrgUnit

TAGS = ["feedback"]
_REFUSED = {
    401: OpenApiResponse(description="Chưa đăng nhập (application/problem+json, code not_authenticated)."),
    404: OpenApiResponse(description="Không có phản ánh này hoặc người gọi không được xem (problem+json)."),
}
_INVALID = {400: OpenApiResponse(description="Dữ liệu không hợp lệ (application/problem+json, có `code`).")}


class ReportPagination(LimitOffsetPagination):
    default_limit = 50
    max_limit = 200


def _visible_report(request, code: str) -> Report:
    report = selectors.staff_reports(request.user).filter(code=str(code).strip().upper()).first()
    if report is None:
        raise NotFound
    return report


def _detail(request, report: Report) -> Response:
    context = {
        "request": request,
        "now": timezone.now(),
        "actions": workflow.actions_available(user=request.user, report=report),
    }
    return Response(FeedbackReportDetailSerializer(report, context=context).data)


def _day_start(day):
    return timezone.make_aware(datetime.combine(day, time.min))


# --- reports -----------------------------------------------------------------------------------


@extend_schema(
    tags=TAGS,
    summary="Danh sách phản ánh của đơn vị",
    description=(
        "Phản ánh của các đơn vị người gọi được phân quyền xem (và các đơn vị trực thuộc), mặc định "
        "các phản ánh đang xử lý, hạn trả lời sớm trước. Không có thông tin liên hệ của người phản "
        "ánh; xem chi tiết để biết thêm."
    ),
    parameters=[FeedbackReportFilterSerializer],
    responses={200: FeedbackReportSummarySerializer(many=True), **_INVALID, 401: _REFUSED[401]},
)
class ReportListView(generics.ListAPIView):
    serializer_class = FeedbackReportSummarySerializer
    pagination_class = ReportPagination

    def get_serializer_context(self):
        return super().get_serializer_context() | {"now": timezone.now()}

    def get_queryset(self):
        filters = FeedbackReportFilterSerializer(data=self.request.query_params.dict())
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        reports = selectors.staff_reports(self.request.user)
        state = data.get("status") or "open"
        if state == "open":
            reports = reports.filter(status__in=OPEN_STATUSES)
        elif state != "all":
            reports = reports.filter(status=state)
        if data.get("category"):
            category = Category.objects.filter(code=data["category"]).first()
            if category is None:
                raise ValidationError({"category": [_("Lĩnh vực phản ánh không tồn tại.")]})
            reports = reports.filter(category_id__in=statistics.category_subtree_ids(category))
        if data.get("unit"):
            unit = OrgUnit.objects.filter(pk=data["unit"]).first()
            if unit is None:
                raise ValidationError({"unit": [_("Đơn vị không tồn tại.")]})
            reports = reports.filter(unit__path__startswith=unit.path)
        for name in ("urgency", "channel"):
            if data.get(name):
                reports = reports.filter(**{name: data[name]})
        now = timezone.now()
        if data.get("overdue") is True:
            reports = selectors.reports_overdue(reports, now)
        elif data.get("overdue") is False:
            reports = reports.exclude(status__in=OPEN_STATUSES, due_at__lt=now)
        if data.get("waiting_ack"):
            reports = reports.filter(
                status__in=[Status.RECEIVED, Status.FORWARDED], acknowledged_at__isnull=True
            )
        text = (data.get("q") or "").strip()
        if text:
            reports = reports.filter(Q(code__iexact=text) | Q(title__icontains=text))
        if data.get("submitted_from"):
            reports = reports.filter(submitted_at__gte=_day_start(data["submitted_from"]))
        if data.get("submitted_to"):
            reports = reports.filter(submitted_at__lt=_day_start(data["submitted_to"] + timedelta(days=1)))
        return reports.order_by(*ORDERINGS[data["ordering"]])


@extend_schema(
    tags=TAGS,
    summary="Chi tiết phản ánh",
    description=(
        "Nội dung (không che), thông tin bổ sung, vị trí, liên hệ của người phản ánh (chỉ cán bộ), "
        "ảnh, các hạn, toàn bộ quá trình xử lý, đánh giá và các thao tác người gọi được thực hiện."
    ),
    responses={200: FeedbackReportDetailSerializer, **_REFUSED},
)
class ReportDetailView(APIView):
    def get(self, request, code: str):
        return _detail(request, _visible_report(request, code))


def _unit(pk: int | None) -> OrgUnit | None:
    if pk is None:
        return None
    unit = OrgUnit.objects.filter(pk=pk).first()
    if unit is None:
        raise ServiceError("invalid_unit", _("Đơn vị không tồn tại."), field="unit")
    return unit


def _category(code: str) -> Category | None:
    if not code:
        return None
    category = Category.objects.filter(code=code.strip()).first()
    if category is None:
        raise ServiceError("unknown_category", _("Lĩnh vực phản ánh không tồn tại."), field="category")
    return category


def _action_fields(data: dict) -> dict:
    """The service's inputs for the action, from the request's ids and codes."""
    fields = {
        "unit": _unit(data["unit"]),
        "answer": data["answer"],
        "answer_public": data["answer_public"],
        "external_agency": data["external_agency"],
        "external_reference": data["external_reference"],
    }
    if data["duplicate_of"]:
        original = Report.objects.filter(code=data["duplicate_of"].strip().upper()).first()
        if original is None:
            raise ServiceError("invalid_original", _("Không tìm thấy phản ánh gốc."), field="duplicate_of")
        fields["duplicate_of"] = original
    if data["action"] == "reclassify":
        fields |= {
            "category": _category(data["category"]),
            "urgency": data["urgency"],
            "location_given": data["location_given"],
            "lat": data["lat"],
            "lon": data["lon"],
            "address": data["address"],
            "area": _unit(data["area"]),
        }
    if data["action"] == "split":
        fields["parts"] = [
            {
                # An unknown code becomes None, which the service refuses as unknown_category.
                "category": Category.objects.filter(code=part["category"].strip()).first(),
                "description": part["description"],
                "title": part["title"],
            }
            for part in data["parts"]
        ]
    return fields


@extend_schema(
    tags=TAGS,
    summary="Thực hiện thao tác trên phản ánh",
    description=(
        "Một bước của quy trình theo bảng chuyển trạng thái (thụ lý, chuyển, trả lời, công khai, "
        "đóng, mở lại, đánh dấu trùng, tách, phân loại lại, ghi chú…). Trả về phản ánh sau thao tác; "
        "204 nếu sau thao tác người gọi không còn được xem phản ánh (đã chuyển đơn vị khác). Lặp lại "
        "một thao tác đã làm trả 409 invalid_transition."
    ),
    request=FeedbackReportActionSerializer,
    responses={
        200: FeedbackReportDetailSerializer,
        204: OpenApiResponse(description="Đã thực hiện; người gọi không còn quyền xem phản ánh."),
        **_INVALID,
        401: _REFUSED[401],
        403: OpenApiResponse(
            description="Không có quyền thực hiện thao tác (problem+json, action_not_allowed)."
        ),
        404: _REFUSED[404],
        409: OpenApiResponse(
            description="Thao tác không hợp lệ ở trạng thái hiện tại (problem+json, invalid_transition)."
        ),
    },
)
class ReportActionView(APIView):
    def post(self, request, code: str):
        report = _visible_report(request, code)
        serializer = FeedbackReportActionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        workflow.transition_get(data["action"])
        report = services.report_act(
            report=report,
            action=data["action"],
            actor=request.user,
            note=data["note"],
            **_action_fields(data),
        )
        reloaded = selectors.staff_reports(request.user).filter(pk=report.pk).first()
        if reloaded is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return _detail(request, reloaded)


# --- categories --------------------------------------------------------------------------------


@extend_schema(
    tags=TAGS,
    summary="Cây lĩnh vực phản ánh",
    description=(
        "Các lĩnh vực đang sử dụng, theo thứ tự; `parent` là mã lĩnh vực cha (null: gốc), `leaf` cho "
        "biết lĩnh vực nhận phản ánh. Kèm thời hạn xử lý theo mức độ và các câu hỏi bổ sung (thuộc "
        "tính Open311)."
    ),
    responses={200: FeedbackCategorySerializer(many=True), 401: _REFUSED[401]},
)
class CategoryListView(APIView):
    def get(self, request):
        categories = list(selectors.categories_active().prefetch_related("deadlines", "attributes"))
        parents = {c.parent_id for c in categories if c.parent_id}
        data = FeedbackCategorySerializer(categories, many=True, context={"parents": parents}).data
        return Response(data)


# --- statistics --------------------------------------------------------------------------------


@extend_schema(
    tags=TAGS,
    summary="Thống kê phản ánh theo đơn vị, lĩnh vực và kỳ",
    description=(
        "Các số liệu của trang thống kê (cùng một hàm tính): phản ánh gửi trong kỳ, đã trả lời (đúng "
        "hạn, quá hạn), đang xử lý (quá hạn), thông báo thụ lý đúng hạn, chuyển, không thụ lý, trùng, "
        "mức hài lòng; theo đơn vị trực thuộc `unit` (hoặc các đơn vị cao nhất được xem), theo lĩnh "
        "vực và theo tháng. Cần quyền xem thống kê phản ánh."
    ),
    parameters=[
        OpenApiParameter(
            "period", OpenApiTypes.STR, description="Năm (2026), tháng (2026-03) hoặc quý (2026-Q1)."
        ),
        OpenApiParameter("from", OpenApiTypes.DATE, description="Ngày đầu kỳ (mặc định 1/1 năm nay)."),
        OpenApiParameter("to", OpenApiTypes.DATE, description="Ngày cuối kỳ (mặc định hôm nay)."),
        OpenApiParameter("unit", OpenApiTypes.INT, description="Đơn vị xem chi tiết (id)."),
        OpenApiParameter("category", OpenApiTypes.INT, description="Lĩnh vực (id), kể cả lĩnh vực con."),
    ],
    responses={
        200: FeedbackStatsReportSerializer,
        400: OpenApiResponse(description="Kỳ không hợp lệ (application/problem+json, code invalid)."),
        401: _REFUSED[401],
        403: OpenApiResponse(description="Không có quyền xem thống kê phản ánh (problem+json)."),
        404: OpenApiResponse(description="Không có đơn vị hoặc lĩnh vực này (problem+json)."),
    },
)
class StatisticsView(APIView):
    http_method_names = ["get", "head", "options"]

    def get(self, request):
        if not statistics.may_view_statistics(request.user):
            raise PermissionDenied
        form = StatsFilterForm(request.query_params)
        if not form.is_valid():
            errors = {{"date_from": "from", "date_to": "to"}.get(k, k): v for k, v in form.errors.items()}
            raise ValidationError(errors)
        unit, category = form.unit_object(), form.category_object()
        report = statistics.feedback_statistics(
            user=request.user,
            date_from=form.cleaned_data["date_from"],
            date_to=form.cleaned_data["date_to"],
            unit=unit,
            category=category,
        )
        body = {
            "date_from": report.date_from,
            "date_to": report.date_to,
            "as_at": report.as_at,
            "unit": {"id": unit.pk, "name": unit.name} if unit else None,
            "category": {"code": category.code, "name": category.name} if category else None,
            "rows": [row.as_dict() for row in report.rows],
            "total": report.total.as_dict(),
            "categories": [row.as_dict() for row in report.categories],
            "months": [{"month": m, "received": r, "answered": a} for m, r, a in report.months],
        }
        return Response(FeedbackStatsReportSerializer(body).data)

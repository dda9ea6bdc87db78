"""The reporting API, part two: a unit's reports — open, enter values, check, submit, return or
approve, unlock, history and the signed PDF.

A report is visible to whoever may view its unit's reports (``Report.objects.restrict(user,
"view")``) and to the reviewing unit; one the caller may not see is a 404, never a 403, so that
ids reveal nothing.

Opening a report needs no Idempotency-Key: ``report_open`` is idempotent by nature (one report
per regime, unit and period), so a repeated POST answers 200 with the report the first made.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import FileResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from cqs.accounts.permissions import grant_paths_prime, units_in_scope
from cqs.core.api import DownloadNegotiation
from cqs.core.exceptions import NotFound as ServiceNotFound
from cqs.core.exceptions import ServiceError
from cqs.orgs.models import OrgUnit
from cqs.reporting.api.serializers import (
    LockExceptionInputSerializer,
    LockExceptionSerializer,
    ReportCheckSerializer,
    ReportDetailSerializer,
    ReportEventSerializer,
    ReportFilterSerializer,
    ReportOpenSerializer,
    ReportReturnSerializer,
    ReportSubmitSerializer,
    ReportSummarySerializer,
    ValuesSaveSerializer,
)
from cqs.reporting.api.views import (
    CONFLICT,
    INVALID,
    LIST_REFUSED,
    REFUSED,
    TAGS,
    ReportingListView,
    ReportingView,
)
from cqs.reporting.choices import ReportStatus
from cqs.reporting.models import DataValue, Regime, Report
from cqs.reporting.services import reports as svc

REPORT_RELATED = ("regime", "version", "unit", "period", "reviewer_unit")
DETAIL_RELATED = (*REPORT_RELATED, "submitted_by", "decided_by")


# --- helpers -----------------------------------------------------------------------------------


def reports_visible(user) -> QuerySet[Report]:
    """Reports of the units the user may view, and those the user's units review."""
    reviewed = units_in_scope(user, "reporting", "view_report")
    to_review = Report.objects.filter(reviewer_unit__in=reviewed.values("pk"))
    return Report.objects.restrict(user, "view") | to_review


def _report(request, pk: int) -> Report:
    report = reports_visible(request.user).select_related(*DETAIL_RELATED).filter(pk=pk).first()
    if report is None:
        raise NotFound
    return report


def _actions(user, report: Report, locked: bool) -> list[str]:
    grant_paths_prime(user, "reporting")
    actions = []
    if report.status in svc.EDITABLE and not locked and svc.may(user, "submit_report", report.unit):
        actions += ["edit", "submit"]
    if report.status == ReportStatus.SUBMITTED and svc.may(user, "approve_report", report.reviewer_unit):
        actions += ["return", "approve"]
    if report.lock_date is not None and svc.may(user, "grant_lock_exception", report.reviewer_unit):
        actions.append("unlock")
    return actions


def _detail(request, report: Report, *, status_code: int = status.HTTP_200_OK) -> Response:
    today = timezone.localdate()
    exception = svc.lock_exception_active(report, today)
    locked = report.lock_date is not None and today >= report.lock_date and exception is None
    values = (
        DataValue.objects.filter(report=report)
        .select_related("indicator", "option_combo")
        .order_by("indicator__code", "option_combo__sort_order", "option_combo_id")
    )
    context = {
        "request": request,
        "locked": locked,
        "unlocked_until": exception.until if exception else None,
        "actions": _actions(request.user, report, locked),
        "values": list(values),
    }
    return Response(ReportDetailSerializer(report, context=context).data, status=status_code)


def _after(request, report: Report, *, status_code: int = status.HTTP_200_OK) -> Response:
    try:
        reloaded = _report(request, report.pk)
    except NotFound:
        return Response(status=status.HTTP_204_NO_CONTENT)
    return _detail(request, reloaded, status_code=status_code)


# --- reports -----------------------------------------------------------------------------------


_REPORT_LIST_SCHEMA = extend_schema(
    tags=TAGS,
    summary="Danh sách báo cáo",
    description=(
        "Báo cáo của các đơn vị người gọi được xem, và báo cáo gửi đến các đơn vị người gọi duyệt. "
        "Kỳ mới trước."
    ),
    parameters=[
        OpenApiParameter("regime", OpenApiTypes.STR, description="Mã chế độ báo cáo."),
        OpenApiParameter("period", OpenApiTypes.STR, description="Kỳ báo cáo (ISO), ví dụ 202603."),
        OpenApiParameter("unit", OpenApiTypes.INT, description="Đơn vị báo cáo (id)."),
        OpenApiParameter("reviewer_unit", OpenApiTypes.INT, description="Đơn vị duyệt (id)."),
        OpenApiParameter("status", OpenApiTypes.STR, enum=ReportStatus.values, description="Trạng thái."),
        OpenApiParameter("late", OpenApiTypes.BOOL, description="Chỉ báo cáo gửi muộn (true) hoặc đúng hạn."),
    ],
    responses={200: ReportSummarySerializer(many=True), **LIST_REFUSED},
)


@extend_schema_view(get=_REPORT_LIST_SCHEMA)
class ReportListView(ReportingListView):
    serializer_class = ReportSummarySerializer

    def get_queryset(self):
        filters = ReportFilterSerializer(data=self.request.query_params.dict())
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        reports = reports_visible(self.request.user).select_related(*REPORT_RELATED)
        if "regime" in data:
            reports = reports.filter(regime__code=data["regime"])
        if "period" in data:
            reports = reports.filter(period__iso=svc.period_spec(data["period"]).iso)
        if "unit" in data:
            reports = reports.filter(unit_id=data["unit"])
        if "reviewer_unit" in data:
            reports = reports.filter(reviewer_unit_id=data["reviewer_unit"])
        if "status" in data:
            reports = reports.filter(status=data["status"])
        if data["late"] is not None:
            reports = reports.filter(late=data["late"])
        return reports.order_by("-period__start", "regime__code", "unit__name", "pk")

    @extend_schema(
        tags=TAGS,
        summary="Mở báo cáo của đơn vị",
        description=(
            "Lập báo cáo (bản nháp) của đơn vị cho một kỳ: 201 với báo cáo mới, 200 với báo cáo đã có "
            "(gửi lại an toàn, không cần Idempotency-Key). Hạn gửi, ngày khóa nhập và đơn vị duyệt "
            "được tính khi mở. Đơn vị không phải đối tượng thực hiện: 400 `unit_not_assigned`; kỳ "
            "đã khóa nhập: 409 `period_locked` (đơn vị duyệt mở khóa)."
        ),
        request=ReportOpenSerializer,
        responses={
            201: ReportDetailSerializer,
            200: OpenApiResponse(ReportDetailSerializer, description="Báo cáo của kỳ này đã có."),
            **INVALID,
            401: REFUSED[401],
            403: REFUSED[403],
            **CONFLICT,
        },
    )
    def post(self, request):
        serializer = ReportOpenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        regime = Regime.objects.filter(code=data["regime"]).first()
        if regime is None:
            raise ServiceError(
                "unknown_regime",
                _("Không có chế độ báo cáo “%(code)s”.") % {"code": data["regime"]},
                field="regime",
            )
        unit = OrgUnit.objects.filter(pk=data["unit"]).first()
        if unit is None:
            raise ServiceError("unknown_unit", _("Không tìm thấy đơn vị."), field="unit")
        spec = svc.period_spec(data["period"])
        existed = Report.objects.filter(regime=regime, unit=unit, period__iso=spec.iso).exists()
        report = svc.report_open(actor=request.user, regime=regime, unit=unit, period=spec.iso)
        code = status.HTTP_200_OK if existed else status.HTTP_201_CREATED
        response = _after(request, report, status_code=code)
        response["Location"] = reverse("reporting-api-report", args=[report.pk])
        return response


@extend_schema(
    tags=TAGS,
    summary="Chi tiết báo cáo",
    description=(
        "Báo cáo với các ô đã nhập (ô: `MÃ_CHỈ_TIÊU.MÃ_Ô_PHÂN_TỔ`), nguồn của từng giá trị, phần "
        "thuyết minh, trạng thái khóa nhập và các thao tác người gọi làm được (`actions`)."
    ),
    responses={200: ReportDetailSerializer, **REFUSED},
)
class ReportDetailView(ReportingView):
    def get(self, request, pk: int):
        return _detail(request, _report(request, pk))


_VALUES_ERRORS = {**INVALID, **REFUSED, **CONFLICT}


class ReportValuesView(ReportingView):
    def _save(self, request, pk: int, *, replace: bool) -> Response:
        report = _report(request, pk)
        serializer = ValuesSaveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = dict(serializer.validated_data["values"])
        outline_text = serializer.validated_data["outline_text"]
        if replace:
            # PUT is the whole form: a cell left out is cleared, and so is an absent outline.
            values = dict.fromkeys(svc.form_cells(report.version)) | values
            outline_text = outline_text or ""
        svc.report_values_save(actor=request.user, report=report, values=values, outline_text=outline_text)
        return _after(request, report)

    @extend_schema(
        tags=TAGS,
        summary="Thay toàn bộ số liệu của báo cáo",
        description=(
            "Ghi lại cả biểu mẫu: ô không gửi bị xóa, phần thuyết minh không gửi thành rỗng. Một ô sai "
            "thì không ghi gì: 400 `invalid_values`, `errors` nêu từng ô. Báo cáo đã gửi hoặc đã "
            "duyệt: 409 `report_not_editable`; quá ngày khóa nhập: 409 `period_locked`."
        ),
        request=ValuesSaveSerializer,
        responses={200: ReportDetailSerializer, **_VALUES_ERRORS},
    )
    def put(self, request, pk: int):
        return self._save(request, pk, replace=True)

    @extend_schema(
        tags=TAGS,
        summary="Lưu nháp một số ô của báo cáo",
        description=(
            "Ghi các ô gửi lên (chuỗi rỗng hoặc null xóa ô), các ô khác giữ nguyên; phần thuyết minh "
            "chỉ đổi khi có `outline_text`. Một ô sai thì không ghi gì: 400 `invalid_values`, "
            "`errors` nêu từng ô. Đã gửi hoặc đã duyệt: 409 `report_not_editable`; quá ngày khóa "
            "nhập: 409 `period_locked`."
        ),
        request=ValuesSaveSerializer,
        responses={200: ReportDetailSerializer, **_VALUES_ERRORS},
    )
    def patch(self, request, pk: int):
        return self._save(request, pk, replace=False)


@extend_schema(
    tags=TAGS,
    summary="Kiểm tra báo cáo",
    description=(
        "Chỉ tiêu bắt buộc còn thiếu, quy tắc kiểm tra không thỏa và giá trị bất thường so với các "
        "kỳ trước, theo thứ tự biểu mẫu. Lỗi chặn gửi; cảnh báo phải được xác nhận khi gửi."
    ),
    responses={200: ReportCheckSerializer, **REFUSED},
)
class ReportCheckView(ReportingView):
    def get(self, request, pk: int):
        findings = svc.report_check(_report(request, pk))
        errors = sum(1 for finding in findings if finding.blocking)
        body = {"errors": errors, "warnings": len(findings) - errors, "findings": findings}
        return Response(ReportCheckSerializer(body).data)


@extend_schema(
    tags=TAGS,
    summary="Gửi báo cáo",
    description=(
        "Gửi đơn vị duyệt. Còn lỗi: 400 `validation_failed`; có cảnh báo chưa xác nhận: 400 "
        "`warnings_unconfirmed` (gửi lại với `confirm_warnings=true`); các phát hiện nằm trong "
        "`errors.non_field_errors`. Gửi sau hạn vẫn nhận và đánh dấu `late`."
    ),
    request=ReportSubmitSerializer,
    responses={200: ReportDetailSerializer, **INVALID, **REFUSED, **CONFLICT},
)
class ReportSubmitView(ReportingView):
    def post(self, request, pk: int):
        report = _report(request, pk)
        serializer = ReportSubmitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        report = svc.report_submit(
            actor=request.user, report=report, confirm_warnings=serializer.validated_data["confirm_warnings"]
        )
        return _after(request, report)


@extend_schema(
    tags=TAGS,
    summary="Trả lại báo cáo",
    description="Đơn vị duyệt trả lại báo cáo đã gửi, kèm lý do (bắt buộc); đơn vị sửa rồi gửi lại.",
    request=ReportReturnSerializer,
    responses={200: ReportDetailSerializer, **INVALID, **REFUSED, **CONFLICT},
)
class ReportReturnView(ReportingView):
    def post(self, request, pk: int):
        report = _report(request, pk)
        serializer = ReportReturnSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        reason = serializer.validated_data["reason"]
        report = svc.report_return(actor=request.user, report=report, reason=reason)
        return _after(request, report)


@extend_schema(
    tags=TAGS,
    summary="Duyệt báo cáo",
    description=(
        "Đơn vị duyệt chấp nhận báo cáo đã gửi; bản báo cáo PDF được ký số bằng con dấu của đơn vị "
        "duyệt (khi chế độ báo cáo yêu cầu) và tải được ở `pdf/`."
    ),
    request=None,
    responses={200: ReportDetailSerializer, **REFUSED, **CONFLICT},
)
class ReportApproveView(ReportingView):
    def post(self, request, pk: int):
        report = svc.report_approve(actor=request.user, report=_report(request, pk))
        return _after(request, report)


@extend_schema(
    tags=TAGS,
    summary="Mở khóa nhập số liệu",
    description=(
        "Đơn vị duyệt cho đơn vị báo cáo nhập, gửi tiếp sau ngày khóa nhập, đến hết ngày `until` "
        "(tối đa 60 ngày từ hôm nay); lý do bắt buộc."
    ),
    request=LockExceptionInputSerializer,
    responses={201: LockExceptionSerializer, **INVALID, **REFUSED},
)
class LockExceptionView(ReportingView):
    def post(self, request, pk: int):
        report = _report(request, pk)
        serializer = LockExceptionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        granted = svc.lock_exception_grant(actor=request.user, report=report, **serializer.validated_data)
        return Response(LockExceptionSerializer(granted).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(
        tags=TAGS,
        summary="Lịch sử báo cáo",
        description="Các bước của báo cáo theo thời gian: mở, lưu, gửi, trả lại, duyệt, ký, mở khóa.",
        responses={200: ReportEventSerializer(many=True), **REFUSED},
    )
)
class ReportEventsView(ReportingListView):
    serializer_class = ReportEventSerializer

    def get_queryset(self):
        report = _report(self.request, self.kwargs["pk"])
        return report.events.select_related("actor").order_by("at", "pk")


@extend_schema(
    tags=TAGS,
    summary="Tải bản báo cáo đã ký",
    description="Bản PDF đã ký số của báo cáo đã duyệt; chưa duyệt: 404 `pdf_not_available`.",
    responses={(200, "application/pdf"): OpenApiTypes.BINARY, **REFUSED},
)
class ReportPdfView(ReportingView):
    content_negotiation_class = DownloadNegotiation

    def get(self, request, pk: int):
        report = _report(request, pk)
        if report.status != ReportStatus.APPROVED or not report.signed_pdf:
            raise ServiceNotFound("pdf_not_available", _("Báo cáo chưa được duyệt nên chưa có bản đã ký."))
        name = f"{report.regime.code}-{report.period.iso}-{report.unit_id}.pdf"
        response = FileResponse(
            report.signed_pdf.open("rb"), as_attachment=True, filename=name, content_type="application/pdf"
        )
        response["X-Content-Type-Options"] = "nosniff"
        return response

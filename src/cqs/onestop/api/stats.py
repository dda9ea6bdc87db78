"""The statistics API: the figures of the statistics page as JSON (docs/onestop-statistics.md).

Signed-in officials with ``onestop.view_dossier`` on some unit; a unit outside their grants is a
403 (``stats_unit_forbidden``), an unknown one a 404, a bad period a 400, all as
``application/problem+json``. The numbers are those of ``statistics.dossier_statistics``, the
same function the page and the Excel file use.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from cqs.onestop import statistics
from cqs.onestop.views_stats import StatsFilterForm

_RATE = {"max_digits": 5, "decimal_places": 2, "coerce_to_string": False, "allow_null": True}


class StatsRowSerializer(serializers.Serializer):
    unit_id = serializers.IntegerField(
        allow_null=True, help_text="Đơn vị của dòng (null: tổng của mọi đơn vị được xem)."
    )
    unit_name = serializers.CharField()
    # A plain string, not an enum: "KindEnum" would collide with the other apps' "kind" enums.
    kind = serializers.CharField(
        help_text=(
            "unit: đơn vị và các đơn vị trực thuộc; self: hồ sơ tiếp nhận tại chính đơn vị đang "
            "xem; total: tổng."
        )
    )
    has_children = serializers.BooleanField()
    received_carried_over = serializers.IntegerField(help_text="Kỳ trước chuyển sang.")
    received_new = serializers.IntegerField(help_text="Mới tiếp nhận trong kỳ.")
    received_in_person = serializers.IntegerField(help_text="Mới tiếp nhận trực tiếp (hình thức 1).")
    received_online = serializers.IntegerField(help_text="Mới tiếp nhận trực tuyến (hình thức 2).")
    received_postal = serializers.IntegerField(
        help_text="Mới tiếp nhận qua bưu chính công ích (hình thức 3)."
    )
    to_process = serializers.IntegerField(help_text="Tổng số phải giải quyết: kỳ trước + mới.")
    processed = serializers.IntegerField(help_text="Đã giải quyết (xử lý xong trong kỳ).")
    processed_early = serializers.IntegerField(help_text="Đã giải quyết trước hạn.")
    processed_on_time = serializers.IntegerField(help_text="Đã giải quyết đúng hạn.")
    processed_late = serializers.IntegerField(help_text="Đã giải quyết quá hạn (kể cả bổ sung hơn một lần).")
    in_progress = serializers.IntegerField(help_text="Đang giải quyết cuối kỳ.")
    in_progress_within = serializers.IntegerField(help_text="Đang giải quyết, còn trong hạn.")
    in_progress_overdue = serializers.IntegerField(help_text="Đang giải quyết, đã quá hạn.")
    refused = serializers.IntegerField(help_text="Từ chối tiếp nhận trong kỳ (trạng thái 3).")
    withdrawn = serializers.IntegerField(help_text="Công dân rút hồ sơ trong kỳ (trạng thái 7).")
    stopped = serializers.IntegerField(help_text="Dừng xử lý trong kỳ (trạng thái 8).")
    received_new_eligible = serializers.IntegerField(help_text="Mới tiếp nhận của TTHC có DVCTT.")
    received_online_eligible = serializers.IntegerField(help_text="Trong đó nộp trực tuyến.")
    fee_dossiers = serializers.IntegerField(help_text="Mới tiếp nhận có phí, lệ phí.")
    paid_online = serializers.IntegerField(help_text="Trong đó thanh toán trực tuyến.")
    due = serializers.IntegerField(help_text="Đến hạn: đã giải quyết + đang giải quyết quá hạn.")
    on_time_rate = serializers.DecimalField(
        **_RATE, help_text="(Trước hạn + đúng hạn) / đã giải quyết × 100."
    )
    on_time_rate_due = serializers.DecimalField(**_RATE, help_text="(Trước hạn + đúng hạn) / đến hạn × 100.")
    online_share = serializers.DecimalField(**_RATE, help_text="Nộp trực tuyến / mới tiếp nhận × 100.")
    online_share_eligible = serializers.DecimalField(
        **_RATE, help_text="Nộp trực tuyến / mới tiếp nhận của TTHC có DVCTT × 100 (QĐ 766, 3.3)."
    )
    online_payment_share = serializers.DecimalField(
        **_RATE, help_text="Thanh toán trực tuyến / có phí, lệ phí × 100."
    )


class StatsUnitSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class StatsReportSerializer(serializers.Serializer):
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    as_at = serializers.DateTimeField(
        help_text="Thời điểm tính số đang giải quyết: cuối kỳ, hoặc hiện tại nếu sớm hơn."
    )
    unit = StatsUnitSerializer(allow_null=True)
    rows = StatsRowSerializer(many=True)
    total = StatsRowSerializer()


@extend_schema(
    tags=["onestop"],
    summary="Thống kê hồ sơ theo đơn vị và kỳ",
    description=(
        "Số hồ sơ tiếp nhận (kỳ trước chuyển sang, mới theo hình thức), đã giải quyết (trước hạn, "
        "đúng hạn, quá hạn), đang giải quyết (trong hạn, quá hạn) và các tỷ lệ theo QĐ 766/QĐ-TTg, "
        "cho từng đơn vị trực thuộc `unit` (hoặc các đơn vị cao nhất được xem) và dòng tổng. Hồ sơ "
        "tính theo cơ quan tiếp nhận, gồm cả các đơn vị trực thuộc. Công thức: "
        "docs/onestop-statistics.md."
    ),
    parameters=[
        OpenApiParameter("from", OpenApiTypes.DATE, description="Ngày đầu kỳ (mặc định 1/1 năm nay)."),
        OpenApiParameter("to", OpenApiTypes.DATE, description="Ngày cuối kỳ (mặc định hôm nay)."),
        OpenApiParameter(
            "unit", OpenApiTypes.INT, description="Đơn vị xem chi tiết (id); bỏ trống: mọi đơn vị được xem."
        ),
    ],
    responses={
        200: StatsReportSerializer,
        400: OpenApiResponse(description="Kỳ không hợp lệ (application/problem+json, code invalid)."),
        401: OpenApiResponse(description="Chưa đăng nhập (problem+json)."),
        403: OpenApiResponse(description="Không có quyền xem số liệu hồ sơ (problem+json)."),
        404: OpenApiResponse(description="Không có đơn vị này (problem+json)."),
    },
)
class DossierStatisticsView(APIView):
    http_method_names = ["get", "head", "options"]

    def get(self, request):
        if not statistics.may_view_statistics(request.user):
            raise PermissionDenied
        form = StatsFilterForm(request.query_params)
        if not form.is_valid():
            errors = {{"date_from": "from", "date_to": "to"}.get(k, k): v for k, v in form.errors.items()}
            raise ValidationError(errors)
        unit = form.unit_object()
        report = statistics.dossier_statistics(
            user=request.user,
            date_from=form.cleaned_data["date_from"],
            date_to=form.cleaned_data["date_to"],
            unit=unit,
        )
        body = {
            "date_from": report.date_from,
            "date_to": report.date_to,
            "as_at": report.as_at,
            "unit": {"id": unit.pk, "name": unit.name} if unit else None,
            "rows": [row.as_dict() for row in report.rows],
            "total": report.total.as_dict(),
        }
        return Response(StatsReportSerializer(body).data)

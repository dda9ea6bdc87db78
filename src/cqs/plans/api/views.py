from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics
from rest_framework.response import Response

from cqs.plans import selectors
from cqs.plans.api.serializers import PlanDetailSerializer, PlanSummarySerializer

_REFUSED = {
    401: OpenApiResponse(description="Chưa đăng nhập (application/problem+json, code not_authenticated)."),
    403: OpenApiResponse(description="Không có quyền (application/problem+json)."),
}


@extend_schema(
    tags=["plans"],
    summary="Danh sách kế hoạch",
    description="Các kế hoạch chuyển đổi số đã nạp (hiện là Kế hoạch 326/KH-UBND). Chỉ đọc.",
    responses={200: PlanSummarySerializer(many=True), **_REFUSED},
)
class PlanListView(generics.ListAPIView):
    serializer_class = PlanSummarySerializer

    def get_queryset(self):
        return selectors.plan_list()


@extend_schema(
    tags=["plans"],
    summary="Chi tiết kế hoạch",
    description=(
        "Kế hoạch với mục tiêu cụ thể theo lĩnh vực (có cấu trúc: phép so sánh, giá trị, đơn vị), "
        "số liệu năm 2021, dự án và kinh phí (triệu đồng) với đơn vị chủ trì, tổng theo đơn vị và "
        "nguồn vốn, danh mục hệ thống thông tin và các ghi chú sai lệch số liệu của chính văn bản."
    ),
    responses={
        200: PlanDetailSerializer,
        404: OpenApiResponse(description="Không có kế hoạch này (application/problem+json)."),
        **_REFUSED,
    },
)
class PlanDetailView(generics.RetrieveAPIView):
    serializer_class = PlanDetailSerializer

    def get_queryset(self):
        return selectors.plan_detail_queryset()

    def retrieve(self, request, *args, **kwargs):
        plan = self.get_object()
        context = self.get_serializer_context() | {"totals": selectors.plan_project_totals(plan)}
        return Response(PlanDetailSerializer(plan, context=context).data)

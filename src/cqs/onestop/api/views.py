"""The procedure catalogue API: public, read-only.

``AllowAny`` on purpose: the catalogue is what every citizen must be able to read before filing
(Decree 118/2025 requires procedures to be published); it holds no personal data. Nothing is
written through this API: versions are published by ``services.procedure_version_publish``
(import commands, admin), so only GET/HEAD/OPTIONS are routed.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from cqs.onestop import selectors
from cqs.onestop.api.serializers import ProcedureDetailSerializer, ProcedureSummarySerializer
from cqs.onestop.choices import Level, OnlineLevel
from cqs.onestop.forms import ProcedureFilterForm

_AS_OF = OpenApiParameter(
    "as_of", OpenApiTypes.DATE, description="Phiên bản có hiệu lực vào ngày này (mặc định hôm nay)."
)
_BAD = {400: OpenApiResponse(description="Tham số không hợp lệ (application/problem+json, code invalid).")}


def _filter_form(request) -> ProcedureFilterForm:
    form = ProcedureFilterForm(request.query_params)
    if not form.is_valid():
        raise ValidationError(form.errors)
    return form


class _Public:
    permission_classes = [AllowAny]
    # No session needed to read; and no CSRF-bearing authentication for a public GET.
    authentication_classes: list = []
    http_method_names = ["get", "head", "options"]


@extend_schema(
    tags=["onestop"],
    summary="Danh mục thủ tục hành chính",
    description=(
        "Các thủ tục có phiên bản hiệu lực vào ngày `as_of`, theo mã. Công khai, không cần đăng nhập."
    ),
    parameters=[
        OpenApiParameter("q", OpenApiTypes.STR, description="Tìm trong tên hoặc mã thủ tục."),
        OpenApiParameter("sector", OpenApiTypes.STR, description="Mã lĩnh vực."),
        OpenApiParameter("level", OpenApiTypes.STR, enum=Level.values, description="Cấp thực hiện."),
        OpenApiParameter("unit", OpenApiTypes.INT, description="Mã số (id) cơ quan thực hiện."),
        OpenApiParameter("online_level", OpenApiTypes.STR, enum=OnlineLevel.values),
        _AS_OF,
    ],
    responses={200: ProcedureSummarySerializer(many=True), **_BAD},
)
class ProcedureListView(_Public, generics.ListAPIView):
    serializer_class = ProcedureSummarySerializer

    def get_queryset(self):
        form = _filter_form(self.request)
        as_of = form.cleaned_data.get("as_of") or selectors.today()
        return selectors.procedure_version_list(as_of=as_of, **form.filters())


@extend_schema(
    tags=["onestop"],
    summary="Chi tiết thủ tục hành chính",
    description=(
        "Phiên bản hiệu lực vào ngày `as_of` (mặc định hôm nay): thành phần hồ sơ, phí và lệ phí "
        "(đồng), thời hạn, trình tự, căn cứ pháp lý, mã TTHC tại từng cơ quan thực hiện và lịch sử "
        "phiên bản. Công khai, không cần đăng nhập."
    ),
    parameters=[_AS_OF],
    responses={
        200: ProcedureDetailSerializer,
        404: OpenApiResponse(
            description="Không có thủ tục này, hoặc không có phiên bản hiệu lực vào ngày đó."
        ),
        **_BAD,
    },
)
class ProcedureDetailView(_Public, generics.GenericAPIView):
    serializer_class = ProcedureDetailSerializer

    def get(self, request, code: str):
        form = _filter_form(request)
        as_of = form.cleaned_data.get("as_of") or selectors.today()
        version = selectors.procedure_version_detail(code, as_of=as_of)
        if version is None:
            raise NotFound
        context = self.get_serializer_context() | {"unit_codes": selectors.unit_codes(version, as_of=as_of)}
        return Response(ProcedureDetailSerializer(version, context=context).data)

"""The dossier API: file online, read, act, attach, pay, rate, and the public lookup.

Who sees what is decided by the selectors (``dossiers_visible``: the applicant's own dossiers,
and those of units in the caller's ``view_dossier`` grants); what may be done by the services and
``workflow.transition_check``, whose ``ServiceError`` becomes ``application/problem+json``
(400/403/404/409) in ``cqs.core.api``. A dossier the caller may not see is a 404, never a 403, so
that ids reveal nothing. A draft is seen by its owner only.

Authentication is the session (as every other endpoint), except the lookup, which is public and
throttled per address: the four digits it asks for are a weak second factor.
"""

from __future__ import annotations

import json

from django.http import FileResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView

from cqs.accounts.models import User
from cqs.core.api import DownloadNegotiation
from cqs.onestop import selectors, services, workflow
from cqs.onestop.api.dossier_serializers import (
    AttachmentUploadSerializer,
    DossierActionSerializer,
    DossierCreatedSerializer,
    DossierCreateMultipartSerializer,
    DossierCreateSerializer,
    DossierDetailSerializer,
    DossierFileSerializer,
    DossierFilterSerializer,
    DossierSummarySerializer,
    LookupQuerySerializer,
    LookupSerializer,
    PaymentSerializer,
    PaymentStartSerializer,
    RatingInputSerializer,
    RatingSerializer,
)
from cqs.onestop.choices import DossierStatus
from cqs.onestop.models import Dossier
from cqs.onestop.services.payments import payment_start
from cqs.onestop.templatetags.onestop_tags import action_label
from cqs.orgs.models import OrgUnit

TAGS = ["onestop"]
IDEMPOTENCY_HEADER = "Idempotency-Key"
_REFUSED = {
    401: OpenApiResponse(description="Chưa đăng nhập (application/problem+json, code not_authenticated)."),
    403: OpenApiResponse(description="Không có quyền (application/problem+json, ví dụ action_not_allowed)."),
    404: OpenApiResponse(description="Không có hồ sơ này hoặc người gọi không được xem (problem+json)."),
}
_INVALID = {400: OpenApiResponse(description="Dữ liệu không hợp lệ (application/problem+json, có `code`).")}
_CONFLICT = {
    409: OpenApiResponse(
        description="Thao tác không hợp lệ ở trạng thái hiện tại (problem+json, ví dụ invalid_transition)."
    )
}


# --- helpers -----------------------------------------------------------------------------------


class DossierPagination(LimitOffsetPagination):
    max_limit = 200


def _is_owner(request, dossier: Dossier) -> bool:
    return dossier.applicant_id is not None and dossier.applicant_id == request.user.pk


def _visible_dossier(request, pk: int) -> Dossier:
    dossier = selectors.dossier_get(user=request.user, pk=pk)
    # A draft is the citizen's own working copy: the unit only sees it once submitted.
    if dossier is None or (dossier.status == DossierStatus.DRAFT and not _is_owner(request, dossier)):
        raise NotFound
    return dossier


def _detail(request, dossier: Dossier, *, status_code: int = status.HTTP_200_OK) -> Response:
    is_owner = _is_owner(request, dossier)
    files = list(dossier.files.select_related("document").order_by("uploaded_at", "pk"))
    events = dossier.events.select_related("actor", "actor_unit", "to_user", "to_unit").order_by("at", "pk")
    if is_owner:
        files = [f for f in files if selectors.applicant_may_see_file(dossier, f)]
        events = events.filter(public=True)
    context = {
        "request": request,
        "is_owner": is_owner,
        "files": files,
        "events": list(events),
        "actions": workflow.actions_available(user=request.user, dossier=dossier),
    }
    return Response(DossierDetailSerializer(dossier, context=context).data, status=status_code)


def _reloaded(request, dossier: Dossier) -> Dossier | None:
    return selectors.dossier_get(user=request.user, pk=dossier.pk)


def _create_payload(request) -> tuple[dict, list[dict]]:
    """The JSON object and, for ``multipart/form-data``, the files named ``doc-<document id>``."""
    if not request.content_type.startswith("multipart/form-data"):
        return request.data, []
    try:
        payload = json.loads(request.data.get("data") or "")
    except ValueError:
        payload = None
    if not isinstance(payload, dict):
        raise ValidationError({"data": [_("Phần “data” phải là một đối tượng JSON.")]})
    files = []
    for part, upload in request.FILES.items():
        document_id = part.removeprefix("doc-")
        if not part.startswith("doc-") or not document_id.isdigit():
            raise ValidationError({part: [_("Tên phần tệp phải có dạng doc-<mã thành phần hồ sơ>.")]})
        files.append({"name": upload.name, "data": upload.read(), "document_id": int(document_id)})
    return payload, files


# --- list and create ---------------------------------------------------------------------------


_LIST_SCHEMA = extend_schema(
    tags=TAGS,
    summary="Danh sách hồ sơ",
    description=(
        "Hồ sơ người gọi được xem: của chính mình (công dân) và của các đơn vị trong phạm vi được "
        "phân quyền (cán bộ). Bản nháp chỉ hiện với `mine=true` (hồ sơ của chính mình). Thông tin "
        "cá nhân của chủ hồ sơ chỉ có họ tên; xem chi tiết để biết thêm."
    ),
    parameters=[
        OpenApiParameter(
            "status", OpenApiTypes.INT, enum=DossierStatus.values, description="Mã trạng thái 0–10."
        ),
        OpenApiParameter("q", OpenApiTypes.STR, description="Tìm trong mã hồ sơ hoặc tên chủ hồ sơ."),
        OpenApiParameter(
            "unit", OpenApiTypes.INT, description="Cơ quan tiếp nhận hoặc đang giải quyết (id)."
        ),
        OpenApiParameter(
            "overdue", OpenApiTypes.BOOL, description="Chỉ hồ sơ quá hạn (true) hoặc chưa (false)."
        ),
        OpenApiParameter(
            "mine", OpenApiTypes.BOOL, description="Chỉ hồ sơ do chính mình nộp, kể cả bản nháp."
        ),
    ],
    responses={200: DossierSummarySerializer(many=True), **_INVALID, 401: _REFUSED[401]},
)


@extend_schema_view(get=_LIST_SCHEMA)
class DossierListCreateView(generics.ListAPIView):
    serializer_class = DossierSummarySerializer
    pagination_class = DossierPagination

    def get_queryset(self):
        filters = DossierFilterSerializer(data=self.request.query_params.dict())
        filters.is_valid(raise_exception=True)
        data = filters.validated_data
        return selectors.dossier_list(
            user=self.request.user,
            status=data.get("status"),
            unit_id=data.get("unit"),
            q=data.get("q", "").strip(),
            overdue=data.get("overdue"),
            mine=data["mine"],
        )

    @extend_schema(
        tags=TAGS,
        summary="Nộp hồ sơ trực tuyến",
        description=(
            "Công dân lập hồ sơ: `submit=true` (mặc định) kiểm tra đủ tờ khai và giấy tờ bắt buộc rồi "
            "nộp ngay, cấp mã hồ sơ; `submit=false` chỉ lưu bản nháp. Gửi kèm tệp bằng "
            "`multipart/form-data`: phần `data` là đối tượng JSON, mỗi tệp là một phần tên "
            "`doc-<id thành phần hồ sơ>` (id trong `documents` của API thủ tục). Với tiêu đề "
            "`Idempotency-Key`, gửi lại cùng khóa trả về hồ sơ đã tạo (200, tiêu đề "
            "`Idempotent-Replayed: true`) thay vì tạo hồ sơ mới."
        ),
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="Khóa chống gửi trùng, tối đa 64 ký tự, do ứng dụng tạo cho mỗi lần nộp.",
            )
        ],
        request={
            "application/json": DossierCreateSerializer,
            "multipart/form-data": DossierCreateMultipartSerializer,
        },
        responses={
            201: DossierCreatedSerializer,
            200: OpenApiResponse(DossierCreatedSerializer, description="Gửi lại với cùng Idempotency-Key."),
            **_INVALID,
            401: _REFUSED[401],
            403: OpenApiResponse(description="Không phải tài khoản công dân (problem+json, not_a_citizen)."),
        },
    )
    def post(self, request):
        payload, files = _create_payload(request)
        serializer = DossierCreateSerializer(data=payload)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        arguments = {
            "actor": request.user,
            "procedure_code": data["procedure"],
            "unit": OrgUnit.objects.filter(pk=data["unit"]).first(),
            "form_data": data["form_data"],
            "return_method": data["return_method"],
            "postal_address": data["postal_address"],
            "client_token": request.headers.get(IDEMPOTENCY_HEADER, ""),
        }
        dossier, created = services.dossier_create_online(files=files, submit=data["submit"], **arguments)
        # A new dossier is answered from the instance in hand (the caller owns it), in the short
        # shape of a filing; a replay gives the same shape, re-read.
        if not created:
            dossier = _reloaded(request, dossier)
        context = {"request": request}
        if created and not files:
            context["files"] = []  # nothing was attached: no need to ask
        response = Response(
            DossierCreatedSerializer(dossier, context=context).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )
        if created:
            response["Location"] = reverse("onestop-api-dossier-detail", args=[dossier.pk])
        else:
            response["Idempotent-Replayed"] = "true"
        return response


# --- one dossier -------------------------------------------------------------------------------


@extend_schema(
    tags=TAGS,
    summary="Chi tiết hồ sơ",
    description=(
        "Trạng thái, bước xử lý, các ngày, chủ hồ sơ, tờ khai, tệp, quá trình xử lý và các thao tác "
        "người gọi được thực hiện. Chủ hồ sơ chỉ thấy các bước công khai, không thấy dự thảo kết quả "
        "và chỉ thấy kết quả sau khi đã trả."
    ),
    responses={200: DossierDetailSerializer, **_REFUSED},
)
class DossierDetailView(APIView):
    def get(self, request, pk: int):
        return _detail(request, _visible_dossier(request, pk))


@extend_schema(
    tags=TAGS,
    summary="Nộp bản nháp",
    description="Chủ hồ sơ nộp bản nháp: kiểm tra đủ tờ khai và giấy tờ bắt buộc, cấp mã hồ sơ.",
    request=None,
    responses={200: DossierDetailSerializer, **_INVALID, **_REFUSED, **_CONFLICT},
)
class DossierSubmitView(APIView):
    def post(self, request, pk: int):
        dossier = services.dossier_submit(dossier=_visible_dossier(request, pk), actor=request.user)
        return _detail(request, _reloaded(request, dossier))


@extend_schema(
    tags=TAGS,
    summary="Thực hiện thao tác trên hồ sơ",
    description=(
        "Một bước của quy trình (tiếp nhận, phân công, yêu cầu bổ sung, trình, phê duyệt, trả kết "
        "quả, rút, dừng, xin lỗi…), theo bảng chuyển trạng thái. Trả về hồ sơ sau thao tác; 204 nếu "
        "sau thao tác người gọi không còn được xem hồ sơ."
    ),
    request=DossierActionSerializer,
    responses={
        200: DossierDetailSerializer,
        204: OpenApiResponse(description="Đã thực hiện; người gọi không còn quyền xem hồ sơ."),
        **_INVALID,
        **_REFUSED,
        **_CONFLICT,
    },
)
class DossierActionView(APIView):
    def post(self, request, pk: int):
        dossier = _visible_dossier(request, pk)
        serializer = DossierActionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        dossier = services.dossier_act(
            dossier=dossier,
            actor=request.user,
            action=data["action"],
            note=data["note"],
            to_user=User.objects.filter(pk=data["to_user"]).first() if data["to_user"] else None,
            to_unit=OrgUnit.objects.filter(pk=data["to_unit"]).first() if data["to_unit"] else None,
            deadline=data["deadline"],
            new_due_at=data["new_due_at"],
            items=data["items"],
        )
        reloaded = _reloaded(request, dossier)
        if reloaded is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return _detail(request, reloaded)


@extend_schema(
    tags=TAGS,
    summary="Tải tệp lên hồ sơ",
    description=(
        "`role` nop: thành phần hồ sơ của bản nháp (chủ hồ sơ); bo-sung: giấy tờ bổ sung khi hồ sơ "
        "đang chờ bổ sung; du-thao-ket-qua: dự thảo kết quả (chuyên viên đang giải quyết). Tệp PDF, "
        "JPG hoặc PNG, được kiểm tra nội dung (và quét mã độc nếu có cấu hình)."
    ),
    request={"multipart/form-data": AttachmentUploadSerializer},
    responses={201: DossierFileSerializer, **_INVALID, **_REFUSED},
)
class AttachmentUploadView(APIView):
    def post(self, request, pk: int):
        dossier = _visible_dossier(request, pk)
        serializer = AttachmentUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        stored = services.dossier_file_add(
            dossier=dossier,
            actor=request.user,
            name=upload.name,
            data=upload.read(),
            document_id=serializer.validated_data["document"],
            role=serializer.validated_data["role"],
        )
        return Response(
            DossierFileSerializer(stored, context={"request": request}).data, status=status.HTTP_201_CREATED
        )


@extend_schema(
    tags=TAGS,
    summary="Tải tệp của hồ sơ về",
    description="Chủ hồ sơ không tải được dự thảo kết quả, và chỉ tải được kết quả sau khi đã trả.",
    responses={(200, "application/octet-stream"): OpenApiTypes.BINARY, **_REFUSED},
)
class AttachmentDownloadView(APIView):
    content_negotiation_class = DownloadNegotiation

    def get(self, request, pk: int, file_id: int):
        dossier = _visible_dossier(request, pk)
        stored = dossier.files.filter(pk=file_id).first()
        if stored is None or (
            _is_owner(request, dossier) and not selectors.applicant_may_see_file(dossier, stored)
        ):
            raise NotFound
        response = FileResponse(stored.file.open("rb"), content_type=stored.content_type)
        response["Content-Disposition"] = f'attachment; filename="{stored.name}"'
        response["X-Content-Type-Options"] = "nosniff"
        return response


class PaymentView(APIView):
    @extend_schema(
        tags=TAGS,
        summary="Các lần thanh toán của hồ sơ",
        responses={200: PaymentSerializer(many=True), **_REFUSED},
    )
    def get(self, request, pk: int):
        dossier = _visible_dossier(request, pk)
        return Response(PaymentSerializer(dossier.payments.order_by("-created_at", "-pk"), many=True).data)

    @extend_schema(
        tags=TAGS,
        summary="Bắt đầu thanh toán phí, lệ phí",
        description=(
            "Chủ hồ sơ tạo một giao dịch và nhận địa chỉ trang thanh toán của cổng; cổng đưa người "
            "dùng trở lại trang kết quả thanh toán của CQS, nơi kết quả được kiểm tra chữ ký và ghi nhận."
        ),
        request=None,
        responses={201: PaymentStartSerializer, **_REFUSED, **_CONFLICT},
    )
    def post(self, request, pk: int):
        dossier = _visible_dossier(request, pk)
        payment, url = payment_start(
            dossier=dossier,
            actor=request.user,
            return_url=request.build_absolute_uri(reverse("onestop:payment-return")),
        )
        body = {"order_id": payment.order_id, "amount": payment.amount, "checkout_url": url}
        return Response(PaymentStartSerializer(body).data, status=status.HTTP_201_CREATED)


@extend_schema(
    tags=TAGS,
    summary="Đánh giá mức độ hài lòng",
    description="Chủ hồ sơ đánh giá một lần, sau khi đã nhận kết quả (QĐ 766/QĐ-TTg).",
    request=RatingInputSerializer,
    responses={201: RatingSerializer, **_INVALID, **_REFUSED, **_CONFLICT},
)
class RatingView(APIView):
    def post(self, request, pk: int):
        dossier = _visible_dossier(request, pk)
        serializer = RatingInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rating = services.dossier_rate(
            dossier=dossier,
            actor=request.user,
            scores=serializer.validated_data["scores"],
            comment=serializer.validated_data["comment"],
        )
        return Response(RatingSerializer(rating).data, status=status.HTTP_201_CREATED)


# --- public lookup -----------------------------------------------------------------------------


class LookupThrottle(SimpleRateThrottle):
    """Per client address, whoever asks: the same budget as the lookup page (30 per 10 minutes).
    The rate is on the class so that no settings entry is needed."""

    scope = "lookup"
    rate = "30/10m"

    def parse_rate(self, rate):
        # DRF reads only the unit's first letter ("10m" would be one minute); allow a count.
        number, period = rate.split("/")
        count = int(period[:-1] or 1)
        return int(number), count * {"s": 1, "m": 60, "h": 3600, "d": 86400}[period[-1]]

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


@extend_schema(
    tags=TAGS,
    summary="Tra cứu tình trạng hồ sơ",
    description=(
        "Công khai: mã hồ sơ và 4 số cuối số điện thoại hoặc số căn cước của chủ hồ sơ. Trả về "
        "trạng thái, ngày tiếp nhận, ngày hẹn trả và các bước công khai; không có thông tin cá nhân. "
        "Mã sai và số sai đều trả 404. Giới hạn số lần tra cứu theo địa chỉ (429)."
    ),
    parameters=[
        OpenApiParameter("code", OpenApiTypes.STR, required=True, description="Mã hồ sơ."),
        OpenApiParameter(
            "secret", OpenApiTypes.STR, required=True, description="4 số cuối số điện thoại hoặc số căn cước."
        ),
    ],
    responses={
        200: LookupSerializer,
        **_INVALID,
        404: OpenApiResponse(description="Không tìm thấy hồ sơ với mã và 4 số đã nhập (problem+json)."),
        429: OpenApiResponse(description="Tra cứu quá nhiều lần (problem+json, code throttled)."),
    },
)
class LookupView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [LookupThrottle]
    http_method_names = ["get", "head", "options"]

    def get(self, request):
        query = LookupQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        dossier = selectors.dossier_lookup(
            code=query.validated_data["code"], secret=query.validated_data["secret"]
        )
        if dossier is None:
            raise NotFound
        return Response(lookup_body(dossier))


def _iso(moment) -> str | None:
    # What DRF's DateTimeField gives: local time (TIME_ZONE) in ISO 8601.
    return timezone.localtime(moment).isoformat() if moment else None


def lookup_body(dossier: Dossier) -> dict:
    """The body of ``LookupSerializer`` (which documents it), built by hand: the public lookup is
    a hot path and DRF's per-request field copies cost more than the query
    (tests/test_api_dossiers.py checks the two agree)."""
    events = (
        dossier.events.filter(public=True)
        .order_by("at", "pk")
        .values_list("action", "to_status", "at", "actor_unit__name")
    )
    return {
        "code": dossier.code,
        "procedure": dossier.procedure.code,
        "procedure_name": dossier.version.name,
        "unit": dossier.unit.name,
        "status": dossier.status,
        "status_label": str(dossier.get_status_display()),
        "submitted_at": _iso(dossier.submitted_at),
        "received_at": _iso(dossier.received_at),
        "due_at": _iso(dossier.due_at),
        "appointment_at": _iso(dossier.appointment_at),
        "returned_at": _iso(dossier.returned_at),
        "events": [
            {
                "action": action,
                "label": action_label(action),
                "to_status": to_status,
                "at": _iso(at),
                "actor_unit": unit,
            }
            for action, to_status, at, unit in events
        ],
    }

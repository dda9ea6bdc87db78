"""The LGSP API: the catalogue, the registry, connection requests, grants, credentials, the
gateway, and the OAuth2 token endpoint (docs/lgsp.md).

The catalogue (members, subsystems, published services, code lists) is readable by every signed-in
user. Writes are unit-scoped (``selectors.may_act_for``): a provider's officials act for the
members attached to their unit and its subtree, the registry operator
(``lgsp.manage_registry``) for every member. A request, grant or credential the caller may not see
answers 404, so that ids reveal nothing; one they see but may not change answers 403. The
services decide everything else; their ``ServiceError`` becomes ``application/problem+json``
(400/403/404/409) in ``cqs.core.api``. The token endpoint answers RFC 6749 §5 JSON instead.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import generics, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.parsers import FormParser, JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from cqs.core.exceptions import ServiceError
from cqs.lgsp import oauth, publish, selectors
from cqs.lgsp.api.serializers import (
    CodeListDetailSerializer,
    CodeListSerializer,
    ConnectionRequestSerializer,
    CredentialFilterSerializer,
    CredentialIssueSerializer,
    CredentialSerializer,
    EndpointCreateSerializer,
    EndpointSerializer,
    GatewayStatusSerializer,
    GenerationSerializer,
    GrantCreateSerializer,
    GrantFilterSerializer,
    GrantSerializer,
    IssuedCredentialSerializer,
    MemberSerializer,
    PublishResultSerializer,
    RequestApproveSerializer,
    RequestFilterSerializer,
    RequestRefuseSerializer,
    RequestSubmitSerializer,
    RevokeSerializer,
    ServiceCreateSerializer,
    ServiceDetailSerializer,
    ServiceFilterSerializer,
    ServiceSummarySerializer,
    ServiceUpdateSerializer,
    SubsystemFilterSerializer,
    SubsystemSerializer,
    TokenErrorSerializer,
    TokenRequestSerializer,
    TokenResponseSerializer,
)
from cqs.lgsp.choices import CredentialKind, RequestStatus, ServiceStatus
from cqs.lgsp.models import (
    AccessGrant,
    ClientGroup,
    ConnectionRequest,
    Endpoint,
    GatewayGeneration,
    Service,
    Subsystem,
)
from cqs.lgsp.services import access, registry

TAGS = ["lgsp"]
REFUSED = {
    401: OpenApiResponse(description="Chưa đăng nhập (application/problem+json, code not_authenticated)."),
    403: OpenApiResponse(description="Không có quyền với đơn vị này (problem+json, code permission_denied)."),
    404: OpenApiResponse(description="Không có đối tượng này hoặc người gọi không được xem (problem+json)."),
}
INVALID = {400: OpenApiResponse(description="Dữ liệu không hợp lệ (application/problem+json, có `code`).")}
CONFLICT = {
    409: OpenApiResponse(
        description="Không thực hiện được ở trạng thái hiện tại (problem+json, ví dụ request_not_pending)."
    )
}
LIST_REFUSED = {400: INVALID[400], 401: REFUSED[401]}


class LgspPagination(LimitOffsetPagination):
    max_limit = 500


class Answers401:
    """A caller who is not signed in gets 401 (the project's default is 403, since the session
    scheme names no ``WWW-Authenticate`` challenge, which RFC 9110 requires with a 401)."""

    def get_authenticate_header(self, request) -> str:
        return 'Session realm="cqs"'


class LgspView(Answers401, APIView):
    parser_classes = [JSONParser]


class LgspListView(Answers401, generics.ListAPIView):
    pagination_class = LgspPagination


# --- helpers -----------------------------------------------------------------------------------


def _query(serializer_class, request) -> dict:
    query = serializer_class(data=request.query_params.dict())
    query.is_valid(raise_exception=True)
    return query.validated_data


def _body(serializer_class, request, **kwargs) -> dict:
    body = serializer_class(data=request.data, **kwargs)
    body.is_valid(raise_exception=True)
    return body.validated_data


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def _get(queryset, pk: int | None, *, code: str | None = None, message: str = "", field: str = ""):
    """One row by id: 404 for a path id, or the service's refusal for an id in the body."""
    found = queryset.filter(pk=pk).first() if pk is not None else None
    if found is None and code is not None:
        raise ServiceError(code, message, field=field)
    if found is None:
        raise NotFound
    return found


def _subsystem(pk: int, *, field: str) -> Subsystem:
    return _get(
        Subsystem.objects.select_related("member__unit"),
        pk,
        code="unknown_subsystem",
        message=_("Không có hệ thống này."),
        field=field,
    )


def _service_in_catalogue(request, pk: int) -> Service:
    return _get(selectors.services_visible(request.user).select_related("subsystem__member__unit"), pk)


def _provider_unit(service: Service):
    return service.subsystem.member.unit


def _manages(user, service: Service) -> bool:
    return selectors.may_act_for(user, _provider_unit(service), "lgsp.change_service")


def _service_detail(request, service: Service, *, status_code: int = status.HTTP_200_OK) -> Response:
    service = (
        Service.objects.select_related("subsystem__member").prefetch_related("endpoints").get(pk=service.pk)
    )
    context = {"request": request, "manage": _manages(request.user, service)}
    return Response(ServiceDetailSerializer(service, context=context).data, status=status_code)


def _request_detail(request_obj: ConnectionRequest, *, status_code: int = status.HTTP_200_OK) -> Response:
    fresh = (
        ConnectionRequest.objects.select_related(*selectors.REQUEST_RELATED)
        .prefetch_related("endpoints")
        .get(pk=request_obj.pk)
    )
    return Response(ConnectionRequestSerializer(fresh).data, status=status_code)


# --- catalogue ---------------------------------------------------------------------------------


@extend_schema_view(
    get=extend_schema(
        tags=TAGS,
        summary="Danh sách thành viên",
        description=(
            "Các cơ quan, tổ chức tham gia chia sẻ dữ liệu (thành viên X-Road: INSTANCE/CLASS/MEMBER)."
        ),
        responses={200: MemberSerializer(many=True), **LIST_REFUSED},
    )
)
class MemberListView(LgspListView):
    serializer_class = MemberSerializer

    def get_queryset(self):
        return selectors.members_catalogue()


@extend_schema_view(
    get=extend_schema(
        tags=TAGS,
        summary="Danh sách hệ thống thông tin",
        description=(
            "Hệ thống thông tin (subsystem) của các thành viên: bên cung cấp, bên khai thác hoặc cả hai."
        ),
        parameters=[OpenApiParameter("member", OpenApiTypes.INT, description="Chỉ của thành viên này (id).")],
        responses={200: SubsystemSerializer(many=True), **LIST_REFUSED},
    )
)
class SubsystemListView(LgspListView):
    serializer_class = SubsystemSerializer

    def get_queryset(self):
        data = _query(SubsystemFilterSerializer, self.request)
        return selectors.subsystems_catalogue(member=data.get("member"))


_SERVICE_LIST = extend_schema(
    tags=TAGS,
    summary="Danh mục dịch vụ chia sẻ dữ liệu",
    description=(
        "Các dịch vụ đang cung cấp, cùng bản nháp và dịch vụ đã ngừng của các bên cung cấp thuộc đơn vị "
        "người gọi. Tìm theo từ trong tên, mã, mô tả, tên hệ thống hoặc cơ quan (`q`)."
    ),
    parameters=[
        OpenApiParameter("q", OpenApiTypes.STR, description="Từ khóa, tối đa 200 ký tự."),
        OpenApiParameter("member", OpenApiTypes.INT, description="Thành viên cung cấp (id)."),
        OpenApiParameter("subsystem", OpenApiTypes.INT, description="Hệ thống cung cấp (id)."),
        OpenApiParameter("classification", OpenApiTypes.STR, description="Phân loại dữ liệu."),
        OpenApiParameter("status", OpenApiTypes.STR, description="draft, published hoặc retired."),
    ],
    responses={200: ServiceSummarySerializer(many=True), **LIST_REFUSED},
)
_SERVICE_CREATE = extend_schema(
    tags=TAGS,
    summary="Đăng ký dịch vụ",
    description=(
        "Bên cung cấp (quyền lgsp.add_service trên đơn vị của thành viên) hoặc đơn vị vận hành "
        "(lgsp.manage_registry) đăng ký một dịch vụ của hệ thống. Mặc định là bản nháp; `publish: true` "
        "cung cấp ngay và cấu hình cổng kết nối được cập nhật."
    ),
    request=ServiceCreateSerializer,
    responses={201: ServiceDetailSerializer, **INVALID, 401: REFUSED[401], 403: REFUSED[403], **CONFLICT},
)


@extend_schema_view(get=_SERVICE_LIST, post=_SERVICE_CREATE)
class ServiceListView(LgspListView):
    serializer_class = ServiceSummarySerializer
    parser_classes = [JSONParser]

    def get_queryset(self):
        data = _query(ServiceFilterSerializer, self.request)
        return selectors.catalogue_search(
            user=self.request.user,
            q=data["q"],
            member=data.get("member"),
            subsystem=data.get("subsystem"),
            classification=data.get("classification"),
            status=data.get("status"),
        )

    def post(self, request):
        data = dict(_body(ServiceCreateSerializer, request))
        subsystem = _subsystem(data.pop("subsystem"), field="subsystem")
        _require(selectors.may_act_for(request.user, subsystem.member.unit, "lgsp.add_service"))
        service = registry.service_create(
            subsystem=subsystem,
            code=data.pop("code"),
            publish_now=data.pop("publish"),
            actor=request.user,
            **data,
        )
        return _service_detail(request, service, status_code=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(
        tags=TAGS,
        summary="Chi tiết dịch vụ",
        description=(
            "Mô tả, căn cứ pháp lý, phân loại dữ liệu, đầu mối liên hệ, các điểm cuối và đường dẫn gọi "
            "qua cổng. Địa chỉ nội bộ (`upstream_url`) chỉ bên cung cấp và đơn vị vận hành thấy."
        ),
        responses={200: ServiceDetailSerializer, **REFUSED},
    ),
    patch=extend_schema(
        tags=TAGS,
        summary="Sửa dịch vụ",
        description=(
            "Quyền lgsp.change_service trên đơn vị của bên cung cấp. Với dịch vụ đang cung cấp, "
            "thay đổi được kiểm tra với bộ chuyển tiếp trước khi lưu và cấu hình cổng được cập nhật."
        ),
        request=ServiceUpdateSerializer,
        responses={200: ServiceDetailSerializer, **INVALID, **REFUSED},
    ),
)
class ServiceDetailView(LgspView):
    def get(self, request, pk: int):
        return _service_detail(request, _service_in_catalogue(request, pk))

    def patch(self, request, pk: int):
        service = _service_in_catalogue(request, pk)
        _require(_manages(request.user, service))
        data = _body(ServiceUpdateSerializer, request, partial=True)
        service = registry.service_update(service=service, actor=request.user, **data)
        return _service_detail(request, service)


@extend_schema(
    tags=TAGS,
    summary="Tài liệu OpenAPI của dịch vụ",
    description="Tài liệu OpenAPI bên cung cấp đã đăng ký, nguyên văn. 404 nếu dịch vụ không có.",
    responses={200: OpenApiTypes.OBJECT, **REFUSED},
)
class ServiceOpenApiView(LgspView):
    def get(self, request, pk: int):
        service = _service_in_catalogue(request, pk)
        if service.openapi is None:
            raise NotFound
        return Response(service.openapi)


def _status_view(target: str, summary: str, description: str):
    @extend_schema(
        tags=TAGS,
        summary=summary,
        description=description,
        request=None,
        responses={200: ServiceDetailSerializer, **INVALID, **REFUSED},
    )
    class ServiceStatusView(LgspView):
        def post(self, request, pk: int):
            service = _service_in_catalogue(request, pk)
            _require(_manages(request.user, service))
            service = registry.service_set_status(service=service, status=target, actor=request.user)
            return _service_detail(request, service)

    ServiceStatusView.__name__ = ServiceStatusView.__qualname__ = f"Service{target.title()}View"
    return ServiceStatusView


ServicePublishView = _status_view(
    ServiceStatus.PUBLISHED,
    "Cung cấp dịch vụ",
    "Đưa dịch vụ vào danh mục và cấu hình cổng kết nối (quyền lgsp.change_service).",
)
ServiceRetireView = _status_view(
    ServiceStatus.RETIRED,
    "Ngừng cung cấp dịch vụ",
    "Gỡ dịch vụ khỏi cổng kết nối; các quyền truy cập giữ nguyên để có thể cung cấp lại.",
)


@extend_schema(
    tags=TAGS,
    summary="Thêm điểm cuối",
    description=(
        "Một điểm cuối (phương thức và tiền tố đường dẫn) để cấp quyền đến từng phần của dịch vụ "
        "(quyền lgsp.add_endpoint hoặc lgsp.change_service)."
    ),
    request=EndpointCreateSerializer,
    responses={201: EndpointSerializer, **INVALID, **REFUSED},
)
class EndpointCreateView(LgspView):
    def post(self, request, pk: int):
        service = _service_in_catalogue(request, pk)
        _require(
            selectors.may_act_for(
                request.user, _provider_unit(service), "lgsp.add_endpoint", "lgsp.change_service"
            )
        )
        data = _body(EndpointCreateSerializer, request)
        endpoint = registry.endpoint_create(service=service, actor=request.user, **data)
        return Response(EndpointSerializer(endpoint).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    get=extend_schema(
        tags=TAGS,
        summary="Danh mục dùng chung",
        description="Danh mục dùng chung và dữ liệu chủ (Điều 9 Nghị định 47/2020/NĐ-CP), cơ quan quản lý.",
        responses={200: CodeListSerializer(many=True), **LIST_REFUSED},
    )
)
class CodeListListView(LgspListView):
    serializer_class = CodeListSerializer

    def get_queryset(self):
        return selectors.code_lists()


@extend_schema(
    tags=TAGS,
    summary="Một danh mục dùng chung và các mục",
    responses={200: CodeListDetailSerializer, **REFUSED},
)
class CodeListDetailView(LgspView):
    def get(self, request, code: str):
        code_list = selectors.code_lists().prefetch_related("items").filter(code=code).first()
        if code_list is None:
            raise NotFound
        return Response(CodeListDetailSerializer(code_list).data)


# --- connection requests -----------------------------------------------------------------------


_REQUEST_LIST = extend_schema(
    tags=TAGS,
    summary="Đề nghị kết nối",
    description=(
        "Đề nghị của các hệ thống thuộc đơn vị người gọi (`side=client`), đề nghị gửi tới dịch vụ "
        "của đơn vị người gọi (`side=provider`, hạn trả lời gần nhất trước), hoặc cả hai."
    ),
    parameters=[
        OpenApiParameter("side", OpenApiTypes.STR, enum=["client", "provider"]),
        OpenApiParameter("status", OpenApiTypes.STR, description="pending, approved, refused, withdrawn."),
        OpenApiParameter("overdue", OpenApiTypes.BOOL, description="true: đang chờ và đã quá hạn trả lời."),
    ],
    responses={200: ConnectionRequestSerializer(many=True), **LIST_REFUSED},
)
_REQUEST_SUBMIT = extend_schema(
    tags=TAGS,
    summary="Gửi đề nghị kết nối",
    description=(
        "Hệ thống của đơn vị người gọi (quyền lgsp.add_connectionrequest) đề nghị khai thác một dịch "
        "vụ đang cung cấp, toàn bộ hoặc một số điểm cuối. Bên cung cấp trả lời trong 2 ngày làm việc "
        "(Nghị định 47/2020/NĐ-CP, Điều 35 khoản 3, sửa đổi bởi Nghị định 194/2025/NĐ-CP)."
    ),
    request=RequestSubmitSerializer,
    responses={201: ConnectionRequestSerializer, **INVALID, 401: REFUSED[401], 403: REFUSED[403], **CONFLICT},
)


@extend_schema_view(get=_REQUEST_LIST, post=_REQUEST_SUBMIT)
class RequestListView(LgspListView):
    serializer_class = ConnectionRequestSerializer
    parser_classes = [JSONParser]

    def get_queryset(self):
        data = _query(RequestFilterSerializer, self.request)
        user = self.request.user
        side = data.get("side")
        if side == "client":
            requests = selectors.requests_of_clients(user).prefetch_related("endpoints")
        elif side == "provider":
            requests = selectors.requests_to_decide(user, pending_only=False).prefetch_related("endpoints")
        elif side:
            raise ServiceError("invalid_side", _("side phải là client hoặc provider."), field="side")
        else:
            requests = selectors.requests_visible(user)
        if data.get("status"):
            requests = requests.filter(status=data["status"])
        if data["overdue"] is not None:
            late = {"status": RequestStatus.PENDING, "due_on__lt": timezone.localdate()}
            requests = requests.filter(**late) if data["overdue"] else requests.exclude(**late)
        if side == "provider":
            return requests.order_by("due_on", "submitted_at", "pk")
        return requests.order_by("-submitted_at", "-pk")

    def post(self, request):
        data = _body(RequestSubmitSerializer, request)
        client = _subsystem(data["client"], field="client")
        _require(selectors.may_act_for(request.user, client.member.unit, "lgsp.add_connectionrequest"))
        service = _get(
            selectors.services_published(),
            data["service"],
            code="unknown_service",
            message=_("Không có dịch vụ này trong danh mục."),
            field="service",
        )
        endpoints = list(Endpoint.objects.filter(pk__in=data["endpoints"]))
        if len(endpoints) != len(set(data["endpoints"])):
            raise ServiceError(
                "endpoint_mismatch", _("Điểm cuối không thuộc dịch vụ này."), field="endpoints"
            )
        created = access.request_submit(
            client=client,
            service=service,
            purpose=data["purpose"],
            legal_basis=data["legal_basis"],
            endpoints=endpoints,
            rate_per_minute=data["rate_per_minute"],
            actor=request.user,
        )
        return _request_detail(created, status_code=status.HTTP_201_CREATED)


def _visible_request(request, pk: int) -> ConnectionRequest:
    return _get(selectors.requests_visible(request.user), pk)


@extend_schema(
    tags=TAGS, summary="Chi tiết đề nghị kết nối", responses={200: ConnectionRequestSerializer, **REFUSED}
)
class RequestDetailView(LgspView):
    def get(self, request, pk: int):
        return _request_detail(_visible_request(request, pk))


@extend_schema(
    tags=TAGS,
    summary="Chấp thuận đề nghị kết nối",
    description=(
        "Bên cung cấp (quyền lgsp.decide_connectionrequest trên đơn vị của mình) chấp thuận, ghi căn "
        "cứ: quyền truy cập được cấp (toàn bộ dịch vụ hoặc từng điểm cuối đề nghị) và có hiệu lực tại "
        "cổng sau vài giây."
    ),
    request=RequestApproveSerializer,
    responses={200: ConnectionRequestSerializer, **INVALID, **REFUSED, **CONFLICT},
)
class RequestApproveView(LgspView):
    def post(self, request, pk: int):
        found = _visible_request(request, pk)
        unit = _provider_unit(found.service)
        _require(selectors.may_act_for(request.user, unit, "lgsp.decide_connectionrequest", operator=False))
        data = _body(RequestApproveSerializer, request)
        decided, _grants = access.request_approve(
            request=found,
            legal_basis=data["legal_basis"],
            rate_per_minute=data["rate_per_minute"],
            daily_quota=data["daily_quota"],
            note=data["note"],
            actor=request.user,
        )
        return _request_detail(decided)


@extend_schema(
    tags=TAGS,
    summary="Từ chối đề nghị kết nối",
    description="Từ chối bằng văn bản, nêu lý do và căn cứ pháp lý (Nghị định 194/2025/NĐ-CP, Điều 16).",
    request=RequestRefuseSerializer,
    responses={200: ConnectionRequestSerializer, **INVALID, **REFUSED, **CONFLICT},
)
class RequestRefuseView(LgspView):
    def post(self, request, pk: int):
        found = _visible_request(request, pk)
        unit = _provider_unit(found.service)
        _require(selectors.may_act_for(request.user, unit, "lgsp.decide_connectionrequest", operator=False))
        data = _body(RequestRefuseSerializer, request)
        decided = access.request_refuse(
            request=found, legal_basis=data["legal_basis"], reason=data["reason"], actor=request.user
        )
        return _request_detail(decided)


@extend_schema(
    tags=TAGS,
    summary="Rút đề nghị kết nối",
    description=(
        "Bên đề nghị (quyền lgsp.add_connectionrequest trên đơn vị của hệ thống) rút đề nghị đang chờ."
    ),
    request=None,
    responses={200: ConnectionRequestSerializer, **REFUSED, **CONFLICT},
)
class RequestWithdrawView(LgspView):
    def post(self, request, pk: int):
        found = _visible_request(request, pk)
        _require(selectors.may_act_for(request.user, found.client.member.unit, "lgsp.add_connectionrequest"))
        return _request_detail(access.request_withdraw(request=found, actor=request.user))


# --- grants ------------------------------------------------------------------------------------


_GRANT_LIST = extend_schema(
    tags=TAGS,
    summary="Quyền truy cập",
    description="Quyền trên các dịch vụ của đơn vị người gọi và quyền các hệ thống của đơn vị được cấp.",
    parameters=[
        OpenApiParameter("service", OpenApiTypes.INT, description="Dịch vụ (id)."),
        OpenApiParameter("client", OpenApiTypes.INT, description="Hệ thống được cấp (id)."),
        OpenApiParameter("active", OpenApiTypes.BOOL, description="true: chưa thu hồi; false: đã thu hồi."),
    ],
    responses={200: GrantSerializer(many=True), **LIST_REFUSED},
)
_GRANT_CREATE = extend_schema(
    tags=TAGS,
    summary="Cấp quyền truy cập",
    description=(
        "Bên cung cấp (quyền lgsp.add_accessgrant) hoặc đơn vị vận hành cấp quyền gọi dịch vụ, hoặc "
        "một điểm cuối, cho một hệ thống (`client`) hoặc một nhóm (`group`), với giới hạn lưu lượng và "
        "hạn mức ngày."
    ),
    request=GrantCreateSerializer,
    responses={201: GrantSerializer, **INVALID, 401: REFUSED[401], 403: REFUSED[403]},
)


@extend_schema_view(get=_GRANT_LIST, post=_GRANT_CREATE)
class GrantListView(LgspListView):
    serializer_class = GrantSerializer
    parser_classes = [JSONParser]

    def get_queryset(self):
        data = _query(GrantFilterSerializer, self.request)
        grants = selectors.grants_visible(self.request.user)
        if "service" in data:
            grants = grants.filter(service_id=data["service"])
        if "client" in data:
            grants = grants.filter(client_id=data["client"])
        if data["active"] is not None:
            grants = grants.filter(revoked_at__isnull=data["active"])
        return grants

    def post(self, request):
        data = _body(GrantCreateSerializer, request)
        service = _get(
            Service.objects.select_related("subsystem__member__unit"),
            data["service"],
            code="unknown_service",
            message=_("Không có dịch vụ này."),
            field="service",
        )
        _require(selectors.may_act_for(request.user, _provider_unit(service), "lgsp.add_accessgrant"))
        client = _subsystem(data["client"], field="client") if data["client"] else None
        group = (
            _get(
                ClientGroup.objects.all(),
                data["group"],
                code="unknown_group",
                message=_("Không có nhóm này."),
                field="group",
            )
            if data["group"]
            else None
        )
        endpoint = (
            _get(
                Endpoint.objects.all(),
                data["endpoint"],
                code="endpoint_mismatch",
                message=_("Điểm cuối không thuộc dịch vụ này."),
                field="endpoint",
            )
            if data["endpoint"]
            else None
        )
        grant = access.grant_create(
            service=service,
            client=client,
            group=group,
            endpoint=endpoint,
            rate_per_minute=data["rate_per_minute"],
            daily_quota=data["daily_quota"],
            legal_basis=data["legal_basis"],
            actor=request.user,
        )
        grant = AccessGrant.objects.select_related(*selectors.GRANT_RELATED).get(pk=grant.pk)
        return Response(GrantSerializer(grant).data, status=status.HTTP_201_CREATED)


@extend_schema(
    tags=TAGS,
    summary="Thu hồi quyền truy cập",
    description="Quyền lgsp.change_accessgrant trên đơn vị bên cung cấp; cổng từ chối trong vài giây.",
    request=RevokeSerializer,
    responses={200: GrantSerializer, **INVALID, **REFUSED, **CONFLICT},
)
class GrantRevokeView(LgspView):
    def post(self, request, pk: int):
        grant = _get(selectors.grants_visible(request.user), pk)
        _require(
            selectors.may_act_for(request.user, _provider_unit(grant.service), "lgsp.change_accessgrant")
        )
        data = _body(RevokeSerializer, request)
        grant = access.grant_revoke(grant=grant, reason=data["reason"], actor=request.user)
        grant = AccessGrant.objects.select_related(*selectors.GRANT_RELATED).get(pk=grant.pk)
        return Response(GrantSerializer(grant).data)


# --- credentials -------------------------------------------------------------------------------


_CREDENTIAL_LIST = extend_schema(
    tags=TAGS,
    summary="Tài khoản kết nối",
    description=(
        "Khóa API và ứng dụng OAuth2 của các hệ thống thuộc đơn vị người gọi; không bao giờ có bí mật."
    ),
    parameters=[OpenApiParameter("subsystem", OpenApiTypes.INT, description="Hệ thống (id).")],
    responses={200: CredentialSerializer(many=True), **LIST_REFUSED},
)
_CREDENTIAL_ISSUE = extend_schema(
    tags=TAGS,
    summary="Cấp tài khoản kết nối",
    description=(
        "Quyền lgsp.add_credential trên đơn vị của hệ thống. `kind=api_key`: khóa API (tiêu đề "
        "X-API-Key); `kind=oauth_client`: client_id và client_secret để lấy mã truy cập tại "
        "`token_url`. Bí mật chỉ trả về một lần trong câu trả lời này."
    ),
    request=CredentialIssueSerializer,
    responses={201: IssuedCredentialSerializer, **INVALID, 401: REFUSED[401], 403: REFUSED[403]},
)


@extend_schema_view(get=_CREDENTIAL_LIST, post=_CREDENTIAL_ISSUE)
class CredentialListView(LgspListView):
    serializer_class = CredentialSerializer
    parser_classes = [JSONParser]

    def get_queryset(self):
        data = _query(CredentialFilterSerializer, self.request)
        credentials = selectors.credentials_visible(self.request.user)
        if "subsystem" in data:
            credentials = credentials.filter(subsystem_id=data["subsystem"])
        return credentials

    def post(self, request):
        data = _body(CredentialIssueSerializer, request)
        subsystem = _subsystem(data["subsystem"], field="subsystem")
        _require(selectors.may_act_for(request.user, subsystem.member.unit, "lgsp.add_credential"))
        issue = {
            CredentialKind.API_KEY: access.api_key_issue,
            CredentialKind.OAUTH_CLIENT: access.oauth_client_issue,
        }.get(data["kind"])
        if issue is None:
            raise ServiceError("invalid_kind", _("Loại tài khoản kết nối không hợp lệ."), field="kind")
        issued = issue(
            subsystem=subsystem, label=data["label"], expires_at=data["expires_at"], actor=request.user
        )
        body = dict(CredentialSerializer(issued.credential).data)
        body["secret"] = issued.secret
        body["token_url"] = (
            request.build_absolute_uri(reverse("lgsp-api-oauth-token"))
            if issued.credential.kind == CredentialKind.OAUTH_CLIENT
            else None
        )
        response = Response(body, status=status.HTTP_201_CREATED)
        response["Cache-Control"] = "no-store"
        return response


@extend_schema(
    tags=TAGS,
    summary="Thu hồi tài khoản kết nối",
    description=(
        "Quyền lgsp.change_credential; cổng từ chối khóa và mã truy cập của tài khoản trong vài giây."
    ),
    request=None,
    responses={200: CredentialSerializer, **REFUSED, **CONFLICT},
)
class CredentialRevokeView(LgspView):
    def post(self, request, pk: int):
        credential = _get(selectors.credentials_visible(request.user), pk)
        _require(
            selectors.may_act_for(request.user, credential.subsystem.member.unit, "lgsp.change_credential")
        )
        credential = access.credential_revoke(credential=credential, actor=request.user)
        return Response(CredentialSerializer(credential).data)


# --- gateway -----------------------------------------------------------------------------------


def _require_gateway_reader(user) -> None:
    _require(
        selectors.holds_anywhere(user, "lgsp.operate_gateway")
        or selectors.holds_anywhere(user, "lgsp.manage_registry")
    )


@extend_schema_view(
    get=extend_schema(
        tags=TAGS,
        summary="Các thế hệ cấu hình cổng",
        description="Mới nhất trước (quyền lgsp.operate_gateway hoặc lgsp.manage_registry).",
        responses={200: GenerationSerializer(many=True), 401: REFUSED[401], 403: REFUSED[403]},
    )
)
class GenerationListView(LgspListView):
    serializer_class = GenerationSerializer

    def get_queryset(self):
        _require_gateway_reader(self.request.user)
        return GatewayGeneration.objects.order_by("-number")


@extend_schema(
    tags=TAGS,
    summary="Tình trạng cổng kết nối",
    description=(
        "Bộ chuyển tiếp đang dùng, thế hệ cấu hình đang chạy và lần nạp lại gần nhất, thế hệ mới nhất "
        "và các lỗi kể từ thế hệ đang chạy."
    ),
    responses={200: GatewayStatusSerializer, 401: REFUSED[401], 403: REFUSED[403]},
)
class GatewayStatusView(LgspView):
    def get(self, request):
        _require_gateway_reader(request.user)
        active = selectors.generation_active()
        body = {
            "engine": settings.CQS_LGSP_ENGINE,
            "instance": settings.CQS_LGSP_INSTANCE,
            "gateway_url": settings.CQS_LGSP_GATEWAY_URL,
            "active": active,
            "last_reload_at": active.created_at if active else None,
            "last_reload_ms": active.reload_ms if active else None,
            "latest": selectors.generation_last(),
            "errors": list(selectors.generation_failures_since(active)[:20]),
        }
        return Response(GatewayStatusSerializer(body).data)


@extend_schema(
    tags=TAGS,
    summary="Cập nhật cấu hình cổng ngay",
    description=(
        "Biên dịch danh bạ và áp dụng cho bộ chuyển tiếp (quyền lgsp.operate_gateway). Không đổi gì "
        "so với thế hệ đang chạy: `changed=false`. Bộ chuyển tiếp từ chối cấu hình: thế hệ mới có "
        "trạng thái failed hoặc rolled_back và `error`, cấu hình cũ vẫn chạy."
    ),
    request=None,
    responses={200: PublishResultSerializer, 401: REFUSED[401], 403: REFUSED[403]},
)
class GatewayPublishView(LgspView):
    def post(self, request):
        _require(selectors.holds_anywhere(request.user, "lgsp.operate_gateway"))
        generation = publish.publish_now(reason=f"manual by {request.user.get_username()}")
        return Response(
            PublishResultSerializer({"changed": generation is not None, "generation": generation}).data
        )


# --- OAuth2 token endpoint ---------------------------------------------------------------------


@extend_schema(
    tags=TAGS,
    summary="Lấy mã truy cập (OAuth2 client credentials)",
    description=(
        "RFC 6749 §4.4: `grant_type=client_credentials`, ứng dụng xác thực bằng HTTP Basic "
        "(client_id:client_secret) hoặc `client_id` và `client_secret` trong thân (form). Trả về một "
        "JWT ký ES256 (RFC 9068) hiệu lực 5 phút, dùng làm `Authorization: Bearer` tại cổng kết nối. "
        "Lỗi theo RFC 6749 §5.2 (JSON, không phải problem+json). Sai thông tin xác thực nhiều lần từ "
        "một địa chỉ: 429 trong một thời gian."
    ),
    auth=[],
    request={"application/x-www-form-urlencoded": TokenRequestSerializer},
    responses={
        200: TokenResponseSerializer,
        400: OpenApiResponse(TokenErrorSerializer, description="invalid_request, unsupported_grant_type."),
        401: OpenApiResponse(TokenErrorSerializer, description="invalid_client."),
        429: OpenApiResponse(TokenErrorSerializer, description="Quá nhiều lần xác thực sai."),
    },
)
class TokenView(APIView):
    # A client is a machine with its own credentials: no session, so no CSRF (APIView exempts).
    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes = [FormParser]
    renderer_classes = [JSONRenderer]
    http_method_names = ["post", "options"]

    def post(self, request):
        try:
            form = request.data
        except Exception:  # an unsupported media type or an unreadable body
            form = None
        try:
            if form is None or not hasattr(form, "get"):
                raise oauth.TokenError(
                    "invalid_request", _("Yêu cầu phải gửi dạng application/x-www-form-urlencoded.")
                )
            if any(len(form.getlist(name)) > 1 for name in form if hasattr(form, "getlist")):
                # RFC 6749 §3.2: parameters must not be repeated.
                raise oauth.TokenError("invalid_request", _("Tham số bị lặp lại."))
            body = oauth.token_grant(
                authorization=request.META.get("HTTP_AUTHORIZATION", ""),
                form={key: form.get(key) for key in form},
            )
            response = Response(body)
        except oauth.TokenError as exc:
            response = Response(exc.body(), status=exc.status)
            if exc.status == 401:
                response["WWW-Authenticate"] = 'Basic realm="lgsp"'
            if exc.retry_after is not None:
                response["Retry-After"] = str(exc.retry_after)
        response["Cache-Control"] = "no-store"
        response["Pragma"] = "no-cache"
        return response

"""Serializers of the LGSP API.

Identifiers keep X-Road's shape (``xroad_id``: ``INSTANCE/CLASS/MEMBER/SUBSYSTEM[/SERVICE]``) next
to the database id that the API's paths use. Input serializers check shape and type only; every
rule of the domain (legal basis required, upstream address allowed, one open request per client
and service…) is the services' job. Fields with value lists are plain strings with the values in
``help_text``: the schema names enums after their field, and ``status`` or ``kind`` already name
other apps' enums.

Secrets never appear in an output except ``IssuedCredentialSerializer``, answered once, at issue.
"""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cqs.core.api import choices_text, person_ref
from cqs.lgsp.choices import (
    CodeListKind,
    CredentialKind,
    DataClassification,
    Engine,
    GenerationStatus,
    MemberClass,
    RequestStatus,
    ServiceKind,
    ServiceStatus,
)
from cqs.lgsp.models import HTTP_METHODS

# --- shared pieces -----------------------------------------------------------------------------


class RefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class XRoadRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    xroad_id = serializers.CharField(help_text="Định danh X-Road.")
    name = serializers.CharField()


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


def _xroad_ref(obj) -> dict | None:
    return None if obj is None else {"id": obj.pk, "xroad_id": obj.xroad_id, "name": obj.name}


def _unit_ref(unit) -> dict | None:
    return None if unit is None else {"id": unit.pk, "name": unit.name}


# --- catalogue ---------------------------------------------------------------------------------


class MemberSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    xroad_id = serializers.CharField(help_text="INSTANCE/CLASS/MEMBER.")
    instance = serializers.CharField()
    member_class = serializers.CharField(help_text=choices_text(MemberClass))
    code = serializers.CharField(help_text="Mã định danh điện tử của cơ quan.")
    name = serializers.CharField()
    unit = serializers.SerializerMethodField()
    contact_name = serializers.CharField()
    contact_email = serializers.CharField()

    @extend_schema_field(RefSerializer(allow_null=True))
    def get_unit(self, obj) -> dict | None:
        return _unit_ref(obj.unit)


class SubsystemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    xroad_id = serializers.CharField(help_text="INSTANCE/CLASS/MEMBER/SUBSYSTEM.")
    member = serializers.SerializerMethodField()
    code = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    contact_email = serializers.CharField()
    active = serializers.BooleanField()

    @extend_schema_field(XRoadRefSerializer)
    def get_member(self, obj) -> dict:
        return _xroad_ref(obj.member)


class EndpointSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    method = serializers.CharField(help_text="Phương thức HTTP, * là mọi phương thức.")
    path = serializers.CharField(help_text="Tiền tố đường dẫn, ví dụ /persons.")
    description = serializers.CharField()


class ServiceSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    xroad_id = serializers.CharField(help_text="INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE.")
    code = serializers.CharField()
    version = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField(help_text=choices_text(ServiceKind))
    data_classification = serializers.CharField(help_text=choices_text(DataClassification))
    status = serializers.CharField(help_text=choices_text(ServiceStatus))
    subsystem = serializers.SerializerMethodField()
    member = serializers.SerializerMethodField()

    @extend_schema_field(XRoadRefSerializer)
    def get_subsystem(self, obj) -> dict:
        return _xroad_ref(obj.subsystem)

    @extend_schema_field(XRoadRefSerializer)
    def get_member(self, obj) -> dict:
        return _xroad_ref(obj.subsystem.member)


class ServiceDetailSerializer(ServiceSummarySerializer):
    description = serializers.CharField()
    legal_basis = serializers.CharField(help_text="Căn cứ pháp lý của việc chia sẻ dữ liệu.")
    contact_name = serializers.CharField()
    contact_email = serializers.CharField()
    contact_phone = serializers.CharField()
    timeout_ms = serializers.IntegerField()
    default_rate_per_minute = serializers.IntegerField()
    upstream_url = serializers.SerializerMethodField(
        help_text=(
            "Địa chỉ nội bộ của dịch vụ: chỉ bên cung cấp và đơn vị vận hành thấy (null với người khác)."
        )
    )
    has_openapi = serializers.SerializerMethodField()
    has_wsdl = serializers.SerializerMethodField()
    gateway_path = serializers.SerializerMethodField(
        help_text="Đường dẫn gọi dịch vụ qua cổng kết nối (giao thức X-Road REST r1)."
    )
    endpoints = EndpointSerializer(many=True, source="endpoints.all")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    @extend_schema_field(OpenApiTypes.STR)
    def get_upstream_url(self, obj) -> str | None:
        return obj.upstream_url if self.context.get("manage") else None

    def get_has_openapi(self, obj) -> bool:
        return obj.openapi is not None

    def get_has_wsdl(self, obj) -> bool:
        return bool(obj.wsdl)

    def get_gateway_path(self, obj) -> str:
        return f"/r1/{obj.xroad_id}"


class CodeListItemSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    parent_code = serializers.CharField()
    valid_from = serializers.DateField(allow_null=True)
    valid_to = serializers.DateField(allow_null=True)


class CodeListSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField(help_text=choices_text(CodeListKind))
    owner = serializers.SerializerMethodField()
    legal_basis = serializers.CharField()
    version = serializers.CharField()
    source_url = serializers.CharField()
    service = serializers.SerializerMethodField()
    description = serializers.CharField()

    @extend_schema_field(XRoadRefSerializer)
    def get_owner(self, obj) -> dict:
        return _xroad_ref(obj.owner)

    @extend_schema_field(XRoadRefSerializer(allow_null=True))
    def get_service(self, obj) -> dict | None:
        return _xroad_ref(obj.service)


class CodeListDetailSerializer(CodeListSerializer):
    items = CodeListItemSerializer(many=True, source="items.all")


# --- connection requests, grants, credentials --------------------------------------------------


class ConnectionRequestSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    client = serializers.SerializerMethodField()
    service = serializers.SerializerMethodField()
    endpoints = EndpointSerializer(many=True, source="endpoints.all")
    purpose = serializers.CharField()
    legal_basis = serializers.CharField()
    rate_per_minute = serializers.IntegerField(allow_null=True)
    status = serializers.CharField(help_text=choices_text(RequestStatus))
    submitted_at = serializers.DateTimeField()
    submitted_by = serializers.SerializerMethodField()
    due_on = serializers.DateField(help_text="Hạn trả lời: 2 ngày làm việc (Nghị định 194/2025/NĐ-CP).")
    overdue = serializers.SerializerMethodField(help_text="Đang chờ xử lý và đã quá hạn trả lời.")
    escalated_at = serializers.DateTimeField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    decided_by = serializers.SerializerMethodField()
    decision_legal_basis = serializers.CharField()
    decision_note = serializers.CharField()

    @extend_schema_field(XRoadRefSerializer)
    def get_client(self, obj) -> dict:
        return _xroad_ref(obj.client)

    @extend_schema_field(XRoadRefSerializer)
    def get_service(self, obj) -> dict:
        return _xroad_ref(obj.service)

    @extend_schema_field(PersonSerializer(allow_null=True))
    def get_submitted_by(self, obj) -> dict | None:
        return person_ref(obj.submitted_by)

    @extend_schema_field(PersonSerializer(allow_null=True))
    def get_decided_by(self, obj) -> dict | None:
        return person_ref(obj.decided_by)

    def get_overdue(self, obj) -> bool:
        return obj.status == RequestStatus.PENDING and obj.due_on < timezone.localdate()


class GroupRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class GrantSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    service = serializers.SerializerMethodField()
    endpoint = serializers.SerializerMethodField()
    client = serializers.SerializerMethodField()
    group = serializers.SerializerMethodField()
    rate_per_minute = serializers.IntegerField(allow_null=True, help_text="null: theo mặc định của dịch vụ.")
    daily_quota = serializers.IntegerField(allow_null=True, help_text="null: không giới hạn theo ngày.")
    request = serializers.IntegerField(source="request_id", allow_null=True)
    legal_basis = serializers.CharField()
    granted_at = serializers.DateTimeField()
    granted_by = serializers.SerializerMethodField()
    revoked_at = serializers.DateTimeField(allow_null=True)
    revoke_reason = serializers.CharField()
    active = serializers.SerializerMethodField()

    @extend_schema_field(XRoadRefSerializer)
    def get_service(self, obj) -> dict:
        return _xroad_ref(obj.service)

    @extend_schema_field(EndpointSerializer(allow_null=True))
    def get_endpoint(self, obj) -> dict | None:
        return None if obj.endpoint is None else EndpointSerializer(obj.endpoint).data

    @extend_schema_field(XRoadRefSerializer(allow_null=True))
    def get_client(self, obj) -> dict | None:
        return _xroad_ref(obj.client)

    @extend_schema_field(GroupRefSerializer(allow_null=True))
    def get_group(self, obj) -> dict | None:
        group = obj.group
        return None if group is None else {"id": group.pk, "code": group.code, "name": group.name}

    @extend_schema_field(PersonSerializer(allow_null=True))
    def get_granted_by(self, obj) -> dict | None:
        return person_ref(obj.granted_by)

    def get_active(self, obj) -> bool:
        return obj.revoked_at is None


class CredentialSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    subsystem = serializers.SerializerMethodField()
    kind = serializers.CharField(help_text=choices_text(CredentialKind))
    label = serializers.CharField()
    prefix = serializers.CharField(help_text="Vài ký tự đầu của khóa hoặc client_id, để phân biệt.")
    client_id = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()
    created_by = serializers.SerializerMethodField()
    expires_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)
    live = serializers.SerializerMethodField(help_text="Chưa thu hồi và chưa hết hạn.")

    @extend_schema_field(XRoadRefSerializer)
    def get_subsystem(self, obj) -> dict:
        return _xroad_ref(obj.subsystem)

    @extend_schema_field(PersonSerializer(allow_null=True))
    def get_created_by(self, obj) -> dict | None:
        return person_ref(obj.created_by)

    def get_live(self, obj) -> bool:
        return obj.revoked_at is None and (obj.expires_at is None or obj.expires_at > timezone.now())


class IssuedCredentialSerializer(CredentialSerializer):
    secret = serializers.CharField(
        help_text=(
            "Khóa API hoặc client_secret. Chỉ hiển thị một lần: nền tảng chỉ giữ giá trị băm SHA-256 "
            "và không thể cho xem lại."
        )
    )
    token_url = serializers.CharField(
        allow_null=True, help_text="Với ứng dụng OAuth2: địa chỉ lấy mã truy cập (client credentials)."
    )


# --- gateway -----------------------------------------------------------------------------------


class GenerationSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    engine = serializers.CharField(help_text=choices_text(Engine))
    status = serializers.CharField(help_text=choices_text(GenerationStatus))
    snapshot_sha256 = serializers.CharField()
    services = serializers.IntegerField()
    grants = serializers.IntegerField()
    credentials = serializers.IntegerField()
    compile_ms = serializers.IntegerField()
    reload_ms = serializers.IntegerField()
    error = serializers.CharField()
    reason = serializers.CharField()
    created_at = serializers.DateTimeField()


class GatewayStatusSerializer(serializers.Serializer):
    engine = serializers.CharField(help_text="Bộ chuyển tiếp đang cấu hình: " + choices_text(Engine))
    instance = serializers.CharField(help_text="Vùng X-Road của nền tảng.")
    gateway_url = serializers.CharField(help_text="Địa chỉ cổng kết nối mà các hệ thống gọi tới.")
    active = GenerationSerializer(allow_null=True, help_text="Thế hệ cấu hình đang chạy.")
    last_reload_at = serializers.DateTimeField(allow_null=True)
    last_reload_ms = serializers.IntegerField(allow_null=True)
    latest = GenerationSerializer(allow_null=True, help_text="Thế hệ mới nhất, kể cả khi lỗi.")
    errors = GenerationSerializer(
        many=True, help_text="Các thế hệ lỗi hoặc đã quay lại bản trước kể từ thế hệ đang chạy."
    )


class PublishResultSerializer(serializers.Serializer):
    changed = serializers.BooleanField(help_text="false: cấu hình không đổi so với thế hệ đang chạy.")
    generation = GenerationSerializer(allow_null=True)


# --- input -------------------------------------------------------------------------------------


class ServiceFilterSerializer(serializers.Serializer):
    q = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    member = serializers.IntegerField(min_value=1, required=False)
    subsystem = serializers.IntegerField(min_value=1, required=False)
    classification = serializers.CharField(max_length=20, required=False)
    status = serializers.CharField(max_length=20, required=False)


class SubsystemFilterSerializer(serializers.Serializer):
    member = serializers.IntegerField(min_value=1, required=False)


class ServiceFieldsSerializer(serializers.Serializer):
    """The editable fields of a service (``registry.SERVICE_FIELDS``)."""

    name = serializers.CharField(max_length=500)
    description = serializers.CharField(required=False, allow_blank=True)
    kind = serializers.CharField(required=False, max_length=10, help_text=choices_text(ServiceKind))
    version = serializers.CharField(required=False, max_length=20)
    upstream_url = serializers.CharField(
        max_length=500, help_text="Địa chỉ nội bộ mà cổng chuyển tiếp tới (http:// hoặc https://)."
    )
    openapi = serializers.JSONField(required=False, allow_null=True, help_text="Tài liệu OpenAPI (JSON).")
    wsdl = serializers.CharField(required=False, allow_blank=True)
    legal_basis = serializers.CharField(max_length=500, allow_blank=True)
    data_classification = serializers.CharField(max_length=20, help_text=choices_text(DataClassification))
    contact_name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    contact_email = serializers.CharField(required=False, allow_blank=True, max_length=254)
    contact_phone = serializers.CharField(required=False, allow_blank=True, max_length=20)
    timeout_ms = serializers.IntegerField(required=False)
    default_rate_per_minute = serializers.IntegerField(required=False)


class ServiceCreateSerializer(ServiceFieldsSerializer):
    subsystem = serializers.IntegerField(min_value=1, help_text="Hệ thống cung cấp (id).")
    code = serializers.CharField(max_length=64, help_text="Mã dịch vụ, phần cuối của định danh X-Road.")
    publish = serializers.BooleanField(
        required=False, default=False, help_text="true: cung cấp ngay (mặc định: bản nháp)."
    )


class ServiceUpdateSerializer(ServiceFieldsSerializer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False


class EndpointCreateSerializer(serializers.Serializer):
    method = serializers.CharField(max_length=10, help_text="Một trong: " + ", ".join(HTTP_METHODS))
    path = serializers.CharField(max_length=255, help_text="Tiền tố đường dẫn, bắt đầu bằng /.")
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class RequestFilterSerializer(serializers.Serializer):
    side = serializers.CharField(
        required=False,
        max_length=10,
        help_text=(
            "client: đề nghị của các hệ thống của đơn vị mình; provider: đề nghị gửi tới dịch vụ của "
            "đơn vị mình; bỏ trống: cả hai."
        ),
    )
    status = serializers.CharField(required=False, max_length=20, help_text=choices_text(RequestStatus))
    overdue = serializers.BooleanField(required=False, allow_null=True, default=None)


class RequestSubmitSerializer(serializers.Serializer):
    client = serializers.IntegerField(min_value=1, help_text="Hệ thống đề nghị (id).")
    service = serializers.IntegerField(min_value=1, help_text="Dịch vụ (id).")
    purpose = serializers.CharField(allow_blank=True, help_text="Mục đích khai thác dữ liệu.")
    legal_basis = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)
    endpoints = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        default=list,
        max_length=100,
        help_text="Điểm cuối đề nghị (id); bỏ trống: toàn bộ dịch vụ.",
    )
    rate_per_minute = serializers.IntegerField(required=False, allow_null=True, default=None)


class RequestApproveSerializer(serializers.Serializer):
    legal_basis = serializers.CharField(allow_blank=True, max_length=500, help_text="Căn cứ chấp thuận.")
    rate_per_minute = serializers.IntegerField(required=False, allow_null=True, default=None)
    daily_quota = serializers.IntegerField(required=False, allow_null=True, default=None)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class RequestRefuseSerializer(serializers.Serializer):
    legal_basis = serializers.CharField(
        allow_blank=True, max_length=500, help_text="Căn cứ pháp lý của việc từ chối (Nghị định 194/2025)."
    )
    reason = serializers.CharField(allow_blank=True, help_text="Lý do từ chối.")


class GrantFilterSerializer(serializers.Serializer):
    service = serializers.IntegerField(min_value=1, required=False)
    client = serializers.IntegerField(min_value=1, required=False)
    active = serializers.BooleanField(required=False, allow_null=True, default=None)


class GrantCreateSerializer(serializers.Serializer):
    service = serializers.IntegerField(min_value=1)
    client = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)
    group = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)
    endpoint = serializers.IntegerField(min_value=1, required=False, allow_null=True, default=None)
    rate_per_minute = serializers.IntegerField(required=False, allow_null=True, default=None)
    daily_quota = serializers.IntegerField(required=False, allow_null=True, default=None)
    legal_basis = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class RevokeSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class CredentialFilterSerializer(serializers.Serializer):
    subsystem = serializers.IntegerField(min_value=1, required=False)


class CredentialIssueSerializer(serializers.Serializer):
    subsystem = serializers.IntegerField(min_value=1, help_text="Hệ thống được cấp (id).")
    kind = serializers.CharField(max_length=20, help_text=choices_text(CredentialKind))
    label = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    expires_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class TokenRequestSerializer(serializers.Serializer):
    """RFC 6749 §4.4.2, form-encoded."""

    grant_type = serializers.CharField(help_text="client_credentials")
    client_id = serializers.CharField(required=False, help_text="Nếu không xác thực bằng HTTP Basic.")
    client_secret = serializers.CharField(required=False, help_text="Nếu không xác thực bằng HTTP Basic.")
    scope = serializers.CharField(required=False, help_text="Bỏ qua: quyền do các quyền truy cập quyết định.")


class TokenResponseSerializer(serializers.Serializer):
    access_token = serializers.CharField(help_text="JWT ký ES256 (RFC 9068), dùng làm Bearer tại cổng.")
    token_type = serializers.CharField(help_text="Bearer")
    expires_in = serializers.IntegerField(help_text="Số giây còn hiệu lực.")


class TokenErrorSerializer(serializers.Serializer):
    error = serializers.CharField(
        help_text="invalid_request, invalid_client, unsupported_grant_type, temporarily_unavailable."
    )
    error_description = serializers.CharField()

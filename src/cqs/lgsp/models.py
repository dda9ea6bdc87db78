"""The LGSP registry, consumers and evidence (docs/lgsp.md).

Shaped after X-Road so that identifiers map one to one onto the national platforms (VDXP, NDXP):

* ``Member`` is an organisation (``INSTANCE/CLASS/MEMBER``); ours point at a unit of the tree.
* ``Subsystem`` is an information system of a member (``…/SUBSYSTEM``): a provider, a client,
  or both. The 42 systems of the plan's Appendix 1 are subsystems.
* ``Service`` is what a subsystem provides (``…/SUBSYSTEM/SERVICE``), with its endpoint, its
  OpenAPI or WSDL document and what the law asks to publish about it.
* ``ConnectionRequest`` is a client's request for access, answered within two working days
  (Decree 47/2020 Art. 35(3) as amended by Decree 194/2025); ``AccessGrant`` is the access right
  it produces (to a subsystem or a ``ClientGroup``, for the whole service or one endpoint).
* ``Credential`` authenticates a client subsystem at the gateway: an API key (stored as its
  SHA-256, shown once) or an OAuth2 client whose tokens are signed JWTs.
* ``GatewayGeneration`` is one compiled configuration of the data plane (``snapshot.py``).
* ``UsageDaily`` and ``CallEvidence`` come from the gateways' access logs: counts, latencies and
  hashes of each call, never bodies (they carry personal data).
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cqs.accounts.permissions import RestrictedQuerySet
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

# One part of an X-Road identifier: it travels in URL paths and HAProxy map keys, so no "/",
# no spaces and no "|" (the map keys' separator).
validate_id_part = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,63}$",
    _(
        "Mã chỉ gồm chữ cái không dấu, chữ số, dấu chấm, gạch dưới hoặc gạch ngang, "
        "bắt đầu bằng chữ cái hoặc số."
    ),
    code="invalid_identifier_part",
)
# An endpoint path prefix: "/", "/persons", "/v1/persons/search".
validate_endpoint_path = RegexValidator(
    r"^/[A-Za-z0-9._~\-/]*$",
    _("Đường dẫn phải bắt đầu bằng / và chỉ gồm chữ cái không dấu, chữ số và các ký tự . _ ~ - /."),
    code="invalid_endpoint_path",
)
HTTP_METHODS = ("*", "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")


class MemberQuerySet(RestrictedQuerySet):
    unit_field = "unit"


class Member(models.Model):
    """An organisation taking part in data sharing: ``INSTANCE/CLASS/MEMBER``."""

    instance = models.CharField(_("vùng (instance)"), max_length=64, validators=[validate_id_part])
    member_class = models.CharField(_("loại thành viên"), max_length=10, choices=MemberClass.choices)
    code = models.CharField(
        _("mã thành viên"),
        max_length=64,
        validators=[validate_id_part],
        help_text=_("Mã định danh điện tử của cơ quan (Quyết định 20/2020/QĐ-TTg), ví dụ 000.00.00.H62."),
    )
    name = models.CharField(_("tên"), max_length=255)
    unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("đơn vị trong cây tổ chức"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="lgsp_members",
        help_text=_("Để trống với cơ quan ngoài tỉnh (bộ, ngành, tỉnh khác)."),
    )
    contact_name = models.CharField(_("người liên hệ"), max_length=200, blank=True)
    contact_email = models.EmailField(_("thư điện tử liên hệ"), blank=True)
    created_at = models.DateTimeField(_("ngày tạo"), auto_now_add=True)

    objects = MemberQuerySet.as_manager()

    class Meta:
        verbose_name = _("thành viên")
        verbose_name_plural = _("thành viên")
        ordering = ["instance", "member_class", "code"]
        permissions = [
            ("manage_registry", _("Quản lý danh bạ LGSP (thành viên, nhóm, danh mục dùng chung)")),
            ("operate_gateway", _("Vận hành cổng kết nối (cấu hình, nạp lại, trạng thái)")),
            ("view_usage", _("Xem thống kê khai thác và chứng cứ lượt gọi")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["instance", "member_class", "code"],
                name="lgsp_member_unique_id",
                violation_error_message=_("Đã có thành viên với mã này."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def xroad_id(self) -> str:
        return f"{self.instance}/{self.member_class}/{self.code}"


class SubsystemQuerySet(RestrictedQuerySet):
    unit_field = "member__unit"


class Subsystem(models.Model):
    """An information system of a member: ``INSTANCE/CLASS/MEMBER/SUBSYSTEM``."""

    member = models.ForeignKey(
        Member, verbose_name=_("thành viên"), on_delete=models.PROTECT, related_name="subsystems"
    )
    code = models.CharField(_("mã hệ thống"), max_length=64, validators=[validate_id_part])
    name = models.CharField(_("tên hệ thống"), max_length=500)
    description = models.TextField(_("mô tả"), blank=True)
    information_system = models.ForeignKey(
        "plans.InformationSystem",
        verbose_name=_("hệ thống trong kế hoạch"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="lgsp_subsystems",
    )
    contact_email = models.EmailField(_("thư điện tử kỹ thuật"), blank=True)
    active = models.BooleanField(_("đang hoạt động"), default=True)
    created_at = models.DateTimeField(_("ngày tạo"), auto_now_add=True)

    objects = SubsystemQuerySet.as_manager()

    class Meta:
        verbose_name = _("hệ thống thông tin (subsystem)")
        verbose_name_plural = _("hệ thống thông tin (subsystem)")
        ordering = ["member__code", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "code"],
                name="lgsp_subsystem_unique_code",
                violation_error_message=_("Thành viên này đã có hệ thống với mã này."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def xroad_id(self) -> str:
        return f"{self.member.xroad_id}/{self.code}"


class ClientGroup(models.Model):
    """A group of client subsystems that access rights can be granted to (X-Road local group)."""

    code = models.CharField(_("mã nhóm"), max_length=64, unique=True, validators=[validate_id_part])
    name = models.CharField(_("tên nhóm"), max_length=255)
    description = models.TextField(_("mô tả"), blank=True)
    subsystems = models.ManyToManyField(
        Subsystem, verbose_name=_("hệ thống thành viên"), related_name="client_groups", blank=True
    )

    class Meta:
        verbose_name = _("nhóm bên khai thác")
        verbose_name_plural = _("nhóm bên khai thác")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class ServiceQuerySet(RestrictedQuerySet):
    unit_field = "subsystem__member__unit"


class Service(models.Model):
    """A data-sharing service (dịch vụ chia sẻ dữ liệu, Decree 47/2020 Art. 3(3)) of a provider."""

    subsystem = models.ForeignKey(
        Subsystem, verbose_name=_("hệ thống cung cấp"), on_delete=models.PROTECT, related_name="services"
    )
    code = models.CharField(_("mã dịch vụ"), max_length=64, validators=[validate_id_part])
    version = models.CharField(_("phiên bản"), max_length=20, default="1.0")
    name = models.CharField(_("tên dịch vụ"), max_length=500)
    description = models.TextField(_("mô tả"), blank=True)
    kind = models.CharField(_("kiểu"), max_length=10, choices=ServiceKind.choices, default=ServiceKind.REST)
    upstream_url = models.URLField(
        _("địa chỉ dịch vụ (endpoint)"),
        max_length=500,
        help_text=_(
            "Địa chỉ nội bộ mà cổng kết nối chuyển tiếp yêu cầu tới, ví dụ http://10.0.0.5:8080/api."
        ),
    )
    openapi = models.JSONField(_("tài liệu OpenAPI"), null=True, blank=True)
    wsdl = models.TextField(_("tài liệu WSDL"), blank=True)
    legal_basis = models.CharField(_("căn cứ pháp lý"), max_length=500)
    data_classification = models.CharField(
        _("phân loại dữ liệu"), max_length=20, choices=DataClassification.choices
    )
    contact_name = models.CharField(_("người liên hệ"), max_length=200, blank=True)
    contact_email = models.EmailField(_("thư điện tử liên hệ"), blank=True)
    contact_phone = models.CharField(_("điện thoại liên hệ"), max_length=20, blank=True)
    timeout_ms = models.PositiveIntegerField(
        _("thời gian chờ tối đa (ms)"),
        default=10_000,
        validators=[MinValueValidator(100), MaxValueValidator(120_000)],
    )
    default_rate_per_minute = models.PositiveIntegerField(
        _("giới hạn mặc định (yêu cầu/phút)"), default=600, validators=[MinValueValidator(1)]
    )
    status = models.CharField(
        _("trạng thái"), max_length=20, choices=ServiceStatus.choices, default=ServiceStatus.DRAFT
    )
    created_at = models.DateTimeField(_("ngày tạo"), auto_now_add=True)
    updated_at = models.DateTimeField(_("cập nhật"), auto_now=True)

    objects = ServiceQuerySet.as_manager()

    class Meta:
        verbose_name = _("dịch vụ chia sẻ dữ liệu")
        verbose_name_plural = _("dịch vụ chia sẻ dữ liệu")
        ordering = ["subsystem__member__code", "subsystem__code", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["subsystem", "code"],
                name="lgsp_service_unique_code",
                violation_error_message=_("Hệ thống này đã có dịch vụ với mã này."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def xroad_id(self) -> str:
        return f"{self.subsystem.xroad_id}/{self.code}"


class Endpoint(models.Model):
    """A REST endpoint of a service (method and path prefix), for endpoint-level access rights."""

    service = models.ForeignKey(
        Service, verbose_name=_("dịch vụ"), on_delete=models.CASCADE, related_name="endpoints"
    )
    method = models.CharField(
        _("phương thức"), max_length=10, choices=[(m, m) for m in HTTP_METHODS], default="GET"
    )
    path = models.CharField(_("đường dẫn"), max_length=255, validators=[validate_endpoint_path])
    description = models.CharField(_("mô tả"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("điểm cuối")
        verbose_name_plural = _("điểm cuối")
        ordering = ["service", "path", "method"]
        constraints = [
            models.UniqueConstraint(
                fields=["service", "method", "path"],
                name="lgsp_endpoint_unique",
                violation_error_message=_("Dịch vụ đã có điểm cuối này."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


class CodeList(models.Model):
    """A shared code list or master data set (Decree 47/2020, Art. 9), with who maintains it."""

    code = models.CharField(_("mã"), max_length=64, unique=True, validators=[validate_id_part])
    name = models.CharField(_("tên"), max_length=500)
    kind = models.CharField(_("loại"), max_length=20, choices=CodeListKind.choices)
    owner = models.ForeignKey(
        Member, verbose_name=_("cơ quan quản lý"), on_delete=models.PROTECT, related_name="code_lists"
    )
    legal_basis = models.CharField(_("căn cứ ban hành"), max_length=500, blank=True)
    version = models.CharField(_("phiên bản"), max_length=20, blank=True)
    source_url = models.URLField(pgettext_lazy("code list", "nguồn"), blank=True)
    service = models.ForeignKey(
        Service,
        verbose_name=_("dịch vụ cung cấp"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="code_lists",
    )
    description = models.TextField(_("mô tả"), blank=True)

    class Meta:
        verbose_name = _("danh mục dùng chung")
        verbose_name_plural = _("danh mục dùng chung")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class CodeListItem(models.Model):
    code_list = models.ForeignKey(
        CodeList, verbose_name=_("danh mục"), on_delete=models.CASCADE, related_name="items"
    )
    code = models.CharField(_("mã"), max_length=64)
    name = models.CharField(_("tên"), max_length=500)
    parent_code = models.CharField(_("mã cấp trên"), max_length=64, blank=True)
    valid_from = models.DateField(_("hiệu lực từ"), null=True, blank=True)
    valid_to = models.DateField(_("hết hiệu lực từ"), null=True, blank=True)

    class Meta:
        verbose_name = _("mục danh mục")
        verbose_name_plural = _("mục danh mục")
        ordering = ["code_list", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["code_list", "code", "valid_from"],
                name="lgsp_codelistitem_unique",
                violation_error_message=_("Danh mục đã có mục với mã này."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ConnectionRequestQuerySet(RestrictedQuerySet):
    # The provider answers: its unit's officials see the requests for its services.
    unit_field = "service__subsystem__member__unit"


class ConnectionRequest(models.Model):
    """A client subsystem asks for access to a service (đề nghị kết nối, cấp tài khoản kết nối)."""

    client = models.ForeignKey(
        Subsystem, verbose_name=_("hệ thống đề nghị"), on_delete=models.PROTECT, related_name="requests"
    )
    service = models.ForeignKey(
        Service, verbose_name=_("dịch vụ"), on_delete=models.PROTECT, related_name="requests"
    )
    endpoints = models.ManyToManyField(
        Endpoint,
        verbose_name=_("điểm cuối"),
        blank=True,
        related_name="requests",
        help_text=_("Để trống để đề nghị toàn bộ dịch vụ."),
    )
    purpose = models.TextField(_("mục đích khai thác"))
    legal_basis = models.CharField(_("căn cứ đề nghị"), max_length=500, blank=True)
    rate_per_minute = models.PositiveIntegerField(
        _("lưu lượng đề nghị (yêu cầu/phút)"), null=True, blank=True
    )
    status = models.CharField(
        _("trạng thái"), max_length=20, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    submitted_at = models.DateTimeField(_("ngày gửi"), auto_now_add=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người gửi"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The last working day on which the provider must answer (two working days after submission).
    due_on = models.DateField(_("hạn trả lời"))
    escalated_at = models.DateTimeField(_("đã báo quá hạn lúc"), null=True, blank=True)
    decided_at = models.DateTimeField(_("ngày trả lời"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người trả lời"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decision_legal_basis = models.CharField(_("căn cứ trả lời"), max_length=500, blank=True)
    decision_note = models.TextField(_("lý do, ghi chú"), blank=True)

    objects = ConnectionRequestQuerySet.as_manager()

    class Meta:
        verbose_name = _("đề nghị kết nối")
        verbose_name_plural = _("đề nghị kết nối")
        ordering = ["-submitted_at", "-id"]
        permissions = [("decide_connectionrequest", _("Chấp thuận hoặc từ chối đề nghị kết nối"))]
        indexes = [models.Index(fields=["status", "due_on"], name="lgsp_request_status_due")]

    def __str__(self) -> str:
        return f"{self.client} → {self.service}"


class GrantQuerySet(RestrictedQuerySet):
    unit_field = "service__subsystem__member__unit"


class AccessGrant(models.Model):
    """An access right: a subsystem or a group may call a service, or one endpoint of it."""

    service = models.ForeignKey(
        Service, verbose_name=_("dịch vụ"), on_delete=models.PROTECT, related_name="grants"
    )
    endpoint = models.ForeignKey(
        Endpoint,
        verbose_name=_("điểm cuối"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="grants",
        help_text=_("Để trống để cấp quyền cho toàn bộ dịch vụ."),
    )
    client = models.ForeignKey(
        Subsystem,
        verbose_name=_("hệ thống được cấp"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="grants",
    )
    group = models.ForeignKey(
        ClientGroup,
        verbose_name=_("nhóm được cấp"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="grants",
    )
    rate_per_minute = models.PositiveIntegerField(
        _("giới hạn (yêu cầu/phút)"),
        null=True,
        blank=True,
        help_text=_("Để trống: theo mặc định của dịch vụ."),
    )
    daily_quota = models.PositiveIntegerField(
        _("hạn mức (yêu cầu/ngày)"), null=True, blank=True, help_text=_("Để trống: không giới hạn theo ngày.")
    )
    request = models.ForeignKey(
        ConnectionRequest,
        verbose_name=_("theo đề nghị"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="grants",
    )
    granted_at = models.DateTimeField(_("ngày cấp"), auto_now_add=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người cấp"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    legal_basis = models.CharField(_("căn cứ cấp quyền"), max_length=500, blank=True)
    revoked_at = models.DateTimeField(_("ngày thu hồi"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người thu hồi"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    revoke_reason = models.CharField(_("lý do thu hồi"), max_length=500, blank=True)

    objects = GrantQuerySet.as_manager()

    class Meta:
        verbose_name = _("quyền truy cập")
        verbose_name_plural = _("quyền truy cập")
        ordering = ["-granted_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(client__isnull=False, group__isnull=True))
                | (models.Q(client__isnull=True, group__isnull=False)),
                name="lgsp_grant_one_subject",
                violation_error_message=_("Quyền được cấp cho đúng một hệ thống hoặc một nhóm."),
            ),
        ]

    def __str__(self) -> str:
        subject = self.client or self.group
        return f"{subject} → {self.service}"


class CredentialQuerySet(RestrictedQuerySet):
    unit_field = "subsystem__member__unit"


class Credential(models.Model):
    """How a client subsystem proves who it is at the gateway.

    An API key is random (256 bits), so its SHA-256 is stored without salt: the gateway looks the
    hash up in a map (HAProxy computes ``sha2(256)`` itself). The key is shown once, at creation.
    An OAuth2 client has an id and a secret (hashed the same way) and gets short-lived JWTs.
    """

    subsystem = models.ForeignKey(
        Subsystem, verbose_name=_("hệ thống"), on_delete=models.PROTECT, related_name="credentials"
    )
    kind = models.CharField(_("loại"), max_length=20, choices=CredentialKind.choices)
    label = models.CharField(_("tên gợi nhớ"), max_length=200, blank=True)
    # First characters of the key or the client id: enough to tell keys apart, never enough to use.
    prefix = models.CharField(_("tiền tố"), max_length=16, db_index=True)
    client_id = models.CharField(_("client_id"), max_length=64, unique=True, null=True, blank=True)
    secret_sha256 = models.CharField(_("băm SHA-256"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("ngày tạo"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người tạo"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    expires_at = models.DateTimeField(_("hết hạn"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("ngày thu hồi"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("người thu hồi"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The issuing form's one-time token (or an API Idempotency-Key): a repeated submission finds
    # the credential it already made instead of issuing a second one nobody has seen.
    client_token = models.CharField(_("mã chống gửi lặp"), max_length=64, blank=True, editable=False)

    objects = CredentialQuerySet.as_manager()

    class Meta:
        verbose_name = _("tài khoản kết nối")
        verbose_name_plural = _("tài khoản kết nối")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["created_by", "client_token"],
                condition=~models.Q(client_token=""),
                name="lgsp_credential_unique_client_token",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.prefix}…"


class GatewayGeneration(models.Model):
    """One compiled configuration of the data plane, and what happened when it was applied."""

    number = models.PositiveIntegerField(_("số thế hệ"), unique=True)
    engine = models.CharField(_("bộ chuyển tiếp"), max_length=20, choices=Engine.choices)
    status = models.CharField(_("trạng thái"), max_length=20, choices=GenerationStatus.choices)
    snapshot_sha256 = models.CharField(_("băm cấu hình"), max_length=64)
    services = models.PositiveIntegerField(_("số dịch vụ"), default=0)
    grants = models.PositiveIntegerField(_("số quyền"), default=0)
    credentials = models.PositiveIntegerField(_("số tài khoản"), default=0)
    compile_ms = models.PositiveIntegerField(_("thời gian biên dịch (ms)"), default=0)
    reload_ms = models.PositiveIntegerField(_("thời gian nạp lại (ms)"), default=0)
    error = models.TextField(_("lỗi"), blank=True)
    reason = models.CharField(_("lý do"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("thời điểm"), auto_now_add=True)

    class Meta:
        verbose_name = _("thế hệ cấu hình cổng")
        verbose_name_plural = _("thế hệ cấu hình cổng")
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"#{self.number} ({self.engine}, {self.status})"


class UsageDaily(models.Model):
    """Calls per day, client, service and status, summed from the access logs."""

    day = models.DateField(_("ngày"))
    client = models.CharField(_("bên khai thác"), max_length=300)
    service = models.CharField(_("dịch vụ"), max_length=400)
    status = models.PositiveSmallIntegerField(_("mã trạng thái HTTP"))
    engine = models.CharField(_("bộ chuyển tiếp"), max_length=20, choices=Engine.choices)
    calls = models.PositiveIntegerField(_("số lượt"), default=0)
    latency_ms_sum = models.FloatField(_("tổng thời gian (ms)"), default=0)
    latency_ms_max = models.FloatField(_("thời gian lớn nhất (ms)"), default=0)
    bytes_in = models.PositiveBigIntegerField(_("dữ liệu gửi (byte)"), default=0)
    bytes_out = models.PositiveBigIntegerField(_("dữ liệu nhận (byte)"), default=0)

    class Meta:
        verbose_name = _("thống kê khai thác theo ngày")
        verbose_name_plural = _("thống kê khai thác theo ngày")
        ordering = ["-day", "client", "service", "status"]
        constraints = [
            models.UniqueConstraint(
                fields=["day", "client", "service", "status", "engine"], name="lgsp_usage_unique"
            ),
        ]
        indexes = [models.Index(fields=["service", "day"], name="lgsp_usage_service_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.client} → {self.service} {self.status}: {self.calls}"


class CallEvidence(models.Model):
    """One call through the gateway: who, what, when, the outcome and hashes of both messages.

    Bodies and query strings are never stored (they carry CCCD numbers and other personal data):
    the hashes prove, with the parties' own copies, what was asked and answered.
    """

    request_id = models.CharField(_("mã yêu cầu (X-Road-Id)"), max_length=64, db_index=True)
    at = models.DateTimeField(_("thời điểm"), db_index=True)
    engine = models.CharField(_("bộ chuyển tiếp"), max_length=20, choices=Engine.choices)
    client = models.CharField(_("bên khai thác"), max_length=300, blank=True)
    service = models.CharField(_("dịch vụ"), max_length=400, blank=True)
    method = models.CharField(_("phương thức"), max_length=10)
    status = models.PositiveSmallIntegerField(_("mã trạng thái HTTP"))
    error_type = models.CharField(_("loại lỗi"), max_length=80, blank=True)
    latency_ms = models.FloatField(_("thời gian (ms)"))
    bytes_in = models.PositiveBigIntegerField(_("dữ liệu gửi (byte)"), default=0)
    bytes_out = models.PositiveBigIntegerField(_("dữ liệu nhận (byte)"), default=0)
    request_hash = models.CharField(_("băm yêu cầu"), max_length=100, blank=True)
    response_hash = models.CharField(_("băm phản hồi"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("chứng cứ lượt gọi")
        verbose_name_plural = _("chứng cứ lượt gọi")
        ordering = ["-at", "-id"]
        constraints = [
            # A line read twice adds nothing; a client reusing an X-Road-Id for a later call still
            # leaves evidence of that call (the time differs).
            models.UniqueConstraint(
                fields=["engine", "request_id", "at"], name="lgsp_evidence_unique_request"
            ),
        ]
        indexes = [models.Index(fields=["service", "at"], name="lgsp_evidence_service_at")]

    def __str__(self) -> str:
        return f"{self.request_id} {self.status}"


class LogCursor(models.Model):
    """How far an access log file has been read, so that ingestion never counts a line twice."""

    path = models.CharField(_("tệp"), max_length=500, unique=True)
    inode = models.PositiveBigIntegerField(_("inode"), default=0)
    offset = models.PositiveBigIntegerField(_("vị trí"), default=0)
    updated_at = models.DateTimeField(_("cập nhật"), auto_now=True)

    class Meta:
        verbose_name = _("vị trí đọc nhật ký")
        verbose_name_plural = _("vị trí đọc nhật ký")

    def __str__(self) -> str:
        return f"{self.path}@{self.offset}"

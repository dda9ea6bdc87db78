"""Citizen feedback and petitions (phản ánh, kiến nghị), docs/feedback.md.

* ``Category`` is a tree of kinds of problem (an Open311 *service*): its responsible unit, its
  handling deadline per urgency level (``CategoryDeadline``), its extra questions
  (``CategoryAttribute``, Open311 attributes), whether its reports are public and the radius in
  which two reports of it are suspected duplicates.
* ``RoutingRule`` assigns the handling unit: ordered, first match wins (category subtree, area
  subtree, keywords), re-run when the category or the place changes.
* ``Report`` is one report: where (a point, an address, the commune), what, who (or anonymous),
  its state (``workflow.py``), its deadlines, and its answer. ``ReportEvent`` is its append-only
  history; ``ReportPhoto`` its checked, resized photos; ``SatisfactionResponse`` the survey
  after the answer.
* ``AnswerTemplate`` holds standard answers; ``ApiClient`` the Open311 ``api_key``s of the apps
  allowed to file reports.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from cqs.accounts.permissions import RestrictedQuerySet
from cqs.feedback.choices import Channel, Datatype, Resolution, Status, TimeUnit, Urgency

validate_code = RegexValidator(
    r"^[a-z0-9][a-z0-9\-]{0,39}$",
    _("Mã chỉ gồm chữ thường không dấu, chữ số và dấu gạch ngang."),
    code="invalid_code",
)


class Category(models.Model):
    code = models.CharField(
        pgettext_lazy("feedback category", "mã lĩnh vực"),
        max_length=40,
        unique=True,
        validators=[validate_code],
        help_text=_("Mã dịch vụ Open311 (service_code), ví dụ ha-tang-giao-thong."),
    )
    name = models.CharField(pgettext_lazy("feedback category", "tên lĩnh vực"), max_length=200)
    description = models.TextField(_("mô tả"), blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("lĩnh vực cha"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("đơn vị chịu trách nhiệm"),
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Đơn vị nhận phản ánh khi không có quy tắc phân công nào khớp."),
    )
    keywords = models.CharField(_("từ khóa"), max_length=500, blank=True)
    is_public = models.BooleanField(
        _("công khai"), default=True, help_text=_("Phản ánh và trả lời được đăng lên bản đồ công khai.")
    )
    duplicate_radius_m = models.PositiveIntegerField(
        _("bán kính nghi trùng (m)"), default=50, validators=[MaxValueValidator(5000)]
    )
    handling_message = models.TextField(
        _("thông báo cho người phản ánh"), blank=True, help_text=_("Gửi kèm xác nhận tiếp nhận.")
    )
    active = models.BooleanField(_("đang sử dụng"), default=True)
    order = models.PositiveSmallIntegerField(_("thứ tự"), default=0)

    class Meta:
        verbose_name = _("lĩnh vực phản ánh")
        verbose_name_plural = _("lĩnh vực phản ánh")
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name

    def ancestor_ids(self) -> list[int]:
        ids, node = [], self
        while node.parent_id is not None and len(ids) < 10:
            ids.append(node.parent_id)
            node = node.parent
        return ids


class CategoryDeadline(models.Model):
    """The handling time of a category at one urgency level (the law's deadlines are data)."""

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="deadlines")
    urgency = models.CharField(
        pgettext_lazy("feedback urgency", "mức độ"), max_length=10, choices=Urgency.choices
    )
    amount = models.PositiveSmallIntegerField(
        _("thời hạn"), validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    unit = models.CharField(_("đơn vị thời gian"), max_length=12, choices=TimeUnit.choices)

    class Meta:
        verbose_name = _("thời hạn xử lý")
        verbose_name_plural = _("thời hạn xử lý")
        constraints = [
            models.UniqueConstraint(fields=["category", "urgency"], name="feedback_deadline_one_per_level")
        ]

    def __str__(self) -> str:
        return f"{self.get_urgency_display()}: {self.amount} {self.get_unit_display()}"


class CategoryAttribute(models.Model):
    """An extra question of a category (an Open311 attribute)."""

    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="attributes")
    code = models.CharField(_("mã"), max_length=40, validators=[validate_code])
    description = models.CharField(_("câu hỏi"), max_length=300)
    datatype = models.CharField(_("kiểu dữ liệu"), max_length=20, choices=Datatype.choices)
    datatype_description = models.CharField(_("hướng dẫn nhập"), max_length=300, blank=True)
    required = models.BooleanField(_("bắt buộc"), default=False)
    variable = models.BooleanField(
        _("người dân nhập"), default=True, help_text=_("Bỏ chọn nếu chỉ là thông tin hiển thị.")
    )
    order = models.PositiveSmallIntegerField(_("thứ tự"), default=0)
    # [{"key": "...", "name": "..."}] for the two list types.
    values = models.JSONField(_("các lựa chọn"), default=list, blank=True)

    class Meta:
        verbose_name = _("câu hỏi bổ sung")
        verbose_name_plural = _("câu hỏi bổ sung")
        ordering = ["category", "order", "pk"]
        constraints = [models.UniqueConstraint(fields=["category", "code"], name="feedback_attribute_code")]

    def __str__(self) -> str:
        return self.description

    def value_keys(self) -> list[str]:
        return [str(v.get("key")) for v in self.values or [] if isinstance(v, dict)]


class RoutingRule(models.Model):
    """First matching rule (lowest ``order``) names the handling unit; empty criteria match all."""

    order = models.PositiveIntegerField(_("thứ tự"))
    name = models.CharField(_("tên quy tắc"), max_length=200)
    category = models.ForeignKey(
        Category,
        verbose_name=pgettext_lazy("feedback category", "lĩnh vực"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("Khớp lĩnh vực này và các lĩnh vực con."),
    )
    area = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("địa bàn"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Khớp phản ánh ở địa bàn này và các địa bàn trực thuộc."),
    )
    keywords = models.CharField(
        _("từ khóa"),
        max_length=500,
        blank=True,
        help_text=_(
            "Phân cách bằng dấu phẩy; khớp khi nội dung chứa một trong các từ (không phân biệt dấu)."
        ),
    )
    unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("đơn vị xử lý"), on_delete=models.PROTECT, related_name="+"
    )
    active = models.BooleanField(_("đang áp dụng"), default=True)

    class Meta:
        verbose_name = _("quy tắc phân công")
        verbose_name_plural = _("quy tắc phân công")
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return f"{self.order}. {self.name}"


class ReportQuerySet(RestrictedQuerySet):
    unit_field = "unit"


class Report(models.Model):
    # Public tracking code, also the Open311 service_request_id: "PA" + 10 unambiguous characters.
    code = models.CharField(_("mã phản ánh"), max_length=16, unique=True, editable=False)
    # A secret given only to the reporter (the confirmation link): answers the survey, adds info.
    access_token = models.CharField(max_length=64, editable=False)
    # The one-time token of the form (or an Idempotency-Key): a second submission returns the first.
    client_token = models.CharField(max_length=80, null=True, blank=True, unique=True, editable=False)
    category = models.ForeignKey(
        Category, verbose_name=pgettext_lazy("feedback category", "lĩnh vực"), on_delete=models.PROTECT
    )
    urgency = models.CharField(
        pgettext_lazy("feedback urgency", "mức độ"),
        max_length=10,
        choices=Urgency.choices,
        default=Urgency.NORMAL,
    )
    title = models.CharField(_("tiêu đề"), max_length=200)
    description = models.TextField(pgettext_lazy("feedback", "nội dung"), max_length=4000)
    attributes = models.JSONField(_("thông tin bổ sung"), default=dict, blank=True)
    # WGS 84. Indexed together with the time for the Open311 bounding-box search.
    lat = models.FloatField(_("vĩ độ"), null=True, blank=True)
    lon = models.FloatField(_("kinh độ"), null=True, blank=True)
    address = models.CharField(_("địa chỉ"), max_length=300, blank=True)
    area = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("xã, phường nơi xảy ra"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("đơn vị xử lý"), on_delete=models.PROTECT, related_name="+"
    )
    routing_rule = models.ForeignKey(
        RoutingRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    # Who reported: an account, or contact details, or nobody (anonymous).
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    anonymous = models.BooleanField(_("ẩn danh"), default=False)
    contact_name = models.CharField(_("họ tên"), max_length=200, blank=True)
    contact_phone = models.CharField(_("số điện thoại"), max_length=20, blank=True)
    contact_email = models.EmailField(_("thư điện tử"), blank=True)
    channel = models.CharField(
        _("kênh tiếp nhận"), max_length=10, choices=Channel.choices, default=Channel.WEB
    )
    api_client = models.ForeignKey(
        "ApiClient", null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    device_id = models.CharField(max_length=100, blank=True)
    media_url = models.URLField(_("đường dẫn ảnh"), max_length=500, blank=True)

    status = models.CharField(_("trạng thái"), max_length=16, choices=Status.choices, default=Status.RECEIVED)
    resolution = models.CharField(
        _("kết quả"), max_length=12, choices=Resolution.choices, default=Resolution.NONE, blank=True
    )
    submitted_at = models.DateTimeField(_("thời điểm gửi"), db_index=True)
    updated_at = models.DateTimeField(_("cập nhật"))
    # Law 42/2013 Art. 28: tell the person within 10 working days (accepted, forwarded, refused).
    ack_due_at = models.DateTimeField(_("hạn thông báo thụ lý"))
    acknowledged_at = models.DateTimeField(_("đã thông báo thụ lý lúc"), null=True, blank=True)
    # Decree 20/2008 Art. 9: forward what is outside the unit's competence within 5 working days.
    forward_due_at = models.DateTimeField(_("hạn chuyển đơn vị có thẩm quyền"))
    due_at = models.DateTimeField(_("hạn trả lời"), db_index=True)
    answered_at = models.DateTimeField(_("thời điểm trả lời"), null=True, blank=True)
    closed_at = models.DateTimeField(_("thời điểm đóng"), null=True, blank=True)
    overdue_notified_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The official answer; ``answer_public`` is the version shown on the public map (personal data
    # removed by the official who publishes it).
    answer = models.TextField(_("nội dung trả lời"), blank=True)
    answer_public = models.TextField(_("nội dung trả lời công khai"), blank=True)
    answered_by_unit = models.ForeignKey(
        "orgs.OrgUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    is_public = models.BooleanField(_("được công khai"), default=False)
    external_agency = models.CharField(_("cơ quan nhận chuyển"), max_length=255, blank=True)
    external_reference = models.CharField(_("số văn bản chuyển"), max_length=100, blank=True)
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("trùng với"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
    )
    split_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="split_children"
    )
    reopen_count = models.PositiveSmallIntegerField(default=0)

    objects = ReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("phản ánh, kiến nghị")
        verbose_name_plural = _("phản ánh, kiến nghị")
        ordering = ["-submitted_at", "-pk"]
        indexes = [
            models.Index(fields=["unit", "status"], name="feedback_report_unit_status"),
            models.Index(fields=["category", "status"], name="feedback_report_cat_status"),
            models.Index(fields=["is_public", "submitted_at"], name="feedback_report_public_time"),
            models.Index(fields=["lat", "lon"], name="feedback_report_point"),
            # Open311 search (a time window and a box) and the public map (newest first in a box):
            # the box is checked inside the index, in time order (bench/bench_feedback.py).
            models.Index(fields=["submitted_at", "lat", "lon"], name="feedback_report_time_point"),
            models.Index(fields=["updated_at"], name="feedback_report_updated"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(lat__isnull=True) | (models.Q(lat__gte=-90) & models.Q(lat__lte=90)),
                name="feedback_report_lat_range",
            ),
            models.CheckConstraint(
                condition=models.Q(lon__isnull=True) | (models.Q(lon__gte=-180) & models.Q(lon__lte=180)),
                name="feedback_report_lon_range",
            ),
        ]
        permissions = [
            ("receive_report", _("Tiếp nhận, phân loại, chuyển phản ánh")),
            ("handle_report", _("Xử lý và trả lời phản ánh")),
            ("publish_report", _("Công khai, đóng và mở lại phản ánh")),
            ("view_feedback_statistics", _("Xem thống kê phản ánh")),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def is_open(self) -> bool:
        from cqs.feedback.choices import OPEN_STATUSES

        return self.status in OPEN_STATUSES

    @property
    def display_name(self) -> str:
        """The reporter's name as staff see it; never shown publicly."""
        if self.anonymous:
            return str(_("Ẩn danh"))
        return self.contact_name or (self.reporter.get_full_name() if self.reporter_id else "")


class ReportEvent(models.Model):
    """One step in a report's life; never edited (append-only history)."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("thời điểm"))
    action = models.CharField(_("thao tác"), max_length=30)
    from_status = models.CharField(max_length=16, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=Status.choices, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unit = models.ForeignKey(
        "orgs.OrgUnit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(_("ghi chú"), blank=True)
    # Shown on the public status page (and Open311 servicerequestupdates) when True.
    public = models.BooleanField(default=False)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("lịch sử xử lý")
        verbose_name_plural = _("lịch sử xử lý")
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["at"], name="feedback_event_at")]

    def __str__(self) -> str:
        return f"{self.report_id} {self.action}"


def _photo_path(photo: ReportPhoto, filename: str) -> str:
    return f"feedback/{photo.report.submitted_at:%Y/%m}/{photo.report.code}-{photo.sha256[:12]}.jpg"


class ReportPhoto(models.Model):
    """A photo, re-encoded as JPEG at most ``PHOTO_MAX_SIDE`` pixels wide, without EXIF (GPS)."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(upload_to=_photo_path)
    original_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveIntegerField()
    # Photos added by staff (the fix, before and after) are marked as such.
    added_by_staff = models.BooleanField(default=False)
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["uploaded_at", "pk"]

    def __str__(self) -> str:
        return self.original_name


class SatisfactionResponse(models.Model):
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="surveys")
    rating = models.PositiveSmallIntegerField(
        _("mức hài lòng"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(_("ý kiến"), blank=True, max_length=2000)
    reopen_requested = models.BooleanField(_("đề nghị xử lý lại"), default=False)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at"]

    def __str__(self) -> str:
        return f"{self.report_id}: {self.rating}"


class AnswerTemplate(models.Model):
    title = models.CharField(_("tên mẫu"), max_length=200)
    body = models.TextField(pgettext_lazy("feedback", "nội dung"))
    category = models.ForeignKey(
        Category,
        verbose_name=pgettext_lazy("feedback category", "lĩnh vực"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    active = models.BooleanField(_("đang sử dụng"), default=True)

    class Meta:
        verbose_name = _("mẫu trả lời")
        verbose_name_plural = _("mẫu trả lời")
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title


class ApiClient(models.Model):
    """An application allowed to file reports through Open311 (``api_key``, stored as SHA-256)."""

    name = models.CharField(_("tên ứng dụng"), max_length=200)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    key_prefix = models.CharField(_("đầu khóa"), max_length=12, editable=False)
    contact = models.CharField(_("liên hệ"), max_length=200, blank=True)
    active = models.BooleanField(_("đang hoạt động"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("ứng dụng Open311")
        verbose_name_plural = _("ứng dụng Open311")

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

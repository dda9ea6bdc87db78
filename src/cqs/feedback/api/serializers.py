"""Input and output shapes of the staff feedback API (``cqs.feedback.api.views``)."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from rest_framework import serializers

from cqs.core.api import choices_text, person_ref
from cqs.feedback.choices import Channel, Status, Urgency
from cqs.feedback.models import Category, Report, ReportEvent, SatisfactionResponse

ORDERINGS = {
    "due": ("due_at", "pk"),
    "-submitted": ("-submitted_at", "-pk"),
    "submitted": ("submitted_at", "pk"),
}


# --- input -----------------------------------------------------------------------------------


class FeedbackReportFilterSerializer(serializers.Serializer):
    status = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="open (mặc định: đang xử lý), all, hoặc một trạng thái: " + choices_text(Status),
    )
    category = serializers.CharField(
        required=False, max_length=40, help_text="Mã lĩnh vực (kể cả các lĩnh vực con)."
    )
    unit = serializers.IntegerField(
        required=False, min_value=1, help_text="Đơn vị xử lý (id), kể cả đơn vị trực thuộc."
    )
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False)
    channel = serializers.CharField(required=False, help_text="Kênh tiếp nhận: " + choices_text(Channel))
    overdue = serializers.BooleanField(required=False, allow_null=True, default=None)
    waiting_ack = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Chỉ phản ánh chưa thông báo thụ lý (đã tiếp nhận hoặc đã chuyển đến).",
    )
    q = serializers.CharField(required=False, allow_blank=True, max_length=100, help_text="Mã hoặc tiêu đề.")
    submitted_from = serializers.DateField(required=False, help_text="Gửi từ ngày.")
    submitted_to = serializers.DateField(required=False, help_text="Gửi đến ngày (tính cả ngày này).")
    ordering = serializers.ChoiceField(
        choices=[(key, key) for key in ORDERINGS],
        required=False,
        default="due",
        help_text="due: hạn trả lời sớm trước (mặc định); -submitted: mới gửi trước; submitted.",
    )

    def validate_channel(self, value: str) -> str:
        if value not in Channel.values:
            raise serializers.ValidationError("Kênh tiếp nhận không hợp lệ.")
        return value

    def validate_status(self, value: str) -> str:
        value = (value or "open").strip()
        if value not in ("open", "all", *Status.values):
            raise serializers.ValidationError("Trạng thái không hợp lệ.")
        return value


class FeedbackSplitPartSerializer(serializers.Serializer):
    category = serializers.CharField(max_length=40, help_text="Mã lĩnh vực của phản ánh mới.")
    description = serializers.CharField(max_length=4000)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class FeedbackReportActionSerializer(serializers.Serializer):
    action = serializers.CharField(
        max_length=40, help_text="Một thao tác trong `actions` của phản ánh, ví dụ accept, answer, publish."
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)
    unit = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="Đơn vị nhận (id) khi chuyển (forward)."
    )
    answer = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=4000, help_text="Nội dung trả lời (answer)."
    )
    answer_public = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=4000,
        help_text="Nội dung công khai (publish); bỏ trống: nội dung trả lời đã che thông tin cá nhân.",
    )
    duplicate_of = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=16,
        help_text="Mã phản ánh gốc (mark_duplicate).",
    )
    external_agency = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)
    external_reference = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    category = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=40, help_text="Mã lĩnh vực mới (reclassify)."
    )
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False, allow_blank=True, default="")
    location_given = serializers.BooleanField(
        required=False, default=False, help_text="reclassify: thay vị trí bằng lat, lon, address, area."
    )
    lat = serializers.FloatField(required=False, allow_null=True, default=None)
    lon = serializers.FloatField(required=False, allow_null=True, default=None)
    address = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)
    area = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="Xã, phường nơi xảy ra (id)."
    )
    parts = FeedbackSplitPartSerializer(
        many=True, required=False, default=list, help_text="Các phản ánh mới khi tách (split), 2–10 phần."
    )


# --- output ----------------------------------------------------------------------------------


class FeedbackUnitRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class FeedbackCategoryRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class FeedbackReportSummarySerializer(serializers.ModelSerializer):
    category = FeedbackCategoryRefSerializer()
    unit = FeedbackUnitRefSerializer(help_text="Đơn vị đang xử lý.")
    area = FeedbackUnitRefSerializer(allow_null=True, help_text="Xã, phường nơi xảy ra.")
    # Plain strings, not enums: "StatusEnum" and "ChannelEnum" would collide with other apps'.
    status = serializers.CharField(help_text=choices_text(Status))
    channel = serializers.CharField(help_text=choices_text(Channel))
    status_label = serializers.CharField(source="get_status_display")
    overdue = serializers.SerializerMethodField(help_text="Đang xử lý và đã quá hạn trả lời.")

    class Meta:
        model = Report
        fields = [
            "code",
            "title",
            "category",
            "urgency",
            "status",
            "status_label",
            "unit",
            "area",
            "channel",
            "submitted_at",
            "updated_at",
            "ack_due_at",
            "acknowledged_at",
            "forward_due_at",
            "due_at",
            "answered_at",
            "overdue",
        ]

    def get_overdue(self, report: Report) -> bool:
        now = self.context.get("now")
        return bool(now and report.is_open and report.due_at < now)


class FeedbackEventSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField(help_text="Cán bộ thực hiện (null: người phản ánh, hệ thống).")
    unit = FeedbackUnitRefSerializer(allow_null=True)

    class Meta:
        model = ReportEvent
        fields = ["at", "action", "from_status", "to_status", "actor", "unit", "note", "public", "data"]

    def get_actor(self, event: ReportEvent) -> dict | None:
        return person_ref(event.actor)


class FeedbackSurveySerializer(serializers.ModelSerializer):
    class Meta:
        model = SatisfactionResponse
        fields = ["rating", "comment", "reopen_requested", "at"]


class FeedbackPhotoSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.CharField(allow_null=True)
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    added_by_staff = serializers.BooleanField()


class FeedbackActionSerializer(serializers.Serializer):
    action = serializers.CharField()
    label = serializers.CharField()
    needs_note = serializers.BooleanField()


class FeedbackContactSerializer(serializers.Serializer):
    anonymous = serializers.BooleanField()
    name = serializers.CharField()
    phone = serializers.CharField()
    email = serializers.CharField()


def _photo_url(pk: int) -> str | None:
    try:
        return reverse("feedback:photo", args=[pk])
    except NoReverseMatch:
        return None


class FeedbackReportDetailSerializer(FeedbackReportSummarySerializer):
    contact = serializers.SerializerMethodField(help_text="Chỉ cán bộ xử lý được xem; không công khai.")
    photos = serializers.SerializerMethodField()
    events = serializers.SerializerMethodField(help_text="Toàn bộ quá trình xử lý, cũ trước.")
    surveys = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField(help_text="Thao tác người gọi được thực hiện lúc này.")
    duplicate_of = serializers.CharField(source="duplicate_of.code", allow_null=True, default=None)
    duplicates = serializers.SerializerMethodField(help_text="Mã các phản ánh trùng với phản ánh này.")

    class Meta(FeedbackReportSummarySerializer.Meta):
        fields = [
            *FeedbackReportSummarySerializer.Meta.fields,
            "description",
            "attributes",
            "lat",
            "lon",
            "address",
            "contact",
            "media_url",
            "resolution",
            "closed_at",
            "answer",
            "answer_public",
            "is_public",
            "external_agency",
            "external_reference",
            "duplicate_of",
            "duplicates",
            "reopen_count",
            "photos",
            "events",
            "surveys",
            "actions",
        ]

    def get_contact(self, report: Report) -> dict:
        return FeedbackContactSerializer(
            {
                "anonymous": report.anonymous,
                "name": report.display_name,
                "phone": report.contact_phone,
                "email": report.contact_email,
            }
        ).data

    def get_photos(self, report: Report) -> list[dict]:
        rows = [
            {
                "id": p.pk,
                "url": _photo_url(p.pk),
                "width": p.width,
                "height": p.height,
                "added_by_staff": p.added_by_staff,
            }
            for p in report.photos.all()
        ]
        return FeedbackPhotoSerializer(rows, many=True).data

    def get_events(self, report: Report) -> list[dict]:
        events = report.events.select_related("actor", "unit").order_by("at", "pk")
        return FeedbackEventSerializer(events, many=True).data

    def get_surveys(self, report: Report) -> list[dict]:
        return FeedbackSurveySerializer(report.surveys.all(), many=True).data

    def get_actions(self, report: Report) -> list[dict]:
        return FeedbackActionSerializer(
            [
                {"action": t.action, "label": str(t.label), "needs_note": t.needs_note}
                for t in self.context.get("actions", [])
            ],
            many=True,
        ).data

    def get_duplicates(self, report: Report) -> list[str]:
        return list(report.duplicates.order_by("pk").values_list("code", flat=True))


class FeedbackDeadlineSerializer(serializers.Serializer):
    urgency = serializers.ChoiceField(choices=Urgency.choices)
    amount = serializers.IntegerField()
    unit = serializers.CharField(help_text="working_days (ngày làm việc) hoặc hours (giờ làm việc).")


class FeedbackAttributeSerializer(serializers.Serializer):
    code = serializers.CharField()
    description = serializers.CharField()
    datatype = serializers.CharField(
        help_text="Kiểu Open311: string, number, datetime, text, singlevaluelist, multivaluelist."
    )
    datatype_description = serializers.CharField()
    required = serializers.BooleanField()
    variable = serializers.BooleanField()
    order = serializers.IntegerField()
    values = serializers.ListField(child=serializers.DictField(), help_text="[{key, name}] của danh sách.")


class FeedbackCategorySerializer(serializers.ModelSerializer):
    parent = serializers.CharField(
        source="parent.code", allow_null=True, default=None, help_text="Mã lĩnh vực cha."
    )
    leaf = serializers.SerializerMethodField(help_text="Lĩnh vực cụ thể (nhận phản ánh), không phải nhóm.")
    unit = FeedbackUnitRefSerializer(help_text="Đơn vị chịu trách nhiệm khi không quy tắc nào khớp.")
    deadlines = FeedbackDeadlineSerializer(many=True)
    attributes = FeedbackAttributeSerializer(many=True)

    class Meta:
        model = Category
        fields = [
            "code",
            "name",
            "description",
            "parent",
            "leaf",
            "unit",
            "is_public",
            "duplicate_radius_m",
            "order",
            "deadlines",
            "attributes",
        ]

    def get_leaf(self, category: Category) -> bool:
        return category.pk not in self.context.get("parents", set())


# --- statistics ------------------------------------------------------------------------------

_RATE = {"max_digits": 6, "decimal_places": 2, "coerce_to_string": False, "allow_null": True}


class FeedbackStatsRowSerializer(serializers.Serializer):
    key = serializers.CharField(
        allow_null=True, help_text="Id đơn vị (dòng đơn vị), id lĩnh vực (dòng lĩnh vực); null: tổng."
    )
    name = serializers.CharField()
    kind = serializers.CharField(
        help_text="unit: đơn vị và đơn vị trực thuộc; self: xử lý tại chính đơn vị đang xem; "
        "category: lĩnh vực; total: tổng."
    )
    has_children = serializers.BooleanField()
    received = serializers.IntegerField(help_text="Phản ánh gửi trong kỳ.")
    acknowledged_on_time = serializers.IntegerField(help_text="Thông báo thụ lý đúng hạn (Luật 42/2013).")
    forwarded = serializers.IntegerField(help_text="Đã chuyển đơn vị có thẩm quyền (trong hệ thống).")
    answered = serializers.IntegerField(help_text="Đã trả lời (không mở lại sau đó).")
    answered_on_time = serializers.IntegerField(help_text="Trả lời không muộn hơn hạn.")
    answered_late = serializers.IntegerField(help_text="Trả lời sau hạn.")
    open_now = serializers.IntegerField(help_text="Đang xử lý tại thời điểm tính.")
    overdue_now = serializers.IntegerField(help_text="Đang xử lý, đã quá hạn.")
    rejected = serializers.IntegerField(help_text="Không thụ lý.")
    transferred = serializers.IntegerField(help_text="Chuyển cơ quan ngoài hệ thống.")
    duplicates = serializers.IntegerField(help_text="Đóng vì trùng.")
    closed_other = serializers.IntegerField(help_text="Đóng cách khác (tách, không bổ sung thông tin).")
    surveyed = serializers.IntegerField(help_text="Được người phản ánh đánh giá.")
    satisfied = serializers.IntegerField(help_text="Lần đánh giá gần nhất 4–5 điểm.")
    answered_rate = serializers.DecimalField(**_RATE, help_text="Đã trả lời / tiếp nhận × 100.")
    on_time_rate = serializers.DecimalField(**_RATE, help_text="Trả lời đúng hạn / đã trả lời × 100.")
    acknowledged_rate = serializers.DecimalField(
        **_RATE, help_text="Thông báo thụ lý đúng hạn / tiếp nhận × 100."
    )
    satisfaction_rate = serializers.DecimalField(**_RATE, help_text="Hài lòng / được đánh giá × 100.")
    rating_average = serializers.DecimalField(**_RATE, help_text="Điểm trung bình (1–5).")


class FeedbackStatsMonthSerializer(serializers.Serializer):
    month = serializers.DateField(help_text="Ngày đầu tháng gửi.")
    received = serializers.IntegerField()
    answered = serializers.IntegerField()


class FeedbackStatsReportSerializer(serializers.Serializer):
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    as_at = serializers.DateTimeField(help_text="Thời điểm tính tình trạng xử lý.")
    unit = FeedbackUnitRefSerializer(allow_null=True)
    category = FeedbackCategoryRefSerializer(allow_null=True)
    rows = FeedbackStatsRowSerializer(many=True, help_text="Theo đơn vị.")
    total = FeedbackStatsRowSerializer()
    categories = FeedbackStatsRowSerializer(many=True, help_text="Theo lĩnh vực.")
    months = FeedbackStatsMonthSerializer(many=True, help_text="Tiếp nhận và đã trả lời theo tháng gửi.")

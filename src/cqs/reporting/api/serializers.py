"""Serializers of the reporting API.

Fields keep DHIS2's names where DHIS2 has the concept and a client of both APIs would look for
it (``valueType``, ``optionCombos``, ``uid``); the platform's own fields are snake_case. A form
cell is named ``INDICATOR.OPTION_COMBO`` by codes (``HS_NHAN.default``), as in the services and
in validation rules.

Input serializers check shape and type only; every rule of the domain is the services' job.
Output fields with value lists are plain strings with the values in ``help_text``: the schema
names enums after their field, and ``status``, ``kind`` or ``channel`` already name other apps'
enums.
"""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cqs.core.api import absolute_url, choices_text, person_ref
from cqs.reporting.choices import (
    Aggregation,
    Channel,
    Importance,
    MissingValueStrategy,
    Operator,
    PeriodType,
    RegimeKind,
    ReportAction,
    ReportStatus,
    ValueSource,
    ValueType,
)
from cqs.reporting.periods import PeriodError, period_parse
from cqs.reporting.services.reports import cell_key
from cqs.reporting.sources import SOURCES


def _unit(unit) -> dict | None:
    return None if unit is None else {"id": unit.pk, "name": unit.name}


# --- input -------------------------------------------------------------------------------------


class ReportFilterSerializer(serializers.Serializer):
    regime = serializers.CharField(max_length=50, required=False)
    period = serializers.CharField(max_length=30, required=False)
    unit = serializers.IntegerField(min_value=1, required=False)
    reviewer_unit = serializers.IntegerField(min_value=1, required=False)
    status = serializers.ChoiceField(choices=ReportStatus.choices, required=False)
    late = serializers.BooleanField(required=False, allow_null=True, default=None)


class OnDateSerializer(serializers.Serializer):
    on = serializers.DateField(required=False)


class ReportOpenSerializer(serializers.Serializer):
    regime = serializers.CharField(max_length=50, help_text="Mã chế độ báo cáo, ví dụ BC_CNTT.")
    unit = serializers.IntegerField(min_value=1, help_text="Đơn vị báo cáo (id).")
    period = serializers.CharField(
        max_length=30, help_text="Kỳ báo cáo (ISO của DHIS2: 202603, 2026Q1, 2026S1, 2026N9, 2026)."
    )


@extend_schema_field(
    {
        "oneOf": [{"type": "string"}, {"type": "number"}, {"type": "boolean"}],
        "nullable": True,
        "description": "Giá trị như nhập; chuỗi rỗng hoặc null xóa ô.",
    }
)
class RawValueField(serializers.Field):
    """A cell as typed: a string, a number or a boolean; empty or null clears the cell. The
    service parses it against the indicator's value type."""

    default_error_messages = {"invalid": "Giá trị phải là chuỗi, số hoặc đúng/sai."}

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool):
            return "true" if data else "false"
        if isinstance(data, int | float | str):
            return str(data)
        self.fail("invalid")

    def to_representation(self, value):
        return value


class ValuesSaveSerializer(serializers.Serializer):
    values = serializers.DictField(
        child=RawValueField(),
        required=False,
        default=dict,
        help_text='Ô → giá trị, ví dụ {"HS_NHAN.default": "120", "HS_TRUC_TUYEN.TOAN_TRINH": 35}.',
    )
    outline_text = serializers.CharField(
        required=False,
        allow_blank=True,
        allow_null=True,
        default=None,
        trim_whitespace=False,
        help_text="Phần thuyết minh (đề cương báo cáo); bỏ qua để giữ nguyên.",
    )


class ReportSubmitSerializer(serializers.Serializer):
    confirm_warnings = serializers.BooleanField(
        required=False, default=False, help_text="Xác nhận số liệu đúng dù có cảnh báo."
    )


class ReportReturnSerializer(serializers.Serializer):
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Lý do trả lại (bắt buộc)."
    )


class LockExceptionInputSerializer(serializers.Serializer):
    until = serializers.DateField(help_text="Mở khóa nhập đến hết ngày này (tối đa 60 ngày).")
    reason = serializers.CharField(required=False, allow_blank=True, default="", help_text="Lý do mở khóa.")


# --- output: metadata --------------------------------------------------------------------------


class ReportingUnitSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ReportingPersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class CategoryOptionComboSerializer(serializers.Serializer):
    uid = serializers.CharField()
    code = serializers.CharField()
    name = serializers.CharField()


class IndicatorSerializer(serializers.Serializer):
    uid = serializers.CharField()
    code = serializers.CharField()
    name = serializers.CharField()
    short_name = serializers.CharField()
    description = serializers.CharField(help_text="Mô tả, cách tính.")
    valueType = serializers.CharField(source="value_type", help_text=choices_text(ValueType))
    aggregation = serializers.CharField(help_text="Cách tổng hợp: " + choices_text(Aggregation))
    unit_label = serializers.CharField(help_text="Đơn vị tính, ví dụ “hồ sơ”, “%”.")
    optionCombos = serializers.SerializerMethodField(help_text="Các ô phân tổ của chỉ tiêu.")
    source = serializers.CharField(help_text="Nguồn dữ liệu trong nền tảng (mã); rỗng: nhập tay.")
    source_label = serializers.SerializerMethodField()
    min_value = serializers.DecimalField(max_digits=20, decimal_places=4, allow_null=True)
    max_value = serializers.DecimalField(max_digits=20, decimal_places=4, allow_null=True)

    @extend_schema_field(CategoryOptionComboSerializer(many=True))
    def get_optionCombos(self, obj) -> list[dict]:
        combos = obj.category_combo.option_combos.all()
        return CategoryOptionComboSerializer(combos, many=True).data

    def get_source_label(self, obj) -> str:
        source = SOURCES.get(obj.source) if obj.source else None
        return str(source.label) if source is not None else ""


class RegimeRowSerializer(serializers.Serializer):
    section = serializers.CharField(help_text="Phần, mục của biểu mẫu.")
    order = serializers.IntegerField(source="sort_order")
    compulsory = serializers.BooleanField()
    indicator = IndicatorSerializer()


class RegimeAssignmentSerializer(serializers.Serializer):
    kind = serializers.SerializerMethodField(help_text="Loại đơn vị (mã), rỗng nếu không giới hạn.")
    depth = serializers.IntegerField(allow_null=True, help_text="Cấp trong cây đơn vị.")
    unit = serializers.SerializerMethodField(help_text="Một đơn vị cụ thể.")
    within = serializers.SerializerMethodField(help_text="Chỉ các đơn vị thuộc đơn vị này.")

    def get_kind(self, obj) -> str:
        return obj.kind.code if obj.kind_id else ""

    @extend_schema_field(ReportingUnitSerializer(allow_null=True))
    def get_unit(self, obj) -> dict | None:
        return _unit(obj.unit)

    @extend_schema_field(ReportingUnitSerializer(allow_null=True))
    def get_within(self, obj) -> dict | None:
        return _unit(obj.within)


class ValidationRuleSerializer(serializers.Serializer):
    name = serializers.CharField()
    instruction = serializers.CharField()
    left = serializers.CharField(help_text="Biểu thức theo cú pháp DHIS2: #{MÃ} hoặc #{MÃ.Ô_PHÂN_TỔ}.")
    operator = serializers.CharField(help_text=choices_text(Operator))
    right = serializers.CharField()
    missing_value_strategy = serializers.CharField(help_text=choices_text(MissingValueStrategy))
    importance = serializers.CharField(help_text=choices_text(Importance))


class RegimeVersionSummarySerializer(serializers.Serializer):
    version = serializers.IntegerField()
    name = serializers.CharField()
    period_type = serializers.CharField(help_text=choices_text(PeriodType))
    valid_from = serializers.DateField()
    valid_to = serializers.DateField(allow_null=True, help_text="Hết hiệu lực từ ngày này.")
    url = serializers.SerializerMethodField()

    def get_url(self, obj) -> str:
        path = reverse("reporting-api-regime-version", args=[obj.regime.code, obj.version])
        return absolute_url(self.context.get("request"), path)


class RegimeSerializer(serializers.Serializer):
    uid = serializers.CharField()
    code = serializers.CharField()
    name = serializers.CharField()
    url = serializers.SerializerMethodField()
    in_force = serializers.SerializerMethodField(help_text="Phiên bản có hiệu lực vào ngày hỏi.")

    def get_url(self, obj) -> str:
        return absolute_url(self.context.get("request"), reverse("reporting-api-regime", args=[obj.code]))

    @extend_schema_field(RegimeVersionSummarySerializer(allow_null=True))
    def get_in_force(self, obj) -> dict | None:
        versions = getattr(obj, "in_force", [])
        if not versions:
            return None
        return RegimeVersionSummarySerializer(versions[0], context=self.context).data


class RegimeVersionSerializer(serializers.Serializer):
    """A version in force: the ten elements of Decree 09/2019 Art. 7, numbered as there."""

    code = serializers.CharField(source="regime.code")
    uid = serializers.CharField(source="regime.uid")
    version = serializers.IntegerField()
    valid_from = serializers.DateField()
    valid_to = serializers.DateField(allow_null=True)
    name = serializers.CharField(help_text="1. Tên báo cáo.")
    kind = serializers.CharField(help_text="Loại báo cáo: " + choices_text(RegimeKind))
    legal_basis = serializers.CharField(help_text="Văn bản quy định chế độ báo cáo.")
    content = serializers.CharField(help_text="2. Nội dung yêu cầu báo cáo.")
    assignments = RegimeAssignmentSerializer(many=True, help_text="3. Đối tượng thực hiện báo cáo.")
    receiver = ReportingUnitSerializer(help_text="4. Cơ quan nhận báo cáo.")
    channel = serializers.CharField(help_text="5. Phương thức gửi, nhận: " + choices_text(Channel))
    deadline_working_days = serializers.IntegerField(
        help_text="6. Thời hạn gửi: số ngày làm việc sau ngày chốt số liệu."
    )
    period_type = serializers.CharField(help_text="7. Tần suất: " + choices_text(PeriodType))
    period_type_label = serializers.CharField(source="get_period_type_display")
    cutoff_day = serializers.IntegerField(
        allow_null=True, help_text="8. Thời gian chốt số liệu: ngày trong tháng; rỗng: theo kỳ dương lịch."
    )
    outline_template = serializers.CharField(help_text="9. Mẫu đề cương báo cáo.")
    rows = RegimeRowSerializer(many=True, help_text="9. Biểu mẫu số liệu: các chỉ tiêu theo thứ tự.")
    process_guide = serializers.CharField(help_text="10. Hướng dẫn quy trình thực hiện.")
    rules = ValidationRuleSerializer(many=True, help_text="Quy tắc kiểm tra số liệu.")
    expiry_days = serializers.IntegerField(help_text="Khóa nhập sau hạn gửi bao nhiêu ngày (0: không khóa).")
    signature_required = serializers.BooleanField(help_text="Bản duyệt được ký số bằng con dấu đơn vị duyệt.")
    push_to_ris = serializers.BooleanField(help_text="Gửi lên Hệ thống thông tin báo cáo Chính phủ.")


# --- output: reports ---------------------------------------------------------------------------


class ReportPeriodSerializer(serializers.Serializer):
    iso = serializers.CharField(help_text="Kỳ theo ISO của DHIS2, ví dụ 202603, 2026Q1.")
    label = serializers.SerializerMethodField()
    start = serializers.DateField()
    end = serializers.DateField()

    def get_label(self, obj) -> str:
        try:
            return period_parse(obj.iso).label()
        except PeriodError:
            return obj.iso


class ReportSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    uid = serializers.CharField()
    url = serializers.SerializerMethodField()
    regime = serializers.CharField(source="regime.code", help_text="Mã chế độ báo cáo.")
    regime_name = serializers.CharField(source="version.name")
    version = serializers.IntegerField(source="version.version", help_text="Phiên bản chế độ báo cáo.")
    unit = ReportingUnitSerializer(help_text="Đơn vị báo cáo.")
    period = ReportPeriodSerializer()
    status = serializers.CharField(help_text=choices_text(ReportStatus))
    status_label = serializers.CharField(source="get_status_display")
    window_start = serializers.DateField(help_text="Số liệu từ ngày.")
    window_end = serializers.DateField(help_text="Số liệu đến ngày (ngày chốt số liệu).")
    deadline = serializers.DateField(help_text="Hạn gửi.")
    lock_date = serializers.DateField(allow_null=True, help_text="Từ ngày này không nhập được nữa.")
    late = serializers.BooleanField(help_text="Gửi sau hạn.")
    reviewer_unit = ReportingUnitSerializer(help_text="Đơn vị duyệt.")
    submitted_at = serializers.DateTimeField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField()

    def get_url(self, obj) -> str:
        return absolute_url(self.context.get("request"), reverse("reporting-api-report", args=[obj.pk]))


class DataValueSerializer(serializers.Serializer):
    cell = serializers.SerializerMethodField(help_text="Ô: MÃ_CHỈ_TIÊU.MÃ_Ô_PHÂN_TỔ.")
    indicator = serializers.CharField(source="indicator.code")
    option_combo = serializers.CharField(source="option_combo.code")
    value = serializers.CharField()
    source = serializers.CharField(help_text=choices_text(ValueSource))
    source_note = serializers.CharField(help_text="Số liệu lấy từ đâu (giá trị tự động).")
    comment = serializers.CharField()
    updated_at = serializers.DateTimeField()

    def get_cell(self, obj) -> str:
        return cell_key(obj.indicator.code, obj.option_combo.code)


REPORT_ACTIONS = ("edit", "submit", "return", "approve", "unlock")


class ReportDetailSerializer(ReportSummarySerializer):
    version_url = serializers.SerializerMethodField(help_text="Biểu mẫu và quy tắc của phiên bản.")
    outline_text = serializers.CharField(help_text="Phần thuyết minh.")
    submitted_by = serializers.SerializerMethodField()
    decided_by = serializers.SerializerMethodField()
    return_reason = serializers.CharField()
    locked = serializers.SerializerMethodField(help_text="Đã quá ngày khóa nhập và không được mở khóa.")
    unlocked_until = serializers.SerializerMethodField(help_text="Được mở khóa nhập đến hết ngày.")
    pdf_url = serializers.SerializerMethodField(help_text="Bản báo cáo đã duyệt, đã ký số.")
    actions = serializers.SerializerMethodField(
        help_text="Người gọi làm được gì lúc này: " + ", ".join(REPORT_ACTIONS) + "."
    )
    values = serializers.SerializerMethodField()

    def get_version_url(self, obj) -> str:
        path = reverse("reporting-api-regime-version", args=[obj.regime.code, obj.version.version])
        return absolute_url(self.context.get("request"), path)

    @extend_schema_field(ReportingPersonSerializer(allow_null=True))
    def get_submitted_by(self, obj) -> dict | None:
        return person_ref(obj.submitted_by)

    @extend_schema_field(ReportingPersonSerializer(allow_null=True))
    def get_decided_by(self, obj) -> dict | None:
        return person_ref(obj.decided_by)

    def get_locked(self, obj) -> bool:
        return self.context["locked"]

    def get_unlocked_until(self, obj) -> str | None:
        until = self.context["unlocked_until"]
        return until.isoformat() if until else None

    def get_pdf_url(self, obj) -> str | None:
        if not obj.signed_pdf:
            return None
        return absolute_url(self.context.get("request"), reverse("reporting-api-report-pdf", args=[obj.pk]))

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_actions(self, obj) -> list[str]:
        return self.context["actions"]

    @extend_schema_field(DataValueSerializer(many=True))
    def get_values(self, obj) -> list[dict]:
        return DataValueSerializer(self.context["values"], many=True).data


class ReportFindingSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="compulsory_missing, validation_rule, rule_broken, outlier.")
    importance = serializers.CharField(help_text=choices_text(Importance))
    blocking = serializers.BooleanField(help_text="Lỗi chặn gửi; cảnh báo phải được xác nhận.")
    message = serializers.CharField()
    indicator = serializers.CharField(source="indicator_code")
    option_combo = serializers.CharField(source="option_code")


class ReportCheckSerializer(serializers.Serializer):
    errors = serializers.IntegerField(help_text="Số lỗi (chặn gửi).")
    warnings = serializers.IntegerField(help_text="Số cảnh báo (gửi với confirm_warnings=true).")
    findings = ReportFindingSerializer(many=True)


class ReportEventSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    action = serializers.CharField(help_text=choices_text(ReportAction))
    action_label = serializers.CharField(source="get_action_display")
    actor = serializers.SerializerMethodField()
    at = serializers.DateTimeField()
    note = serializers.CharField()

    @extend_schema_field(ReportingPersonSerializer(allow_null=True))
    def get_actor(self, obj) -> dict | None:
        return person_ref(obj.actor)


class LockExceptionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    until = serializers.DateField()
    reason = serializers.CharField()
    granted_by = serializers.SerializerMethodField()
    granted_at = serializers.DateTimeField()

    @extend_schema_field(ReportingPersonSerializer())
    def get_granted_by(self, obj) -> dict:
        return person_ref(obj.granted_by)

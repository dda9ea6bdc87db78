"""Output serializers of the plans API (read-only: the plan is loaded from data)."""

from dataclasses import asdict

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cqs.plans.models import BaselineValue, DataNote, InformationSystem, Plan, Project, Target, TargetArea


class PlanSummarySerializer(serializers.ModelSerializer):
    issuer_unit_id = serializers.IntegerField(
        read_only=True, allow_null=True, help_text="Đơn vị ban hành (orgs)."
    )

    class Meta:
        model = Plan
        fields = [
            "id",
            "number",
            "issued_on",
            "issuer",
            "issuer_unit_id",
            "title",
            "year",
            "source_reference",
        ]


class TargetSerializer(serializers.ModelSerializer):
    comparator_symbol = serializers.CharField(read_only=True, help_text="=, ≥, > hoặc … (khoảng).")

    class Meta:
        model = Target
        fields = [
            "code",
            "order",
            "indicator",
            "text",
            "comparator",
            "comparator_symbol",
            "value",
            "value_max",
            "unit",
        ]


class TargetAreaSerializer(serializers.ModelSerializer):
    targets = TargetSerializer(many=True, read_only=True)

    class Meta:
        model = TargetArea
        fields = ["number", "title", "targets"]


class BaselineValueSerializer(serializers.ModelSerializer):
    parts = serializers.ListField(
        child=serializers.CharField(), read_only=True, help_text="Mã các số liệu cộng lại thành số liệu này."
    )

    class Meta:
        model = BaselineValue
        fields = [
            "code",
            "section",
            "label",
            "value",
            "qualifier",
            "unit",
            "as_of",
            "scope",
            "quote",
            "stated_ratio",
            "ratio_numerator",
            "ratio_denominator",
            "parts",
        ]


class InformationSystemSerializer(serializers.ModelSerializer):
    class Meta:
        model = InformationSystem
        fields = ["number", "name", "owner_name"]


class LeadUnitSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ProjectSerializer(serializers.ModelSerializer):
    lead_unit = serializers.SerializerMethodField(help_text="Đơn vị chủ trì trong cây tổ chức, nếu tìm thấy.")

    class Meta:
        model = Project
        fields = [
            "number",
            "name",
            "lead_unit_name",
            "lead_unit_carried",
            "lead_unit",
            "total_budget",
            "allocation",
            "funding_source",
        ]

    @extend_schema_field(LeadUnitSerializer(allow_null=True))
    def get_lead_unit(self, obj: Project) -> dict | None:
        if obj.lead_unit is None:
            return None
        return {"id": obj.lead_unit.pk, "name": obj.lead_unit.name}


class DataNoteSerializer(serializers.ModelSerializer):
    class Meta:
        model = DataNote
        fields = ["code", "kind", "subject_type", "subject_code", "message", "computed", "stated"]


class UnitTotalSerializer(serializers.Serializer):
    lead_unit_name = serializers.CharField(help_text="Đơn vị chủ trì như văn bản ghi.")
    lead_unit_id = serializers.IntegerField(allow_null=True)
    count = serializers.IntegerField()
    total_budget = serializers.IntegerField(help_text="Triệu đồng.")
    allocation = serializers.IntegerField(help_text="Triệu đồng.")


class SourceTotalSerializer(serializers.Serializer):
    funding_source = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()
    total_budget = serializers.IntegerField(help_text="Triệu đồng.")
    allocation = serializers.IntegerField(help_text="Triệu đồng.")


class ProjectTotalsSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    total_budget = serializers.IntegerField(help_text="Tổng kinh phí cộng từ các dòng (triệu đồng).")
    allocation = serializers.IntegerField(
        help_text="Tổng phân bổ năm kế hoạch cộng từ các dòng (triệu đồng)."
    )
    stated_total_budget = serializers.IntegerField(help_text="Dòng TỔNG trong văn bản (triệu đồng).")
    stated_allocation = serializers.IntegerField(help_text="Dòng TỔNG trong văn bản (triệu đồng).")
    matches_stated = serializers.BooleanField()
    by_lead_unit = UnitTotalSerializer(many=True)
    by_funding_source = SourceTotalSerializer(many=True)


class PlanDetailSerializer(PlanSummarySerializer):
    amount_unit = serializers.SerializerMethodField(help_text="Đơn vị của mọi số tiền.")
    target_areas = TargetAreaSerializer(many=True, read_only=True)
    baselines = BaselineValueSerializer(many=True, read_only=True)
    projects = ProjectSerializer(many=True, read_only=True)
    totals = serializers.SerializerMethodField()
    information_systems = InformationSystemSerializer(many=True, read_only=True)
    data_notes = DataNoteSerializer(many=True, read_only=True)

    class Meta(PlanSummarySerializer.Meta):
        fields = [
            *PlanSummarySerializer.Meta.fields,
            "amount_unit",
            "target_areas",
            "baselines",
            "projects",
            "totals",
            "information_systems",
            "data_notes",
        ]

    def get_amount_unit(self, obj) -> str:
        return "triệu đồng"

    @extend_schema_field(ProjectTotalsSerializer)
    def get_totals(self, obj: Plan) -> dict:
        # Computed once per request by the view (three aggregate queries), not per field.
        totals = self.context["totals"]
        return ProjectTotalsSerializer({**asdict(totals), "matches_stated": totals.matches_stated}).data

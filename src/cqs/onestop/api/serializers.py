"""Output serializers of the catalogue API (read-only: versions are published by the service)."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cqs.onestop.models import ProcedureDocument, ProcedureFee, ProcedureVersion


class SectorSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class UnitCodeSerializer(serializers.Serializer):
    unit_id = serializers.IntegerField()
    unit_name = serializers.CharField()
    code = serializers.CharField(
        help_text="Mã TTHC tại đơn vị: mã quốc gia + mã định danh đơn vị (QĐ 20/2020)."
    )


class ProcedureSummarySerializer(serializers.ModelSerializer):
    code = serializers.CharField(source="procedure.code", help_text="Mã TTHC quốc gia, ví dụ 1.001612.")
    sector = SectorSerializer(source="procedure.sector")
    levels = serializers.ListField(
        source="procedure.levels",
        child=serializers.CharField(),
        help_text="tinh, huyen (trước 1/7/2025), xa.",
    )
    version = serializers.IntegerField(source="number")
    unit_ids = serializers.SerializerMethodField(help_text="Cơ quan thực hiện (orgs).")

    class Meta:
        model = ProcedureVersion
        fields = [
            "code",
            "name",
            "sector",
            "levels",
            "online_level",
            "legacy_level",
            "processing_time",
            "processing_time_unit",
            "version",
            "valid_from",
            "valid_to",
            "unit_ids",
        ]

    def get_unit_ids(self, obj) -> list[int]:
        return [unit.pk for unit in obj.procedure.units.all()]


class FeeSerializer(serializers.ModelSerializer):
    amount = serializers.IntegerField(help_text="Đồng (VND).")

    class Meta:
        model = ProcedureFee
        fields = ["kind", "code", "amount", "description"]


class DocumentSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProcedureDocument
        fields = ["id", "code", "name", "form_name", "form_url", "original_count", "copy_count", "required"]


class VersionHistorySerializer(serializers.ModelSerializer):
    version = serializers.IntegerField(source="number")

    class Meta:
        model = ProcedureVersion
        fields = ["version", "valid_from", "valid_to", "name", "publishing_decision"]


class ProcedureDetailSerializer(ProcedureSummarySerializer):
    fees = FeeSerializer(many=True)
    documents = DocumentSerializer(many=True)
    unit_codes = serializers.SerializerMethodField()
    history = serializers.SerializerMethodField(help_text="Mọi phiên bản, mới nhất trước.")

    class Meta(ProcedureSummarySerializer.Meta):
        fields = [
            *ProcedureSummarySerializer.Meta.fields,
            "channels",
            "steps",
            "requirements",
            "legal_basis",
            "result",
            "target_audience",
            "implementing_agency",
            "publishing_decision",
            "note",
            "fees",
            "documents",
            "unit_codes",
            "history",
        ]

    @extend_schema_field(UnitCodeSerializer(many=True))
    def get_unit_codes(self, obj) -> list[dict]:
        return self.context["unit_codes"]

    @extend_schema_field(VersionHistorySerializer(many=True))
    def get_history(self, obj) -> list[dict]:
        return VersionHistorySerializer(obj.procedure.versions.all(), many=True).data

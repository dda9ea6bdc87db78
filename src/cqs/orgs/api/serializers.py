from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cqs.orgs import selectors
from cqs.orgs.models import OrgUnit, ReorganisationEvent, Succession


class OrgUnitBriefSerializer(serializers.ModelSerializer):
    kind = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text=_("Mã loại đơn vị."))

    class Meta:
        model = OrgUnit
        fields = ["id", "identifier", "name", "short_name", "kind", "valid_from", "valid_to"]


class OrgUnitSerializer(serializers.ModelSerializer):
    kind = serializers.SlugRelatedField(slug_field="code", read_only=True, help_text=_("Mã loại đơn vị."))
    kind_name = serializers.CharField(source="kind.name", read_only=True)
    parent_identifier = serializers.CharField(source="parent.identifier", read_only=True, default=None)

    class Meta:
        model = OrgUnit
        fields = [
            "id",
            "identifier",
            "identifier_source",
            "name",
            "short_name",
            "kind",
            "kind_name",
            "division_code",
            "parent",
            "parent_identifier",
            "depth",
            "valid_from",
            "valid_to",
            "source",
        ]


class EventBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReorganisationEvent
        fields = ["id", "name", "legal_basis", "effective_date"]


class PredecessorLinkSerializer(serializers.ModelSerializer):
    unit = OrgUnitBriefSerializer(source="predecessor", read_only=True)
    event = EventBriefSerializer(read_only=True)

    class Meta:
        model = Succession
        fields = ["unit", "kind", "event"]


class SuccessorLinkSerializer(serializers.ModelSerializer):
    unit = OrgUnitBriefSerializer(source="successor", read_only=True)
    event = EventBriefSerializer(read_only=True)

    class Meta:
        model = Succession
        fields = ["unit", "kind", "event"]


class OrgUnitDetailSerializer(OrgUnitSerializer):
    ancestors = serializers.SerializerMethodField(help_text=_("Các đơn vị cấp trên, từ gốc xuống."))
    predecessors = serializers.SerializerMethodField(help_text=_("Các đơn vị cũ mà đơn vị này kế thừa."))
    successors = serializers.SerializerMethodField(help_text=_("Các đơn vị kế thừa đơn vị này."))
    current_successors = serializers.SerializerMethodField(
        help_text=_("Các đơn vị đang có hiệu lực hôm nay kế thừa đơn vị này (chính nó nếu còn hiệu lực).")
    )

    class Meta(OrgUnitSerializer.Meta):
        fields = [
            *OrgUnitSerializer.Meta.fields,
            "ancestors",
            "predecessors",
            "successors",
            "current_successors",
        ]

    @extend_schema_field(OrgUnitBriefSerializer(many=True))
    def get_ancestors(self, unit):
        return OrgUnitBriefSerializer(selectors.orgunit_ancestors(unit), many=True).data

    @extend_schema_field(PredecessorLinkSerializer(many=True))
    def get_predecessors(self, unit):
        return PredecessorLinkSerializer(selectors.orgunit_predecessor_links(unit), many=True).data

    @extend_schema_field(SuccessorLinkSerializer(many=True))
    def get_successors(self, unit):
        return SuccessorLinkSerializer(selectors.orgunit_successor_links(unit), many=True).data

    @extend_schema_field(OrgUnitBriefSerializer(many=True))
    def get_current_successors(self, unit):
        return OrgUnitBriefSerializer(selectors.orgunit_current_successor(unit), many=True).data

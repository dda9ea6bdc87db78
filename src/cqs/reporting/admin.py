"""Admin for the reporting metadata: indicators, disaggregations, regimes and their versions.

Reports and values are not edited here (they have their own workflow and pages). A version that
reports already use keeps its rows: make a new version from a later date instead
(``services.metadata.regime_version_create``). Every save is written to the audit trail.
"""

from django import forms
from django.contrib import admin
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from cqs.audit.services import audit_record
from cqs.reporting.models import (
    Category,
    CategoryCombo,
    CategoryOption,
    CategoryOptionCombo,
    Indicator,
    Regime,
    RegimeAssignment,
    RegimeIndicator,
    RegimeVersion,
    Report,
    ValidationRule,
)
from cqs.reporting.rules import ExpressionError, expression_check


class AuditedAdmin(admin.ModelAdmin):
    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            audit_record(
                action=f"reporting.admin_{'change' if change else 'add'}",
                obj=obj,
                actor=request.user,
                after={"fields": sorted(form.changed_data)},
            )


@admin.register(CategoryOption)
class CategoryOptionAdmin(AuditedAdmin):
    list_display = ["code", "name", "uid"]
    search_fields = ["code", "name"]


@admin.register(Category)
class CategoryAdmin(AuditedAdmin):
    list_display = ["code", "name", "uid"]
    search_fields = ["code", "name"]
    filter_horizontal = ["options"]


class OptionComboInline(admin.TabularInline):
    model = CategoryOptionCombo
    fields = ["code", "name", "sort_order", "uid"]
    readonly_fields = ["uid"]
    extra = 0


@admin.register(CategoryCombo)
class CategoryComboAdmin(AuditedAdmin):
    list_display = ["code", "name", "uid"]
    search_fields = ["code", "name"]
    filter_horizontal = ["categories"]
    inlines = [OptionComboInline]


@admin.register(Indicator)
class IndicatorAdmin(AuditedAdmin):
    list_display = ["code", "name", "value_type", "unit_label", "aggregation", "category_combo", "source"]
    list_filter = ["value_type", "aggregation"]
    search_fields = ["code", "name", "uid"]
    readonly_fields = ["uid", "created_at", "updated_at"]


class RowInline(admin.TabularInline):
    model = RegimeIndicator
    fields = ["sort_order", "section", "indicator", "compulsory"]
    autocomplete_fields = ["indicator"]
    extra = 0


class AssignmentInline(admin.TabularInline):
    model = RegimeAssignment
    fields = ["kind", "depth", "unit", "within"]
    raw_id_fields = ["unit", "within"]
    extra = 0


class RuleForm(forms.ModelForm):
    class Meta:
        model = ValidationRule
        fields = ["name", "left", "operator", "right", "missing_value_strategy", "importance", "instruction"]

    def clean(self):
        cleaned = super().clean()
        for side in ("left", "right"):
            try:
                expression_check(
                    cleaned.get(side) or "", set(Indicator.objects.values_list("code", flat=True))
                )
            except ExpressionError as exc:
                self.add_error(side, str(exc))
        return cleaned


class RuleInline(admin.StackedInline):
    model = ValidationRule
    form = RuleForm
    extra = 0


@admin.register(RegimeVersion)
class RegimeVersionAdmin(AuditedAdmin):
    list_display = ["regime", "version", "name", "period_type", "receiver", "valid_from", "valid_to"]
    list_filter = ["period_type", "kind", "channel"]
    search_fields = ["regime__code", "name"]
    raw_id_fields = ["receiver"]
    inlines = [RowInline, AssignmentInline, RuleInline]
    fieldsets = [
        (None, {"fields": ["regime", "version", "valid_from", "valid_to"]}),
        (
            _("Các thành phần của chế độ báo cáo (Nghị định 09/2019/NĐ-CP, Điều 7)"),
            {
                "fields": [
                    "name",
                    "kind",
                    "legal_basis",
                    "content",
                    "receiver",
                    "channel",
                    "deadline_working_days",
                    "period_type",
                    "cutoff_day",
                    "outline_template",
                    "process_guide",
                ]
            },
        ),
        (_("Quy trình"), {"fields": ["expiry_days", "signature_required", "push_to_ris"]}),
    ]

    def has_delete_permission(self, request, obj=None):
        return False


class VersionInline(admin.TabularInline):
    model = RegimeVersion
    fields = ["version", "name", "period_type", "valid_from", "valid_to"]
    readonly_fields = fields
    show_change_link = True
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Regime)
class RegimeAdmin(AuditedAdmin):
    list_display = ["code", "name", "uid"]
    search_fields = ["code", "name", "uid"]
    readonly_fields = ["uid", "created_at"]
    inlines = [VersionInline]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    """Read-only: reports change only through their workflow."""

    list_display = ["regime", "period", "unit", "status", "late", "submitted_at", "decided_at"]
    list_filter = ["status", "late", "regime"]
    search_fields = ["unit__name", "regime__code", "uid"]
    list_select_related = ["regime", "period", "unit"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

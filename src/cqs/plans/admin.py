"""Admin for the plan: read-only, because the plan is loaded from its document (``cqs demo`` or
``plans.services.plan_load``); an edit here would be overwritten by the next load."""

from django.contrib import admin

from cqs.plans.models import BaselineValue, DataNote, InformationSystem, Plan, Project, Target, TargetArea


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class TargetAreaInline(ReadOnlyInline):
    model = TargetArea
    fields = ["number", "title"]


@admin.register(Plan)
class PlanAdmin(ReadOnlyAdmin):
    list_display = ["number", "issued_on", "issuer", "year", "stated_total_budget", "stated_total_allocation"]
    search_fields = ["number", "title"]
    inlines = [TargetAreaInline]


@admin.register(TargetArea)
class TargetAreaAdmin(ReadOnlyAdmin):
    list_display = ["number", "title", "plan"]
    list_filter = ["plan"]


@admin.register(Target)
class TargetAdmin(ReadOnlyAdmin):
    list_display = ["code", "area", "indicator", "comparator", "value", "value_max", "unit"]
    list_filter = ["plan", "area__number", "comparator"]
    search_fields = ["code", "indicator", "text"]
    list_select_related = ["area"]


@admin.register(BaselineValue)
class BaselineValueAdmin(ReadOnlyAdmin):
    list_display = ["code", "section", "label", "scope", "value", "unit", "stated_ratio", "as_of"]
    list_filter = ["plan", "section", "unit"]
    search_fields = ["code", "label", "quote"]


@admin.register(InformationSystem)
class InformationSystemAdmin(ReadOnlyAdmin):
    list_display = ["number", "name", "owner_name"]
    list_filter = ["plan"]
    search_fields = ["name", "owner_name"]


@admin.register(Project)
class ProjectAdmin(ReadOnlyAdmin):
    list_display = [
        "number",
        "name",
        "lead_unit_name",
        "lead_unit",
        "total_budget",
        "allocation",
        "funding_source",
    ]
    list_filter = ["plan", "funding_source", "lead_unit_name"]
    search_fields = ["name", "lead_unit_name"]
    list_select_related = ["lead_unit"]


@admin.register(DataNote)
class DataNoteAdmin(ReadOnlyAdmin):
    list_display = ["code", "kind", "subject_type", "subject_code", "computed", "stated"]
    list_filter = ["plan", "kind", "subject_type"]
    search_fields = ["code", "message", "subject_code"]

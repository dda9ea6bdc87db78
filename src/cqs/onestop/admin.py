"""Admin for the catalogue: read-only. Versions are appended by ``services.procedure_version_publish``
(``cqs onestop_import_procedures``, Excel import), never edited in place: a dossier keeps the
version it was filed under, and every publication is audited."""

from django.contrib import admin

from cqs.onestop.models import Procedure, ProcedureDocument, ProcedureFee, ProcedureVersion, Sector


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

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Sector)
class SectorAdmin(ReadOnlyAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


class VersionInline(ReadOnlyInline):
    model = ProcedureVersion
    fields = [
        "number",
        "valid_from",
        "valid_to",
        "name",
        "online_level",
        "processing_time",
        "processing_time_unit",
    ]
    show_change_link = True


@admin.register(Procedure)
class ProcedureAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "sector", "at_province", "at_district", "at_commune"]
    list_filter = ["sector", "at_province", "at_district", "at_commune"]
    search_fields = ["code", "name"]
    inlines = [VersionInline]


class FeeInline(ReadOnlyInline):
    model = ProcedureFee
    fields = ["order", "kind", "code", "amount", "description"]


class DocumentInline(ReadOnlyInline):
    model = ProcedureDocument
    fields = ["order", "code", "name", "form_name", "form_url", "original_count", "copy_count", "required"]


@admin.register(ProcedureVersion)
class ProcedureVersionAdmin(ReadOnlyAdmin):
    list_display = ["procedure", "number", "valid_from", "valid_to", "online_level"]
    list_filter = ["online_level", "processing_time_unit"]
    search_fields = ["procedure__code", "name"]
    list_select_related = ["procedure"]
    inlines = [DocumentInline, FeeInline]


@admin.register(ProcedureFee)
class ProcedureFeeAdmin(ReadOnlyAdmin):
    list_display = ["version", "order", "kind", "amount"]
    list_select_related = ["version__procedure"]


@admin.register(ProcedureDocument)
class ProcedureDocumentAdmin(ReadOnlyAdmin):
    list_display = ["version", "order", "name", "required"]
    list_select_related = ["version__procedure"]

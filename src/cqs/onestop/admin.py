"""Admin for the catalogue: read-only. Versions are appended by ``services.procedure_version_publish``
(``cqs onestop_import_procedures``, Excel import), never edited in place: a dossier keeps the
version it was filed under, and every publication is audited."""

from django.contrib import admin

from cqs.onestop.models import (
    Dossier,
    DossierEvent,
    DossierFile,
    Payment,
    Procedure,
    ProcedureDocument,
    ProcedureFee,
    ProcedureVersion,
    Sector,
)


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


# --- dossiers: read-only too; they change only through the workflow (services.dossier_act). ---


class DossierEventInline(ReadOnlyInline):
    model = DossierEvent
    fields = [
        "at",
        "action",
        "from_status",
        "to_status",
        "stage",
        "actor",
        "actor_unit",
        "to_user",
        "to_unit",
        "note",
    ]
    readonly_fields = fields
    ordering = ["at", "pk"]


class DossierFileInline(ReadOnlyInline):
    model = DossierFile
    fields = ["role", "name", "content_type", "size", "sha256", "signed", "uploaded_by", "uploaded_at"]
    readonly_fields = fields


class PaymentInline(ReadOnlyInline):
    model = Payment
    fields = ["order_id", "amount", "status", "transaction_no", "paid_at", "callbacks"]
    readonly_fields = fields


@admin.register(Dossier)
class DossierAdmin(ReadOnlyAdmin):
    list_display = ["code", "procedure", "unit", "status", "stage", "channel", "received_at", "due_at"]
    list_filter = ["status", "channel"]
    search_fields = ["code", "applicant_name"]
    list_select_related = ["procedure", "unit"]
    date_hierarchy = "created_at"
    # The applicant's personal numbers stay out of the admin list and search.
    exclude = ["applicant_cccd", "applicant_phone"]
    inlines = [DossierEventInline, DossierFileInline, PaymentInline]

    def get_queryset(self, request):
        return super().get_queryset(request).restrict(request.user, "view")

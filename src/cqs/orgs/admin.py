"""Admin of the organisation tree. Every write goes through the services (audit trail, checks);
a version's place in the tree and its validity are never edited here: a change of the tree is
a reorganisation (``orgunit_reorganise``), which keeps the old version readable."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cqs.orgs import services
from cqs.orgs.models import OrgUnit, OrgUnitKind, ReorganisationEvent, Succession

_CORRECTABLE = ("name", "short_name", "division_code", "identifier_source", "source")


def _add_service_error(form: forms.BaseForm, error: ValidationError) -> None:
    field = getattr(error, "field", None)
    form.add_error(field if field in form.fields else None, error.messages)


class OrgUnitKindForm(forms.ModelForm):
    class Meta:
        model = OrgUnitKind
        fields = ["code", "name", "rank"]


@admin.register(OrgUnitKind)
class OrgUnitKindAdmin(admin.ModelAdmin):
    form = OrgUnitKindForm
    list_display = ["code", "name", "rank"]
    search_fields = ["code", "name"]
    ordering = ["rank", "name"]

    def get_readonly_fields(self, request, obj=None):
        # Data and other modules refer to a kind by its code.
        return ["code"] if obj else []

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            services.orgunitkind_update(kind=obj, name=obj.name, rank=obj.rank, actor=request.user)
        else:
            obj.pk = services.orgunitkind_create(
                code=obj.code, name=obj.name, rank=obj.rank, actor=request.user
            ).pk


class OrgUnitForm(forms.ModelForm):
    class Meta:
        model = OrgUnit
        fields = [
            "kind",
            "name",
            "short_name",
            "identifier",
            "identifier_source",
            "division_code",
            "parent",
            "valid_from",
            "valid_to",
            "source",
        ]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        # The services' own checks, run here so that a refusal shows on the form, not as an error page.
        try:
            if self.instance.pk:
                values = {field: data.get(field, getattr(self.instance, field)) for field in _CORRECTABLE}
                services.orgunit_check_fields(identifier=self.instance.identifier, **values)
            else:
                services.orgunit_validate(**_create_arguments(data))
        except ValidationError as error:
            _add_service_error(self, error)
        return data


_TEXT_FIELDS = ("name", "short_name", "identifier", "identifier_source", "division_code", "source")


def _create_arguments(data: dict) -> dict:
    return {
        **{field: data.get(field) or "" for field in _TEXT_FIELDS},
        "kind": data["kind"],
        "parent": data.get("parent"),
        "valid_from": data["valid_from"],
        "valid_to": data.get("valid_to"),
    }


class ValidityFilter(admin.SimpleListFilter):
    title = _("hiệu lực")
    parameter_name = "in_force"

    def lookups(self, request, model_admin):
        return [("yes", _("Đang có hiệu lực")), ("no", _("Đã hết hoặc chưa có hiệu lực"))]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "yes":
            return queryset.as_of(today)
        if self.value() == "no":
            return queryset.exclude(pk__in=OrgUnit.objects.as_of(today).values("pk"))
        return queryset


@admin.register(OrgUnit)
class OrgUnitAdmin(admin.ModelAdmin):
    form = OrgUnitForm
    list_display = ["name", "short_name", "identifier", "kind", "parent", "valid_from", "valid_to"]
    list_filter = [ValidityFilter, "kind", "identifier_source", "valid_to"]
    list_select_related = ["kind", "parent"]
    search_fields = ["name", "short_name", "identifier", "division_code"]
    autocomplete_fields = ["parent"]
    date_hierarchy = "valid_from"
    list_per_page = 100

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ["path", "depth", "created_at"]
        return ["kind", "identifier", "parent", "valid_from", "valid_to", "path", "depth", "created_at"]

    def has_delete_permission(self, request, obj=None):
        # Rows are history: other modules and the succession links point at them.
        return False

    def save_model(self, request, obj, form, change):
        if change:
            changes = {
                field: form.cleaned_data[field] for field in form.changed_data if field in _CORRECTABLE
            }
            services.orgunit_correct(unit=obj, actor=request.user, **changes)
            return
        created = services.orgunit_create(**_create_arguments(form.cleaned_data), actor=request.user)
        obj.pk, obj.path, obj.depth = created.pk, created.path, created.depth


class SuccessionInline(admin.TabularInline):
    model = Succession
    fields = ["predecessor", "kind", "successor"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ReorganisationEvent)
class ReorganisationEventAdmin(admin.ModelAdmin):
    """Read-only: an event is applied through ``orgunit_reorganise``, in one transaction."""

    list_display = ["name", "effective_date", "legal_basis", "created_at"]
    search_fields = ["name", "legal_basis"]
    date_hierarchy = "effective_date"
    inlines = [SuccessionInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

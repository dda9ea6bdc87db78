from django.contrib import admin
from django.db import models

from cqs.audit.models import AuditEvent
from cqs.audit.services import audit_record, object_label

# Values never written to the audit trail in clear.
SECRET_FIELDS = frozenset({"password", "key", "secret", "token"})


class AuditedModelAdmin(admin.ModelAdmin):
    """A ModelAdmin whose saves and deletions, including inlines, go to the audit trail.

    The admin wraps every change view in a transaction, so the event commits or rolls back
    with the change. Subclasses mask personal fields with ``audit_value``.
    """

    def audit_value(self, name: str, value):
        if name in SECRET_FIELDS:
            return "***"
        if isinstance(value, models.Model):
            return value.pk
        if isinstance(value, models.QuerySet):
            return sorted(str(item.pk) for item in value)
        return value

    def _audit_state(self, form, source: str) -> dict:
        data = form.initial if source == "initial" else form.cleaned_data
        return {name: self.audit_value(name, data.get(name)) for name in form.changed_data}

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit_record(
            action=f"{object_label(obj)}.admin_{'change' if change else 'add'}",
            obj=obj,
            before=self._audit_state(form, "initial") if change else None,
            after=self._audit_state(form, "cleaned"),
            actor=request.user,
        )

    def delete_model(self, request, obj):
        audit_record(action=f"{object_label(obj)}.admin_delete", obj=obj, before={}, actor=request.user)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            audit_record(action=f"{object_label(obj)}.admin_delete", obj=obj, before={}, actor=request.user)
        super().delete_queryset(request, queryset)

    def save_formset(self, request, form, formset, change):
        super().save_formset(request, form, formset, change)
        for obj in getattr(formset, "new_objects", []):
            audit_record(action=f"{object_label(obj)}.admin_add", obj=obj, after={}, actor=request.user)
        for obj, changed in getattr(formset, "changed_objects", []):
            after = {name: self.audit_value(name, getattr(obj, name, None)) for name in changed}
            audit_record(action=f"{object_label(obj)}.admin_change", obj=obj, after=after, actor=request.user)
        for obj in getattr(formset, "deleted_objects", []):
            audit_record(action=f"{object_label(obj)}.admin_delete", obj=obj, before={}, actor=request.user)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the trail is written by services only, and the database refuses changes."""

    list_display = ("created_at", "action", "object_type", "object_repr", "actor_label", "ip", "request_id")
    list_filter = ("action", "object_type", "created_at")
    search_fields = ("object_repr", "object_id", "actor_label", "request_id", "action")
    date_hierarchy = "created_at"
    ordering = ("-id",)
    list_per_page = 100
    # Counting the whole trail on every page is slow once it is large.
    show_full_result_count = False
    readonly_fields = (
        "created_at",
        "actor_label",
        "action",
        "object_type",
        "object_id",
        "object_repr",
        "before",
        "after",
        "ip",
        "request_id",
        "prev_hash",
        "hash",
    )
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

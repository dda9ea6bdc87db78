from django.contrib import admin

from cqs.core import services
from cqs.core.models import CalendarOverride


@admin.register(CalendarOverride)
class CalendarOverrideAdmin(admin.ModelAdmin):
    list_display = ("date", "is_working_day", "reason", "legal_basis", "updated_at")
    list_filter = ("is_working_day",)
    search_fields = ("reason", "legal_basis")
    date_hierarchy = "date"
    ordering = ("-date",)

    def get_readonly_fields(self, request, obj=None):
        # The date is the identity of an override: to move it, delete it and add another, so
        # that the audit trail shows both days.
        return ("date", "created_at", "updated_at") if obj else ("created_at", "updated_at")

    def save_model(self, request, obj, form, change):
        saved = services.calendar_override_set(
            day=obj.date,
            is_working_day=obj.is_working_day,
            reason=obj.reason,
            legal_basis=obj.legal_basis,
            actor=request.user,
        )
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        services.calendar_override_delete(day=obj.date, actor=request.user)

    def delete_queryset(self, request, queryset):
        for override in queryset:
            services.calendar_override_delete(day=override.date, actor=request.user)

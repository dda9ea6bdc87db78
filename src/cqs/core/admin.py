from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from cqs.core import outbox, services
from cqs.core.models import CalendarOverride, OutboxMessage, OutboxStatus


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


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """Read-only: messages are written by services and delivered by the dispatcher."""

    list_display = (
        "id",
        "topic",
        "status",
        "attempts",
        "created_at",
        "available_at",
        "delivered_at",
        "last_error",
    )
    list_filter = ("status", "topic")
    search_fields = ("dedup_key",)
    ordering = ("-id",)
    actions = ("retry",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Gửi lại các thông điệp đã chọn"), permissions=["view"])
    def retry(self, request, queryset):
        retried = 0
        for message in queryset.exclude(status=OutboxStatus.DELIVERED):
            outbox.outbox_message_retry(message_id=message.pk, actor=request.user)
            retried += 1
        self.message_user(
            request, _("Đã đưa %(count)d thông điệp vào hàng đợi gửi lại.") % {"count": retried}
        )

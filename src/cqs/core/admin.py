from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from cqs.core import outbox, printing, services
from cqs.core.exceptions import ServiceError
from cqs.core.models import CalendarOverride, OutboxMessage, OutboxStatus, PrintTemplate


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


class PrintTemplateForm(forms.ModelForm):
    class Meta:
        model = PrintTemplate
        fields = ("code", "name", "body")
        widgets = {"body": forms.Textarea(attrs={"rows": 30, "cols": 120, "spellcheck": "false"})}

    def clean(self):
        cleaned = super().clean()
        code = cleaned.get("code") or self.instance.code
        body = cleaned.get("body")
        if code and body:
            # The same check as the service's, shown on the form with the line at fault.
            try:
                printing.layout_check(body, code=code)
            except ServiceError as exc:
                self.add_error(exc.field if exc.field in self.fields else None, exc.detail)
        return cleaned


@admin.register(PrintTemplate)
class PrintTemplateAdmin(admin.ModelAdmin):
    """Layouts of printed forms. Saved and deleted through the services (checked and audited);
    deleting a layout restores the shipped default of its code."""

    form = PrintTemplateForm
    list_display = ("code", "name", "updated_at", "updated_by", "preview_link")
    search_fields = ("code", "name")
    ordering = ("code",)

    def get_readonly_fields(self, request, obj=None):
        readonly = ("updated_at", "updated_by", "preview_link")
        # The code names the form that the application prints: renaming would orphan it.
        return ("code", *readonly) if obj else readonly

    def get_fields(self, request, obj=None):
        fields = ("code", "name", "body", "updated_at", "updated_by")
        return (*fields, "preview_link") if obj else fields

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        # ?code=onestop_receipt starts from the shipped layout of that form.
        code = initial.get("code")
        if code and "body" not in initial:
            try:
                source = printing.default_layout_source(code)
            except ServiceError:
                source = None
            if source is not None:
                initial["body"] = source
        return initial

    @admin.display(description=_("xem thử"))
    def preview_link(self, obj):
        if obj is None or not obj.pk:
            return ""
        url = reverse("admin:core_printtemplate_preview", args=[obj.code])
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a>', url, _("PDF với dữ liệu mẫu")
        )

    def get_urls(self):
        preview = path(
            "preview/<slug:code>/",
            self.admin_site.admin_view(self.preview_view),
            name="core_printtemplate_preview",
        )
        return [preview, *super().get_urls()]

    def preview_view(self, request, code):
        """The form as it prints now (saved layout or default), filled with made-up data."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            pdf = printing.pdf_render(template_code=code, context=printing.sample_context())
        except ServiceError as exc:
            self.message_user(request, exc.detail, level=messages.ERROR)
            return HttpResponseRedirect(reverse("admin:core_printtemplate_changelist"))
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{code}-xem-thu.pdf"'
        return response

    def save_model(self, request, obj, form, change):
        saved = services.print_template_save(code=obj.code, name=obj.name, body=obj.body, actor=request.user)
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        services.print_template_delete(code=obj.code, actor=request.user)

    def delete_queryset(self, request, queryset):
        for template in queryset:
            services.print_template_delete(code=template.code, actor=request.user)

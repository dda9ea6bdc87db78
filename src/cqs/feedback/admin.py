"""Admin of citizen feedback: the configuration (categories with their deadlines and questions,
routing rules, answer templates, Open311 apps) is edited here and every change is audited;
reports are read-only here (they change only through the workflow, ``services.report_act``).

An Open311 app is created through ``services.api_client_create``: its key is shown once, in the
success message, and only its SHA-256 is stored.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cqs.audit.admin import AuditedModelAdmin
from cqs.audit.services import audit_record
from cqs.feedback.choices import Datatype
from cqs.feedback.models import (
    AnswerTemplate,
    ApiClient,
    Category,
    CategoryAttribute,
    CategoryDeadline,
    Report,
    ReportEvent,
    RoutingRule,
)
from cqs.feedback.services import api_client_create, routing_rules_rerun

# --- categories ----------------------------------------------------------------------------------


class CategoryForm(forms.ModelForm):
    class Meta:
        model = Category
        fields = [
            "code",
            "name",
            "description",
            "parent",
            "unit",
            "keywords",
            "is_public",
            "duplicate_radius_m",
            "handling_message",
            "active",
            "order",
        ]

    def clean_parent(self):
        parent = self.cleaned_data.get("parent")
        node, seen = parent, set()
        # A category may not sit under itself or under one of its own subcategories.
        while node is not None and node.pk not in seen:
            if self.instance.pk is not None and node.pk == self.instance.pk:
                raise forms.ValidationError(
                    _("Lĩnh vực cha không được là chính nó hoặc lĩnh vực con của nó.")
                )
            seen.add(node.pk)
            node = node.parent
        return parent


class CategoryAttributeForm(forms.ModelForm):
    class Meta:
        model = CategoryAttribute
        fields = [
            "code",
            "order",
            "description",
            "datatype",
            "required",
            "variable",
            "datatype_description",
            "values",
        ]

    def clean(self):
        data = super().clean()
        values = data.get("values") or []
        if data.get("datatype") in (Datatype.SINGLE, Datatype.MULTI):
            ok = (
                isinstance(values, list)
                and values
                and all(
                    isinstance(v, dict) and str(v.get("key", "")).strip() and v.get("name") for v in values
                )
            )
            if not ok:
                self.add_error(
                    "values",
                    _('Kiểu danh sách cần các lựa chọn dạng [{"key": "nho", "name": "Nhỏ"}, …].'),
                )
        return data


class CategoryDeadlineInline(admin.TabularInline):
    model = CategoryDeadline
    fields = ["urgency", "amount", "unit"]
    extra = 0


class CategoryAttributeInline(admin.StackedInline):
    model = CategoryAttribute
    form = CategoryAttributeForm
    fields = [
        ("code", "order"),
        "description",
        ("datatype", "required", "variable"),
        "datatype_description",
        "values",
    ]
    extra = 0


@admin.register(Category)
class CategoryAdmin(AuditedModelAdmin):
    form = CategoryForm
    list_display = ["name", "code", "parent", "unit", "is_public", "duplicate_radius_m", "active", "order"]
    list_filter = ["is_public", "active", "parent", ("unit", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["parent", "unit"]
    search_fields = ["code", "name", "keywords"]
    autocomplete_fields = ["parent", "unit"]
    ordering = ["parent__order", "order", "name"]
    inlines = [CategoryDeadlineInline, CategoryAttributeInline]


# --- routing rules -------------------------------------------------------------------------------


@admin.register(RoutingRule)
class RoutingRuleAdmin(AuditedModelAdmin):
    list_display = ["name", "order", "category", "area", "keywords", "unit", "active"]
    list_display_links = ["name"]
    list_editable = ["order", "active"]
    list_filter = ["active", ("unit", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["category", "area", "unit"]
    search_fields = ["name", "keywords"]
    autocomplete_fields = ["category", "area", "unit"]
    actions = ["rerun_routing"]

    @admin.action(
        description=gettext_lazy("Chạy lại các quy tắc cho phản ánh đang chờ tiếp nhận"),
        permissions=["change"],
    )
    def rerun_routing(self, request, queryset):
        # Every active rule applies, whichever rows are ticked: the first match wins over all of them.
        moved = routing_rules_rerun(actor=request.user)
        self.message_user(
            request,
            _("Đã chạy lại quy tắc phân công: %(count)s phản ánh được chuyển đơn vị xử lý.")
            % {"count": moved},
            messages.SUCCESS,
        )


# --- answer templates ----------------------------------------------------------------------------


@admin.register(AnswerTemplate)
class AnswerTemplateAdmin(AuditedModelAdmin):
    list_display = ["title", "category", "active"]
    list_filter = ["active", "category"]
    list_select_related = ["category"]
    search_fields = ["title", "body"]
    autocomplete_fields = ["category"]


# --- Open311 apps --------------------------------------------------------------------------------


@admin.register(ApiClient)
class ApiClientAdmin(AuditedModelAdmin):
    list_display = ["name", "key_prefix", "contact", "active", "created_at", "created_by"]
    list_filter = ["active"]
    list_select_related = ["created_by"]
    search_fields = ["name", "key_prefix", "contact"]
    actions = ["deactivate"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["name", "contact"]
        return ["name", "contact", "active", "key_prefix", "created_at", "created_by"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["key_prefix", "created_at", "created_by"]

    def has_delete_permission(self, request, obj=None):
        # Reports keep a link to the app that filed them: deactivate instead.
        return False

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        # The service makes the key, stores its hash and audits the creation.
        client, key = api_client_create(
            name=form.cleaned_data["name"], contact=form.cleaned_data.get("contact", ""), actor=request.user
        )
        obj.pk, obj.key_hash, obj.key_prefix = client.pk, client.key_hash, client.key_prefix
        obj.created_at, obj.created_by_id = client.created_at, client.created_by_id
        obj._state.adding, obj._state.db = False, client._state.db
        self.message_user(
            request,
            _(
                "Khóa api_key của ứng dụng “%(name)s”: %(key)s — sao chép ngay: khóa chỉ hiển thị "
                "một lần và không thể xem lại."
            )
            % {"name": client.name, "key": key},
            messages.SUCCESS,
        )

    @admin.action(description=gettext_lazy("Ngừng hoạt động các ứng dụng đã chọn"), permissions=["change"])
    def deactivate(self, request, queryset):
        count = 0
        with transaction.atomic():
            # Not the changelist's queryset: its join on created_by cannot be locked (PostgreSQL).
            rows = ApiClient.objects.select_for_update().filter(
                pk__in=list(queryset.values_list("pk", flat=True))
            )
            for client in rows.filter(active=True):
                client.active = False
                client.save(update_fields=["active"])
                audit_record(
                    action="feedback.api_client_deactivate",
                    obj=client,
                    before={"active": True},
                    after={"active": False},
                    actor=request.user,
                )
                count += 1
        self.message_user(
            request, _("Đã ngừng hoạt động %(count)s ứng dụng.") % {"count": count}, messages.SUCCESS
        )


# --- reports: read-only --------------------------------------------------------------------------


class ReportEventInline(admin.TabularInline):
    model = ReportEvent
    fields = ["at", "action", "from_status", "to_status", "actor", "unit", "public", "note"]
    readonly_fields = fields
    ordering = ["at", "pk"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "category", "unit", "status", "channel", "submitted_at", "due_at"]
    list_filter = ["status", "channel", "category", ("unit", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["category", "unit"]
    search_fields = ["code"]
    date_hierarchy = "submitted_at"
    show_full_result_count = False
    # The reporter's contact details are shown to the handling unit on the staff page, not here;
    # the secrets (access and client tokens) nowhere.
    fields = [
        "code",
        "category",
        "urgency",
        "title",
        "description",
        "attributes",
        "lat",
        "lon",
        "address",
        "area",
        "unit",
        "anonymous",
        "channel",
        "status",
        "resolution",
        "submitted_at",
        "ack_due_at",
        "acknowledged_at",
        "forward_due_at",
        "due_at",
        "answered_at",
        "closed_at",
        "answer",
        "answer_public",
        "is_public",
        "external_agency",
        "external_reference",
        "duplicate_of",
        "split_from",
    ]
    readonly_fields = fields
    inlines = [ReportEventInline]

    def get_queryset(self, request):
        return super().get_queryset(request).restrict(request.user, "view")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

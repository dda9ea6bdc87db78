"""Admin for the LGSP registry's catalogues: members, subsystems, client groups, shared code lists.

Services, connection requests, grants and credentials have their own workflow (pages and API,
through ``services``): here they are read-only. Every save is audited, and a save that can change
what the gateway lets through publishes a new generation after commit.
"""

from django.contrib import admin

from cqs.audit.admin import AuditedModelAdmin
from cqs.lgsp import publish
from cqs.lgsp.models import (
    AccessGrant,
    ClientGroup,
    CodeList,
    CodeListItem,
    ConnectionRequest,
    Credential,
    GatewayGeneration,
    Member,
    Service,
    Subsystem,
)


class PublishingAdmin(AuditedModelAdmin):
    """Changes to members, subsystems and groups reach the gateway (ids, active flags, groups)."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        publish.request(reason=f"admin: {obj._meta.model_name} {obj.pk}")

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        publish.request(reason=f"admin: {form.instance._meta.model_name} {form.instance.pk}")

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        publish.request(reason=f"admin: {obj._meta.model_name} deleted")


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Member)
class MemberAdmin(PublishingAdmin):
    list_display = ["name", "instance", "member_class", "code", "unit"]
    list_filter = ["member_class", "instance"]
    search_fields = ["name", "code"]
    raw_id_fields = ["unit"]


@admin.register(Subsystem)
class SubsystemAdmin(PublishingAdmin):
    list_display = ["name", "code", "member", "information_system", "active"]
    list_filter = ["active"]
    search_fields = ["name", "code", "member__name", "member__code"]
    raw_id_fields = ["member", "information_system"]


@admin.register(ClientGroup)
class ClientGroupAdmin(PublishingAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]
    filter_horizontal = ["subsystems"]


class CodeListItemInline(admin.TabularInline):
    model = CodeListItem
    fields = ["code", "name", "parent_code", "valid_from", "valid_to"]
    extra = 0


@admin.register(CodeList)
class CodeListAdmin(AuditedModelAdmin):
    list_display = ["code", "name", "kind", "owner", "version"]
    list_filter = ["kind"]
    search_fields = ["code", "name"]
    raw_id_fields = ["owner", "service"]
    inlines = [CodeListItemInline]


@admin.register(Service)
class ServiceAdmin(ReadOnlyAdmin):
    list_display = ["name", "code", "subsystem", "kind", "data_classification", "status"]
    list_filter = ["status", "kind", "data_classification"]
    search_fields = ["name", "code"]


@admin.register(ConnectionRequest)
class ConnectionRequestAdmin(ReadOnlyAdmin):
    list_display = ["client", "service", "status", "submitted_at", "due_on", "decided_at"]
    list_filter = ["status"]


@admin.register(AccessGrant)
class AccessGrantAdmin(ReadOnlyAdmin):
    list_display = ["service", "client", "group", "endpoint", "granted_at", "revoked_at"]


@admin.register(Credential)
class CredentialAdmin(ReadOnlyAdmin):
    list_display = ["subsystem", "kind", "prefix", "label", "created_at", "expires_at", "revoked_at"]
    # The hash of the secret is not a secret that can be used, but it has no business on a screen.
    exclude = ["secret_sha256"]


@admin.register(GatewayGeneration)
class GatewayGenerationAdmin(ReadOnlyAdmin):
    list_display = [
        "number",
        "engine",
        "status",
        "services",
        "grants",
        "credentials",
        "reload_ms",
        "created_at",
    ]
    list_filter = ["status", "engine"]

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from cqs.accounts.masking import mask_cccd, mask_phone
from cqs.accounts.models import CitizenProfile, ExternalIdentity, OfficialProfile, Role, RoleGrant, User
from cqs.audit.admin import AuditedModelAdmin

PERSONAL_FIELDS = {"cccd": mask_cccd, "phone": mask_phone}


class PersonalDataMaskingMixin:
    def audit_value(self, name, value):
        if name in PERSONAL_FIELDS:
            return PERSONAL_FIELDS[name](value)
        return super().audit_value(name, value)


class OfficialProfileInline(admin.StackedInline):
    model = OfficialProfile
    can_delete = False
    extra = 0
    max_num = 1
    raw_id_fields = ("unit",)


class CitizenProfileInline(admin.StackedInline):
    model = CitizenProfile
    can_delete = False
    extra = 0
    max_num = 1


class RoleGrantInline(admin.TabularInline):
    model = RoleGrant
    extra = 0
    raw_id_fields = ("unit",)
    readonly_fields = ("created_at",)


@admin.register(User)
class UserAdmin(PersonalDataMaskingMixin, AuditedModelAdmin, DjangoUserAdmin):
    inlines = (OfficialProfileInline, CitizenProfileInline, RoleGrantInline)
    list_display = ("username", "full_name", "unit", "is_active", "is_staff", "is_superuser", "last_login")
    list_filter = ("is_active", "is_staff", "is_superuser", "grants__role")
    search_fields = ("username", "full_name", "email", "official_profile__unit__name")
    list_select_related = ("official_profile__unit",)
    ordering = ("username",)
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Thông tin cá nhân"), {"fields": ("full_name", "email")}),
        (
            _("Quyền hạn"),
            {"fields": ("is_active", "is_staff", "is_superuser"), "classes": ("collapse",)},
        ),
        (_("Thời điểm"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "full_name", "password1", "password2")}),
    )
    readonly_fields = ("last_login", "date_joined")

    @admin.display(description=_("đơn vị công tác"), ordering="official_profile__unit__name")
    def unit(self, obj):
        profile = getattr(obj, "official_profile", None)
        return profile.unit if profile else "—"


@admin.register(Role)
class RoleAdmin(AuditedModelAdmin):
    list_display = ("code", "name", "requires_2fa", "modules")
    list_filter = ("requires_2fa",)
    search_fields = ("code", "name", "description")
    filter_horizontal = ("permissions",)


@admin.register(RoleGrant)
class RoleGrantAdmin(AuditedModelAdmin):
    list_display = ("user", "role", "unit", "created_at")
    list_filter = ("role",)
    search_fields = ("user__username", "user__full_name", "unit__name", "unit__identifier")
    list_select_related = ("user", "role", "unit")
    raw_id_fields = ("user", "unit")
    date_hierarchy = "created_at"


@admin.register(ExternalIdentity)
class ExternalIdentityAdmin(admin.ModelAdmin):
    """Links to VNeID are made by signing in, never by hand: read-only here."""

    list_display = ("user", "provider", "created_at", "last_login_at")
    list_filter = ("provider",)
    search_fields = ("user__username", "user__full_name")
    list_select_related = ("user",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

from django.contrib.auth.models import AbstractUser, Permission
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from cqs.accounts.permissions import RestrictedQuerySet
from cqs.accounts.validators import validate_cccd, validate_phone


class UserQuerySet(RestrictedQuerySet):
    # An official belongs to the unit of their profile; citizens belong to no unit, so no unit
    # grant ever shows them (only superusers see every account).
    unit_field = "official_profile__unit"


class UserManager(DjangoUserManager.from_queryset(UserQuerySet)):
    pass


class User(AbstractUser):
    """A person who signs in: a citizen, an official, or both. Custom from the first migration."""

    full_name = models.CharField(_("họ và tên"), max_length=200, blank=True)

    objects = UserManager()

    class Meta:
        verbose_name = _("người dùng")
        verbose_name_plural = _("người dùng")

    def __str__(self) -> str:
        return self.full_name or self.get_username()

    @property
    def is_official(self) -> bool:
        return hasattr(self, "official_profile")

    @property
    def is_citizen(self) -> bool:
        return hasattr(self, "citizen_profile")


class CitizenProfile(models.Model):
    user = models.OneToOneField(
        User, verbose_name=_("người dùng"), on_delete=models.CASCADE, related_name="citizen_profile"
    )
    cccd = models.CharField(_("số căn cước"), max_length=12, unique=True, validators=[validate_cccd])
    phone = models.CharField(_("số điện thoại"), max_length=15, blank=True, validators=[validate_phone])
    address = models.CharField(_("địa chỉ"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("hồ sơ công dân")
        verbose_name_plural = _("hồ sơ công dân")

    def __str__(self) -> str:
        return str(self.user)


class OfficialProfile(models.Model):
    user = models.OneToOneField(
        User, verbose_name=_("người dùng"), on_delete=models.CASCADE, related_name="official_profile"
    )
    unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("đơn vị công tác"), on_delete=models.PROTECT, related_name="officials"
    )
    position = models.CharField(_("chức vụ"), max_length=200, blank=True)
    phone = models.CharField(_("số điện thoại"), max_length=15, blank=True, validators=[validate_phone])

    class Meta:
        verbose_name = _("hồ sơ cán bộ")
        verbose_name_plural = _("hồ sơ cán bộ")

    def __str__(self) -> str:
        return f"{self.user} ({self.unit})"


class Role(models.Model):
    """A role as data: a named set of permissions, granted to a user on a unit (RoleGrant)."""

    code = models.SlugField(_("mã vai trò"), max_length=50, unique=True)
    name = models.CharField(_("tên vai trò"), max_length=200)
    description = models.TextField(_("mô tả"), blank=True)
    permissions = models.ManyToManyField(Permission, verbose_name=_("quyền"), blank=True, related_name="+")
    requires_2fa = models.BooleanField(
        _("bắt buộc xác thực hai yếu tố"),
        default=False,
        help_text=_("Người có vai trò này phải đăng nhập bằng mật khẩu và mã TOTP."),
    )
    # Modules shown on the home page of a user holding this role (by module code, see core.modules).
    modules = models.JSONField(_("phân hệ"), default=list, blank=True)

    class Meta:
        verbose_name = _("vai trò")
        verbose_name_plural = _("vai trò")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RoleGrant(models.Model):
    """``user`` holds ``role`` on ``unit`` and on every unit below it."""

    user = models.ForeignKey(
        User, verbose_name=_("người dùng"), on_delete=models.CASCADE, related_name="grants"
    )
    role = models.ForeignKey(Role, verbose_name=_("vai trò"), on_delete=models.PROTECT, related_name="grants")
    unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("phạm vi đơn vị"), on_delete=models.PROTECT, related_name="grants"
    )
    created_at = models.DateTimeField(_("ngày cấp"), auto_now_add=True)

    class Meta:
        verbose_name = _("phân quyền")
        verbose_name_plural = _("phân quyền")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "role", "unit"],
                name="accounts_rolegrant_unique_user_role_unit",
                violation_error_message=_("Người dùng đã có vai trò này trên đơn vị này."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} — {self.role} @ {self.unit}"


class ExternalIdentity(models.Model):
    """``user`` signs in through an outside identity provider that knows them as ``subject``.

    The subject (OpenID Connect ``sub``) is the provider's stable, opaque name for a person; it is
    the link, not the CCCD number, so a number typed wrong once at registration cannot hand the
    account to someone else later.
    """

    user = models.ForeignKey(
        User, verbose_name=_("người dùng"), on_delete=models.CASCADE, related_name="external_identities"
    )
    provider = models.CharField(_("nhà cung cấp định danh"), max_length=30)
    subject = models.CharField(_("mã định danh tại nhà cung cấp"), max_length=255)
    created_at = models.DateTimeField(_("ngày liên kết"), auto_now_add=True)
    last_login_at = models.DateTimeField(_("lần đăng nhập gần nhất"), null=True, blank=True)

    class Meta:
        verbose_name = _("định danh bên ngoài")
        verbose_name_plural = _("định danh bên ngoài")
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "subject"],
                name="accounts_externalidentity_unique_provider_subject",
                violation_error_message=_("Định danh này đã được liên kết với một tài khoản."),
            ),
            # One account per person at each provider: a second link would be a second person.
            models.UniqueConstraint(
                fields=["user", "provider"],
                name="accounts_externalidentity_unique_user_provider",
                violation_error_message=_("Tài khoản này đã được liên kết với nhà cung cấp định danh này."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.provider}"

"""Factories for accounts. Units come from the orgs factories (made through ``orgunit_create``)."""

import factory
from django.contrib.auth.models import Permission
from django_otp.plugins.otp_totp.models import TOTPDevice

from cqs.accounts.models import CitizenProfile, OfficialProfile, Role, RoleGrant, User
from cqs.orgs.tests.factories import OrgUnitFactory

PASSWORD = "mat-khau-rat-dai-2026"


def permissions(*dotted: str) -> list[Permission]:
    found = []
    for item in dotted:
        app_label, codename = item.split(".", 1)
        found.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return found


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"nguoidung{n}")
    full_name = factory.Sequence(lambda n: f"Nguyễn Văn {n}")
    password = factory.django.Password(PASSWORD)

    class Params:
        superuser = factory.Trait(is_superuser=True, is_staff=True)


class OfficialProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OfficialProfile

    user = factory.SubFactory(UserFactory)
    unit = factory.SubFactory(OrgUnitFactory)
    position = "Chuyên viên"


class OfficialFactory(UserFactory):
    """A user with an official profile: ``OfficialFactory(official_profile__unit=unit)``."""

    official_profile = factory.RelatedFactory(OfficialProfileFactory, factory_related_name="user")


class CitizenFactory(UserFactory):
    citizen_profile = factory.RelatedFactory("cqs.accounts.tests.factories.CitizenProfileFactory", "user")


class CitizenProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CitizenProfile

    user = factory.SubFactory(UserFactory)
    cccd = factory.Sequence(lambda n: f"026{n:09d}")
    phone = "0912345678"


class RoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Role
        django_get_or_create = ("code",)
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"vai-tro-{n}")
    name = factory.Sequence(lambda n: f"Vai trò {n}")
    requires_2fa = False
    modules = factory.LazyFunction(lambda: ["orgs"])

    @factory.post_generation
    def perms(obj, create, extracted, **kwargs):
        # RoleFactory(perms=["accounts.view_user", ...])
        if create and extracted:
            obj.permissions.set(permissions(*extracted))

    class Params:
        admin = factory.Trait(requires_2fa=True, modules=["orgs", "admin"])


class RoleGrantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoleGrant

    user = factory.SubFactory(UserFactory)
    role = factory.SubFactory(RoleFactory)
    unit = factory.SubFactory(OrgUnitFactory)


class TOTPDeviceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TOTPDevice

    user = factory.SubFactory(UserFactory)
    name = "Ứng dụng xác thực"
    confirmed = True

"""Reads of the accounts app that other code uses: who a user is, what they may see."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from cqs.accounts.models import RoleGrant, User


def user_requires_second_factor(user) -> bool:
    """Superusers and holders of any role marked ``requires_2fa`` must verify a TOTP code."""
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    cache = user.__dict__
    if "_cqs_requires_2fa" not in cache:
        cache["_cqs_requires_2fa"] = RoleGrant.objects.filter(user=user, role__requires_2fa=True).exists()
    return cache["_cqs_requires_2fa"]


def user_has_totp(user) -> bool:
    """Whether ``user`` has a confirmed authenticator app."""
    from django_otp import user_has_device

    return user is not None and user.is_authenticated and user_has_device(user, confirmed=True)


def user_is_otp_verified(user) -> bool:
    """Whether this session was verified with the second factor (set by django-otp's middleware)."""
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified and is_verified())


def user_grants(*, user) -> QuerySet[RoleGrant]:
    return (
        RoleGrant.objects.filter(user=user)
        .select_related("role", "unit")
        .order_by("role__name", "unit__path")
    )


def user_profile_get(*, user) -> User:
    """``user`` with its profiles, grants, roles and units loaded in a fixed number of queries."""
    return (
        User.objects.select_related("official_profile__unit", "citizen_profile")
        .prefetch_related(
            Prefetch(
                "grants",
                queryset=RoleGrant.objects.select_related("role", "unit").order_by(
                    "role__name", "unit__path"
                ),
            )
        )
        .get(pk=user.pk)
    )


def user_list(*, user, action: str = "view") -> QuerySet[User]:
    """Accounts ``user`` may ``action``: officials of the units in scope of their grants."""
    return User.objects.restrict(user, action).select_related("official_profile__unit").order_by("username")

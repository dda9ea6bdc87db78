"""The Django admin behind the platform's own sign-in and second factor.

Installed as ``cqs.accounts.admin_site.CQSAdminConfig`` in place of ``django.contrib.admin``
(Django's documented way to replace the default site), so ``admin.site`` is a ``CQSAdminSite``.
"""

from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.http import HttpResponseRedirect
from django.urls import reverse


class CQSAdminSite(admin.AdminSite):
    def has_permission(self, request) -> bool:
        # Staff, and the second factor when the account's roles require it. The middleware
        # already enforces the latter on every page; this keeps the admin closed even if the
        # middleware were removed from the settings.
        from cqs.accounts.selectors import user_is_otp_verified, user_requires_second_factor

        user = request.user
        if not (user.is_active and user.is_staff):
            return False
        return user_is_otp_verified(user) or not user_requires_second_factor(user)

    def login(self, request, extra_context=None):
        # One way in: the platform's login page (throttled by django-axes, audited).
        next_url = request.GET.get("next") or reverse("admin:index", current_app=self.name)
        return HttpResponseRedirect(reverse("accounts:login") + "?" + urlencode({"next": next_url}))


class CQSAdminConfig(AdminConfig):
    default_site = "cqs.accounts.admin_site.CQSAdminSite"

"""Second factor: an administrator's password alone opens nothing but the TOTP pages."""

from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from cqs.accounts.selectors import user_has_totp, user_is_otp_verified, user_requires_second_factor
from cqs.core.api import PROBLEM_CONTENT_TYPE


class SecondFactorMiddleware:
    """A signed-in superuser, or holder of a role with ``requires_2fa``, who has not verified a
    TOTP code in this session is sent to enrol (no device yet) or to verify (has a device).

    Runs after django-otp's ``OTPMiddleware``. The TOTP pages themselves, logout, the login page,
    the language switch, static files and ``/healthz`` stay reachable; the API answers 403
    ``second_factor_required`` instead of redirecting.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self._exempt: tuple[str, ...] | None = None

    def exempt_paths(self) -> tuple[str, ...]:
        # Resolved on first use: URLconfs are not loaded when middleware is instantiated.
        if self._exempt is None:
            self._exempt = (
                reverse("accounts:2fa-setup"),
                reverse("accounts:2fa-verify"),
                reverse("accounts:logout"),
                reverse("accounts:login"),
                reverse("core:healthz"),
                "/i18n/",
                settings.STATIC_URL,
            )
        return self._exempt

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not user_is_otp_verified(user)
            and not request.path.startswith(self.exempt_paths())
            and user_requires_second_factor(user)
        ):
            return self.refuse(request, user)
        return self.get_response(request)

    def refuse(self, request, user):
        if request.path.startswith("/api/"):
            body = {
                "type": "about:blank",
                "status": 403,
                "code": "second_factor_required",
                "detail": _("Tài khoản này phải xác thực hai yếu tố (mã TOTP) trước khi dùng API."),
            }
            return JsonResponse(
                body, status=403, content_type=PROBLEM_CONTENT_TYPE, json_dumps_params={"ensure_ascii": False}
            )
        target = "accounts:2fa-verify" if user_has_totp(user) else "accounts:2fa-setup"
        query = urlencode({"next": request.get_full_path()}) if request.method == "GET" else ""
        return HttpResponseRedirect(reverse(target) + (f"?{query}" if query else ""))

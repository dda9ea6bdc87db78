"""Sign-in, sign-out and the second factor. Thin: the work is in ``services``."""

from urllib.parse import urlencode

import django_otp
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import Http404
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST
from django_otp.util import random_hex

from cqs.accounts import oidc, services
from cqs.accounts.forms import LoginForm, OTPTokenForm, RegisterForm
from cqs.accounts.selectors import user_has_totp, user_is_otp_verified, user_requires_second_factor
from cqs.accounts.totp import qr_svg, totp_config_url, totp_secret_display
from cqs.core import context
from cqs.core.exceptions import ServiceError

# The secret being enrolled lives in the session until the person proves it with a code, so
# that merely opening the setup page writes nothing.
TOTP_SETUP_SESSION_KEY = "cqs_totp_setup_key"
# Where to go after VNeID, kept across the round trip (the provider only carries ``state``).
VNEID_NEXT_SESSION_KEY = "cqs_vneid_next"
# Self-registration attempts per client address and window: slows down creating accounts in
# bulk and probing which CCCD numbers already have one.
REGISTER_ATTEMPTS_LIMIT = 10
REGISTER_WINDOW_SECONDS = 3600


def _safe_next(request, candidate: str) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def _next_url(request) -> str:
    return _safe_next(request, request.POST.get("next") or request.GET.get("next") or "")


def _with_next(url_name: str, next_url: str) -> str:
    return reverse(url_name) + "?" + urlencode({"next": next_url})


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request):
    next_url = _next_url(request)
    asked_for_page = bool(request.GET.get("next"))
    if request.method == "GET" and request.user.is_authenticated and not asked_for_page:
        return redirect(next_url)
    form = LoginForm(request, data=request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        user = form.get_user()
        services.user_login(request=request, user=user)
        if user_requires_second_factor(user):
            target = "accounts:2fa-verify" if user_has_totp(user) else "accounts:2fa-setup"
            return redirect(_with_next(target, next_url))
        return redirect(next_url)
    # A locked-out attempt never gets here as a page: django-axes' middleware replaces the
    # response with ``lockout`` below.
    # Signed in but sent here for a page: the account lacks the right (e.g. the admin site).
    other_account = request.user.is_authenticated and asked_for_page
    context = {
        "form": form,
        "next": next_url,
        "other_account": other_account,
        "vneid_enabled": oidc.vneid_enabled(),
    }
    return render(request, "accounts/login.html", context)


def _vneid_failed(request, message: str, next_url: str):
    messages.error(request, message)
    return redirect(_with_next("accounts:login", next_url))


@never_cache
@require_http_methods(["GET"])
def vneid_login(request):
    if not oidc.vneid_enabled():
        raise Http404
    next_url = _next_url(request)
    request.session[VNEID_NEXT_SESSION_KEY] = next_url
    redirect_uri = request.build_absolute_uri(reverse("accounts:vneid-callback"))
    try:
        return oidc.vneid_authorize_redirect(request, redirect_uri=redirect_uri)
    except oidc.VNeIDError as exc:
        return _vneid_failed(request, exc.message, next_url)


@never_cache
@require_http_methods(["GET"])
def vneid_callback(request):
    if not oidc.vneid_enabled():
        raise Http404
    # Checked again: the session value was checked when stored, but the host may differ now.
    next_url = _safe_next(request, request.session.pop(VNEID_NEXT_SESSION_KEY, ""))
    try:
        identity = oidc.vneid_identity_from_callback(request)
    except oidc.VNeIDError as exc:
        return _vneid_failed(request, exc.message, next_url)
    try:
        user = services.citizen_login_vneid(
            subject=identity.subject, cccd=identity.cccd, full_name=identity.full_name, phone=identity.phone
        )
    except ServiceError as exc:
        return _vneid_failed(request, exc.detail, next_url)
    services.user_login(request=request, user=user, method=oidc.LOGIN_METHOD_VNEID)
    return redirect(next_url)


def _client_address(request) -> str:
    return context.current().ip or request.META.get("REMOTE_ADDR", "") or "unknown"


def _register_throttled(request) -> bool:
    """Counts this attempt; True when the address has used up its attempts for the window."""
    key = f"cqs:accounts:register:{_client_address(request)}"
    cache.add(key, 0, REGISTER_WINDOW_SECONDS)
    try:
        attempts = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, REGISTER_WINDOW_SECONDS)
        attempts = 1
    return attempts > REGISTER_ATTEMPTS_LIMIT


@sensitive_post_parameters("password", "password_confirm")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def register_view(request):
    next_url = _next_url(request)
    if request.user.is_authenticated:
        return redirect(next_url)
    if request.method == "POST" and _register_throttled(request):
        return render(request, "accounts/register_throttled.html", status=429)
    form = RegisterForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.user_create_citizen(
                username=data["username"],
                password=data["password"],
                full_name=data["full_name"],
                cccd=data["cccd"],
                phone=data["phone"],
                email=data["email"],
            )
        except ServiceError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.detail)
        else:
            services.user_login(request=request, user=user)
            messages.success(request, _("Đăng ký thành công. Chào mừng bạn đến với dịch vụ công trực tuyến."))
            return redirect(next_url)
    return render(request, "accounts/register.html", {"form": form, "next": next_url})


@require_POST
def logout_view(request):
    services.user_logout(request=request)
    messages.info(request, _("Bạn đã đăng xuất."))
    return redirect(settings.LOGOUT_REDIRECT_URL)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def two_factor_setup(request):
    user = request.user
    next_url = _next_url(request)
    if user_has_totp(user):
        if user_is_otp_verified(user):
            messages.info(request, _("Tài khoản đã bật xác thực hai yếu tố."))
            return redirect(next_url)
        return redirect(_with_next("accounts:2fa-verify", next_url))

    key = request.session.get(TOTP_SETUP_SESSION_KEY)
    if not key:
        key = random_hex(20)
        request.session[TOTP_SETUP_SESSION_KEY] = key
    form = OTPTokenForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.totp_device_confirm(user=user, key=key, token=form.cleaned_data["otp_token"])
        except ServiceError as exc:
            form.add_error("otp_token", exc.detail)
        else:
            django_otp.login(request, device)
            request.session.pop(TOTP_SETUP_SESSION_KEY, None)
            messages.success(request, _("Đã bật xác thực hai yếu tố cho tài khoản."))
            return redirect(next_url)

    svg = qr_svg(totp_config_url(user=user, key=key)).replace(
        "<svg ", '<svg class="cqs-qr" role="img" aria-labelledby="qr-title" ', 1
    )
    context = {
        "form": form,
        "next": next_url,
        "required": user_requires_second_factor(user),
        "secret": totp_secret_display(key),
        # Drawn by qrcode from our own URL: no user-controlled markup reaches the page.
        "qr_svg": mark_safe(svg),  # noqa: S308
    }
    return render(request, "accounts/2fa_setup.html", context)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def two_factor_verify(request):
    user = request.user
    next_url = _next_url(request)
    if not user_has_totp(user):
        return redirect(_with_next("accounts:2fa-setup", next_url))
    if user_is_otp_verified(user):
        return redirect(next_url)
    form = OTPTokenForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_otp_verify(request=request, token=form.cleaned_data["otp_token"])
        except ServiceError as exc:
            form.add_error("otp_token", exc.detail)
        else:
            return redirect(next_url)
    return render(request, "accounts/2fa_verify.html", {"form": form, "next": next_url})


def lockout(request, original_response=None, credentials=None, *args, **kwargs):
    """django-axes calls this (``AXES_LOCKOUT_CALLABLE``) when a username + IP is locked out."""
    from axes.helpers import get_cool_off

    cool_off = get_cool_off(request)
    minutes = max(1, round(cool_off.total_seconds() / 60)) if cool_off else None
    return render(request, "accounts/lockout.html", {"minutes": minutes}, status=429)

from django.core.exceptions import ObjectDoesNotExist
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_safe

from cqs.accounts.selectors import user_profile_get
from cqs.core.modules import MODULES, modules_for


@require_GET
@never_cache
def healthz(request):
    """Liveness and database check for load balancers: 200 when the database answers."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


@require_safe
def home(request):
    """Landing page for visitors; for a signed-in user, their roles and the modules they may use."""
    if not request.user.is_authenticated:
        return render(request, "core/landing.html", {"modules": MODULES})
    # One read for the profiles, grants, roles and units, instead of one query per attribute.
    user = user_profile_get(user=request.user)
    grants = list(user.grants.all())
    modules = modules_for(user, grants=grants)
    # The navbar (core_tags.nav_modules) reuses this list instead of querying the grants again.
    request.cqs_modules = modules
    try:
        profile = user.official_profile
    except ObjectDoesNotExist:
        profile = None
    context = {"grants": grants, "profile": profile, "modules": modules, "is_citizen": user.is_citizen}
    return render(request, "core/home.html", context)

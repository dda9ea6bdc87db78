"""Who may open which LGSP page, in one place, and small helpers the page modules share.

Permissions are unit-scoped like everywhere else (``restrict`` / ``has_unit_permission``), with
the rule of ``selectors``: the registry operator (``lgsp.manage_registry``) acts for every unit
its grant covers and also for the members outside the province's tree (ministries, other
provinces: ``Member.unit`` is empty for them), so that their services and requests are never
orphaned.
"""

from __future__ import annotations

import unicodedata

from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator

from cqs.accounts.models import RoleGrant
from cqs.lgsp.selectors import holds_anywhere, may_act_for
from cqs.lgsp.selectors import scoped as selectors_scoped

APP = "lgsp"
PER_PAGE = 50


def holds(user, codename: str) -> bool:
    """Whether the user holds the LGSP permission ``codename`` on any unit."""
    return holds_anywhere(user, f"{APP}.{codename}")


def holds_any_lgsp(user) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return RoleGrant.objects.filter(user=user, role__permissions__content_type__app_label=APP).exists()


def require(request, *codenames: str) -> None:
    """403 unless the user holds one of ``codenames`` somewhere (the rows are then narrowed)."""
    if not any(holds(request.user, codename) for codename in codenames):
        raise PermissionDenied


def is_registry_operator(user) -> bool:
    return holds(user, "manage_registry")


def is_gateway_operator(user) -> bool:
    return holds(user, "operate_gateway")


def scoped(queryset, user, action: str, *, unit_field: str | None = None):
    """The rows the user may ``action`` (a dotted ``lgsp.…`` permission) on: ``selectors.scoped``."""
    return selectors_scoped(queryset, user, (action,), unit_field or queryset.unit_field)


def may(user, permission: str, unit) -> bool:
    """Whether the user may act with ``permission`` (dotted) on a row of ``unit`` (None: a member
    outside the province's tree, which only the registry operator acts for)."""
    return may_act_for(user, unit, permission)


def fold(text: str) -> str:
    """Lower case without diacritics, for a search that finds "ho tich" in "Hộ tịch"."""
    text = unicodedata.normalize("NFD", (text or "").lower().replace("đ", "d"))
    return "".join(char for char in text if not unicodedata.combining(char))


def page_of(request, items, per_page: int = PER_PAGE):
    page = Paginator(items, per_page).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return page, query.urlencode()


def form_error(form, error, aliases: dict[str, str] | None = None) -> None:
    """Show a ``ServiceError`` on the field it names (renamed by ``aliases``), else above the form."""
    field = (aliases or {}).get(error.field, error.field)
    form.add_error(field if field in form.fields else None, error.detail)

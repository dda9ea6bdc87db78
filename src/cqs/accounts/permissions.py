"""Unit-scoped permissions, in one place.

A user holds roles on units (``RoleGrant``); a grant on a unit covers its whole subtree. Every
queryset a user sees is narrowed by ``restrict_queryset`` (exposed as ``.restrict(user, action)``
on querysets). No group or role names appear in code: only permission codenames.
"""

from functools import reduce
from operator import or_

from django.db import models


def permission_codename(model: type[models.Model], action: str) -> tuple[str, str]:
    """``("orgs", "view_orgunit")`` for action ``view``; a dotted action is taken as given."""
    if "." in action:
        app_label, codename = action.split(".", 1)
        return app_label, codename
    return model._meta.app_label, f"{action}_{model._meta.model_name}"


def granted_unit_paths(user, app_label: str, codename: str) -> list[str]:
    from cqs.accounts.models import RoleGrant

    cache = user.__dict__.setdefault("_cqs_grant_paths", {})
    key = (app_label, codename)
    if key not in cache and ("*", app_label) in cache:
        return []  # primed for the app (grant_paths_prime): no grant carries this permission
    if key not in cache:
        cache[key] = list(
            RoleGrant.objects.filter(
                user=user,
                role__permissions__content_type__app_label=app_label,
                role__permissions__codename=codename,
            )
            .values_list("unit__path", flat=True)
            .distinct()
        )
    return cache[key]


def top_granted_paths(user, app_label: str, codename: str) -> list[str] | None:
    """The paths of the highest units where ``user`` holds ``app_label.codename`` (a grant below
    another is left out); None means every unit (a superuser), [] none."""
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    if user.is_superuser:
        return None
    paths = sorted(set(granted_unit_paths(user, app_label, codename)))
    return [p for p in paths if not any(p != q and p.startswith(q) for q in paths)]


def paths_under(roots: list[str]) -> models.Q:
    """Units in the subtrees of ``roots`` (OrgUnit paths); nothing for an empty list."""
    return reduce(or_, (models.Q(path__startswith=p) for p in roots)) if roots else models.Q(pk__in=[])


def stats_rows_of_units(roots: list[str] | None, unit):
    """The rows of a per-unit statistics table: ``(units, row_units, row_key, parents)``.

    ``units`` are the units under ``roots`` (dicts: pk, path, name, parent_id, validity);
    ``row_units`` the rows (``unit``'s children, else the roots: the tree's tops for None);
    ``row_key(path)`` the row a unit's figures roll up into ("self" for ``unit`` itself, None
    outside every row); ``parents`` the ids that have children (rows that drill down).
    """
    from cqs.orgs.models import OrgUnit

    units_qs = OrgUnit.objects.all() if roots is None else OrgUnit.objects.filter(paths_under(roots))
    units = list(
        units_qs.order_by("kind__rank", "name", "pk").values(
            "pk", "path", "name", "parent_id", "valid_from", "valid_to"
        )
    )
    by_path = {u["path"]: u for u in units}
    if unit is not None:
        row_units = [u for u in units if u["parent_id"] == unit.pk]
        parent_path = unit.path

        def row_key(path: str):
            rest = path[len(parent_path) :]
            return int(rest.split("/", 1)[0]) if rest else "self"

    else:
        row_units = (
            [u for u in units if u["parent_id"] is None] if roots is None else [by_path[p] for p in roots]
        )
        top_ids = {u["path"]: u["pk"] for u in row_units}

        def row_key(path: str):
            parts = path.strip("/").split("/")
            for i in range(1, len(parts) + 1):
                prefix = "/" + "/".join(parts[:i]) + "/"
                if prefix in top_ids:
                    return top_ids[prefix]
            return None

    parents = {u["parent_id"] for u in units}
    return units, row_units, row_key, parents


def grant_paths_prime(user, app_label: str) -> None:
    """Load, in one query, the unit paths of every permission of ``app_label`` the user holds,
    so that later checks of several permissions (the buttons of a page) ask nothing more."""
    from cqs.accounts.models import RoleGrant

    if user is None or not user.is_authenticated:
        return
    cache = user.__dict__.setdefault("_cqs_grant_paths", {})
    if ("*", app_label) in cache:
        return
    rows = (
        RoleGrant.objects.filter(user=user, role__permissions__content_type__app_label=app_label)
        .values_list("role__permissions__codename", "unit__path")
        .distinct()
    )
    found: dict[tuple[str, str], list[str]] = {}
    for codename, path in rows:
        found.setdefault((app_label, codename), []).append(path)
    for key, paths in found.items():
        cache.setdefault(key, paths)
    cache[("*", app_label)] = True


def units_in_scope(user, app_label: str, codename: str):
    """Queryset of OrgUnit rows the user may act on with this permission."""
    from cqs.orgs.models import OrgUnit

    paths = granted_unit_paths(user, app_label, codename)
    if not paths:
        return OrgUnit.objects.none()
    return OrgUnit.objects.filter(reduce(or_, (models.Q(path__startswith=p) for p in paths)))


def restrict_queryset(queryset: models.QuerySet, user, action: str, *, unit_field: str) -> models.QuerySet:
    """Narrow ``queryset`` to the rows whose unit (``unit_field``) the user may ``action``."""
    if user is None or not user.is_authenticated or not user.is_active:
        return queryset.none()
    if user.is_superuser:
        return queryset
    app_label, codename = permission_codename(queryset.model, action)
    units = units_in_scope(user, app_label, codename)
    return queryset.filter(**{f"{unit_field}__in": units.values("pk")})


def has_unit_permission(user, action: str, unit, model: type[models.Model] | None = None) -> bool:
    """Whether ``user`` may ``action`` on ``unit`` (a grant on the unit or one of its ancestors)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    if model is None and "." not in action:
        raise ValueError("give a dotted permission or a model")
    app_label, codename = permission_codename(model, action) if model else action.split(".", 1)
    return any(unit.path.startswith(p) for p in granted_unit_paths(user, app_label, codename))


class RestrictedQuerySet(models.QuerySet):
    """Base queryset for every model whose rows belong to a unit.

    Subclasses name the path from the model to its ``OrgUnit`` in ``unit_field`` (``"unit"``,
    ``"dossier__unit"``, ``"official_profile__unit"``…), and every app narrows what a user sees
    the same way: ``Model.objects.restrict(request.user, "view")``.
    """

    unit_field: str = "unit"

    def restrict(self, user, action: str = "view") -> "RestrictedQuerySet":
        return restrict_queryset(self, user, action, unit_field=self.unit_field)

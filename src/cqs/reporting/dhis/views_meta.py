"""DHIS2 Web API, metadata side: ``system/info``, ``system/id``, ``me``, the metadata collections
and a data set's entry template (docs/reporting-dhis2.md).

Org units are public facts of the state: any authenticated account reads them. The rest of the
metadata (indicators, regimes, disaggregations) is readable by officials and by anyone holding
``reporting.view_regime`` on some unit.
"""

from __future__ import annotations

from datetime import date
from importlib.metadata import PackageNotFoundError, version

from django.conf import settings
from django.http import JsonResponse
from django.utils import timezone

from cqs.accounts.permissions import granted_unit_paths
from cqs.orgs.models import OrgUnit
from cqs.reporting.dhis import resources
from cqs.reporting.dhis.auth import dhis_error, dhis_view
from cqs.reporting.dhis.query import collection_query, detail_query
from cqs.reporting.dhis.schema import REGISTRY, Context, QueryError, dhis_datetime
from cqs.reporting.models import Regime
from cqs.reporting.periods import PeriodError, period_parse
from cqs.reporting.selectors import regime_version_for, regime_version_on
from cqs.reporting.services.reports import form_cells
from cqs.reporting.uids import uid_generate

# The DHIS2 release whose Web API this subset follows; clients branch on it (dhis2.py reads the
# minor number as the API version).
DHIS2_VERSION = "2.40.0"
SYSTEM_NAME = "CQS — Hệ thống thông tin báo cáo"
UID_LIMIT = 10_000
PUBLIC_COLLECTIONS = frozenset({resources.ORG_UNITS.name})
COLLECTIONS = frozenset(r.name for r in resources.METADATA)


def dhis_json(data, status: int = 200) -> JsonResponse:
    """DHIS2 answers UTF-8 JSON; Vietnamese names stay readable (not \\u-escaped)."""
    return JsonResponse(
        data,
        status=status,
        json_dumps_params={"ensure_ascii": False},
        content_type="application/json; charset=utf-8",
    )


def may_read_metadata(user) -> bool:
    if user.is_superuser or getattr(user, "is_official", False):
        return True
    return bool(granted_unit_paths(user, "reporting", "view_regime"))


def _forbidden():
    return dhis_error(403, "Tài khoản không có quyền xem danh mục chỉ tiêu, chế độ báo cáo.", code="E1006")


def _context(request) -> Context:
    raw = request.GET.get("asOf")
    on = timezone.localdate()
    if raw:
        try:
            on = date.fromisoformat(raw)
        except ValueError:
            raise QueryError(f"Ngày asOf không hợp lệ: “{raw}” (định dạng YYYY-MM-DD).", "E2020") from None
    history = (request.GET.get("includeHistory") or "").lower() == "true"
    return Context(on=on, include_history=history, request=request)


def _cqs_version() -> str:
    try:
        return version("cqs")
    except PackageNotFoundError:
        return "dev"


@dhis_view()
def system_info(request):
    now = timezone.localtime()
    cqs = _cqs_version()
    return dhis_json(
        {
            "version": DHIS2_VERSION,
            "revision": f"cqs-{cqs}",
            "buildTime": dhis_datetime(now.replace(hour=0, minute=0, second=0, microsecond=0)),
            "serverDate": dhis_datetime(now),
            "serverTimeZoneId": settings.TIME_ZONE,
            "serverTimeZoneDisplayName": settings.TIME_ZONE,
            "contextPath": request.build_absolute_uri("/dhis").rstrip("/"),
            "systemName": SYSTEM_NAME,
            "calendar": "iso8601",
            "dateFormat": "yyyy-mm-dd",
            "isMetadataVersionEnabled": False,
            # Not DHIS2: says what answers, so that nobody mistakes it for a DHIS2 server.
            "compatibility": f"CQS {cqs}: một phần Web API của DHIS2 {DHIS2_VERSION}",
        }
    )


@dhis_view()
def system_id(request):
    raw = request.GET.get("limit") or request.GET.get("n") or "1"
    try:
        limit = int(raw)
    except ValueError:
        return dhis_error(400, "Tham số limit phải là số nguyên.", code="E2018")
    if not 1 <= limit <= UID_LIMIT:
        return dhis_error(400, f"Tham số limit phải từ 1 đến {UID_LIMIT}.", code="E2018")
    return dhis_json({"codes": [uid_generate() for _ in range(limit)]})


@dhis_view()
def me(request):
    user = request.user
    units = []
    profile = getattr(user, "official_profile", None)
    if profile is not None:
        units.append(profile.unit)
    seen = {u.pk for u in units}
    for grant in user.grants.select_related("unit").order_by("unit__path"):
        if grant.unit_id not in seen:
            seen.add(grant.unit_id)
            units.append(grant.unit)
    refs = [{"id": str(u.pk), "name": u.name} for u in units]
    name = user.full_name or user.get_username()
    return dhis_json(
        {
            "id": str(user.pk),
            "username": user.get_username(),
            "name": name,
            "displayName": name,
            "organisationUnits": refs,
            "dataViewOrganisationUnits": refs,
        }
    )


@dhis_view()
def collection_list(request, collection: str):
    resource = REGISTRY[collection]
    if collection not in PUBLIC_COLLECTIONS and not may_read_metadata(request.user):
        return _forbidden()
    try:
        page = collection_query(resource, request.GET, _context(request))
    except QueryError as exc:
        return dhis_error(400, exc.message, code=exc.code)
    body = {}
    if page.paging:
        pager = {
            "page": page.page,
            "pageCount": page.page_count,
            "total": page.total,
            "pageSize": page.page_size,
        }
        if page.page < page.page_count:
            pager["nextPage"] = _page_url(request, page.page + 1)
        if page.page > 1:
            pager["prevPage"] = _page_url(request, min(page.page - 1, page.page_count))
        body["pager"] = pager
    body[collection] = page.rows
    return dhis_json(body)


def _page_url(request, number: int) -> str:
    params = request.GET.copy()
    params["page"] = str(number)
    return f"{request.build_absolute_uri(request.path)}?{params.urlencode(safe='[]:,!*')}"


@dhis_view()
def collection_detail(request, collection: str, ident: str):
    resource = REGISTRY[collection]
    if collection not in PUBLIC_COLLECTIONS and not may_read_metadata(request.user):
        return _forbidden()
    try:
        context = _context(request)
        row = detail_query(resource, ident, request.GET, context)
        if row is None and not context.include_history:
            # A closed org unit or a regime no longer in force is still found by its id.
            context = Context(on=context.on, include_history=True, request=request)
            row = detail_query(resource, ident, request.GET, context)
    except QueryError as exc:
        return dhis_error(400, exc.message, code=exc.code)
    if row is None:
        return dhis_error(404, f"Không tìm thấy đối tượng “{ident}” trong {collection}.", code="E1005")
    return dhis_json(row)


def _org_unit(ident: str, on: date) -> OrgUnit | None:
    if ident.isdigit():
        found = OrgUnit.objects.filter(pk=int(ident)).first()
        if found is not None:
            return found
    return OrgUnit.objects.as_of(on).filter(identifier=ident).order_by("-valid_from").first()


@dhis_view()
def data_set_template(request, ident: str):
    """``dataSets/{id}/dataValueSet``: the cells of the form as an empty data value set."""
    if not may_read_metadata(request.user):
        return _forbidden()
    regime = Regime.objects.filter(uid=ident).first() or Regime.objects.filter(code=ident).first()
    if regime is None:
        return dhis_error(404, f"Không tìm thấy chế độ báo cáo “{ident}”.", code="E1005")
    today = timezone.localdate()
    period_text = request.GET.get("period") or request.GET.get("pe") or ""
    spec = None
    if period_text:
        try:
            spec = period_parse(period_text)
        except PeriodError:
            return dhis_error(409, f"Kỳ báo cáo không hợp lệ: “{period_text}”.", code="E7610")
    version = regime_version_for(regime, spec) if spec else regime_version_on(regime, today)
    if version is None:
        return dhis_error(404, "Chế độ báo cáo không có phiên bản hiệu lực vào ngày này.", code="E1005")
    unit_text = request.GET.get("orgUnit") or request.GET.get("ou") or ""
    unit = None
    if unit_text:
        unit = _org_unit(unit_text, spec.end if spec else today)
        if unit is None:
            return dhis_error(409, f"Không tìm thấy đơn vị “{unit_text}”.", code="E7612")
    common = {}
    if spec is not None:
        common["period"] = spec.iso
    if unit is not None:
        common["orgUnit"] = str(unit.pk)
    values = [
        {
            "dataElement": indicator.uid,
            "categoryOptionCombo": option.uid,
            **common,
            "value": "",
            "comment": "",
        }
        for indicator, option in form_cells(version).values()
    ]
    return dhis_json({"dataSet": regime.uid, **common, "dataValues": values})

"""Routes of the DHIS2-compatible Web API, mounted at ``/dhis/api/`` (docs/reporting-dhis2.md).

DHIS2 clients also call ``/api/40/…`` (a version prefix, ignored here: one API answers) and add a
format suffix (dhis2.py asks for ``system/info.json``), so every route takes an optional ``.json``;
data value sets take the other formats too and the view reads the suffix from the path.
"""

from django.urls import include, re_path

from cqs.reporting.dhis import views_data, views_meta
from cqs.reporting.dhis.resources import METADATA

app_name = "dhis"

_JSON = r"(?:\.json)?$"
_COLLECTIONS = "|".join(r.name for r in METADATA)

api = [
    re_path(rf"^system/info{_JSON}", views_meta.system_info, name="system-info"),
    re_path(rf"^system/(?:id|uid){_JSON}", views_meta.system_id, name="system-id"),
    re_path(rf"^me{_JSON}", views_meta.me, name="me"),
    re_path(
        rf"^dataSets/(?P<ident>[^/]+?)/dataValueSet{_JSON}",
        views_meta.data_set_template,
        name="data-set-template",
    ),
    # The view reads the format from the suffix (or the Accept / Content-Type header).
    re_path(
        r"^dataValueSets(?:\.(?:json|csv|xml|adx))?$", views_data.data_value_sets, name="data-value-sets"
    ),
    re_path(
        rf"^completeDataSetRegistrations{_JSON}",
        views_data.complete_registrations,
        name="complete-registrations",
    ),
    re_path(rf"^(?P<collection>{_COLLECTIONS}){_JSON}", views_meta.collection_list, name="list"),
    re_path(
        rf"^(?P<collection>{_COLLECTIONS})/(?P<ident>[^/]+?){_JSON}",
        views_meta.collection_detail,
        name="detail",
    ),
]

urlpatterns = [
    # "/dhis/api/40/system/info" and "/dhis/api/system/info" reach the same view; the
    # non-capturing group passes no argument, so views need not know about versions.
    re_path(r"^(?:\d{2,3}/)?", include(api)),
]

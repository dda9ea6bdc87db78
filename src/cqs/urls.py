from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

admin.site.site_header = "CQS — Quản trị"
admin.site.site_title = "CQS"

api_v1 = [
    path("", include("cqs.accounts.api.urls")),
    path("", include("cqs.orgs.api.urls")),
    path("", include("cqs.plans.api.urls")),
    path("", include("cqs.onestop.api.urls")),
    path("", include("cqs.onestop.api.urls_stats")),
    path("dvcqg/", include("cqs.onestop.api.dvcqg")),
    path("", include("cqs.documents.api.urls")),
    path("reporting/", include("cqs.reporting.api.urls")),
    path("lgsp/", include("cqs.lgsp.api.urls")),
    path("feedback/", include("cqs.feedback.api.urls")),
    path("ioc/", include("cqs.ioc.api.urls")),
]

urlpatterns = [
    path("", include("cqs.core.urls")),
    path("accounts/", include("cqs.accounts.urls")),
    path("orgs/", include("cqs.orgs.urls")),
    path("plans/", include("cqs.plans.urls")),
    path("onestop/", include("cqs.onestop.urls")),
    path("van-ban/", include("cqs.documents.urls")),
    path("bao-cao/", include("cqs.reporting.urls")),
    # The gateways forward X-Road metaservice calls here (docs/lgsp.md#metaservices).
    path("lgsp/meta/", include("cqs.lgsp.urls_meta")),
    path("lgsp/", include("cqs.lgsp.urls")),
    path("phan-anh/", include("cqs.feedback.urls")),
    path("ioc/", include("cqs.ioc.urls")),
    # Open311 GeoReport v2 (docs/feedback.md#open311): apps and other cities' tools point here.
    path("open311/v2/", include("cqs.feedback.open311.urls")),
    # DHIS2-compatible Web API (docs/reporting-dhis2.md): existing DHIS2 clients point here.
    path("dhis/api/", include("cqs.reporting.dhis.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

"""``/api/v1/ioc/``: every figure of the dashboard, the projects and the DTI results."""

from django.urls import include, path

urlpatterns = [
    path("", include("cqs.ioc.api.urls_kpis")),
    path("projects/", include("cqs.ioc.api.urls_projects")),
    path("dti/", include("cqs.ioc.api.urls_dti")),
]

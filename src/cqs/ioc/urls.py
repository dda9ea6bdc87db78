"""Pages of the IOC (namespace ``ioc``): the dashboard and unit pages, projects, DTI."""

from django.urls import include, path

app_name = "ioc"
urlpatterns = [
    path("", include("cqs.ioc.urls_dashboard")),
    path("du-an/", include("cqs.ioc.urls_projects")),
    path("dti/", include("cqs.ioc.urls_dti")),
]

from django.urls import include, path

app_name = "reporting"

urlpatterns = [
    path("", include("cqs.reporting.urls_dashboard")),
]

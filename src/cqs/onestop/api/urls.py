from django.urls import include, path

from cqs.onestop.api.views import ProcedureDetailView, ProcedureListView

urlpatterns = [
    path("procedures/", ProcedureListView.as_view(), name="onestop-api-procedure-list"),
    path("procedures/<str:code>/", ProcedureDetailView.as_view(), name="onestop-api-procedure-detail"),
    path("", include("cqs.onestop.api.urls_dossiers")),
]

"""Route of the statistics API (included under /api/v1/)."""

from django.urls import path

from cqs.onestop.api.stats import DossierStatisticsView

urlpatterns = [
    path(
        "statistics/dossiers/",
        DossierStatisticsView.as_view(),
        name="onestop-api-statistics-dossiers",
    ),
]

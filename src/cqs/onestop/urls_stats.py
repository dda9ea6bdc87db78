"""Statistics pages, included into ``cqs.onestop.urls`` (namespace ``onestop``)."""

from django.urls import path

from cqs.onestop import views_stats

urlpatterns = [
    path("thong-ke/", views_stats.stats_page, name="stats"),
    path("thong-ke/ho-so/", views_stats.stats_dossiers, name="stats-dossiers"),
    path("thong-ke/excel/", views_stats.stats_excel, name="stats-excel"),
    path("so-theo-doi/excel/", views_stats.register_excel, name="stats-register"),
]

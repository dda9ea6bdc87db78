"""Routes of the reporting API (included under /api/v1/reporting/ by ``cqs.urls``)."""

from django.urls import path

from cqs.reporting.api import reports, views

urlpatterns = [
    path("regimes/", views.RegimeListView.as_view(), name="reporting-api-regimes"),
    path("regimes/<str:code>/", views.RegimeDetailView.as_view(), name="reporting-api-regime"),
    path(
        "regimes/<str:code>/versions/",
        views.RegimeVersionListView.as_view(),
        name="reporting-api-regime-versions",
    ),
    path(
        "regimes/<str:code>/versions/<int:version>/",
        views.RegimeVersionDetailView.as_view(),
        name="reporting-api-regime-version",
    ),
    path("indicators/", views.IndicatorListView.as_view(), name="reporting-api-indicators"),
    path("indicators/<str:code>/", views.IndicatorDetailView.as_view(), name="reporting-api-indicator"),
    path("reports/", reports.ReportListView.as_view(), name="reporting-api-reports"),
    path("reports/<int:pk>/", reports.ReportDetailView.as_view(), name="reporting-api-report"),
    path("reports/<int:pk>/values/", reports.ReportValuesView.as_view(), name="reporting-api-report-values"),
    path("reports/<int:pk>/check/", reports.ReportCheckView.as_view(), name="reporting-api-report-check"),
    path("reports/<int:pk>/submit/", reports.ReportSubmitView.as_view(), name="reporting-api-report-submit"),
    path("reports/<int:pk>/return/", reports.ReportReturnView.as_view(), name="reporting-api-report-return"),
    path(
        "reports/<int:pk>/approve/", reports.ReportApproveView.as_view(), name="reporting-api-report-approve"
    ),
    path(
        "reports/<int:pk>/lock-exceptions/",
        reports.LockExceptionView.as_view(),
        name="reporting-api-report-lock-exceptions",
    ),
    path("reports/<int:pk>/events/", reports.ReportEventsView.as_view(), name="reporting-api-report-events"),
    path("reports/<int:pk>/pdf/", reports.ReportPdfView.as_view(), name="reporting-api-report-pdf"),
]

"""Routes of the staff feedback API (included under /api/v1/feedback/)."""

from django.urls import path

from cqs.feedback.api import views

urlpatterns = [
    path("reports/", views.ReportListView.as_view(), name="feedback-api-report-list"),
    path("reports/<str:code>/", views.ReportDetailView.as_view(), name="feedback-api-report-detail"),
    path("reports/<str:code>/actions/", views.ReportActionView.as_view(), name="feedback-api-report-actions"),
    path("categories/", views.CategoryListView.as_view(), name="feedback-api-categories"),
    path("statistics/", views.StatisticsView.as_view(), name="feedback-api-statistics"),
]

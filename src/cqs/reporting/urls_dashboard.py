"""Dashboards (included by ``urls.py`` in the "reporting" namespace)."""

from django.urls import path

from cqs.reporting import views_dashboard

urlpatterns = [
    path("tong-hop/", views_dashboard.dashboard, name="dashboard"),
    path("tong-hop/chi-tieu/<str:code>/", views_dashboard.indicator, name="indicator"),
]

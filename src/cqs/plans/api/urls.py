from django.urls import path

from cqs.plans.api.views import PlanDetailView, PlanListView

urlpatterns = [
    path("plans/", PlanListView.as_view(), name="plans-api-list"),
    path("plans/<int:pk>/", PlanDetailView.as_view(), name="plans-api-detail"),
]

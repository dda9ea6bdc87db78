from django.urls import path

from cqs.orgs.api import views

urlpatterns = [
    path("org-units/", views.OrgUnitListView.as_view(), name="orgunit-list"),
    path("org-units/<int:pk>/", views.OrgUnitDetailView.as_view(), name="orgunit-detail"),
]

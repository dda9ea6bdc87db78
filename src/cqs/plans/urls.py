from django.urls import path

from cqs.plans import views

app_name = "plans"
urlpatterns = [
    path("", views.plan_detail, name="detail"),
    path("projects/", views.plan_projects, name="projects"),
    path("systems/", views.plan_systems, name="systems"),
]

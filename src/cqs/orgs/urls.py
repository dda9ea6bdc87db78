from django.urls import path

from cqs.orgs import views

app_name = "orgs"
urlpatterns = [
    path("", views.tree, name="tree"),
    path("<int:pk>/", views.unit, name="unit"),
    path("events/<int:pk>/", views.event, name="event"),
]

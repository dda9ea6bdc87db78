from django.urls import path

from cqs.onestop import views

app_name = "onestop"
urlpatterns = [
    path("procedures/", views.procedure_list, name="procedure-list"),
    path("procedures/<str:code>/", views.procedure_detail, name="procedure-detail"),
]

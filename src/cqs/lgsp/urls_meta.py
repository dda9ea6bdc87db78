"""X-Road metaservices answered by the control plane (included under /lgsp/meta/ by ``cqs.urls``).

The gateways forward ``/r1/listClients`` and ``/r1/{I}/{C}/{M}/{S}/{metaservice}`` here, keeping the
path; ``views_meta`` says who may ask.
"""

from django.urls import path

from cqs.lgsp import views_meta

app_name = "lgsp_meta"
urlpatterns = [
    path("r1/listClients", views_meta.list_clients, name="list_clients"),
    path(
        "r1/<str:instance>/<str:member_class>/<str:member>/<str:subsystem>/<str:name>",
        views_meta.metaservice,
        name="metaservice",
    ),
]

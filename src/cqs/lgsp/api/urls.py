"""Routes of the LGSP API (included under /api/v1/lgsp/ by ``cqs.urls``)."""

from django.urls import path

from cqs.lgsp.api import views

urlpatterns = [
    path("oauth/token", views.TokenView.as_view(), name="lgsp-api-oauth-token"),
    path("members/", views.MemberListView.as_view(), name="lgsp-api-members"),
    path("subsystems/", views.SubsystemListView.as_view(), name="lgsp-api-subsystems"),
    path("services/", views.ServiceListView.as_view(), name="lgsp-api-services"),
    path("services/<int:pk>/", views.ServiceDetailView.as_view(), name="lgsp-api-service"),
    path("services/<int:pk>/openapi", views.ServiceOpenApiView.as_view(), name="lgsp-api-service-openapi"),
    path("services/<int:pk>/publish/", views.ServicePublishView.as_view(), name="lgsp-api-service-publish"),
    path("services/<int:pk>/retire/", views.ServiceRetireView.as_view(), name="lgsp-api-service-retire"),
    path(
        "services/<int:pk>/endpoints/", views.EndpointCreateView.as_view(), name="lgsp-api-service-endpoints"
    ),
    path("codelists/", views.CodeListListView.as_view(), name="lgsp-api-codelists"),
    path("codelists/<str:code>/", views.CodeListDetailView.as_view(), name="lgsp-api-codelist"),
    path("requests/", views.RequestListView.as_view(), name="lgsp-api-requests"),
    path("requests/<int:pk>/", views.RequestDetailView.as_view(), name="lgsp-api-request"),
    path("requests/<int:pk>/approve/", views.RequestApproveView.as_view(), name="lgsp-api-request-approve"),
    path("requests/<int:pk>/refuse/", views.RequestRefuseView.as_view(), name="lgsp-api-request-refuse"),
    path(
        "requests/<int:pk>/withdraw/", views.RequestWithdrawView.as_view(), name="lgsp-api-request-withdraw"
    ),
    path("grants/", views.GrantListView.as_view(), name="lgsp-api-grants"),
    path("grants/<int:pk>/revoke/", views.GrantRevokeView.as_view(), name="lgsp-api-grant-revoke"),
    path("credentials/", views.CredentialListView.as_view(), name="lgsp-api-credentials"),
    path(
        "credentials/<int:pk>/revoke/",
        views.CredentialRevokeView.as_view(),
        name="lgsp-api-credential-revoke",
    ),
    path("gateway/generations/", views.GenerationListView.as_view(), name="lgsp-api-generations"),
    path("gateway/status/", views.GatewayStatusView.as_view(), name="lgsp-api-gateway-status"),
    path("gateway/publish/", views.GatewayPublishView.as_view(), name="lgsp-api-gateway-publish"),
]

"""Routes of the dossier API (included under /api/v1/ by ``cqs.onestop.api.urls``)."""

from django.urls import path

from cqs.onestop.api import dossiers

urlpatterns = [
    path("dossiers/", dossiers.DossierListCreateView.as_view(), name="onestop-api-dossier-list"),
    path("dossiers/<int:pk>/", dossiers.DossierDetailView.as_view(), name="onestop-api-dossier-detail"),
    path(
        "dossiers/<int:pk>/submit/", dossiers.DossierSubmitView.as_view(), name="onestop-api-dossier-submit"
    ),
    path(
        "dossiers/<int:pk>/actions/", dossiers.DossierActionView.as_view(), name="onestop-api-dossier-action"
    ),
    path(
        "dossiers/<int:pk>/attachments/",
        dossiers.AttachmentUploadView.as_view(),
        name="onestop-api-dossier-attachments",
    ),
    path(
        "dossiers/<int:pk>/attachments/<int:file_id>/",
        dossiers.AttachmentDownloadView.as_view(),
        name="onestop-api-dossier-attachment",
    ),
    path("dossiers/<int:pk>/payments/", dossiers.PaymentView.as_view(), name="onestop-api-dossier-payments"),
    path("dossiers/<int:pk>/rating/", dossiers.RatingView.as_view(), name="onestop-api-dossier-rating"),
    path("lookup/", dossiers.LookupView.as_view(), name="onestop-api-lookup"),
]

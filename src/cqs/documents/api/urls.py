"""Routes of the documents API (included under /api/v1/ by ``cqs.urls``)."""

from django.urls import path

from cqs.documents.api import views

urlpatterns = [
    path("documents/", views.DocumentListView.as_view(), name="documents-api-list"),
    path("documents/search/", views.DocumentSearchView.as_view(), name="documents-api-search"),
    path("documents/outgoing/", views.OutgoingCreateView.as_view(), name="documents-api-outgoing"),
    path("documents/incoming/", views.IncomingScanView.as_view(), name="documents-api-incoming"),
    path("documents/register/", views.RegisterManyView.as_view(), name="documents-api-register-many"),
    path("documents/<int:pk>/", views.DocumentDetailView.as_view(), name="documents-api-detail"),
    path("documents/<int:pk>/actions/", views.DocumentActionView.as_view(), name="documents-api-action"),
    path("documents/<int:pk>/files/", views.FileUploadView.as_view(), name="documents-api-files"),
    path(
        "documents/<int:pk>/files/<int:file_id>/", views.FileDownloadView.as_view(), name="documents-api-file"
    ),
    path(
        "documents/<int:pk>/signing/prepare/",
        views.SigningPrepareView.as_view(),
        name="documents-api-sign-prepare",
    ),
    path(
        "documents/<int:pk>/signing/finish/",
        views.SigningFinishView.as_view(),
        name="documents-api-sign-finish",
    ),
    path("registers/", views.RegisterListView.as_view(), name="documents-api-registers"),
    path(
        "registers/<int:pk>/entries/",
        views.RegisterEntriesView.as_view(),
        name="documents-api-register-entries",
    ),
]

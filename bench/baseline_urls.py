"""URLs of the benchmark server: all of CQS, plus a plain Django REST framework create and
retrieve on the same ``onestop.Dossier`` table, as the same-run baseline of the dossier API.

The baseline is what a generic CRUD endpoint costs on this stack: a ``ModelSerializer``, one
INSERT (or one SELECT), no services, no audit trail, no outbox, no counter, no history row.
It goes through the same middleware (sessions, CSRF, CSP, axes...) and, for the create, the same
session authentication as ``POST /api/v1/dossiers/``. Mounted only by ``bench/settings_bench.py``.
"""

from django.urls import include, path
from rest_framework import generics, serializers
from rest_framework.permissions import AllowAny

from cqs.onestop.models import Dossier


class BaselineCreateSerializer(serializers.ModelSerializer):
    class Meta:
        model = Dossier
        fields = ["id", "procedure", "version", "unit", "channel", "applicant_name", "form_data", "status"]
        read_only_fields = ["id", "status"]


class BaselineCreateView(generics.CreateAPIView):
    serializer_class = BaselineCreateSerializer
    queryset = Dossier.objects.all()

    def perform_create(self, serializer):
        serializer.save(created_by=self.request.user, applicant=self.request.user)


class BaselineRetrieveSerializer(serializers.ModelSerializer):
    class Meta:
        model = Dossier
        fields = [
            "code",
            "procedure",
            "version",
            "unit",
            "status",
            "submitted_at",
            "received_at",
            "due_at",
            "returned_at",
        ]


class BaselineRetrieveView(generics.RetrieveAPIView):
    serializer_class = BaselineRetrieveSerializer
    queryset = Dossier.objects.all()
    lookup_field = "code"
    permission_classes = [AllowAny]
    authentication_classes: list = []


urlpatterns = [
    path("bench/baseline/dossiers/", BaselineCreateView.as_view()),
    path("bench/baseline/dossiers/<str:code>/", BaselineRetrieveView.as_view()),
    path("", include("cqs.urls")),
]

from django.urls import include, path

from cqs.onestop import views, views_dossiers, views_payments

app_name = "onestop"
urlpatterns = [
    path("procedures/", views.procedure_list, name="procedure-list"),
    path("procedures/<str:code>/", views.procedure_detail, name="procedure-detail"),
    path("procedures/<str:code>/nop-ho-so/", views_dossiers.dossier_file, name="dossier-start"),
    path("ho-so/cua-toi/", views_dossiers.my_dossiers, name="my-dossiers"),
    path("ho-so/", views_dossiers.worklist, name="worklist"),
    path("tiep-nhan/", views_dossiers.intake, name="intake"),
    path("tra-cuu/", views_dossiers.lookup, name="lookup"),
    path("ho-so/<int:pk>/", views_dossiers.dossier_detail, name="dossier-detail"),
    path("ho-so/<int:pk>/sua/", views_dossiers.dossier_file, name="dossier-edit"),
    path("ho-so/<int:pk>/thao-tac/<slug:action>/", views_dossiers.dossier_action, name="dossier-action"),
    path("ho-so/<int:pk>/bo-sung/", views_dossiers.dossier_supplement, name="dossier-supplement"),
    path("ho-so/<int:pk>/danh-gia/", views_dossiers.dossier_rate, name="dossier-rate"),
    path("ho-so/<int:pk>/tep/<int:file_id>/", views_dossiers.dossier_file_download, name="dossier-file"),
    path("ho-so/<int:pk>/in/<slug:form>/", views_dossiers.dossier_print, name="dossier-print"),
    path("ho-so/<int:pk>/thanh-toan/", views_payments.start, name="payment-start"),
    path("thanh-toan/ket-qua/", views_payments.gateway_return, name="payment-return"),
    path("thanh-toan/doi-soat/", views_payments.reconcile, name="payment-reconcile"),
    path("", include("cqs.onestop.urls_stats")),
]

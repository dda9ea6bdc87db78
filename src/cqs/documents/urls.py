from django.urls import path

from cqs.documents import views, views_document, views_new
from cqs.documents.views_registers import register_pdf, register_xlsx

app_name = "documents"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("danh-sach/<slug:kind>/", views.worklist, name="list"),
    path("vao-so/", views.register_many, name="register-many"),
    path("tim-kiem/", views.search, name="search"),
    path("di/moi/", views_new.outgoing_new, name="outgoing-new"),
    path("den/moi/", views_new.incoming_new, name="incoming-new"),
    path("so/", views.registers, name="registers"),
    path("so/<int:pk>/", views.register_detail, name="register"),
    path("so/<int:pk>/pdf/", register_pdf, name="register-pdf"),
    path("so/<int:pk>/xlsx/", register_xlsx, name="register-xlsx"),
    path("<int:pk>/", views_document.document_detail, name="detail"),
    path("<int:pk>/thao-tac/<slug:action>/", views_document.document_action, name="action"),
    path("<int:pk>/tep/<int:file_id>/", views_document.file_download, name="file"),
]

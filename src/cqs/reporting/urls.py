from django.urls import include, path

from cqs.reporting import views, views_report

app_name = "reporting"

urlpatterns = [
    path("", views.home, name="home"),
    path("cho-duyet/", views.inbox, name="inbox"),
    path("mo-bao-cao/", views.open_report, name="open"),
    path("mo-khoa/", views.unlock_missing, name="unlock-missing"),
    path("che-do/", views.regimes, name="regimes"),
    path("che-do/<str:code>/", views.regime_detail, name="regime"),
    path("bao-cao/<int:pk>/", views_report.report_page, name="report"),
    path("bao-cao/<int:pk>/ban-ky.pdf", views_report.report_signed_pdf, name="report-pdf"),
    path("bao-cao/<int:pk>/mau-excel.xlsx", views_report.report_xlsx, name="report-xlsx"),
    path("bao-cao/<int:pk>/nhap-excel/", views_report.report_xlsx_upload, name="report-xlsx-upload"),
    path("", include("cqs.reporting.urls_dashboard")),
]

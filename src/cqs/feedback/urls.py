"""Pages of citizen feedback: the public side under /phan-anh/, staff under /phan-anh/xu-ly/."""

from django.urls import path, register_converter

from cqs.feedback import views_public, views_staff, views_stats


class ReportCodeConverter:
    # "PA" and ten characters of an unambiguous alphabet (services.reports._new_code).
    regex = "PA[2-9A-HJ-NP-Z]{10}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(ReportCodeConverter, "report")

app_name = "feedback"

urlpatterns = [
    # The public side (citizens, anyone).
    path("", views_public.home, name="home"),
    path("gui/", views_public.report_new, name="report-new"),
    path("da-gui/<report:code>/", views_public.submitted, name="submitted"),
    path("tra-cuu/", views_public.lookup, name="lookup"),
    path("ban-do.geojson", views_public.geojson, name="geojson"),
    path("gan-day.json", views_public.nearby, name="nearby"),
    path("anh/<int:pk>/", views_public.photo, name="photo"),
    path("<report:code>/", views_public.status, name="status"),
    path("<report:code>/danh-gia/", views_public.survey, name="survey"),
    path("<report:code>/bo-sung/", views_public.provide_info, name="provide-info"),
    # Staff.
    path("xu-ly/", views_staff.inbox, name="inbox"),
    path("xu-ly/<report:code>/", views_staff.detail, name="staff-detail"),
    path("xu-ly/<report:code>/thao-tac/", views_staff.act, name="staff-act"),
    path("xu-ly/<report:code>/anh/", views_staff.photo_add, name="staff-photo"),
    path("thong-ke/", views_stats.statistics, name="stats"),
    path("thong-ke/excel/", views_stats.statistics_excel, name="stats-excel"),
]

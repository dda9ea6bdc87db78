"""Routes of the Open311 GeoReport v2 API, mounted at ``/open311/v2/`` (docs/feedback-open311.md).

Every resource takes the format as its suffix (``.json`` or ``.xml``); anything else under the
prefix, a wrong suffix included, is a 404 in the spec's error format.
"""

from django.urls import re_path

from cqs.feedback.open311 import views

app_name = "open311"

_FMT = r"\.(?P<fmt>json|xml)$"
_ID = r"(?P<{}>[^/]+?)"

urlpatterns = [
    re_path(rf"^discovery{_FMT}", views.discovery, name="discovery"),
    re_path(rf"^services{_FMT}", views.services, name="services"),
    re_path(rf"^services/{_ID.format('service_code')}{_FMT}", views.service_definition, name="service"),
    re_path(rf"^requests{_FMT}", views.requests, name="requests"),
    re_path(rf"^requests/{_ID.format('service_request_id')}{_FMT}", views.request_detail, name="request"),
    # swagger.json's spelling of the same resource, with its single-object answer.
    re_path(
        rf"^request/{_ID.format('service_request_id')}{_FMT}", views.request_object, name="request-object"
    ),
    re_path(rf"^tokens/{_ID.format('token')}{_FMT}", views.token, name="token"),
    # FixMyStreet's extension ("Open311 FMS – Proposed differences").
    re_path(rf"^servicerequestupdates{_FMT}", views.updates, name="updates"),
    re_path(r"^(?P<path>.*)$", views.not_found, name="not-found"),
]

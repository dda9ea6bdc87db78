"""The project's routes plus the data endpoints, for tests written before the DHIS2 urlconf
routes them (the data routes come first so that they win)."""

from django.urls import path, re_path

from cqs.reporting.dhis.views_data import complete_registrations, data_value_sets
from cqs.urls import urlpatterns as project

urlpatterns = [
    re_path(r"^dhis/api/dataValueSets(?:\.(?:json|csv|xml|adx))?$", data_value_sets),
    path("dhis/api/completeDataSetRegistrations", complete_registrations),
    *project,
]

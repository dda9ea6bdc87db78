"""Writes of citizen feedback: reports and their workflow, categories and Open311 apps."""

from cqs.feedback.services.config import api_client_create, category_save, routing_rules_rerun
from cqs.feedback.services.reports import (
    report_act,
    report_get,
    report_photo_add,
    report_submit,
    reports_overdue_mark,
    survey_submit,
)

__all__ = [
    "api_client_create",
    "category_save",
    "report_act",
    "report_get",
    "report_photo_add",
    "report_submit",
    "reports_overdue_mark",
    "routing_rules_rerun",
    "survey_submit",
]

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IocConfig(AppConfig):
    name = "cqs.ioc"
    label = "ioc"
    verbose_name = _("Trung tâm điều hành (IOC)")

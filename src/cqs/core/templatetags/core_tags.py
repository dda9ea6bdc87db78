from django import template
from django.contrib.messages import constants as message_constants

from cqs.core.modules import modules_for

register = template.Library()

# Django's message levels named as Bootstrap alert variants ("error" is "danger" there).
_ALERT_CLASSES = {
    message_constants.DEBUG: "secondary",
    message_constants.INFO: "info",
    message_constants.SUCCESS: "success",
    message_constants.WARNING: "warning",
    message_constants.ERROR: "danger",
}


@register.simple_tag(takes_context=True)
def nav_modules(context):
    """Modules for the navbar of the signed-in user, computed once per request."""
    request = context.get("request")
    if request is None:
        return []
    modules = getattr(request, "cqs_modules", None)
    if modules is None:
        modules = modules_for(getattr(request, "user", None))
        request.cqs_modules = modules
    return modules


@register.filter
def alert_class(message) -> str:
    return _ALERT_CLASSES.get(getattr(message, "level", None), "info")


@register.filter
def is_current_section(path: str, url: str | None) -> bool:
    """Whether the page at ``path`` belongs to the module rooted at ``url`` (navbar highlight)."""
    if not url or not path:
        return False
    return path == url if url == "/" else path.startswith(url)

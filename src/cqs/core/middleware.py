import re
import uuid

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation

from cqs.core import context

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def client_ip(request) -> str | None:
    # REMOTE_ADDR only: X-Forwarded-For is trusted through the proxy's own configuration,
    # never from the client.
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    """Gives every request an id (kept from ``X-Request-ID`` when well formed) and exposes it
    with the client IP to the audit trail; the id is echoed in the response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = context.set_current(context.RequestContext(request_id=request_id, ip=client_ip(request)))
        try:
            response = self.get_response(request)
        finally:
            context.reset(token)
        response["X-Request-ID"] = request_id
        return response


class LanguageMiddleware(LocaleMiddleware):
    """Vietnamese unless the user chose English with the language switch (cookie).

    Django's LocaleMiddleware also follows the browser's Accept-Language, so an official whose
    browser is set to English would get English pages and English validation messages without
    asking for them; Vietnamese is the platform's working language (Decree 30/2020), English an option.
    """

    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()

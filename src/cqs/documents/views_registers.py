"""The register books to print and bind (PDF) or to work with (Excel), Decree 30/2020 Art. 16, 22.

Only a book the user may see is served (``selectors.registers_visible``); any other is a 404, so
that a book's existence in another unit is not revealed.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_safe

from cqs.core.exceptions import ServiceError
from cqs.documents import registers_print, selectors

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _visible_book(request, pk: int):
    book = (
        selectors.registers_visible(request.user).select_related("unit", "unit__parent").filter(pk=pk).first()
    )
    if book is None:
        raise Http404
    return book


def _back():
    try:
        return redirect(reverse("documents:registers"))
    except NoReverseMatch:
        return redirect("/")


def _download(data: bytes, content_type: str, filename: str, *, inline: bool) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    disposition = "inline" if inline else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    # A register names people and documents: not for shared caches.
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_safe
def register_pdf(request, pk: int):
    book = _visible_book(request, pk)
    try:
        data = registers_print.register_pdf(book)
    except ServiceError as error:  # the server has no Vietnamese font: tell the clerk why
        messages.error(request, error.detail)
        return _back()
    return _download(data, "application/pdf", registers_print.register_filename(book, "pdf"), inline=True)


@login_required
@require_safe
def register_xlsx(request, pk: int):
    book = _visible_book(request, pk)
    data = registers_print.register_xlsx(book)
    return _download(data, XLSX, registers_print.register_filename(book, "xlsx"), inline=False)

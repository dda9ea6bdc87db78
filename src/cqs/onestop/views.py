"""Public pages of the procedure catalogue: citizens read it before signing in (see api/views.py)."""

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_safe

from cqs.onestop import selectors
from cqs.onestop.forms import ProcedureFilterForm


def _form(request) -> tuple[ProcedureFilterForm, dict, object]:
    form = ProcedureFilterForm(request.GET)
    if form.is_valid():
        return form, form.filters(), form.cleaned_data.get("as_of") or selectors.today()
    # A bad filter shows the form's error and the unfiltered catalogue, not an error page.
    return form, {}, selectors.today()


@require_safe
def procedure_list(request):
    form, filters, as_of = _form(request)
    versions = list(selectors.procedure_version_list(as_of=as_of, **filters)[:500])
    context = {"form": form, "versions": versions, "as_of": as_of, "sectors": selectors.sector_list()}
    return render(request, "onestop/procedure_list.html", context)


@require_safe
def procedure_detail(request, code: str):
    *_unused, as_of = _form(request)
    version = selectors.procedure_version_detail(code, as_of=as_of)
    if version is None:
        raise Http404
    context = {
        "version": version,
        "procedure": version.procedure,
        "as_of": as_of,
        "unit_codes": selectors.unit_codes(version, as_of=as_of),
        "history": list(version.procedure.versions.all()),
    }
    return render(request, "onestop/procedure_detail.html", context)

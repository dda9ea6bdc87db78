"""Pages of the documents module: the dashboard, the work lists, search and the register books.

Views hold no business logic: they read with selectors, write with services (see
``views_document`` for one document and its actions, ``views_new`` for new documents), and turn
a ``ServiceError`` into a message next to the field it names.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST, require_safe

from cqs.accounts.permissions import units_in_scope
from cqs.core.exceptions import ServiceError
from cqs.documents import selectors
from cqs.documents.forms import SearchForm, error_to_form

PER_PAGE = 50
REGISTER_PER_PAGE = 100

# The work lists: URL slug → (title, selector).
INBOX = "cho-vao-so"
LISTS = {
    INBOX: (_("Văn bản đến chờ vào sổ"), selectors.inbox),
    "cho-phan-cong": (_("Văn bản chờ phân công"), selectors.to_assign),
    "duoc-giao": (_("Văn bản được giao xử lý"), selectors.assigned_to),
    "cho-ky": (_("Văn bản chờ ký"), selectors.to_sign),
    "cho-phat-hanh": (_("Văn bản chờ phát hành"), selectors.to_issue),
    "du-thao": (_("Dự thảo của tôi"), selectors.drafts_of),
    "qua-han": (_("Văn bản quá hạn xử lý"), selectors.overdue),
}


def require_official(request) -> None:
    """The documents pages are for officials with a documents role (or the superuser)."""
    user = request.user
    if user.is_superuser:
        return
    if not units_in_scope(user, "documents", "view_document").exists():
        raise PermissionDenied


def may_create(user) -> dict[str, bool]:
    """Which "new document" buttons to show; the pages and the services check again."""
    return {
        "draft": user.is_superuser or units_in_scope(user, "documents", "draft_document").exists(),
        "scan": user.is_superuser or units_in_scope(user, "documents", "register_document").exists(),
    }


@login_required
@require_safe
def dashboard(request):
    require_official(request)
    counters = [
        {"slug": slug, "title": title, "count": selector(request.user).count()}
        for slug, (title, selector) in LISTS.items()
    ]
    return render(
        request,
        "documents/dashboard.html",
        {"counters": counters, "may": may_create(request.user), "active": "dashboard"},
    )


@login_required
@require_safe
def worklist(request, kind: str):
    require_official(request)
    if kind not in LISTS:
        raise Http404
    title, selector = LISTS[kind]
    page = Paginator(selector(request.user), PER_PAGE).get_page(request.GET.get("page"))
    # The clerk's inbox: tick several documents and register them in one step.
    selectable = kind == INBOX and len(page.object_list) > 0
    return render(
        request,
        "documents/list.html",
        {"page": page, "title": title, "kind": kind, "active": kind, "selectable": selectable},
    )


@login_required
@require_POST
def register_many(request):
    """Register the documents ticked in the inbox: all of them, or none with the reason."""
    require_official(request)
    from cqs.documents.services import incoming_register_many

    ids = [value for value in request.POST.getlist("documents") if value.isdigit()]
    try:
        done = incoming_register_many(
            actor=request.user, documents=ids, confirm_duplicate=request.POST.get("confirm_duplicate") == "on"
        )
    except ServiceError as error:
        messages.error(request, error.detail)
    else:
        numbers = sorted(d.ordinal for d in done)
        messages.success(
            request,
            _("Đã vào sổ %(n)s văn bản, số đến từ %(first)s đến %(last)s.")
            % {"n": len(done), "first": numbers[0], "last": numbers[-1]},
        )
    return redirect("documents:list", kind=INBOX)


@login_required
@require_safe
def search(request):
    """Full-text search with filters; the hits' highlights are HTML built (and escaped) by search."""
    require_official(request)
    from cqs.documents.search import documents_search

    form = SearchForm(request.GET or None)
    results = None
    if form.is_bound and form.is_valid():
        page = request.GET.get("page", "1")
        try:
            results = documents_search(
                user=request.user,
                q=form.cleaned_data["q"],
                filters=form.filters(),
                page=int(page) if page.isdigit() else 1,
                per_page=PER_PAGE,
            )
        except ServiceError as error:
            error_to_form(form, error)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "documents/search.html",
        {"form": form, "results": results, "query": query.urlencode(), "active": "search"},
    )


@login_required
@require_safe
def registers(request):
    require_official(request)
    books = selectors.registers_visible(request.user).order_by("unit__name", "-year", "direction", "secret")
    return render(request, "documents/registers.html", {"books": books, "active": "registers"})


@login_required
@require_safe
def register_detail(request, pk: int):
    require_official(request)
    book = get_object_or_404(selectors.registers_visible(request.user), pk=pk)
    page = Paginator(selectors.register_entries(book), REGISTER_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request, "documents/register_detail.html", {"book": book, "page": page, "active": "registers"}
    )

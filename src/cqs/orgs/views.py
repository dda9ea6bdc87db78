"""Pages of the organisation tree: the tree as of a date, a unit, a reorganisation event.

Sign-in required like every page of the platform; no unit-scoped restriction, since the tree is
public information (see ``api/views.py``).
"""

from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _

from cqs.orgs import selectors


def _as_of(request) -> date:
    raw = request.GET.get("as_of", "").strip()
    if not raw:
        return selectors.today()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        messages.error(
            request,
            _("Ngày “%(value)s” không hợp lệ; đang hiển thị cây tổ chức ngày hôm nay.") % {"value": raw[:40]},
        )
        return selectors.today()


@login_required
def tree(request):
    as_of = _as_of(request)
    previous, following = selectors.reorganisation_events_around(as_of)
    return render(
        request,
        "orgs/tree.html",
        {
            "as_of": as_of,
            "roots": selectors.orgunit_tree(as_of=as_of),
            "previous_event": previous,
            # The last day before the previous event, to see the tree it replaced.
            "previous_eve": previous.effective_date - timedelta(days=1) if previous else None,
            "next_event": following,
        },
    )


@login_required
def unit(request, pk: int):
    found = selectors.orgunit_get(pk)
    if found is None:
        raise Http404(_("Không tìm thấy đơn vị."))
    today = selectors.today()
    in_force = found.is_valid_on(today)
    return render(
        request,
        "orgs/unit.html",
        {
            "unit": found,
            "ancestors": selectors.orgunit_ancestors(found),
            "children": selectors.orgunit_children(found),
            "predecessor_links": selectors.orgunit_predecessor_links(found),
            "successor_links": selectors.orgunit_successor_links(found),
            "in_force": in_force,
            "current_successors": [] if in_force else selectors.orgunit_current_successor(found, on=today),
            # A day on which this version is in force, to open the tree where it stands.
            "seen_on": found.valid_to - timedelta(days=1) if found.valid_to else max(found.valid_from, today),
        },
    )


@login_required
def event(request, pk: int):
    found = selectors.reorganisation_get(pk)
    if found is None:
        raise Http404(_("Không tìm thấy sự kiện sắp xếp."))
    return render(
        request,
        "orgs/event.html",
        {
            "event": found,
            "links": selectors.reorganisation_successions(found),
            "eve": found.effective_date - timedelta(days=1),
        },
    )

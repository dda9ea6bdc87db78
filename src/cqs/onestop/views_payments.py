"""Pages of online payment: start (to the gateway), the gateway's return, reconciliation."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from cqs.accounts.permissions import units_in_scope
from cqs.core.exceptions import ServiceError
from cqs.core.outbox import DeliveryError
from cqs.onestop import selectors
from cqs.onestop.choices import PaymentStatus
from cqs.onestop.services.payments import payment_callback, payment_start, payments_reconcile


@login_required
@require_POST
def start(request, pk: int):
    dossier = selectors.dossier_get(user=request.user, pk=pk)
    if dossier is None:
        raise Http404
    try:
        _payment, url = payment_start(
            dossier=dossier,
            actor=request.user,
            return_url=request.build_absolute_uri(reverse("onestop:payment-return")),
        )
    except ServiceError as error:
        messages.error(request, error.detail)
        return redirect("onestop:dossier-detail", pk=pk)
    return redirect(url)


@require_safe
def gateway_return(request):
    """The gateway sends the citizen back here with the signed result (also usable as its
    server-to-server notification): verified, applied once, then the dossier page."""
    try:
        payment = payment_callback(params=request.GET.dict())
    except ServiceError as error:
        messages.error(request, error.detail)
        return render(request, "onestop/payment_error.html", {"error": error}, status=error.status)
    if payment.status == PaymentStatus.SUCCEEDED:
        messages.success(
            request, _("Thanh toán thành công. Mã giao dịch: %(no)s.") % {"no": payment.transaction_no}
        )
    else:
        messages.error(request, _("Thanh toán không thành công; bạn có thể thử lại."))
    if request.user.is_authenticated and payment.dossier.applicant_id == request.user.pk:
        return redirect("onestop:dossier-detail", pk=payment.dossier_id)
    return redirect(reverse("onestop:lookup") + f"?ma={payment.dossier.code}")


@login_required
@require_safe
def reconcile(request):
    """Đối soát giao dịch: our payments of a day against the gateway's list."""
    if (
        not request.user.is_superuser
        and not units_in_scope(request.user, "onestop", "receive_dossier").exists()
    ):
        raise PermissionDenied
    try:
        day = (
            date.fromisoformat(request.GET.get("ngay", ""))
            if request.GET.get("ngay")
            else timezone.localdate()
        )
    except ValueError:
        day = timezone.localdate()
    error = ""
    rows = []
    try:
        rows = payments_reconcile(on=day)
    except DeliveryError as exc:
        error = str(exc)
    return render(request, "onestop/payment_reconcile.html", {"rows": rows, "day": day, "error": error})
